//! The Backend port: the customer's server, which stores everything.

use async_trait::async_trait;
use serde_json::Value;

use crate::EcbError;

/// The backend API's operations (PROTOCOL.md, "Backend API"), named as
/// the path segment under the backend URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "camelCase")]
pub enum BackendOperation {
    GetUserToken,
    GetContacts,
    GetThreads,
    CreateThread,
    GetThread,
    AddThreadMessage,
    GetThreadMessages,
    MarkRead,
    NotifyUndelivered,
}

impl BackendOperation {
    /// The path segment under the backend URL (`addThreadMessage`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One call to the backend.
#[derive(Debug, Clone)]
pub struct BackendCall<'a> {
    pub operation: BackendOperation,
    /// The caller's userToken, sent as the bearer (absent for getUserToken).
    pub user_token: Option<&'a str>,
    /// The client's payload plus `user`.
    pub body: Value,
    /// The client's `clientMessageId`, sent as `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
}

/// Calls the backend and maps its failures onto the protocol's codes
/// (`backend_rejected`, `backend_unavailable`, `backend_invalid_response`).
/// The answer is unchecked JSON: the operations check its shape.
#[async_trait]
pub trait Backend: Send + Sync {
    async fn call(&self, call: BackendCall<'_>) -> Result<Value, EcbError>;
}
