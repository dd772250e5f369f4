//! sendMessage, in PROTOCOL.md's order: verify, check membership, have the
//! backend store it, ack the author with the stored message, then push it to
//! every other connection in the thread. Typing skips the backend.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, parse, threads, to_value, with_user};
use crate::fanout::Pushes;
use crate::ports::{BackendCall, BackendOperation};
use crate::protocol::models::OutgoingMessage;
use crate::{Caller, EcbError, Engine, PushEvent};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    thread_token: String,
    message: OutgoingMessage,
}

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let Payload {
        thread_token,
        message,
    } = parse(&payload)?;
    let decider = match message.is_typing() {
        true => threads::Decider::Token,
        false => threads::Decider::Backend,
    };
    let thread = threads::authorize(engine, caller, &thread_token, decider)?;
    message.validate()?;
    if message.is_typing() {
        let members = engine.channel(&thread.thread_id).await?;
        let event = PushEvent::Typing {
            thread_id: thread.thread_id,
            user_id: caller.user.user_id.clone(),
            typing: message.data.as_bool().unwrap_or(false),
        };
        return Ok((
            json!({}),
            Pushes::one(members, caller.connection_id(), event),
        ));
    }
    let mut body = with_user(payload, caller);
    body["threadId"] = Value::from(thread.thread_id.clone());
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::AddThreadMessage,
            user_token: Some(&caller.user_token),
            body,
            idempotency_key: message.client_message_id.as_deref(),
        })
        .await?;
    let stored = threads::check_thread_and_messages(engine, answer, Some(&thread.thread_id))?;
    let Some(ack) = stored.messages.into_iter().next() else {
        return Err(EcbError::backend_invalid(
            "backend addThreadMessage returned no message",
        ));
    };
    let audience = threads::Audience {
        member_ids: &thread.member_ids,
        author: Some(&caller.user.user_id),
    };
    let pushes = threads::message_pushes(
        engine,
        &thread.thread_id,
        std::slice::from_ref(&ack),
        caller.connection_id(),
        Some(audience),
    )
    .await?;
    Ok((to_value(&ack)?, pushes))
}
