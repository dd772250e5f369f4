//! Server API disconnectUser: every connection of the user is closed and
//! forgotten, whichever threads it was in.

use serde_json::json;

use super::{ALICE_AND_BOB_ON_TWO_DEVICES, in_thread, presence_push};
use crate::ports::Store;
use crate::testing::TestEngine;

#[tokio::test]
async fn every_connection_of_the_user_is_closed_and_forgotten() {
    let members = ["alice", "bob"];
    let harness = TestEngine::new();
    in_thread(&harness, "t1", &members, ALICE_AND_BOB_ON_TWO_DEVICES).await;

    let result = harness
        .run_as_server("server/disconnectUser", json!({ "userId": "bob" }))
        .await;

    assert_eq!(result, Ok(json!({ "disconnected": 2 })));
    let mut closed = harness.pusher.disconnected();
    closed.sort();
    assert_eq!(closed, ["bob-laptop", "bob-phone"]);
    assert!(
        harness
            .store
            .connections_of_user("bob")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        harness.pusher.pushes_to("alice"),
        vec![presence_push("t1", "bob", false)]
    );
}
