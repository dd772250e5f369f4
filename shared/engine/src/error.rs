//! The error half of the envelope: a code from PROTOCOL.md and a message.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The closed set of error codes of the wire contract. Clients switch on these,
/// so a new failure must map onto one of them rather than invent a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    UnknownAction,
    PayloadTooLarge,
    RateLimited,
    BackendRejected,
    BackendUnavailable,
    BackendInvalidResponse,
    Internal,
}

impl ErrorCode {
    /// The wire spelling, as the envelope and CONNECT_ERROR carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::UnknownAction => "unknown_action",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited => "rate_limited",
            Self::BackendRejected => "backend_rejected",
            Self::BackendUnavailable => "backend_unavailable",
            Self::BackendInvalidResponse => "backend_invalid_response",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status REST answers with, per PROTOCOL.md's table. Codes whose
    /// status depends on the case (a backend's own 4xx, a timeout) carry it in
    /// [`EcbError::http_status`] instead.
    pub fn default_http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::UnknownAction => 404,
            Self::PayloadTooLarge => 413,
            Self::RateLimited => 429,
            Self::BackendRejected => 400,
            Self::BackendUnavailable | Self::BackendInvalidResponse => 502,
            Self::Internal => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed operation, as every transport reports it.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[error("{code}: {message}")]
pub struct EcbError {
    /// What went wrong, from the closed set.
    pub code: ErrorCode,
    /// A sentence for people; never contains a token.
    pub message: String,
    /// The backend's own `{code, message}` when it rejected the call, passed
    /// on so the client can tell "thread archived" from "message too long".
    /// Boxed: it is rare, and errors travel in every `Result` of the engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<Box<Value>>,
    /// The REST status when it is not the code's default (backend 4xx, 504).
    #[serde(skip)]
    pub http_status: Option<u16>,
}

impl EcbError {
    /// An error with the code's default HTTP status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            backend: None,
            http_status: None,
        }
    }

    /// The client sent something that does not fit the contract.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// A token is missing, malformed, badly signed, expired or of the wrong kind.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// The caller is known but not allowed (not a member of the thread).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// ECB itself failed (the store, a bug); details go to the log, not the client.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// The backend answered with something that is not what the contract promises.
    pub fn backend_invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BackendInvalidResponse, message)
    }

    /// Override the REST status (a backend's own 4xx, 504 for a timeout).
    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// The status REST answers with.
    pub fn http_status(&self) -> u16 {
        self.http_status
            .unwrap_or_else(|| self.code.default_http_status())
    }
}
