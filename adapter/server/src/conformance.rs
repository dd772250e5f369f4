//! `ecb conformance`: the behaviours the official Engine.IO and Socket.IO
//! protocol suites expect of the server under test, on ECB's own transport
//! layers, so those layers can be checked against the suites unmodified.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use ecb_engineio_codec::Packet;
use ecb_socketio_codec::{Data, Payload};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

use ecb_engineio::{EngineIo, EngineIoConfig, Inbound, SessionHandler, SessionSender, Step, Upper};
use ecb_socketio::{Emitter, NamespaceSocket, Namespaces, SocketIo};

/// Which suite to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// socketio/engine.io-protocol: an echo server on `/engine.io/`.
    #[value(name = "engine.io")]
    EngineIo,
    /// socketio/socket.io-protocol: `/`, `/custom` on `/socket.io/`.
    #[value(name = "socket.io")]
    SocketIo,
}

/// The settings both suites are written against.
fn suite_config(path: &str) -> EngineIoConfig {
    EngineIoConfig {
        path: path.to_owned(),
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        max_payload: 1_000_000,
        max_sessions_per_ip: None,
    }
}

/// The router for a suite, with `cors: { origin: "*" }` as the suites' READMEs configure.
pub fn router(suite: Suite, shutdown: CancellationToken, tasks: TaskTracker) -> Router {
    let eio = match suite {
        Suite::EngineIo => {
            EngineIo::new(suite_config("/engine.io/"), Arc::new(Echo), shutdown, tasks)
        }
        Suite::SocketIo => EngineIo::new(
            suite_config("/socket.io/"),
            SocketIo::new(SuiteNamespaces, Duration::from_millis(1000)),
            shutdown,
            tasks,
        ),
    };
    ecb_engineio::router(eio).layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::any())
            .allow_methods(AllowMethods::mirror_request())
            .allow_headers(AllowHeaders::mirror_request()),
    )
}

/// The Engine.IO suite's server: every message goes back as it came.
struct Echo;

/// One echoing session.
struct EchoSession {
    sender: SessionSender,
}

impl SessionHandler for Echo {
    fn open(self: Arc<Self>, _sid: &str, sender: SessionSender) -> Box<dyn Upper> {
        Box::new(EchoSession { sender })
    }
}

impl Upper for EchoSession {
    fn on_message(self: Box<Self>, inbound: Inbound) -> Step {
        Box::pin(async move {
            let packet = match inbound {
                Inbound::Text(text) => Packet::Message(text),
                Inbound::Binary(bytes) => Packet::BinaryMessage(bytes),
            };
            self.sender.send(vec![packet]).await;
            Some(self as Box<dyn Upper>)
        })
    }

    fn on_close(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async {})
    }
}

/// The Socket.IO suite's namespaces: `/` and `/custom`; any other is refused.
struct SuiteNamespaces;

#[async_trait]
impl Namespaces for SuiteNamespaces {
    async fn connect(
        &self,
        nsp: &str,
        auth: Map<String, Value>,
        emitter: Emitter,
    ) -> Result<Box<dyn NamespaceSocket>, Value> {
        if nsp != "/" && nsp != "/custom" {
            return Err(json!({ "message": "Invalid namespace" }));
        }
        Ok(Box::new(SuiteSocket {
            id: uuid::Uuid::new_v4().simple().to_string(),
            main: nsp == "/",
            auth,
            emitter,
        }))
    }
}

struct SuiteSocket {
    id: String,
    main: bool,
    auth: Map<String, Value>,
    emitter: Emitter,
}

#[async_trait]
impl NamespaceSocket for SuiteSocket {
    fn id(&self) -> String {
        self.id.clone()
    }

    async fn connected(&mut self) {
        let auth = Value::Object(std::mem::take(&mut self.auth));
        self.emitter.emit("auth", vec![Data::from(auth)]).await;
    }

    async fn event(&mut self, mut payload: Payload, ack: Option<u64>, _size: usize) {
        if !self.main {
            return;
        }
        match (payload.event_name().as_deref(), ack) {
            (Some("message"), _) => {
                payload.args[0] = Value::from("message-back");
                self.emitter.emit_payload(payload).await;
            }
            (Some("message-with-ack"), Some(id)) => {
                payload.args.remove(0);
                self.emitter.ack(id, payload).await;
            }
            _ => {}
        }
    }

    async fn disconnected(&mut self) {}
}
