//! sendMessage with `type: "typing"`: acked with `{}`, pushed to the others
//! as a `typing` event, never stored.

use serde_json::json;

use super::{ALICE_AND_BOB, in_thread};
use crate::PushEvent;
use crate::testing::TestEngine;

#[tokio::test]
async fn typing_is_pushed_to_the_others_and_never_stored() {
    let members = ["alice", "bob"];
    let harness = TestEngine::new();
    let [alice, ..] = in_thread(&harness, "t1", &members, ALICE_AND_BOB).await;
    let calls_before = harness.backend.calls().len();

    let ack = harness
        .run(
            &alice,
            "sendMessage",
            json!({
                "threadToken": harness.keys.thread_token("t1", &members),
                "message": { "type": "typing", "data": true },
            }),
        )
        .await;

    assert_eq!(ack, Ok(json!({})));
    assert_eq!(
        harness.pusher.pushes_to("bob"),
        vec![PushEvent::Typing {
            thread_id: "t1".into(),
            user_id: "alice".into(),
            typing: true,
        }]
    );
    assert!(harness.pusher.pushes_to("alice").is_empty());
    assert_eq!(harness.backend.calls().len(), calls_before, "not stored");
}
