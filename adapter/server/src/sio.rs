//! Socket.IO (PROTOCOL.md transport 1): namespace `/`, `auth: {token}`,
//! `socket.emit(action, payload, ack)` runs the engine's operation and acks
//! with the envelope; pushes arrive as events named `message`, `typing`,
//! `presence`. Only translation lives here.

use async_trait::async_trait;
use axum::extract::ws::Utf8Bytes;
use ecb_engine::ports::PushError;
use ecb_engine::protocol::envelope::envelope;
use ecb_engine::{Caller, EcbError, PushEvent};
use ecb_socketio_codec::{MAIN_NAMESPACE, Payload};
use serde_json::{Map, Value, json};

use crate::hub::{Mailbox, queue_full};
use crate::{AppState, Outbound};
use ecb_engineio::Refused;
use ecb_socketio::{Emitter, NamespaceSocket, Namespaces};

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
        self.app.hub.register(
            &connection_id,
            SocketIoMailbox {
                emitter: emitter.clone(),
            },
        );
        tracing::info!(connection = %connection_id, user = %caller.user.user_id, "socket.io connected");
        Ok(Box::new(EcbSocket {
            app: self.app.clone(),
            caller,
            emitter,
        }))
    }
}

/// The Engine.IO text packet of a push: `4` (message), `2` (EVENT) on the
/// main namespace (no prefix), no ack id, then `[name, body]`. Written
/// directly because it is on the hot path of every fan-out; a test holds it
/// to the codec's encoding.
pub(crate) fn push_frame(event: &PushEvent) -> Utf8Bytes {
    format!("42[\"{}\",{}]", event.name(), event.body_json()).into()
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
            Outbound::Push(push) => {
                session
                    .try_send_encoded(push.socket_io_frame())
                    .map_err(|refused| match refused {
                        Refused::Full => queue_full(),
                        Refused::Closed => PushError::Gone,
                    })
            }
            Outbound::Close if session.is_closed() => Err(PushError::Gone),
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
        let engine = &self.app.engine;
        let action = payload.event_name().unwrap_or_default().into_owned();
        // The limit applies to the packet as it came, as for a raw
        // WebSocket frame: nothing is serialized again to measure it.
        let checked = if payload.has_binary() {
            Err(EcbError::bad_request(
                "binary payloads are not part of the protocol",
            ))
        } else {
            engine.check_payload_size(size)
        };
        let reply = match checked {
            Ok(()) => {
                let body = payload
                    .args
                    .into_iter()
                    .nth(1)
                    .unwrap_or_else(|| Value::Object(Map::new()));
                engine.execute(Some(&self.caller), &action, body).await
            }
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
        self.app.hub.unregister(self.connection_id());
        self.app.engine.disconnect(self.connection_id()).await;
        tracing::info!(connection = %self.connection_id(), "socket.io disconnected");
    }
}

#[cfg(test)]
mod tests {
    use ecb_engine::protocol::models::ThreadMessage;
    use ecb_socketio_codec::{Data, Decoded, Decoder, Packet};

    use super::*;

    #[test]
    fn push_frames_match_the_codec() {
        let message: ThreadMessage = serde_json::from_value(json!({
            "messageId": "m1", "threadId": "t1", "senderId": "u\"1", "type": "text",
            "data": {"text": "héllo \\ \u{1F600}"}, "createdAt": 1, "edited": false
        }))
        .unwrap();
        let events = [
            PushEvent::Message {
                thread_id: "t1".into(),
                message,
            },
            PushEvent::Presence {
                thread_id: "t1".into(),
                user_id: "u1".into(),
                online: false,
            },
        ];
        for event in events {
            let expected = Packet::event(
                MAIN_NAMESPACE,
                event.name(),
                vec![Data::from(event.body())],
                None,
            );
            let frame = push_frame(&event);
            let text = frame.as_str().strip_prefix('4').expect("a message packet");
            let decoded = Decoder::new().decode_text(text).unwrap();
            assert_eq!(decoded, Decoded::Complete(expected));
        }
    }
}
