//! Operation tests on the in-process engine ([`crate::testing`]): no TCP, no
//! HTTP backend. Each file tests one operation (or one rule shared by
//! several) the way a client would see it: the result, what every connection
//! was pushed, what the backend was asked.

mod backend_answers;
mod leave_thread;
mod presence;
mod send_message;
mod server_disconnect_user;
mod server_publish;
mod typing;

use serde_json::{Value, json};

use crate::testing::TestEngine;
use crate::{Caller, PushEvent};

/// A thread as a backend returns it: its id and a threadToken naming
/// `members`.
fn thread(harness: &TestEngine, thread_id: &str, members: &[&str]) -> Value {
    json!({
        "threadId": thread_id,
        "threadToken": harness.keys.thread_token(thread_id, members),
    })
}

/// Joins a connection to a thread's channel the way clients do, through
/// getThread (its backend answer scripted here).
async fn join(harness: &TestEngine, caller: &Caller, thread_id: &str, members: &[&str]) {
    harness.backend.answer(
        crate::ports::BackendOperation::GetThread,
        json!({ "thread": thread(harness, thread_id, members), "messages": [] }),
    );
    let thread_token = harness.keys.thread_token(thread_id, members);
    harness
        .run(caller, "getThread", json!({ "threadToken": thread_token }))
        .await
        .expect("getThread joins the channel");
}

/// Alice and Bob, one connection each (named after its user).
const ALICE_AND_BOB: [(&str, &str); 2] = [("alice", "alice"), ("bob", "bob")];

/// Alice, and Bob on two devices (`bob-laptop`, `bob-phone`): presence
/// counts users, not connections.
const ALICE_AND_BOB_ON_TWO_DEVICES: [(&str, &str); 3] = [
    ("alice", "alice"),
    ("bob", "bob-laptop"),
    ("bob", "bob-phone"),
];

/// Connects each `(user id, connection id)` and joins it to a thread, then
/// forgets the presence pushes that caused, so a test sees only its own.
async fn in_thread<const N: usize>(
    harness: &TestEngine,
    thread_id: &str,
    members: &[&str],
    connections: [(&str, &str); N],
) -> [Caller; N] {
    let mut callers = Vec::with_capacity(N);
    for (user_id, connection_id) in connections {
        let caller = harness.connect(user_id, connection_id).await;
        join(harness, &caller, thread_id, members).await;
        callers.push(caller);
    }
    harness.pusher.clear();
    callers.try_into().expect("one caller per connection")
}

/// The push a stored message becomes.
fn message_push(thread_id: &str, message: &Value) -> PushEvent {
    PushEvent::Message {
        thread_id: thread_id.to_owned(),
        message: serde_json::from_value(message.clone()).expect("a stored message"),
    }
}

/// The push announcing a user online or offline in a thread.
fn presence_push(thread_id: &str, user_id: &str, online: bool) -> PushEvent {
    PushEvent::Presence {
        thread_id: thread_id.to_owned(),
        user_id: user_id.to_owned(),
        online,
    }
}
