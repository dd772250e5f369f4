//! markRead: the backend records how far the caller has read, then the
//! thread's other connections (the reader's other devices too) get `read`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, parse, threads, with_user};
use crate::fanout::Pushes;
use crate::ports::{BackendCall, BackendOperation};
use crate::{Caller, EcbError, Engine, PushEvent};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    thread_token: String,
    message_id: String,
}

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let Payload {
        thread_token,
        message_id,
    } = parse(&payload)?;
    if message_id.is_empty() {
        return Err(EcbError::bad_request("messageId must not be empty"));
    }
    let thread = threads::authorize(engine, caller, &thread_token, threads::Decider::Backend)?;
    let body = json!({
        "threadToken": thread_token,
        "threadId": thread.thread_id,
        "messageId": message_id,
    });
    engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::MarkRead,
            user_token: Some(&caller.user_token),
            body: with_user(body, caller),
            idempotency_key: None,
        })
        .await?;
    let members = engine.channel(&thread.thread_id).await?;
    let event = PushEvent::Read {
        thread_id: thread.thread_id,
        user_id: caller.user.user_id.clone(),
        message_id,
    };
    Ok((
        json!({}),
        Pushes::one(members, caller.connection_id(), event),
    ))
}
