//! A client of the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`).

use serde_json::Value;

/// Invokes functions synchronously and returns what they answered.
#[derive(Clone)]
pub struct LambdaInvoker {
    base: String,
    client: reqwest::Client,
}

impl LambdaInvoker {
    /// An invoker for the Invoke API at `base`.
    pub fn new(base: &str) -> Self {
        ecb_engine::install_crypto_provider();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// Invokes `function` with `event`; an invocation error (the function
    /// failed, or nothing answers) is its message.
    pub async fn invoke(&self, function: &str, event: &Value) -> Result<Value, String> {
        let url = format!("{}/2015-03-31/functions/{function}/invocations", self.base);
        let response = self
            .client
            .post(&url)
            .json(event)
            .send()
            .await
            .map_err(|e| format!("invoking {function}: {e}"))?;
        let failed = response.headers().contains_key("x-amz-function-error")
            || !response.status().is_success();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("{function} answered with invalid JSON: {e}"))?;
        if failed {
            return Err(format!("{function} failed: {body}"));
        }
        Ok(body)
    }
}
