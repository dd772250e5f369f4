//! sendMessage: the author is acked with the stored message, every other
//! connection in the thread is pushed it, and nobody else.

use serde_json::{Value, json};

use super::{ALICE_AND_BOB, in_thread, message_push, thread};
use crate::ports::BackendOperation;
use crate::testing::TestEngine;
use crate::{Credentials, EcbError, ErrorCode};

const MEMBERS: &[&str] = &["alice", "bob", "carol"];

/// The backend's answer to addThreadMessage: the thread and the one message
/// it stored.
fn stored(harness: &TestEngine, message: &Value) -> Value {
    json!({ "thread": thread(harness, "t1", MEMBERS), "messages": [message] })
}

fn send(harness: &TestEngine, client_message_id: &str, text: &str) -> Value {
    json!({
        "threadToken": harness.keys.thread_token("t1", MEMBERS),
        "message": { "clientMessageId": client_message_id, "type": "text", "data": text },
    })
}

#[tokio::test]
async fn acks_the_author_then_pushes_every_other_joined_connection() {
    let harness = TestEngine::new();
    let [alice_laptop, ..] = in_thread(
        &harness,
        "t1",
        MEMBERS,
        [
            ("alice", "alice-laptop"),
            ("alice", "alice-phone"),
            ("bob", "bob"),
        ],
    )
    .await;
    harness.connect("carol", "carol").await; // connected, never joined
    let message = json!({ "messageId": "m1", "userId": "alice", "type": "text", "data": "hi" });
    harness.backend.answer(
        BackendOperation::AddThreadMessage,
        stored(&harness, &message),
    );

    let reply = harness
        .execute(
            Credentials::Connection(&alice_laptop),
            "sendMessage",
            send(&harness, "c1", "hi"),
        )
        .await;
    assert_eq!(reply.result, Ok(message.clone()), "the author's ack");
    assert!(
        harness.pusher.pushes_to("bob").is_empty(),
        "nobody is pushed before the author has the ack"
    );
    harness.deliver(reply).await.unwrap();

    let pushed = vec![message_push("t1", &message)];
    assert_eq!(harness.pusher.pushes_to("alice-phone"), pushed);
    assert_eq!(harness.pusher.pushes_to("bob"), pushed);
    assert!(harness.pusher.pushes_to("alice-laptop").is_empty());
    assert!(harness.pusher.pushes_to("carol").is_empty());
}

#[tokio::test]
async fn the_backend_stores_it_as_the_caller_with_the_idempotency_key() {
    let harness = TestEngine::new();
    let alice = harness.connect("alice", "alice").await;
    let message = json!({ "messageId": "m1", "type": "text", "data": "hi" });
    harness.backend.answer(
        BackendOperation::AddThreadMessage,
        stored(&harness, &message),
    );

    let payload = send(&harness, "c1", "hi");
    harness
        .run(&alice, "sendMessage", payload.clone())
        .await
        .unwrap();

    let calls = harness.backend.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.operation, BackendOperation::AddThreadMessage);
    assert_eq!(call.user_token.as_deref(), Some(&*alice.user_token));
    assert_eq!(call.idempotency_key.as_deref(), Some("c1"));
    assert_eq!(call.body["threadId"], "t1");
    assert_eq!(call.body["message"], payload["message"]);
    assert_eq!(call.body["user"]["userId"], "alice");
}

#[tokio::test]
async fn a_non_member_is_forbidden_before_the_backend_is_called() {
    let harness = TestEngine::new();
    in_thread(&harness, "t1", MEMBERS, [("alice", "alice")]).await;
    let dave = harness.connect("dave", "dave").await;

    let refused = harness
        .run(&dave, "sendMessage", send(&harness, "c1", "let me in"))
        .await;

    assert_eq!(refused.unwrap_err().code, ErrorCode::Forbidden);
    assert!(
        harness
            .backend
            .calls_of(BackendOperation::AddThreadMessage)
            .is_empty()
    );
    assert!(harness.pusher.pushes_to("alice").is_empty());
}

#[tokio::test]
async fn a_non_member_may_send_when_non_members_are_not_blocked() {
    let harness = TestEngine::builder()
        .config(|config| config.block_non_members = false)
        .build();
    let dave = harness.connect("dave", "dave").await;
    let message = json!({ "messageId": "m1", "type": "text", "data": "hello" });
    harness.backend.answer(
        BackendOperation::AddThreadMessage,
        stored(&harness, &message),
    );

    let ack = harness
        .run(&dave, "sendMessage", send(&harness, "c1", "hello"))
        .await;

    assert_eq!(ack, Ok(message));
}

#[tokio::test]
async fn a_backend_refusal_reaches_the_author_and_nobody_is_pushed() {
    let harness = TestEngine::new();
    let [alice, ..] = in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB).await;
    let refusal = EcbError::new(ErrorCode::BackendRejected, "thread is archived");
    harness
        .backend
        .fail(BackendOperation::AddThreadMessage, refusal.clone());

    let result = harness
        .run(&alice, "sendMessage", send(&harness, "c1", "hi"))
        .await;

    assert_eq!(result, Err(refusal));
    assert!(harness.pusher.pushes_to("bob").is_empty());
}
