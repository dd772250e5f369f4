//! The Backend port over HTTP (reqwest on rustls/ring).

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::Value;

use super::WebhookSigner;
use crate::ports::{Backend, BackendCall, BackendOperation};
use crate::{EcbError, EngineConfig, ErrorCode};

/// The largest backend answer read; a bigger one is `backend_invalid_response`.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Calls `POST {backendUrl}/{operation}` with the headers of PROTOCOL.md.
pub struct HttpBackend {
    client: reqwest::Client,
    /// Each operation's URL, indexed by `operation as usize` (the variants
    /// in declaration order): parsed once,
    /// as parsing per call showed up in profiles of the message path.
    urls: Vec<reqwest::Url>,
    timeout_ms: u128,
    signer: Option<WebhookSigner>,
}

impl HttpBackend {
    /// A backend client for a configuration (base URL, timeout, signing secret).
    pub fn new(config: &EngineConfig) -> Result<Self, EcbError> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(config.backend_timeout)
            .user_agent(concat!("ecb/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EcbError::internal(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            urls: <BackendOperation as strum::VariantArray>::VARIANTS
                .iter()
                .map(|operation| {
                    reqwest::Url::parse(&format!("{}/{}", config.backend_url, operation.as_str()))
                        .map_err(|e| EcbError::internal(format!("backend URL: {e}")))
                })
                .collect::<Result<_, _>>()?,
            timeout_ms: config.backend_timeout.as_millis(),
            signer: config.backend_secret.clone().map(WebhookSigner::new),
        })
    }

    fn request_error(&self, operation: &str, error: reqwest::Error) -> EcbError {
        if error.is_timeout() {
            EcbError::new(
                ErrorCode::BackendUnavailable,
                format!("backend {operation} timed out after {} ms", self.timeout_ms),
            )
            .with_status(504)
        } else {
            EcbError::new(
                ErrorCode::BackendUnavailable,
                format!("backend {operation} unreachable"),
            )
        }
    }
}

#[async_trait]
impl Backend for HttpBackend {
    async fn call(&self, call: BackendCall<'_>) -> Result<Value, EcbError> {
        let operation = call.operation.as_str();
        let url = self.urls[call.operation as usize].clone();
        let body = serde_json::to_vec(&call.body)
            .map_err(|e| EcbError::internal(format!("encoding backend body: {e}")))?;
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(token) = call.user_token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(signer) = &self.signer {
            let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            let timestamp = crate::unix_now();
            request = request
                .header("webhook-signature", signer.sign(&id, timestamp, &body))
                .header("webhook-id", id)
                .header("webhook-timestamp", timestamp.to_string());
        }
        let started = std::time::Instant::now();
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| self.request_error(operation, e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.request_error(operation, e))?;
        tracing::debug!(
            operation,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "backend call"
        );
        classify(operation, status, &bytes)
    }
}

/// Maps a backend answer onto a result: 2xx JSON → value, 4xx → rejected (the
/// backend's error passed on), 5xx → unavailable, anything else → invalid.
fn classify(operation: &str, status: StatusCode, body: &[u8]) -> Result<Value, EcbError> {
    if status.is_success() {
        if body.len() > MAX_ANSWER_BYTES {
            return Err(EcbError::backend_invalid(format!(
                "backend {operation} answer is over {MAX_ANSWER_BYTES} bytes"
            )));
        }
        return serde_json::from_slice(body).map_err(|_| {
            EcbError::backend_invalid(format!("backend {operation} answered with invalid JSON"))
        });
    }
    if status.is_client_error() {
        let backend_error = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").cloned())
            .filter(Value::is_object);
        let message = backend_error
            .as_ref()
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("backend {operation} rejected the request ({status})"));
        let mut error =
            EcbError::new(ErrorCode::BackendRejected, message).with_status(status.as_u16());
        error.backend = backend_error.map(Box::new);
        return Err(error);
    }
    if status.is_server_error() {
        return Err(EcbError::new(
            ErrorCode::BackendUnavailable,
            format!("backend {operation} failed ({status})"),
        ));
    }
    Err(EcbError::backend_invalid(format!(
        "backend {operation} answered with unexpected status {status}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_errors_pass_the_backend_error_on() {
        let body = br#"{"error":{"code":"archived","message":"thread is archived"}}"#;
        let err = classify("getThread", StatusCode::CONFLICT, body).unwrap_err();
        assert_eq!(err.code, ErrorCode::BackendRejected);
        assert_eq!(err.http_status(), 409);
        assert_eq!(err.message, "thread is archived");
        assert_eq!(
            err.backend.as_deref(),
            Some(&json!({"code":"archived","message":"thread is archived"}))
        );
    }

    #[test]
    fn server_errors_and_garbage_map_to_their_codes() {
        let err = classify("getThread", StatusCode::BAD_GATEWAY, b"").unwrap_err();
        assert_eq!(err.code, ErrorCode::BackendUnavailable);
        assert_eq!(err.http_status(), 502);
        let err = classify("getThread", StatusCode::OK, b"<html>").unwrap_err();
        assert_eq!(err.code, ErrorCode::BackendInvalidResponse);
        assert_eq!(classify("x", StatusCode::OK, b"[1]").unwrap(), json!([1]));
    }
}
