//! Building and running the local server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use ecb_aws::{DynamoStore, ManagementPusher};
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
    state: AppState,
    serving: JoinHandle<()>,
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
            self.state.tasks.wait().await;
        };
        if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
            tracing::warn!("shutdown: gave up waiting for connections to close");
        }
    }
}

/// Starts a local server: the embedded in-memory store by default, or, with
/// `ECB_TABLE`, the DynamoDB store shared with other servers and the Lambda
/// functions (pushes to their connections go through their Management API).
pub async fn start(settings: &Settings) -> anyhow::Result<RunningServer> {
    let config = settings.resolve()?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("ECB_LISTEN: cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let endpoint = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
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
                remote: ManagementPusher::new(settings.management_endpoint.clone()).await,
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
    let app = router(state.clone(), limits);
    let serving = connections::serve(listener, app, state.shutdown.clone(), limits);
    tracing::info!(%addr, shared = settings.table.is_some(), "ECB listening");
    Ok(RunningServer {
        addr,
        state,
        serving,
    })
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

/// Every route of the local server.
fn router(state: AppState, limits: ConnectionLimits) -> Router {
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
    let mut sockets = Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(ws::upgrade))
        .merge(ecb_engineio::router(socket_io));
    if state.store_calls.is_some() {
        sockets = sockets.merge(management::router(state.hub.clone()));
    }
    let sockets = sockets.with_state(state.clone());
    ecb_rest::with_origin_policy(sockets.merge(rest), state.engine.clone())
}

/// `GET /healthz`: up, and how many sockets are open.
async fn healthz(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true, "connections": app.hub.len() }))
}
