//! leaveThread: the connection stops receiving the thread's pushes, and its
//! user is announced offline once none of their connections is left in it.

use serde_json::json;

use super::{ALICE_AND_BOB, ALICE_AND_BOB_ON_TWO_DEVICES, in_thread, presence_push};
use crate::testing::TestEngine;

const MEMBERS: &[&str] = &["alice", "bob"];

#[tokio::test]
async fn a_connection_that_left_is_pushed_nothing_more() {
    let harness = TestEngine::new();
    let [alice, bob] = in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB).await;
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
    let [_, bob_laptop, ..] =
        in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB_ON_TWO_DEVICES).await;

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
