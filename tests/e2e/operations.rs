//! Every client operation of PROTOCOL.md, over WebSocket and REST.

use ecb_tests::{QUIET, Stack, StackOptions};
use serde_json::json;

#[tokio::test]
async fn get_user_token_trades_an_access_token_on_every_transport() {
    let stack = Stack::start().await;
    let rest = stack.rest();
    let (status, body) = rest
        .call("getUserToken", None, &json!({ "accessToken": "bob" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["result"]["userToken"].as_str().unwrap();
    // The traded token works.
    let (status, _) = rest.call("getContacts", Some(token), &json!({})).await;
    assert_eq!(status, 200);

    let mut ws = stack.ws("alice").await;
    let result = ws
        .ok("getUserToken", json!({ "accessToken": "carol" }))
        .await;
    assert!(result["userToken"].as_str().unwrap().starts_with("ey"));

    // The backend refuses an unknown access token: its 401 and its error pass on.
    let (status, body) = rest
        .call("getUserToken", None, &json!({ "accessToken": "mallory" }))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "backend_rejected");
    assert_eq!(body["error"]["backend"]["code"], "bad_access_token");
    let (status, body) = rest.call("getUserToken", None, &json!({})).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn contacts_are_paged_by_ecb_when_the_backend_returns_a_list() {
    let stack = Stack::start().await;
    let mut ws = stack.ws("alice").await;
    let first = ws
        .ok("getContacts", json!({ "pageStartIndex": 0, "pageSize": 2 }))
        .await;
    let ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["bob", "carol"]);
    assert_eq!(first["previousPage"], json!(null));
    assert_eq!(
        first["nextPage"],
        json!({ "pageStartIndex": 2, "pageSize": 2 })
    );
    let second = ws.ok("getContacts", first["nextPage"].clone()).await;
    assert_eq!(second["items"][0]["userId"], "dave");
    assert_eq!(second["nextPage"], json!(null));
    assert_eq!(
        second["previousPage"],
        json!({ "pageStartIndex": 0, "pageSize": 2 })
    );
    assert_eq!(
        ws.error_code("getContacts", json!({ "pageSize": 0 })).await,
        "bad_request"
    );
    assert_eq!(
        ws.error_code("getContacts", json!({ "pageStartIndex": "x" }))
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn threads_come_with_threadtokens_that_open_them() {
    let stack = Stack::start().await;
    let rest = stack.rest();
    let bob = stack.user_token("bob");
    let (status, body) = rest.call("getThreads", Some(&bob), &json!({})).await;
    assert_eq!(status, 200);
    let items = body["result"]["items"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|t| t["threadId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alice-bob", "welcome"]);
    for thread in items {
        let (status, opened) = rest
            .call(
                "getThread",
                Some(&bob),
                &json!({ "threadToken": thread["threadToken"] }),
            )
            .await;
        assert_eq!(status, 200, "{opened}");
        assert_eq!(opened["result"]["thread"]["threadId"], thread["threadId"]);
    }
}

#[tokio::test]
async fn typing_is_pushed_and_never_reaches_the_backend() {
    let stack = Stack::start().await;
    let token = stack.thread_token("alice-bob");
    let mut alice = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    let calls_before = stack.backend_calls().len();
    let ack = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "typing", "data": true } }),
        )
        .await;
    assert_eq!(ack, json!({}));
    let push = bob.expect_push("typing").await;
    assert_eq!(
        push,
        json!({ "type": "typing", "threadId": "alice-bob", "userId": "alice", "typing": true })
    );
    alice.expect_no_push("typing", QUIET).await;
    assert_eq!(
        stack.backend_calls().len(),
        calls_before,
        "typing must not reach the backend"
    );
    assert_eq!(
        alice
            .error_code(
                "sendMessage",
                json!({ "threadToken": token, "message": { "type": "typing", "data": "yes" } })
            )
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn presence_follows_connections_joining_leaving_and_closing() {
    let stack = Stack::start().await;
    let token = stack.thread_token("welcome");
    let mut alice = stack.ws("alice").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    let mut bob_phone = stack.ws("bob").await;
    bob_phone
        .ok("getThread", json!({ "threadToken": token }))
        .await;
    let online = alice.expect_push("presence").await;
    assert_eq!(
        online,
        json!({ "type": "presence", "threadId": "welcome", "userId": "bob", "online": true })
    );

    // Bob's second device: no new presence, he was online already.
    let mut bob_laptop = stack.ws("bob").await;
    bob_laptop
        .ok("getThread", json!({ "threadToken": token }))
        .await;
    alice.expect_no_push("presence", QUIET).await;
    let presence = alice
        .ok("getPresence", json!({ "threadToken": token }))
        .await;
    assert_eq!(
        presence,
        json!({ "threadId": "welcome", "userIds": ["alice", "bob"] })
    );

    // One device leaves: Bob is still online. The other closes: now he is not.
    assert_eq!(
        bob_laptop
            .ok("leaveThread", json!({ "threadToken": token }))
            .await,
        json!({})
    );
    alice.expect_no_push("presence", QUIET).await;
    bob_phone.close();
    let offline = alice.expect_push("presence").await;
    assert_eq!(offline["online"], false);
    assert_eq!(offline["userId"], "bob");
    let presence = alice
        .ok("getPresence", json!({ "threadToken": token }))
        .await;
    assert_eq!(presence["userIds"], json!(["alice"]));
}

#[tokio::test]
async fn a_connection_that_left_a_thread_gets_no_more_pushes() {
    let stack = Stack::start().await;
    let token = stack.thread_token("alice-bob");
    let mut alice = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(alice.expect_push("presence").await["online"], true);
    bob.ok("leaveThread", json!({ "threadToken": token })).await;
    assert_eq!(alice.expect_push("presence").await["online"], false);
    // Alice's second device stays in the thread: the message is pushed.
    let mut alice_phone = stack.ws("alice").await;
    alice_phone
        .ok("getThread", json!({ "threadToken": token }))
        .await;
    alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "anyone?" } }),
        )
        .await;
    let pushed = alice_phone.expect_push("message").await;
    assert_eq!(pushed["message"]["data"], "anyone?");
    bob.expect_no_push("message", QUIET).await;
    // REST joins nothing and leaving over REST is a harmless no-op.
    let (status, body) = stack
        .rest()
        .call(
            "leaveThread",
            Some(&stack.user_token("bob")),
            &json!({ "threadToken": token }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "ok": true, "result": {} }));
}

#[tokio::test]
async fn a_resent_message_is_stored_once_and_acked_the_same() {
    let stack = Stack::start().await;
    let token = stack.thread_token("alice-bob");
    let mut alice = stack.ws("alice").await;
    let message = json!({ "threadToken": token, "message": { "clientMessageId": "resend-1", "type": "text", "data": "once" } });
    let first = alice.ok("sendMessage", message.clone()).await;
    let second = alice.ok("sendMessage", message).await;
    assert_eq!(first["messageId"], second["messageId"]);
    assert_eq!(stack.backend.state().messages("alice-bob").len(), 1);
    let keys: Vec<_> = stack
        .backend_calls()
        .into_iter()
        .filter(|c| c.operation == "addThreadMessage")
        .map(|c| c.idempotency_key)
        .collect();
    assert_eq!(
        keys,
        [Some("resend-1".to_owned()), Some("resend-1".to_owned())]
    );
    let long_id = "x".repeat(65);
    assert_eq!(
        alice
            .error_code("sendMessage", json!({ "threadToken": token, "message": { "clientMessageId": long_id, "type": "text", "data": 1 } }))
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn backend_calls_are_signed_when_a_secret_is_set() {
    use base64::Engine as _;
    let key = b"0123456789abcdef0123456789abcdef".to_vec();
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(&key)
    );
    let stack = Stack::with(StackOptions {
        flags: vec!["--backend-secret".into(), secret],
        backend_secret: Some(key.clone()),
        ..Default::default()
    })
    .await;
    let mut alice = stack.ws("alice").await;
    alice.ok("getThreads", json!({})).await;
    assert!(stack.backend_calls().iter().all(|c| c.signed));

    // The same backend refuses ECB when ECB does not sign.
    let unsigned = Stack::with(StackOptions {
        flags: vec![],
        backend_secret: Some(key),
        ..Default::default()
    })
    .await;
    let mut alice = unsigned.ws("alice").await;
    let response = alice.request("getThreads", json!({})).await;
    assert_eq!(response["error"]["code"], "backend_rejected");
    assert_eq!(response["error"]["backend"]["code"], "bad_signature");
}
