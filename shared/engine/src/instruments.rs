//! What the engine measures, through the `metrics` facade: every metric's
//! name and labels, and the few central places that record them
//! ([`crate::Engine::execute`], the backend client, the fan-out, the token
//! verifier). The engine installs no recorder and renders nothing: the
//! process embedding it does (the local server serves Prometheus text, the
//! Lambda functions print CloudWatch Embedded Metric Format), and where none
//! is installed every record is a no-op. Labels take values from closed sets
//! only (action names, error codes), never from what a client typed.

use std::time::Duration;

use crate::ErrorCode;
use crate::ports::{BackendOperation, PushError};

/// Counter: operations run, by `action` (its wire name, `unknown` when not
/// an action) and `code` (`ok` or the envelope's error code).
pub const OPERATIONS: &str = "ecb_operations_total";
/// Histogram: seconds from a request's arrival to its reply, by `action`.
pub const OPERATION_SECONDS: &str = "ecb_operation_duration_seconds";
/// Counter: requests refused by the per-connection (or per-user) rate limit.
pub const RATE_LIMITED: &str = "ecb_rate_limited_total";
/// Histogram: seconds of each backend call, by `operation` (the backend
/// API's name) and `outcome` (`ok`, `rejected`, `unavailable`, `timeout`,
/// `invalid`).
pub const BACKEND_CALL_SECONDS: &str = "ecb_backend_call_duration_seconds";
/// Counter: pushes to one connection, by `outcome` (`delivered`,
/// `queue_full`, `gone`, `failed`).
pub const PUSHES: &str = "ecb_pushes_total";
/// Histogram: connections one event was pushed to (one fan-out).
pub const FANOUT_SIZE: &str = "ecb_fanout_size";
/// Counter: tokens checked, by `kind` (`userToken`, `threadToken`,
/// `serverToken`) and `outcome` (`verified`: the signature was checked,
/// `cache_hit`: it had been before, `rejected`).
pub const TOKEN_VERIFICATIONS: &str = "ecb_token_verifications_total";

/// Records one request's end: its action, result and duration.
pub(crate) fn operation_finished(action: &'static str, failure: Option<ErrorCode>, took: Duration) {
    let code = failure.map_or("ok", ErrorCode::as_str);
    metrics::counter!(OPERATIONS, "action" => action, "code" => code).increment(1);
    metrics::histogram!(OPERATION_SECONDS, "action" => action).record(took.as_secs_f64());
    if failure == Some(ErrorCode::RateLimited) {
        metrics::counter!(RATE_LIMITED).increment(1);
    }
}

/// How a backend call ended, as the latency histogram labels it.
pub(crate) fn backend_outcome(error: Option<&crate::EcbError>) -> &'static str {
    match error {
        None => "ok",
        Some(error) => match error.code {
            ErrorCode::BackendRejected => "rejected",
            ErrorCode::BackendUnavailable if error.http_status() == 504 => "timeout",
            ErrorCode::BackendUnavailable => "unavailable",
            _ => "invalid",
        },
    }
}

/// Records one backend call's latency.
pub(crate) fn backend_call(operation: BackendOperation, outcome: &'static str, took: Duration) {
    metrics::histogram!(
        BACKEND_CALL_SECONDS,
        "operation" => operation.as_str(),
        "outcome" => outcome,
    )
    .record(took.as_secs_f64());
}

/// Records one fan-out: its size, and each push's outcome.
pub(crate) fn fan_out<'a>(outcomes: impl ExactSizeIterator<Item = &'a Result<(), PushError>>) {
    metrics::histogram!(FANOUT_SIZE).record(outcomes.len() as f64);
    let (mut delivered, mut full, mut gone, mut failed) = (0, 0, 0, 0);
    for outcome in outcomes {
        match outcome {
            Ok(()) => delivered += 1,
            Err(PushError::QueueFull) => full += 1,
            Err(PushError::Gone) => gone += 1,
            Err(PushError::Failed(_)) => failed += 1,
        }
    }
    for (outcome, count) in [
        ("delivered", delivered),
        ("queue_full", full),
        ("gone", gone),
        ("failed", failed),
    ] {
        if count > 0 {
            metrics::counter!(PUSHES, "outcome" => outcome).increment(count);
        }
    }
}

/// Records one token check.
pub(crate) fn token_checked(kind: &'static str, outcome: &'static str) {
    metrics::counter!(TOKEN_VERIFICATIONS, "kind" => kind, "outcome" => outcome).increment(1);
}
