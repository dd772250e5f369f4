//! Reading a request body no further than the engine takes: a body that
//! declares or reaches more than the largest payload is not buffered, and
//! the engine answers it with `payload_too_large` in an envelope like every
//! other error (not a plain-text 413 from the body layer).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use ecb_engine::Payload;
use http_body_util::{BodyExt, Limited};

/// What was read of a body.
pub(crate) enum ReadBody {
    /// The whole body, within the limit.
    Whole(Bytes),
    /// Reading stopped past the limit (or its length said it would).
    TooLong { length: usize },
    /// The client went away or broke the body off.
    Failed,
}

impl ReadBody {
    /// The payload for the engine; `None` when there is none to give it.
    pub(crate) fn payload(&self) -> Option<Payload<'_>> {
        match self {
            Self::Whole(bytes) => Some(Payload::Body(bytes)),
            Self::TooLong { length } => Some(Payload::Unread { length: *length }),
            Self::Failed => None,
        }
    }
}

/// Reads at most `limit` bytes of `body` (a declared `Content-Length` over
/// it is refused before a byte is read).
pub(crate) async fn read(headers: &HeaderMap, body: Body, limit: usize) -> ReadBody {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(length) = declared.filter(|&length| length >= limit as u64) {
        return ReadBody::TooLong {
            length: usize::try_from(length).unwrap_or(usize::MAX),
        };
    }
    match Limited::new(body, limit - 1).collect().await {
        Ok(collected) => ReadBody::Whole(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            ReadBody::TooLong { length: limit }
        }
        Err(_) => ReadBody::Failed,
    }
}
