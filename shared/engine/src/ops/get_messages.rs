//! getMessages: a page of a thread's history from the backend's
//! getThreadMessages, oldest first: "load older" (`before`) and gap-free
//! recovery after a reconnect (`after` the last message shown).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, parse, threads, with_user};
use crate::fanout::Pushes;
use crate::ports::{BackendCall, BackendOperation};
use crate::protocol::models::messages_from;
use crate::{Caller, EcbError, Engine};

/// A page when the client names no size.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a client may ask for: one answer stays well under the
/// backend answer limit and a push-sized frame per message.
const MAX_PAGE_SIZE: u32 = 200;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Payload {
    thread_token: String,
    before: Option<String>,
    after: Option<String>,
    page_size: Option<u32>,
}

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let Payload {
        thread_token,
        before,
        after,
        page_size,
    } = parse(&payload)?;
    let anchor = match (&before, &after) {
        (Some(_), Some(_)) => {
            return Err(EcbError::bad_request(
                "give at most one of before and after",
            ));
        }
        (Some(id), None) | (None, Some(id)) => Some(id),
        (None, None) => None,
    };
    if anchor.is_some_and(|id| id.is_empty()) {
        return Err(EcbError::bad_request("before/after must be a messageId"));
    }
    let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(EcbError::bad_request(format!(
            "pageSize must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let thread = threads::authorize(engine, caller, &thread_token, threads::Decider::Backend)?;
    let mut body = json!({
        "threadToken": thread_token,
        "threadId": thread.thread_id,
        "pageSize": page_size,
    });
    if let Some(before) = before {
        body["before"] = Value::from(before);
    }
    if let Some(after) = after {
        body["after"] = Value::from(after);
    }
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::GetThreadMessages,
            user_token: Some(&caller.user_token),
            body: with_user(body, caller),
            idempotency_key: None,
        })
        .await?;
    let messages = answer
        .get("messages")
        .ok_or_else(|| EcbError::backend_invalid("backend getThreadMessages: no messages"))
        .and_then(|list| {
            messages_from(list)
                .map_err(|e| EcbError::backend_invalid(format!("backend getThreadMessages: {e}")))
        })?;
    threads::check_messages_belong(&messages, &thread.thread_id)?;
    // Recovery stops on hasMore: a missing one must not pass for "done".
    let has_more = answer
        .get("hasMore")
        .and_then(Value::as_bool)
        .ok_or_else(|| {
            EcbError::backend_invalid("backend getThreadMessages: hasMore must be a boolean")
        })?;
    Ok((
        json!({ "threadId": thread.thread_id, "messages": messages, "hasMore": has_more }),
        Pushes::none(),
    ))
}
