//! Building and running the local server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
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
use crate::routing_pusher::RoutingPusher;
use crate::slots::Slots;
use crate::{AppState, LocalHub, management, ws};
use ecb_engineio::{EngineIo, EngineIoConfig};
use ecb_rest::{PushDelivery, RestState};
use ecb_socketio::SocketIo;

/// How long a Socket.IO client has to join the namespace (the reference default).
const SOCKET_IO_CONNECT_TIMEOUT: Duration = Duration::from_secs(45);

/// How long shutdown waits for connections to close and pushes to drain.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A local server running in the background.
pub struct RunningServer {
    /// The address it listens on (the port is real when 0 was asked for).
    pub addr: SocketAddr,
    /// Where the Management API is served when `ECB_MANAGEMENT_LISTEN`
    /// puts it off the clients' port.
    pub management_addr: Option<SocketAddr>,
    state: AppState,
    serving: JoinHandle<()>,
    management_serving: Option<JoinHandle<()>>,
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

    /// Closes every connection (1001) and stops serving, waiting at most a
    /// few seconds for in-flight work.
    pub async fn stop(self) {
        self.state.shutdown.cancel();
        self.state.tasks.close();
        let drained = async {
            let _ = self.serving.await;
            if let Some(management) = self.management_serving {
                let _ = management.await;
            }
            self.state.tasks.wait().await;
        };
        if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
            tracing::warn!("shutdown: gave up waiting for connections to close");
        }
    }
}

/// Starts a local server: the embedded in-memory store by default, or, with
/// `ECB_TABLE`, the DynamoDB store shared with other servers and the Lambda
/// functions (pushes to their connections go through their Management API,
/// and theirs to this server's, signed with `ECB_MANAGEMENT_SECRET`).
pub async fn start(settings: &Settings) -> anyhow::Result<RunningServer> {
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
        store_calls,
        user_connections: Slots::new(ecb_engine::config::limit(settings.max_connections_per_user)),
    };
    let limits = ConnectionLimits::from_settings(settings);
    let management = management_key.map(|key| management::router(state.hub.clone(), key));
    let (on_client_port, separate) = match management_listener {
        Some(listener) => (None, management.map(|routes| (listener, routes))),
        None => (management, None),
    };
    let app = router(state.clone(), limits, on_client_port);
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
    tracing::info!(%addr, ?management_addr, shared = settings.table.is_some(), "ECB listening");
    Ok(RunningServer {
        addr,
        management_addr,
        state,
        serving,
        management_serving,
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
        delivery: PushDelivery::Background(state.tasks.clone()),
    });
    let sockets = Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(ws::upgrade))
        .merge(ecb_engineio::router(socket_io));
    let mut sockets = sockets.with_state(state.clone());
    if let Some(management) = management {
        sockets = sockets.merge(management);
    }
    ecb_rest::with_origin_policy(sockets.merge(rest), state.engine.clone())
}

/// `GET /healthz`: up, and how many sockets are open.
async fn healthz(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true, "connections": app.hub.len() }))
}
