//! How the local server is operated, beside what the engine is configured
//! with: where its metrics are served and how long a drain may take. These
//! are the server's own (the Lambda functions have neither), so they live
//! here and not in the engine's `Settings`.

use std::time::Duration;

use clap::Args;

/// The operator's settings of `ecb serve` and `ecb demo`.
#[derive(Debug, Clone, Args)]
pub struct OperatorSettings {
    /// Where `GET /metrics` is served: unset, on ECB_LISTEN beside everything
    /// else; an address (`127.0.0.1:9090`), there only; `off`, nowhere.
    #[arg(long, env = "ECB_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// How long a drain (SIGTERM) may take before the process exits, in
    /// milliseconds: operations in flight finish, then clients are told to
    /// reconnect elsewhere.
    #[arg(long, env = "ECB_DRAIN_TIMEOUT_MS", default_value_t = 15_000)]
    pub drain_timeout_ms: u64,
}

/// Where the metrics go, read from `ECB_METRICS_LISTEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAt {
    /// On the main listener.
    MainListener,
    /// On a listener of their own.
    Address(String),
    /// Not served.
    Off,
}

impl OperatorSettings {
    /// Where `/metrics` is served.
    pub fn metrics_at(&self) -> MetricsAt {
        match self.metrics_listen.as_deref().map(str::trim) {
            None | Some("") => MetricsAt::MainListener,
            Some(off) if off.eq_ignore_ascii_case("off") => MetricsAt::Off,
            Some(address) => MetricsAt::Address(address.to_owned()),
        }
    }

    /// The bound on a drain.
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_millis(self.drain_timeout_ms)
    }
}

/// The defaults, for servers started without flags (embedding, tests).
impl Default for OperatorSettings {
    fn default() -> Self {
        Self {
            metrics_listen: None,
            drain_timeout_ms: 15_000,
        }
    }
}
