//! Server API publish: the backend pushes a message it stored by other means
//! (an email reply, a bot) to everyone in the thread.

use serde::Deserialize;
use serde_json::{Value, json};

use super::parse;
use crate::fanout::Pushes;
use crate::protocol::models::ThreadMessage;
use crate::{EcbError, Engine, Reply};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    thread_id: String,
    message: ThreadMessage,
}

impl Engine {
    /// `POST /v1/server/publish`: pushes `message` to the thread's channel and
    /// answers `{delivered}`, the number of connections reached.
    pub async fn server_publish(&self, server_token: Option<&str>, payload: Value) -> Reply {
        let outcome = async {
            self.authorize_server(server_token)?;
            let Payload { thread_id, message } = parse(&payload)?;
            if message.thread_id().is_some_and(|named| named != thread_id) {
                return Err(EcbError::bad_request(
                    "message.threadId must equal threadId",
                ));
            }
            let pushes = self
                .message_pushes(&thread_id, std::slice::from_ref(&message), None)
                .await?;
            Ok::<_, EcbError>(pushes)
        }
        .await;
        match outcome {
            // The backend wants the count, so this push is delivered before the reply.
            Ok(pushes) => Reply {
                result: Ok(json!({ "delivered": pushes.deliver(self).await })),
                pushes: Pushes::none(),
            },
            Err(error) => Reply {
                result: Err(error),
                pushes: Pushes::none(),
            },
        }
    }
}
