//! `ecb gateway`: the local server playing API Gateway in front of the
//! Lambda functions (`cargo lambda watch`), which `sam local` cannot do for
//! WebSocket APIs.
//!
//! A WebSocket connect, each frame and the close become the API Gateway
//! WebSocket proxy events sent through the Lambda Invoke API to `connect`,
//! `message` and `disconnect`; a `$connect` that does not answer 200 refuses
//! the upgrade with its status. The functions push through the Management API
//! (`/@connections/{id}`) this gateway serves, signing each request with
//! `ECB_MANAGEMENT_SECRET` where API Gateway would check SigV4 (an unsigned
//! one is refused, as AWS refuses it). Any other HTTP request goes to
//! the `api` function as an HTTP API (payload 2.0) event.
//!
//! It is as strict as API Gateway where ECB depends on it (see `websocket`),
//! and plays the two other AWS parts Socket.IO needs: Lambda's asynchronous
//! invocations (`invoke_api`) and EventBridge's schedule (`schedule`).

mod events;
mod http_api;
mod invoke_api;
mod lambda;
mod schedule;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use ecb_aws::ManagementKey;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::{LocalHub, management};

pub use lambda::LambdaInvoker;

/// The gateway's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayConfig {
    /// Where the gateway listens (clients and the Management API).
    #[arg(long, default_value = "127.0.0.1:9001")]
    pub listen: String,
    /// The Lambda Invoke API (`cargo lambda watch`).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    pub invoke_url: String,
    /// The stage name in events and in the WebSocket path.
    #[arg(long, default_value = "local")]
    pub stage: String,
    /// The `$connect` function.
    #[arg(long, default_value = "connect")]
    pub connect_function: String,
    /// The `$default` function.
    #[arg(long, default_value = "message")]
    pub message_function: String,
    /// The `$disconnect` function.
    #[arg(long, default_value = "disconnect")]
    pub disconnect_function: String,
    /// The HTTP API function.
    #[arg(long, default_value = "api")]
    pub api_function: String,
    /// The function invoked on a schedule (Socket.IO's heartbeat); `none`
    /// for no schedule.
    #[arg(long, default_value = "engineio")]
    pub schedule_function: String,
    /// Milliseconds between scheduled invocations (AWS: one minute).
    #[arg(long, default_value_t = 60_000)]
    pub schedule_every_ms: u64,
    /// Milliseconds without a frame from the client before the gateway
    /// closes a connection (API Gateway: 10 minutes).
    #[arg(long, default_value_t = 600_000)]
    pub idle_timeout_ms: u64,
    /// Milliseconds a connection may last (API Gateway: 2 hours).
    #[arg(long, default_value_t = 7_200_000)]
    pub max_lifetime_ms: u64,
    /// The secret the functions sign their Management API requests with
    /// (the same `ECB_MANAGEMENT_SECRET` they are given); required.
    #[arg(long, env = "ECB_MANAGEMENT_SECRET", hide_env_values = true)]
    pub management_secret: Option<String>,
}

impl Default for GatewayConfig {
    /// The defaults of the command line: API Gateway's own limits.
    fn default() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            config: GatewayConfig,
        }
        <Defaults as clap::Parser>::parse_from(["gateway"]).config
    }
}

/// What the gateway's handlers share.
#[derive(Clone)]
pub(crate) struct Gateway {
    pub(crate) config: Arc<GatewayConfig>,
    pub(crate) lambda: LambdaInvoker,
    pub(crate) hub: Arc<LocalHub>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tasks: TaskTracker,
}

/// A gateway running in the background.
pub struct RunningGateway {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    serving: tokio::task::JoinHandle<()>,
}

impl RunningGateway {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes every connection (each gets its `$disconnect`) and stops.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.close();
        let _ = self.serving.await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.tasks.wait()).await;
    }
}

/// Starts the gateway.
pub async fn start(config: GatewayConfig) -> anyhow::Result<RunningGateway> {
    let management_key = ManagementKey::required(config.management_secret.as_deref())?;
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    let addr = listener.local_addr()?;
    let gateway = Gateway {
        lambda: LambdaInvoker::new(&config.invoke_url),
        config: Arc::new(config),
        hub: Arc::new(LocalHub::new()),
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
    };
    if gateway.config.schedule_function != "none" {
        let every = std::time::Duration::from_millis(gateway.config.schedule_every_ms.max(1));
        let function = gateway.config.schedule_function.clone();
        gateway
            .tasks
            .spawn(schedule::run(gateway.clone(), function, every));
    }
    let app = Router::new()
        .route("/", get(websocket::upgrade))
        .route("/{stage}", get(websocket::upgrade))
        // socket.io-client adds a trailing slash to its path by default.
        .route("/{stage}/", get(websocket::upgrade))
        .route(
            "/2015-03-31/functions/{function}/invocations",
            post(invoke_api::invoke),
        )
        .fallback(http_api::forward)
        .with_state(gateway.clone())
        .merge(management::router(gateway.hub.clone(), management_key));
    let serving = crate::serve(listener, app, gateway.shutdown.clone());
    tracing::info!(%addr, "API Gateway emulator listening");
    Ok(RunningGateway {
        addr,
        shutdown: gateway.shutdown,
        tasks: gateway.tasks,
        serving,
    })
}
