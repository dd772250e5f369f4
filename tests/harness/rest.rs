//! A REST client for ECB's `/v1` endpoints.

use reqwest::StatusCode;
use serde_json::Value;

/// Calls ECB over HTTP and returns status and envelope.
#[derive(Clone)]
pub struct Rest {
    base: String,
    client: reqwest::Client,
}

impl Rest {
    /// A client for ECB at `base` (`http://addr`).
    pub fn new(base: &str) -> Self {
        ecb_engine::install_crypto_provider();
        Self {
            base: base.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// `POST /v1/{action}` with an optional bearer.
    pub async fn call(
        &self,
        action: &str,
        bearer: Option<&str>,
        payload: &Value,
    ) -> (StatusCode, Value) {
        self.post_raw(
            &format!("/v1/{action}"),
            bearer,
            payload.to_string().into_bytes(),
        )
        .await
    }

    /// `POST {path}` of the server API with a serverToken.
    pub async fn call_server(
        &self,
        path: &str,
        server_token: &str,
        payload: &Value,
    ) -> (StatusCode, Value) {
        self.post_raw(path, Some(server_token), payload.to_string().into_bytes())
            .await
    }

    /// `POST {path}` with a raw body.
    pub async fn post_raw(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("ECB answers");
        let status = response.status();
        let body = response.json().await.expect("ECB answers JSON");
        (status, body)
    }

    /// `GET {path}`.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("ECB answers");
        let status = response.status();
        (status, response.json().await.expect("ECB answers JSON"))
    }
}
