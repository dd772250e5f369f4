//! The Management API's gate: every `/@connections` request must carry a
//! valid signature by `ECB_MANAGEMENT_SECRET` (`ecb_aws::management_key`),
//! checked before any handler runs, since each of them acts for whoever
//! calls: a POST pushes a frame, a GET reads a connection, a DELETE closes it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use ecb_aws::management_key::{SIGNATURE_HEADER, SignedRequest, TIME_HEADER};
use ecb_aws::{MAX_FRAME_BYTES, ManagementKey};
use ecb_engine::{EcbError, ErrorCode};
use ecb_rest::envelope_response;

/// Reads the body (no further than the largest frame the pusher sends),
/// verifies the signature, then hands the request on with the body it read.
pub(crate) async fn require_signature(
    State(key): State<ManagementKey>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_FRAME_BYTES).await else {
        return refuse(
            ErrorCode::PayloadTooLarge,
            "a Management API body is one frame of at most 32 KB",
        );
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |target| target.as_str());
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedRequest {
        method: parts.method.as_str(),
        target,
        body: &body,
    };
    let verdict = key.verify(
        signed,
        header(TIME_HEADER),
        header(SIGNATURE_HEADER),
        ecb_engine::unix_now(),
    );
    match verdict {
        Ok(()) => next.run(Request::from_parts(parts, Body::from(body))).await,
        Err(refusal) => {
            tracing::debug!(?refusal, "Management API request refused");
            refuse(ErrorCode::Unauthorized, refusal.message())
        }
    }
}

fn refuse(code: ErrorCode, message: &str) -> Response {
    let status = StatusCode::from_u16(code.default_http_status()).unwrap_or(StatusCode::FORBIDDEN);
    envelope_response(status, &Err(EcbError::new(code, message)))
}
