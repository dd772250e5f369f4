//! The settings only the Lambda deployment has: Socket.IO's heartbeat on API
//! Gateway, and where the functions reach Lambda itself. Read from the
//! environment like PROTOCOL.md's table.

use clap::{Args, Parser};
use ecb_engine::ConfigError;

/// Socket.IO on API Gateway (see `infra/README.md` for the defaults' costs).
#[derive(Debug, Clone, Args)]
pub struct SocketIoSettings {
    /// Milliseconds between pings to a Socket.IO connection. Under API
    /// Gateway's 10-minute idle timeout, with room for a late sweep.
    #[arg(long, env = "ECB_SOCKETIO_PING_INTERVAL_MS", default_value_t = 300_000)]
    pub ping_interval_ms: u64,
    /// Milliseconds a ping may go unanswered before the connection is closed;
    /// longer than the sweep period, since pings go out at sweeps.
    #[arg(long, env = "ECB_SOCKETIO_PING_TIMEOUT_MS", default_value_t = 120_000)]
    pub ping_timeout_ms: u64,
    /// Milliseconds a client has, after the open packet, to join a namespace.
    #[arg(
        long,
        env = "ECB_SOCKETIO_CONNECT_TIMEOUT_MS",
        default_value_t = 45_000
    )]
    pub connect_timeout_ms: u64,
    /// The `engineio` function (name or ARN): `$connect` queues the open
    /// packet with it.
    #[arg(long, env = "ECB_ENGINEIO_FUNCTION", default_value = "engineio")]
    pub engineio_function: String,
    /// Lambda endpoint override (local use: `ecb gateway` queues
    /// asynchronous invocations, which `cargo lambda watch` cannot).
    #[arg(long, env = "ECB_LAMBDA_ENDPOINT")]
    pub lambda_endpoint: Option<String>,
}

#[derive(Parser)]
struct FromEnvironment {
    #[command(flatten)]
    settings: SocketIoSettings,
}

impl SocketIoSettings {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let parsed = FromEnvironment::try_parse_from(["ecb-functions"]).map_err(|e| {
            ConfigError::Invalid {
                name: "ECB_SOCKETIO_*",
                reason: e.kind().to_string(),
            }
        })?;
        Ok(parsed.settings)
    }
}
