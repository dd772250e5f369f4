//! Accepting HTTP connections under limits: a request's head must arrive
//! within the header timeout (hyper's, which also bounds a keep-alive
//! connection's wait for its next request), a connection on which nothing
//! moves is closed after the idle timeout (`client_io.rs`), and one client
//! address holds at most so many connections at once. Each connection is
//! served by hyper directly, as `axum::serve` would, with these settings.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use ecb_engine::Settings;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::client_io::ClientIo;
use crate::slots::Slots;

/// How long accepting pauses after an error (out of file descriptors):
/// retrying at once would spin while nothing frees one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a connection may take of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub max_per_ip: Option<usize>,
}

impl ConnectionLimits {
    /// No limits: the conformance suites' servers and the emulators.
    pub const NONE: Self = Self {
        header_timeout: None,
        idle_timeout: None,
        max_per_ip: None,
    };

    /// The limits `ecb serve` is configured with.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            header_timeout: Some(Duration::from_millis(settings.header_timeout_ms)),
            idle_timeout: (settings.idle_timeout_s > 0)
                .then(|| Duration::from_secs(settings.idle_timeout_s)),
            max_per_ip: ecb_engine::config::limit(settings.max_connections_per_ip),
        }
    }
}

/// Serves `app` on `listener` until `shutdown`, under `limits`, with Nagle
/// off so small frames (pings, acks) leave at once. Handlers see the peer's
/// address as `ConnectInfo<SocketAddr>`. On shutdown it stops accepting and
/// waits for requests in flight (upgraded WebSockets close on their own).
pub fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let per_address = Slots::<IpAddr>::new(limits.max_per_ip);
        let connections = TaskTracker::new();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.cancelled() => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let Ok(slot) = per_address.take(&peer.ip()) else {
                tracing::debug!(ip = %peer.ip(), "connection refused: too many from one address");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let io = ClientIo::new(stream, limits.idle_timeout, slot);
            connections.spawn(serve_connection(
                io,
                peer,
                app.clone(),
                shutdown.clone(),
                limits,
            ));
        }
        connections.close();
        connections.wait().await;
    })
}

async fn serve_connection(
    io: ClientIo,
    peer: SocketAddr,
    app: Router,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(axum::body::Body::new)).await;
            Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    builder.header_read_timeout(limits.header_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut closing = false;
    let served = loop {
        tokio::select! {
            served = connection.as_mut() => break served,
            _ = shutdown.cancelled(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    };
    if let Err(error) = served {
        tracing::debug!(%peer, %error, "connection ended");
    }
}
