//! Building and running the local server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use ecb_engine::backend::HttpBackend;
use ecb_engine::store::MemoryStore;
use ecb_engine::{Engine, Settings};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::engineio::{self, EngineIo, EngineIoConfig};
use crate::sio::EcbNamespaces;
use crate::socketio::SocketIo;
use crate::{AppState, LocalHub, origin, rest, ws};

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

/// Starts a local server with the embedded (in-memory) store.
pub async fn start(settings: &Settings) -> anyhow::Result<RunningServer> {
    let config = settings.resolve()?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("ECB_LISTEN: cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let hub = Arc::new(LocalHub::new());
    let backend = Arc::new(HttpBackend::new(&config)?);
    let engine = Arc::new(Engine::new(
        config,
        Arc::new(MemoryStore::new()),
        hub.clone(),
        backend,
    ));
    let state = AppState {
        engine,
        hub,
        endpoint: format!("http://{addr}"),
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
    };
    let app = router(state.clone());
    let serving = serve(listener, app, state.shutdown.clone());
    tracing::info!(%addr, "ECB listening");
    Ok(RunningServer {
        addr,
        state,
        serving,
    })
}

/// Serves `app` on `listener` until `shutdown`, with Nagle off so small
/// frames (pings, acks) leave at once.
pub fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "server stopped");
        }
    })
}

/// Every route of the local server.
fn router(state: AppState) -> Router {
    let config = state.engine.config();
    let body_limit = ws::hard_message_limit(config.max_payload);
    let socket_io = EngineIo::new(
        EngineIoConfig::new("/socket.io/"),
        SocketIo::new(
            EcbNamespaces { app: state.clone() },
            SOCKET_IO_CONNECT_TIMEOUT,
        ),
        state.shutdown.clone(),
        state.tasks.clone(),
    );
    Router::new()
        .merge(engineio::router(socket_io))
        .route("/healthz", get(rest::healthz))
        .route("/ws", get(ws::upgrade))
        .route("/v1/server/publish", post(rest::publish))
        .route(
            "/v1/server/threads/{thread_id}/presence",
            get(rest::presence),
        )
        .route("/v1/server/disconnectUser", post(rest::disconnect_user))
        .route("/v1/{action}", post(rest::operation))
        .fallback(rest::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::check_origin,
        ))
        .layer(origin::cors(&config.allowed_origins))
        .with_state(state)
}
