//! createThread: the backend creates a thread with a first message; the
//! caller's connection joins its channel.

use serde::Deserialize;
use serde_json::Value;

use super::{Outcome, parse, threads, with_user};
use crate::ports::{BackendCall, BackendOperation};
use crate::protocol::models::OutgoingMessage;
use crate::{Caller, EcbError, Engine};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    member_ids: Vec<String>,
    message: OutgoingMessage,
}

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let Payload {
        member_ids,
        message,
    } = parse(&payload)?;
    if member_ids.is_empty() || member_ids.iter().any(String::is_empty) {
        return Err(EcbError::bad_request(
            "memberIds must be non-empty user ids",
        ));
    }
    message.validate()?;
    if message.is_typing() {
        return Err(EcbError::bad_request(
            "a thread cannot start with a typing message",
        ));
    }
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::CreateThread,
            user_token: Some(&caller.user_token),
            body: with_user(payload, caller),
            idempotency_key: message.client_message_id.as_deref(),
        })
        .await?;
    let created = threads::check_thread_and_messages(engine, answer, None)?;
    let thread_id = created.thread.thread_id();
    let joined = threads::join_channel(engine, caller, thread_id).await?;
    let messages = threads::message_pushes(
        engine,
        thread_id,
        &created.messages,
        caller.connection_id(),
        None,
    )
    .await?;
    Ok((created.answer, joined.then(messages)))
}
