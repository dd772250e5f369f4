//! Asynchronous Lambda invocations (`InvocationType: Event`): work that must
//! run after the invoking function has answered. `$connect` needs it: API
//! Gateway refuses posts to a connection (410) until `$connect` has
//! returned, yet a Socket.IO client waits for the server's open packet.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

/// Queues events for one function, without waiting for it to run.
#[derive(Clone)]
pub struct AsyncInvoker {
    client: Client,
    function: String,
}

impl AsyncInvoker {
    /// An invoker of `function` (name or ARN); `endpoint` overrides Lambda's
    /// (`ecb gateway` queues asynchronous invocations for `cargo lambda`,
    /// which runs every invocation synchronously).
    pub async fn new(function: &str, endpoint: Option<&str>) -> Self {
        let sdk = crate::sdk_config().await;
        let config =
            crate::config::with_endpoint!(aws_sdk_lambda::config::Builder::from(&sdk), endpoint);
        Self {
            client: Client::from_conf(config.build()),
            function: function.to_owned(),
        }
    }

    /// Queues `event`; Lambda answers 202 once it holds it.
    pub async fn queue(&self, event: &Value) -> Result<(), String> {
        self.client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(event.to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_lambda::error::DisplayErrorContext(e).to_string())
    }
}
