//! leaveThread: the connection stops receiving the thread's pushes, and its
//! user is announced offline once none of their connections is left in it.

use serde_json::json;

use super::{join, presence_push};
use crate::testing::TestEngine;

const MEMBERS: &[&str] = &["alice", "bob"];

#[tokio::test]
async fn a_connection_that_left_is_pushed_nothing_more() {
    let harness = TestEngine::new();
    let alice = harness.connect("alice", "alice").await;
    let bob = harness.connect("bob", "bob").await;
    for caller in [&alice, &bob] {
        join(&harness, caller, "t1", MEMBERS).await;
    }
    harness.pusher.clear();
    let thread_token = harness.keys.thread_token("t1", MEMBERS);

    let left = harness
        .run(&bob, "leaveThread", json!({ "threadToken": thread_token }))
        .await;
    assert_eq!(left, Ok(json!({})));
    assert_eq!(
        harness.pusher.take("alice"),
        vec![presence_push("t1", "bob", false)]
    );

    harness
        .run(
            &alice,
            "sendMessage",
            json!({ "threadToken": thread_token, "message": { "type": "typing", "data": true } }),
        )
        .await
        .unwrap();
    assert!(harness.pusher.pushes_to("bob").is_empty());
}

#[tokio::test]
async fn leaving_from_one_of_two_devices_keeps_the_user_online() {
    let harness = TestEngine::new();
    let alice = harness.connect("alice", "alice").await;
    let bob_laptop = harness.connect("bob", "bob-laptop").await;
    let bob_phone = harness.connect("bob", "bob-phone").await;
    for caller in [&alice, &bob_laptop, &bob_phone] {
        join(&harness, caller, "t1", MEMBERS).await;
    }
    harness.pusher.clear();

    let thread_token = harness.keys.thread_token("t1", MEMBERS);
    harness
        .run(
            &bob_laptop,
            "leaveThread",
            json!({ "threadToken": thread_token }),
        )
        .await
        .unwrap();

    assert!(harness.pusher.pushes_to("alice").is_empty());
}
