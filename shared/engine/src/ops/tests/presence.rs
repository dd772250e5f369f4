//! Presence counts users, not connections: online on a user's first join,
//! offline when their last connection leaves, disconnects or is found gone.

use serde_json::{Value, json};

use super::{ALICE_AND_BOB_ON_TWO_DEVICES, in_thread, join, presence_push, thread};
use crate::ports::{BackendOperation, Store};
use crate::testing::TestEngine;

const MEMBERS: &[&str] = &["alice", "bob", "carol"];

#[tokio::test]
async fn a_users_first_connection_announces_them_and_their_second_does_not() {
    let harness = TestEngine::new();
    let alice = harness.connect("alice", "alice").await;
    join(&harness, &alice, "t1", MEMBERS).await;

    let bob_laptop = harness.connect("bob", "bob-laptop").await;
    join(&harness, &bob_laptop, "t1", MEMBERS).await;
    assert_eq!(
        harness.pusher.take("alice"),
        vec![presence_push("t1", "bob", true)]
    );

    let bob_phone = harness.connect("bob", "bob-phone").await;
    join(&harness, &bob_phone, "t1", MEMBERS).await;
    assert!(harness.pusher.take("alice").is_empty());
    assert!(
        harness.pusher.pushes_to("bob-laptop").is_empty(),
        "a user is not told they came online"
    );
}

#[tokio::test]
async fn get_presence_lists_each_online_user_once() {
    let harness = TestEngine::new();
    for (user, connection) in [("bob", "bob-1"), ("alice", "alice"), ("bob", "bob-2")] {
        let caller = harness.connect(user, connection).await;
        join(&harness, &caller, "t1", MEMBERS).await;
    }
    let carol = harness.connect("carol", "carol").await;

    let online = harness
        .run(
            &carol,
            "getPresence",
            json!({ "threadToken": harness.keys.thread_token("t1", MEMBERS) }),
        )
        .await;

    assert_eq!(
        online,
        Ok(json!({ "threadId": "t1", "userIds": ["alice", "bob"] }))
    );
}

#[tokio::test]
async fn a_users_last_disconnect_announces_them_offline() {
    let harness = TestEngine::new();
    in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB_ON_TWO_DEVICES).await;

    harness.engine.disconnect("bob-laptop").await;
    assert!(harness.pusher.take("alice").is_empty());
    harness.engine.disconnect("bob-phone").await;
    assert_eq!(
        harness.pusher.take("alice"),
        vec![presence_push("t1", "bob", false)]
    );
}

#[tokio::test]
async fn a_connection_found_gone_is_forgotten_and_its_user_announced_offline() {
    let harness = TestEngine::new();
    let [alice, ..] = in_thread(
        &harness,
        "t1",
        MEMBERS,
        [("alice", "alice"), ("bob", "bob"), ("carol", "carol")],
    )
    .await;
    harness.pusher.mark_gone("bob");
    let message: Value = json!({ "messageId": "m1", "type": "text", "data": "anyone?" });
    harness.backend.answer(
        BackendOperation::AddThreadMessage,
        json!({ "thread": thread(&harness, "t1", MEMBERS), "messages": [message] }),
    );

    harness
        .run(
            &alice,
            "sendMessage",
            json!({
                "threadToken": harness.keys.thread_token("t1", MEMBERS),
                "message": { "type": "text", "data": "anyone?" },
            }),
        )
        .await
        .unwrap();

    assert_eq!(
        harness.pusher.pushes_to("carol"),
        vec![
            super::message_push("t1", &message),
            presence_push("t1", "bob", false)
        ]
    );
    assert_eq!(harness.store.get_connection("bob").await.unwrap(), None);
    let members = harness.store.members("t1").await.unwrap();
    assert!(members.iter().all(|member| member.connection_id != "bob"));
}
