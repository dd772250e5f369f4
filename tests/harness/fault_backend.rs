//! A real HTTP backend that can misbehave on demand: it forwards to the demo
//! backend until told to fail, and then fails the way a real one does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

/// How the backend behaves for the next calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward to the demo backend.
    None,
    /// Answer after this delay.
    Slow(Duration),
    /// Answer with this status and body.
    Status(u16, String),
    /// Answer 200 with this body.
    Body(String),
}

#[derive(Clone)]
struct Shared {
    inner: Router,
    fault: Arc<Mutex<Fault>>,
}

/// The fault-injecting backend.
pub struct FaultBackend {
    addr: std::net::SocketAddr,
    fault: Arc<Mutex<Fault>>,
}

impl FaultBackend {
    /// Serves on a free loopback port in front of `inner`.
    pub async fn start(inner: Router) -> Self {
        let fault = Arc::new(Mutex::new(Fault::None));
        let shared = Shared {
            inner,
            fault: fault.clone(),
        };
        let app = Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, fault }
    }

    /// The base URL ECB is configured with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the behaviour from now on.
    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }
}

async fn forward(State(shared): State<Shared>, request: Request<Body>) -> Response {
    let fault = shared.fault.lock().unwrap().clone();
    match fault {
        Fault::None => shared.inner.oneshot(request).await.into_response(),
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            shared.inner.oneshot(request).await.into_response()
        }
        Fault::Status(status, body) => (
            StatusCode::from_u16(status).expect("valid status"),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        Fault::Body(body) => {
            (StatusCode::OK, [("content-type", "application/json")], body).into_response()
        }
    }
}

/// A loopback URL where nothing listens: a backend that is down.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}
