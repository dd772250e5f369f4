//! ECB's namespace on the local Socket.IO server: joining `/` opens an
//! engine connection, each event runs through the engine's Socket.IO
//! mapping (`ecb_engine::protocol::socketio`, shared with the `message`
//! Lambda), and pushes reach the session already encoded. Only glue lives
//! here: the mapping itself is the engine's.

use async_trait::async_trait;
use ecb_engine::ports::PushError;
use ecb_engine::protocol::socketio;
use ecb_engine::protocol::wire::Wire;
use ecb_engine::{Caller, EcbError, ErrorCode};
use ecb_socketio_codec::{MAIN_NAMESPACE, Payload};
use serde_json::{Map, Value, json};

use crate::hub::{Mailbox, queue_full};
use crate::open_connections::{OpenConnection, Transport};
use crate::slots::Slot;
use crate::{AppState, Outbound};
use ecb_engineio::Refused;
use ecb_socketio::{Emitter, NamespaceSocket, Namespaces};
use tracing::Instrument;

/// ECB's one namespace.
pub struct EcbNamespaces {
    pub app: AppState,
}

#[async_trait]
impl Namespaces for EcbNamespaces {
    async fn connect(
        &self,
        nsp: &str,
        auth: Map<String, Value>,
        emitter: Emitter,
    ) -> Result<Box<dyn NamespaceSocket>, Value> {
        if nsp != MAIN_NAMESPACE {
            return Err(json!({ "message": "Invalid namespace" }));
        }
        let token = socketio::token(&auth, None);
        let connection_id = uuid::Uuid::new_v4().to_string();
        let caller = self
            .app
            .engine
            .connect(
                token,
                connection_id.clone(),
                self.app.endpoint.clone(),
                // This server's Management API frames pushes per socket.
                Wire::Ecb,
            )
            .await
            .map_err(|error| socketio::connect_error(&error))?;
        let Ok(user_slot) = self.app.user_connections.take(&caller.user.user_id) else {
            self.app.engine.disconnect(&connection_id).await;
            let error = EcbError::new(ErrorCode::RateLimited, "too many connections for this user");
            return Err(socketio::connect_error(&error));
        };
        self.app.hub.register(
            &connection_id,
            SocketIoMailbox {
                emitter: emitter.clone(),
            },
        );
        let span =
            tracing::info_span!("connection", connection = %connection_id, transport = "socketio");
        span.in_scope(|| tracing::debug!(user = %caller.user.user_id, "socket.io connected"));
        Ok(Box::new(EcbSocket {
            app: self.app.clone(),
            caller,
            emitter,
            _user_slot: user_slot,
            span,
            _counted: OpenConnection::new(Transport::SocketIo),
        }))
    }
}

/// Pushes go straight onto the Engine.IO session's queue, already encoded;
/// no task of their own per connection.
struct SocketIoMailbox {
    emitter: Emitter,
}

impl Mailbox for SocketIoMailbox {
    fn offer(&self, outbound: Outbound) -> Result<(), PushError> {
        let session = self.emitter.session();
        match outbound {
            // A session that cannot take the push is closed by ecb-engineio
            // (its client reconnects and resyncs), so nothing is lost unsaid.
            Outbound::Push(push) => {
                session
                    .try_send_encoded(push.socket_io_frame())
                    .map_err(|refused| match refused {
                        Refused::Full => queue_full(),
                        Refused::Closed => PushError::Gone,
                    })
            }
            Outbound::Close | Outbound::Reconnect if session.is_closed() => Err(PushError::Gone),
            Outbound::Reconnect => {
                // Closing the Engine.IO session (not a namespace DISCONNECT,
                // which socket.io-client would not retry): queued behind the
                // pushes already there, so they are sent first.
                let session = session.clone();
                tokio::spawn(async move { session.close().await });
                Ok(())
            }
            Outbound::Close => {
                // DISCONNECT, then the session closes: rare, so a task of its own.
                let emitter = self.emitter.clone();
                tokio::spawn(async move { emitter.disconnect().await });
                Ok(())
            }
            // Text that is not a push has no Socket.IO event to become.
            Outbound::Frame(_) => Ok(()),
        }
    }
}

struct EcbSocket {
    app: AppState,
    caller: Caller,
    emitter: Emitter,
    /// This connection's place among its user's.
    _user_slot: Slot<String>,
    /// Every line this connection logs names it.
    span: tracing::Span,
    _counted: OpenConnection,
}

impl EcbSocket {
    fn connection_id(&self) -> &str {
        self.caller.connection_id().unwrap_or_default()
    }
}

#[async_trait]
impl NamespaceSocket for EcbSocket {
    fn id(&self) -> String {
        self.connection_id().to_owned()
    }

    async fn event(&mut self, payload: Payload, ack: Option<u64>, size: usize) {
        let span = self.span.clone();
        async {
            // While draining, an event is not run (nor acked): the client
            // sends it again once reconnected elsewhere.
            let Some(_running) = self.app.gate.enter() else {
                tracing::debug!("event ignored: draining");
                return;
            };
            let engine = &self.app.engine;
            let reply = socketio::run_event(engine, &self.caller, payload, size).await;
            if let Some(refreshed) = reply.refreshed {
                self.caller = refreshed;
            }
            if let Some(id) = ack {
                self.emitter
                    .ack(id, socketio::ack_payload(&reply.result))
                    .await;
            }
            reply.pushes.deliver(engine).await;
        }
        .instrument(span)
        .await
    }

    async fn disconnected(&mut self) {
        let span = self.span.clone();
        async {
            self.app.hub.unregister(self.connection_id());
            self.app.engine.disconnect(self.connection_id()).await;
            tracing::debug!("socket.io disconnected");
        }
        .instrument(span)
        .await
    }
}
