//! Server API publish: the backend pushes a message to every connection in a
//! thread and is told how many it reached.

use serde_json::json;

use super::{ALICE_AND_BOB_ON_TWO_DEVICES, in_thread, message_push};
use crate::ErrorCode;
use crate::testing::TestEngine;

const MEMBERS: &[&str] = &["alice", "bob"];

#[tokio::test]
async fn publish_reaches_every_joined_connection_and_counts_them() {
    let harness = TestEngine::new();
    let joined = in_thread(&harness, "t1", MEMBERS, ALICE_AND_BOB_ON_TWO_DEVICES).await;
    harness.connect("carol", "carol").await; // connected, never joined
    let message = json!({ "messageId": "m9", "type": "text", "data": "from email" });

    let result = harness
        .run_as_server(
            "server/publish",
            json!({ "threadId": "t1", "message": message }),
        )
        .await;

    assert_eq!(result, Ok(json!({ "delivered": joined.len() })));
    for caller in &joined {
        let connection = caller.connection_id().unwrap();
        assert_eq!(
            harness.pusher.pushes_to(connection),
            vec![message_push("t1", &message)],
            "{connection}"
        );
    }
    assert!(harness.pusher.pushes_to("carol").is_empty());
}

#[tokio::test]
async fn publish_needs_a_server_token() {
    let harness = TestEngine::new();
    let [alice] = in_thread(&harness, "t1", MEMBERS, [("alice", "alice")]).await;
    let payload = json!({ "threadId": "t1", "message": { "messageId": "m9" } });

    let with_user_token = harness
        .run_with_bearer(&alice.user_token, "server/publish", payload.clone())
        .await;
    let over_a_connection = harness.run(&alice, "server/publish", payload).await;

    assert_eq!(
        with_user_token.map_err(|e| e.code),
        Err(ErrorCode::Unauthorized)
    );
    assert_eq!(
        over_a_connection.map_err(|e| e.code),
        Err(ErrorCode::UnknownAction),
        "the server API is not spoken over a client's connection"
    );
    assert!(harness.pusher.pushes_to("alice").is_empty());
}
