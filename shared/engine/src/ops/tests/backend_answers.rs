//! Backend answers are checked, then passed through: what ECB reads must be
//! there and consistent, everything else reaches clients as the backend wrote
//! it, byte for byte.

use serde_json::{Value, json};

use super::{ALICE_AND_BOB, in_thread, thread};
use crate::ports::BackendOperation;
use crate::testing::TestEngine;
use crate::{Credentials, ErrorCode};

const MEMBERS: &[&str] = &["alice", "bob"];

fn send_text(harness: &TestEngine) -> Value {
    json!({
        "threadToken": harness.keys.thread_token("t1", MEMBERS),
        "message": { "type": "text", "data": "hi" },
    })
}

#[tokio::test]
async fn a_thread_answer_passes_through_byte_for_byte() {
    let harness = TestEngine::new();
    let alice = harness.connect("alice", "alice").await;
    let token = harness.keys.thread_token("t1", MEMBERS);
    // The original ECB models, keys out of order, nulls, floats, non-ASCII.
    let answer = format!(
        r#"{{"thread":{{"topic":"Ünïcode ✓","threadToken":"{token}","members":[{{"id":"alice","role":null}}],"threadId":"t1","createdAt":1767225600000}},"messages":[{{"fromUserId":"bob","messageId":"m1","creationTime":"2026-01-01T00:00:00Z","data":{{"z":1,"a":[true,null,2.5]}},"type":"text"}}],"hasMore":false}}"#
    );
    harness.backend.answer(
        BackendOperation::GetThread,
        serde_json::from_str(&answer).unwrap(),
    );

    let result = harness
        .run(&alice, "getThread", json!({ "threadToken": token }))
        .await
        .unwrap();

    assert_eq!(result.to_string(), answer);
}

#[tokio::test]
async fn a_stored_message_reaches_author_and_others_byte_for_byte() {
    let harness = TestEngine::new();
    let [alice, ..] = in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB).await;
    let message = r#"{"type":"text","messageId":"m1","data":{"text":"hi","mentions":[]},"userId":"alice","sentAt":null}"#;
    harness.backend.answer(
        BackendOperation::AddThreadMessage,
        json!({
            "thread": thread(&harness, "t1", MEMBERS),
            "messages": [serde_json::from_str::<Value>(message).unwrap()],
        }),
    );

    let ack = harness
        .run(&alice, "sendMessage", send_text(&harness))
        .await
        .unwrap();

    assert_eq!(ack.to_string(), message);
    let pushed = harness.pusher.pushes_to("bob");
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        serde_json::to_string(&pushed[0]).unwrap(),
        format!(r#"{{"type":"message","threadId":"t1","message":{message}}}"#),
        "the raw WebSocket push frame"
    );
}

#[tokio::test]
async fn a_malformed_message_answer_is_backend_invalid_response_and_nobody_is_pushed() {
    let harness = TestEngine::new();
    let [alice, ..] = in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB).await;
    let t1 = thread(&harness, "t1", MEMBERS);
    let message = json!({ "messageId": "m1", "type": "text", "data": "hi" });
    let malformed = [
        ("not an object", json!([])),
        ("no thread", json!({ "messages": [message] })),
        ("no messages", json!({ "thread": t1 })),
        ("no message", json!({ "thread": t1, "messages": [] })),
        (
            "a message without messageId",
            json!({ "thread": t1, "messages": [{ "type": "text" }] }),
        ),
        (
            "a numeric messageId",
            json!({ "thread": t1, "messages": [{ "messageId": 7 }] }),
        ),
        (
            "a message of another thread",
            json!({ "thread": t1, "messages": [{ "messageId": "m1", "threadId": "t2" }] }),
        ),
        (
            "a threadToken that does not verify",
            json!({
                "thread": { "threadId": "t1", "threadToken": "not-a-jwt" },
                "messages": [message],
            }),
        ),
        (
            "a threadToken naming another thread",
            json!({
                "thread": { "threadId": "t1", "threadToken": harness.keys.thread_token("t2", MEMBERS) },
                "messages": [message],
            }),
        ),
        (
            "another thread altogether",
            json!({ "thread": thread(&harness, "t2", MEMBERS), "messages": [message] }),
        ),
    ];

    for (case, answer) in malformed {
        harness
            .backend
            .answer(BackendOperation::AddThreadMessage, answer);
        let result = harness
            .run(&alice, "sendMessage", send_text(&harness))
            .await;
        assert_eq!(
            result.map_err(|e| e.code),
            Err(ErrorCode::BackendInvalidResponse),
            "{case}"
        );
        assert!(harness.pusher.pushes_to("bob").is_empty(), "{case}");
    }
}

#[tokio::test]
async fn a_user_token_the_engine_would_not_accept_is_backend_invalid_response() {
    let harness = TestEngine::new();
    let forged = harness.keys.sign(&json!({ "userId": "alice" })); // no exp
    for answer in [
        json!({}),
        json!({ "userToken": "not-a-jwt" }),
        json!({ "userToken": forged }),
    ] {
        harness
            .backend
            .answer(BackendOperation::GetUserToken, answer.clone());
        let reply = harness
            .execute(
                Credentials::Bearer(None),
                "getUserToken",
                json!({ "accessToken": "alice" }),
            )
            .await;
        assert_eq!(
            reply.result.map_err(|e| e.code),
            Err(ErrorCode::BackendInvalidResponse),
            "{answer}"
        );
    }
}
