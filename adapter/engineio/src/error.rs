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
    /// Not the reference server's: one address holds too many sessions.
    TooManySessions,
}

impl IntoResponse for EioError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::TransportUnknown => (StatusCode::BAD_REQUEST, 0, "Transport unknown"),
            Self::UnknownSid => (StatusCode::BAD_REQUEST, 1, "Session ID unknown"),
            Self::BadHandshakeMethod => (StatusCode::BAD_REQUEST, 2, "Bad handshake method"),
            Self::BadRequest => (StatusCode::BAD_REQUEST, 3, "Bad request"),
            // The reference server's "Forbidden" code, with the status that
            // tells a client to come back later.
            Self::TooManySessions => (StatusCode::TOO_MANY_REQUESTS, 4, "Too many sessions"),
            Self::UnsupportedProtocolVersion => {
                (StatusCode::BAD_REQUEST, 5, "Unsupported protocol version")
            }
        };
        let body = serde_json::json!({ "code": code, "message": message });
        (status, axum::Json(body)).into_response()
    }
}
