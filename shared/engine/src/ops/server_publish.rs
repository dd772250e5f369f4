//! Server API publish: the backend pushes a message it stored by other means
//! (an email reply, a bot) to everyone in the thread. With `memberIds` (the
//! backend knows its threads' members; there is no threadToken here) and
//! `ECB_NOTIFY_UNDELIVERED`, the backend then hears whom it did not reach.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, parse, threads};
use crate::fanout::Pushes;
use crate::protocol::models::ThreadMessage;
use crate::{EcbError, Engine};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    thread_id: String,
    message: ThreadMessage,
    #[serde(default)]
    member_ids: Option<Vec<String>>,
}

/// `POST /v1/server/publish`: pushes `message` to the thread's channel and
/// answers `{delivered}`, the number of connections reached.
pub(crate) async fn run(engine: &Engine, payload: Value) -> Outcome {
    let Payload {
        thread_id,
        message,
        member_ids,
    } = parse(&payload)?;
    if message.thread_id().is_some_and(|named| named != thread_id) {
        return Err(EcbError::bad_request(
            "message.threadId must equal threadId",
        ));
    }
    let audience = member_ids.as_deref().map(|member_ids| threads::Audience {
        member_ids,
        author: None,
    });
    let pushes = threads::message_pushes(
        engine,
        &thread_id,
        std::slice::from_ref(&message),
        None,
        audience,
    )
    .await?;
    // The backend wants the count, so this push is delivered before the reply.
    let delivered = pushes.deliver(engine).await;
    Ok((json!({ "delivered": delivered }), Pushes::none()))
}
