//! Socket.IO (PROTOCOL.md transport 1): namespace `/`, `auth: {token}`,
//! `socket.emit(action, payload, ack)` runs the engine's operation and acks
//! with the envelope; pushes arrive as events named `message`, `typing`,
//! `presence`. Only translation lives here.

use async_trait::async_trait;
use ecb_engine::protocol::envelope::envelope;
use ecb_engine::{Caller, EcbError};
use ecb_sio::socketio::{Data, MAIN_NAMESPACE, Payload};
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use crate::socketio::{Emitter, NamespaceSocket, Namespaces};
use crate::{AppState, Outbound};

/// ECB's one namespace.
pub struct EcbNamespaces {
    pub app: AppState,
}

/// CONNECT_ERROR data: `{code, message}` as PROTOCOL.md says, repeated under
/// `data` because socket.io-client exposes that field as `err.data`.
fn connect_error(error: &EcbError) -> Value {
    let detail = json!({ "code": error.code, "message": error.message });
    json!({ "code": error.code, "message": error.message, "data": detail })
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
        let token = auth
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let connection_id = uuid::Uuid::new_v4().to_string();
        let caller = self
            .app
            .engine
            .connect(token, connection_id.clone(), self.app.endpoint.clone())
            .await
            .map_err(|error| connect_error(&error))?;
        let (_, mut queue) = self.app.hub.register(&connection_id);
        let pushes = emitter.clone();
        let forwarder = tokio::spawn(async move {
            while let Some(outbound) = queue.recv().await {
                match outbound {
                    Outbound::Push(event) => {
                        if !pushes
                            .emit(event.name(), vec![Data::from(event.body())])
                            .await
                        {
                            break;
                        }
                    }
                    Outbound::Close => {
                        pushes.disconnect().await;
                        break;
                    }
                    Outbound::Frame(_) => {}
                }
            }
        });
        tracing::info!(connection = %connection_id, user = %caller.user.user_id, "socket.io connected");
        Ok(Box::new(EcbSocket {
            app: self.app.clone(),
            caller,
            emitter,
            forwarder,
        }))
    }
}

struct EcbSocket {
    app: AppState,
    caller: Caller,
    emitter: Emitter,
    forwarder: JoinHandle<()>,
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

    async fn event(&mut self, payload: Payload, ack: Option<u64>) {
        let engine = &self.app.engine;
        let action = payload.event_name().unwrap_or_default().into_owned();
        let body = payload
            .event_args()
            .first()
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let checked = if payload.has_binary() {
            Err(EcbError::bad_request(
                "binary payloads are not part of the protocol",
            ))
        } else {
            engine.check_payload_size(body.to_string().len())
        };
        let reply = match checked {
            Ok(()) => engine.execute(Some(&self.caller), &action, body).await,
            Err(error) => ecb_engine::Reply {
                result: Err(error),
                pushes: ecb_engine::Pushes::none(),
            },
        };
        if let Some(id) = ack {
            self.emitter
                .ack(id, Payload::new(vec![envelope(&reply.result)]))
                .await;
        }
        reply.pushes.deliver(engine).await;
    }

    async fn disconnected(&mut self) {
        self.forwarder.abort();
        self.app.hub.unregister(self.connection_id());
        self.app.engine.disconnect(self.connection_id()).await;
        tracing::info!(connection = %self.connection_id(), "socket.io disconnected");
    }
}
