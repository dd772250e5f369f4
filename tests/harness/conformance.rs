//! The conformance-mode server (`ecb conformance`), started in-process.
//!
//! The same router `ecb conformance` serves, on a fresh loopback port: the
//! Engine.IO echo server at `/engine.io/`, or the Socket.IO `/` and `/custom`
//! namespaces at `/socket.io/`, with the suites' settings (ping interval
//! 300 ms, ping timeout 200 ms, max payload 1 000 000, connect timeout 1 s).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

pub use ecb_server::conformance::Suite;

use crate::PATIENCE;
use crate::eio_client::{EioSocket, Polling};

type Drained = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A running conformance server; it stops when dropped.
pub struct ConformanceServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    path: &'static str,
    cancel: Box<dyn Fn() + Send + Sync>,
    drained: Option<Drained>,
}

impl ConformanceServer {
    /// Serves `suite` on `127.0.0.1:0`.
    pub async fn start(suite: Suite) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        // The shutdown token and task tracker are tokio-util types, which this
        // crate does not depend on: their types come from `router`'s signature.
        let shutdown = Default::default();
        let tasks = Default::default();
        let app =
            ecb_server::conformance::router(suite, Clone::clone(&shutdown), Clone::clone(&tasks));
        let serving = ecb_server::serve(listener, app, Clone::clone(&shutdown));
        let cancel = Box::new(move || shutdown.cancel());
        let drained: Drained = Box::pin(async move {
            let _ = serving.await;
            tasks.close();
            tasks.wait().await;
        });
        Self {
            addr,
            path: match suite {
                Suite::EngineIo => "/engine.io/",
                Suite::SocketIo => "/socket.io/",
            },
            cancel,
            drained: Some(drained),
        }
    }

    /// The Engine.IO suite's echo server.
    pub async fn engine_io() -> Self {
        Self::start(Suite::EngineIo).await
    }

    /// The Socket.IO suite's server.
    pub async fn socket_io() -> Self {
        Self::start(Suite::SocketIo).await
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://addr/engine.io/` or `http://addr/socket.io/`.
    pub fn endpoint(&self) -> String {
        format!("{}{}", self.url(), self.path)
    }

    /// The WebSocket URL of the endpoint with `query`.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}{}?{query}", self.addr, self.path)
    }

    /// A polling client for the endpoint.
    pub fn polling(&self) -> Polling {
        Polling::new(&self.endpoint())
    }

    /// Opens a WebSocket with `query`; a refused upgrade gives its HTTP status.
    pub async fn websocket(&self, query: &str) -> Result<EioSocket, u16> {
        EioSocket::connect(&self.ws_url(query)).await
    }

    /// Opens a fresh WebSocket session (`EIO=4&transport=websocket`).
    pub async fn open_websocket(&self) -> EioSocket {
        self.websocket("EIO=4&transport=websocket")
            .await
            .expect("the websocket handshake is accepted")
    }

    /// Stops serving, closing every session, and waits a bounded time for the
    /// server's tasks to end.
    pub async fn stop(mut self) {
        (self.cancel)();
        if let Some(drained) = self.drained.take() {
            let _ = tokio::time::timeout(PATIENCE, drained).await;
        }
    }
}

impl Drop for ConformanceServer {
    fn drop(&mut self) {
        (self.cancel)();
    }
}
