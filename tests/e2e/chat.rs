//! The heart of ECB: a message goes to the backend, the author is acked with
//! what was stored, and everyone else in the thread is pushed it once.

use ecb_tests::{QUIET, Stack};
use serde_json::json;

#[tokio::test]
async fn websocket_and_rest_clients_chat_in_one_thread() {
    let stack = Stack::start().await;
    let welcome = stack.thread_token("welcome");
    let mut alice_phone = stack.ws("alice").await;
    let mut alice_laptop = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    let mut dave = stack.ws("dave").await; // a member who never opened the thread
    let carol_rest = stack.rest();
    let carol = stack.user_token("carol");

    for client in [&mut alice_phone, &mut alice_laptop, &mut bob] {
        let opened = client
            .ok("getThread", json!({ "threadToken": welcome }))
            .await;
        assert_eq!(opened["thread"]["threadId"], "welcome");
    }
    for client in [&mut alice_phone, &mut alice_laptop, &mut bob, &mut dave] {
        client.drain_pushes();
    }

    // Alice writes from her phone.
    let ack = alice_phone
        .ok(
            "sendMessage",
            json!({ "threadToken": welcome, "message": { "clientMessageId": "a-1", "type": "text", "data": "hello" } }),
        )
        .await;
    assert_eq!(ack["senderId"], "alice");
    assert_eq!(ack["threadId"], "welcome");
    assert_eq!(ack["data"], "hello");
    assert_eq!(ack["clientMessageId"], "a-1");
    let stored = stack.backend.state().messages("welcome");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        ack["messageId"], stored[0]["messageId"],
        "the ack is the stored message"
    );

    for other in [&mut alice_laptop, &mut bob] {
        let push = other.expect_push("message").await;
        assert_eq!(push["threadId"], "welcome");
        assert_eq!(push["message"], ack);
        other.expect_no_push("message", QUIET).await; // exactly once
    }
    alice_phone.expect_no_push("message", QUIET).await;
    dave.expect_no_push("message", QUIET).await;

    // Carol writes over REST: every open connection in the thread gets it.
    let (status, body) = carol_rest
        .call(
            "sendMessage",
            Some(&carol),
            &json!({ "threadToken": welcome, "message": { "type": "text", "data": "hi all" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    for client in [&mut alice_phone, &mut alice_laptop, &mut bob] {
        let push = client.expect_push("message").await;
        assert_eq!(push["message"]["senderId"], "carol");
        assert_eq!(push["message"]["messageId"], body["result"]["messageId"]);
    }
    dave.expect_no_push("message", QUIET).await;

    // Bob answers over WebSocket.
    let ack = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": welcome, "message": { "type": "text", "data": "hey" } }),
        )
        .await;
    for client in [&mut alice_phone, &mut alice_laptop] {
        assert_eq!(client.expect_push("message").await["message"], ack);
    }
    assert_eq!(stack.backend.state().messages("welcome").len(), 3);
}

#[tokio::test]
async fn a_thread_created_over_websocket_reaches_members_who_open_it() {
    let stack = Stack::start().await;
    let mut carol = stack.ws("carol").await;
    let mut dave = stack.ws("dave").await;
    let created = carol
        .ok(
            "createThread",
            json!({ "memberIds": ["dave"], "data": { "title": "Plans" }, "message": { "clientMessageId": "c-1", "type": "text", "data": "first" } }),
        )
        .await;
    let thread = &created["thread"];
    assert_eq!(thread["memberIds"], json!(["carol", "dave"]));
    assert_eq!(created["messages"][0]["data"], "first");
    let token = thread["threadToken"].as_str().unwrap().to_owned();

    let opened = dave.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(
        opened["messages"][0]["messageId"],
        created["messages"][0]["messageId"]
    );
    // Carol's connection joined the channel when she created the thread.
    assert_eq!(carol.expect_push("presence").await["userId"], "dave");
    dave.ok(
        "sendMessage",
        json!({ "threadToken": token, "message": { "type": "text", "data": "ok" } }),
    )
    .await;
    assert_eq!(carol.expect_push("message").await["message"]["data"], "ok");
}
