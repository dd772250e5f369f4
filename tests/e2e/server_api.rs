//! The server API: the backend publishes, asks for presence, disconnects users.

use ecb_tests::{QUIET, Stack};
use serde_json::json;

#[tokio::test]
async fn the_backend_publishes_to_everyone_in_a_thread() {
    let stack = Stack::start().await;
    let token = stack.thread_token("welcome");
    let mut alice = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    let mut carol = stack.ws("carol").await; // not joined
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    let message = json!({ "messageId": "sys-1", "threadId": "welcome", "senderId": "system", "type": "notice", "data": "maintenance at 6" });
    let (status, body) = stack
        .rest()
        .call_server(
            "/v1/server/publish",
            &stack.tokens.server_token(),
            &json!({ "threadId": "welcome", "message": message }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], json!({ "delivered": 2 }));
    for client in [&mut alice, &mut bob] {
        assert_eq!(client.expect_push("message").await["message"], message);
    }
    carol.expect_no_push("message", QUIET).await;

    // Only a serverToken opens the server API.
    let user_token = stack.user_token("alice");
    let (status, body) = stack
        .rest()
        .call_server(
            "/v1/server/publish",
            &user_token,
            &json!({ "threadId": "welcome", "message": message }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = stack
        .rest()
        .call_server(
            "/v1/server/publish",
            &stack.tokens.server_token(),
            &json!({ "threadId": "other", "message": message }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn the_backend_reads_presence() {
    let stack = Stack::start().await;
    let token = stack.thread_token("welcome");
    let mut alice = stack.ws("alice").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    let rest = stack.rest();
    let (status, body) = rest
        .get(
            "/v1/server/threads/welcome/presence",
            Some(&stack.tokens.server_token()),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["result"],
        json!({ "threadId": "welcome", "userIds": ["alice"] })
    );
    let (status, _) = rest.get("/v1/server/threads/welcome/presence", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn disconnect_user_closes_every_connection_of_the_user() {
    let stack = Stack::start().await;
    let token = stack.thread_token("welcome");
    let mut alice = stack.ws("alice").await;
    let mut bob_phone = stack.ws("bob").await;
    let mut bob_laptop = stack.ws("bob").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob_phone
        .ok("getThread", json!({ "threadToken": token }))
        .await;
    assert_eq!(alice.expect_push("presence").await["online"], true);
    let (status, body) = stack
        .rest()
        .call_server(
            "/v1/server/disconnectUser",
            &stack.tokens.server_token(),
            &json!({ "userId": "bob" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], json!({ "disconnected": 2 }));
    assert_eq!(bob_phone.closed().await, Some(1008));
    assert_eq!(bob_laptop.closed().await, Some(1008));
    let offline = alice.expect_push("presence").await;
    assert_eq!(
        (offline["userId"].as_str(), offline["online"].as_bool()),
        (Some("bob"), Some(false))
    );
    // Alice is untouched.
    alice
        .ok("getPresence", json!({ "threadToken": token }))
        .await;
}
