//! getThread: a thread and its messages; the caller's connection joins its
//! channel and from then on receives its pushes.

use serde_json::Value;

use super::{Outcome, ThreadTokenPayload, parse, threads, with_user};
use crate::ports::{BackendCall, BackendOperation};
use crate::{Caller, Engine};

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let ThreadTokenPayload { thread_token } = parse(&payload)?;
    let thread = threads::authorize(engine, caller, &thread_token, threads::Decider::Backend)?;
    let mut body = with_user(payload, caller);
    body["threadId"] = Value::from(thread.thread_id.clone());
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::GetThread,
            user_token: Some(&caller.user_token),
            body,
            idempotency_key: None,
        })
        .await?;
    let found = threads::check_thread_and_messages(engine, answer, Some(&thread.thread_id))?;
    let joined = threads::join_channel(engine, caller, &thread.thread_id).await?;
    Ok((found.answer, joined))
}
