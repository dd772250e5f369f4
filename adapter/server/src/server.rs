//! Building and running the local server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use ecb_aws::{DynamoStore, ManagementKey, ManagementPusher};
use ecb_engine::backend::HttpBackend;
use ecb_engine::ports::{Pusher, Store};
use ecb_engine::store::MemoryStore;
use ecb_engine::{Engine, Settings};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connections::{self, ConnectionLimits};
use crate::ecb_namespace::EcbNamespaces;
use crate::gate::OperationGate;
use crate::operating::{MetricsAt, OperatorSettings};
use crate::routing_pusher::RoutingPusher;
use crate::slots::Slots;
use crate::{AppState, LocalHub, management, prometheus, readiness, ws};
use ecb_engineio::{EngineIo, EngineIoConfig};
use ecb_rest::{PushDelivery, RestState};
use ecb_socketio::SocketIo;

/// How long a Socket.IO client has to join the namespace (the reference default).
const SOCKET_IO_CONNECT_TIMEOUT: Duration = Duration::from_secs(45);

/// How long [`RunningServer::stop`] waits for connections to close.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// The share of a drain's time kept for closing connections once the
/// operations in flight are done (or given up on).
const CLOSING_SHARE: u32 = 5;
/// What a drain leaves of its time for the process to exit, so that it
/// exits within `ECB_DRAIN_TIMEOUT_MS`, not just after it.
const EXIT_MARGIN: Duration = Duration::from_millis(200);
/// How often a drain looks whether every socket has closed.
const CLOSED_CHECK_EVERY: Duration = Duration::from_millis(20);

/// A local server running in the background.
pub struct RunningServer {
    /// The address it listens on (the port is real when 0 was asked for).
    pub addr: SocketAddr,
    /// Where `/metrics` is served on a listener of its own, if it is.
    pub metrics_addr: Option<SocketAddr>,
    /// Where the Management API is served when `ECB_MANAGEMENT_LISTEN`
    /// puts it off the clients' port.
    pub management_addr: Option<SocketAddr>,
    state: AppState,
    serving: JoinHandle<()>,
    management_serving: Option<JoinHandle<()>>,
    drain_timeout: Duration,
}

impl RunningServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state, for embedding and tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Closes every connection at once and stops serving, waiting at most a
    /// few seconds for in-flight work (tests and embedding; a process being
    /// rolled uses [`RunningServer::drain`]).
    pub async fn stop(self) {
        self.state.gate.close();
        self.state.shutdown.cancel();
        self.state.tasks.close();
        let drained = async {
            let _ = self.serving.await;
            if let Some(management) = self.management_serving {
                let _ = management.await;
            }
            self.state.tasks.wait().await;
        };
        if tokio::time::timeout(STOP_TIMEOUT, drained).await.is_err() {
            tracing::warn!("shutdown: gave up waiting for connections to close");
        }
    }

    /// Leaves without losing an acked message, within `ECB_DRAIN_TIMEOUT_MS`:
    /// 1. `/readyz` turns 503 and new connections and REST calls are refused;
    ///    operations that arrive on open connections are not run.
    /// 2. Operations in flight finish: their acks are sent and their pushes
    ///    handed to the sockets (REST's deferred pushes too).
    /// 3. Every socket is told to reconnect elsewhere once what is queued for
    ///    it is sent: raw WebSocket close 1012, the Engine.IO session closed
    ///    (socket.io-client reconnects; a polling client gets its last
    ///    packets and the close packet on its next poll).
    /// 4. At the deadline whatever is left is closed and serving stops.
    pub async fn drain(self) {
        let started = tokio::time::Instant::now();
        let deadline = started + self.drain_timeout.saturating_sub(EXIT_MARGIN);
        let closing_from = deadline
            .checked_sub(self.drain_timeout / CLOSING_SHARE)
            .map_or(started, |at| at.max(started));
        let state = &self.state;
        state.gate.close();
        tracing::info!(
            timeout_ms = self.drain_timeout.as_millis() as u64,
            "draining"
        );
        let finished = async {
            state.gate.idle().await;
            state.deferred_pushes.close();
            state.deferred_pushes.wait().await;
        };
        if tokio::time::timeout_at(closing_from, finished)
            .await
            .is_err()
        {
            tracing::warn!("drain: operations still running; closing connections anyway");
        }
        let sockets = state.hub.ask_all_to_reconnect();
        tracing::info!(sockets, "drain: clients told to reconnect");
        let closed = async {
            while !state.hub.is_empty() {
                tokio::time::sleep(CLOSED_CHECK_EVERY).await;
            }
        };
        if tokio::time::timeout_at(deadline, closed).await.is_err() {
            tracing::warn!(left = state.hub.len(), "drain: closing the sockets left");
        }
        state.shutdown.cancel();
        state.tasks.close();
        let stopped = async {
            let _ = self.serving.await;
            state.tasks.wait().await;
        };
        let _ = tokio::time::timeout_at(deadline, stopped).await;
        tracing::info!(took_ms = started.elapsed().as_millis() as u64, "drained");
    }
}

/// Starts a local server: the embedded in-memory store by default, or, with
/// `ECB_TABLE`, the DynamoDB store shared with other servers and the Lambda
/// functions (pushes to their connections go through their Management API,
/// and theirs to this server's, signed with `ECB_MANAGEMENT_SECRET`).
pub async fn start(settings: &Settings) -> anyhow::Result<RunningServer> {
    start_operated(settings, &OperatorSettings::default()).await
}

/// [`start`], with the operator's settings (metrics, drain time).
pub async fn start_operated(
    settings: &Settings,
    operator: &OperatorSettings,
) -> anyhow::Result<RunningServer> {
    let config = settings.resolve()?;
    let management_key = match (&settings.table, &settings.management_listen) {
        (Some(_), _) => Some(ManagementKey::required(
            settings.management_secret.as_deref(),
        )?),
        (None, Some(_)) => anyhow::bail!(
            "ECB_MANAGEMENT_LISTEN is invalid: the Management API is served only with ECB_TABLE"
        ),
        (None, None) => None,
    };
    let listener = bind("ECB_LISTEN", &settings.listen).await?;
    let addr = listener.local_addr()?;
    let management_listener = match &settings.management_listen {
        Some(listen) => Some(bind("ECB_MANAGEMENT_LISTEN", listen).await?),
        None => None,
    };
    let management_addr = management_listener
        .as_ref()
        .map(|listener| listener.local_addr())
        .transpose()?;
    let endpoint = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", management_addr.unwrap_or(addr)));
    let hub = Arc::new(LocalHub::new());
    let backend = Arc::new(HttpBackend::new(&config)?);
    let (store, pusher, store_calls): (Arc<dyn Store>, Arc<dyn Pusher>, _) = match &settings.table {
        None => (Arc::new(MemoryStore::new()), hub.clone(), None),
        Some(table) => {
            let local = settings.dynamodb_endpoint.as_deref();
            let store = DynamoStore::connect(table, local).await;
            if local.is_some() {
                store.ensure_table().await?;
            }
            let calls = store.calls().clone();
            let pusher = RoutingPusher {
                own_endpoint: endpoint.clone(),
                hub: hub.clone(),
                remote: ManagementPusher::new(
                    settings.management_endpoint.clone(),
                    management_key.clone(),
                )
                .await,
            };
            (Arc::new(store), Arc::new(pusher), Some(calls))
        }
    };
    let engine = Arc::new(Engine::new(config, store, pusher, backend));
    let state = AppState {
        engine,
        hub,
        endpoint,
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
        gate: Arc::new(OperationGate::new()),
        deferred_pushes: TaskTracker::new(),
        store_calls,
        user_connections: Slots::new(ecb_engine::config::limit(settings.max_connections_per_user)),
    };
    let limits = ConnectionLimits::from_settings(settings);
    let management = management_key.map(|key| management::router(state.hub.clone(), key));
    let (on_client_port, separate) = match management_listener {
        Some(listener) => (None, management.map(|routes| (listener, routes))),
        None => (management, None),
    };
    let metrics_at = operator.metrics_at();
    let mut app = router(state.clone(), limits, on_client_port);
    if metrics_at == MetricsAt::MainListener {
        app = app.merge(prometheus::router());
    }
    let metrics_addr = match &metrics_at {
        MetricsAt::Address(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("ECB_METRICS_LISTEN: cannot listen on {address}"))?;
            let metrics_addr = listener.local_addr()?;
            serve(listener, prometheus::router(), state.shutdown.clone());
            Some(metrics_addr)
        }
        MetricsAt::MainListener | MetricsAt::Off => None,
    };
    let serving = connections::serve(listener, app, state.shutdown.clone(), limits);
    // Its callers are a few servers and functions, each with a pool of
    // keep-alive connections from one address: no per-address cap there.
    let management_serving = separate.map(|(listener, routes)| {
        let limits = ConnectionLimits {
            max_per_ip: None,
            ..limits
        };
        connections::serve(listener, routes, state.shutdown.clone(), limits)
    });
    tracing::info!(%addr, ?management_addr, shared = settings.table.is_some(), metrics = ?metrics_at, "ECB listening");
    Ok(RunningServer {
        addr,
        metrics_addr,
        management_addr,
        state,
        serving,
        management_serving,
        drain_timeout: operator.drain_timeout(),
    })
}

async fn bind(setting: &str, address: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("{setting}: cannot listen on {address}"))
}

/// Serves `app` on `listener` until `shutdown`, without connection limits
/// (the conformance servers and the emulator); `ecb serve` has its own.
pub fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    connections::serve(listener, app, shutdown, ConnectionLimits::NONE)
}

/// Every route of the local server on the clients' port, the Management
/// API's among them unless it has an address of its own.
fn router(state: AppState, limits: ConnectionLimits, management: Option<Router>) -> Router {
    let socket_io = EngineIo::new(
        EngineIoConfig {
            // A polling session holds no connection between its requests:
            // one address gets as many sessions as connections.
            max_sessions_per_ip: limits.max_per_ip,
            ..EngineIoConfig::new("/socket.io/")
        },
        SocketIo::new(
            EcbNamespaces { app: state.clone() },
            SOCKET_IO_CONNECT_TIMEOUT,
        ),
        state.shutdown.clone(),
        state.tasks.clone(),
    );
    let rest = ecb_rest::router(RestState {
        engine: state.engine.clone(),
        delivery: PushDelivery::Background(state.deferred_pushes.clone()),
    })
    .layer(axum::middleware::from_fn(crate::logging::in_request_span));
    let sockets = Router::new()
        .route("/healthz", get(readiness::healthz))
        .route("/readyz", get(readiness::readyz))
        .route("/ws", get(ws::upgrade))
        .merge(ecb_engineio::router(socket_io));
    let mut sockets = sockets.with_state(state.clone());
    if let Some(management) = management {
        sockets = sockets.merge(management);
    }
    let app = sockets
        .merge(rest)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            readiness::refuse_new_work,
        ));
    ecb_rest::with_origin_policy(app, state.engine.clone())
}
