//! The `ecb` binary's log output: plain text for people by default,
//! `ECB_LOG_FORMAT=json` for a log pipeline: one JSON object per line, each
//! with the spans it happened in (a connection's id, a request's id), so
//! every line of one operation can be found by that id. Tokens are never
//! logged: spans and events carry ids, never a token.

use tracing_subscriber::EnvFilter;

/// What `ECB_LOG_FORMAT` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Reads `ECB_LOG_FORMAT` (`text` or `json`); anything else is refused
    /// with one line naming the setting.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("ECB_LOG_FORMAT").unwrap_or_default().trim() {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "ECB_LOG_FORMAT is invalid: `{other}` (use `text` or `json`)"
            )),
        }
    }
}

/// Installs the process's log subscriber, writing to stderr, filtered by
/// `RUST_LOG` (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}

/// Runs each HTTP request (REST, the server API) inside a span with an id
/// of its own, so every line one request logs can be found by it; a
/// client's `x-request-id` is used when it sends one of sane length.
pub async fn in_request_span(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let given = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 64);
    let request_id = given.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    next.run(request).instrument(span).await
}
