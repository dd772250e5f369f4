//! The reference server's request errors: each answers 400 with its code
//! and message, which clients (and the official suite) tell apart.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The errors of the reference server, with its codes and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EioError {
    TransportUnknown,
    UnknownSid,
    BadHandshakeMethod,
    BadRequest,
    UnsupportedProtocolVersion,
}

impl IntoResponse for EioError {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            Self::TransportUnknown => (0, "Transport unknown"),
            Self::UnknownSid => (1, "Session ID unknown"),
            Self::BadHandshakeMethod => (2, "Bad handshake method"),
            Self::BadRequest => (3, "Bad request"),
            Self::UnsupportedProtocolVersion => (5, "Unsupported protocol version"),
        };
        let body = serde_json::json!({ "code": code, "message": message });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}
