//! The chat features of PROTOCOL.md v1.1 on the local server, over raw
//! WebSocket, Socket.IO and REST: history (getMessages), read receipts
//! (markRead and the `read` push), token refresh in place, and offline
//! notification (notifyUndelivered). Client-side recovery is ecb-client's
//! (clients/js tests); the Lambda functions run the same in `serverless`.

use std::time::Duration;

use ecb_tests::{QUIET, SioClient, Stack, StackOptions, TestTokens};
use serde_json::{Value, json};

fn ids(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .expect("a list of messages")
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn history_pages_oldest_first_on_every_transport() {
    let stack = Stack::start().await;
    let token = stack.thread_token("alice-bob");
    let mut bob = stack.ws("bob").await;
    let mut sent = Vec::new();
    for n in 0..5 {
        let ack = bob
            .ok(
                "sendMessage",
                json!({ "threadToken": token, "message": { "type": "text", "data": n } }),
            )
            .await;
        sent.push(ack["messageId"].as_str().unwrap().to_owned());
    }

    // The newest page, oldest first; then older pages with `before`.
    let mut alice = stack.ws("alice").await;
    let all = alice
        .ok("getMessages", json!({ "threadToken": token }))
        .await;
    assert_eq!(
        (all["threadId"].as_str(), all["hasMore"].as_bool()),
        (Some("alice-bob"), Some(false))
    );
    assert_eq!(ids(&all["messages"]), sent);
    assert_eq!(
        all["messages"][4]["data"], 4,
        "messages pass through as stored"
    );
    let newest = alice
        .ok(
            "getMessages",
            json!({ "threadToken": token, "pageSize": 2 }),
        )
        .await;
    assert_eq!(
        (ids(&newest["messages"]), newest["hasMore"].as_bool()),
        (sent[3..].to_vec(), Some(true))
    );
    let older = alice
        .ok(
            "getMessages",
            json!({ "threadToken": token, "pageSize": 2, "before": sent[3] }),
        )
        .await;
    assert_eq!(
        (ids(&older["messages"]), older["hasMore"].as_bool()),
        (sent[1..3].to_vec(), Some(true))
    );

    // Recovery's direction: `after` the last one shown, until hasMore is false.
    let mut sio = SioClient::connect(&stack.ecb.url(), &stack.user_token("alice"))
        .await
        .unwrap();
    let first = sio
        .ok(
            "getMessages",
            json!({ "threadToken": token, "after": sent[0], "pageSize": 3 }),
        )
        .await;
    assert_eq!(
        (ids(&first["messages"]), first["hasMore"].as_bool()),
        (sent[1..4].to_vec(), Some(true))
    );
    let rest = stack.rest();
    let (status, body) = rest
        .call(
            "getMessages",
            Some(&stack.user_token("alice")),
            &json!({ "threadToken": token, "after": sent[3], "pageSize": 3 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            ids(&body["result"]["messages"]),
            body["result"]["hasMore"].as_bool()
        ),
        (sent[4..].to_vec(), Some(false))
    );
    let caught_up = alice
        .ok(
            "getMessages",
            json!({ "threadToken": token, "after": sent[4] }),
        )
        .await;
    assert_eq!(
        (
            caught_up["messages"].as_array().map(Vec::len),
            caught_up["hasMore"].as_bool()
        ),
        (Some(0), Some(false))
    );

    // Bad input has its codes; a messageId the backend does not know is its
    // `unknown_message`, passed on.
    let unknown = alice
        .request(
            "getMessages",
            json!({ "threadToken": token, "after": "m-gone" }),
        )
        .await;
    assert_eq!(unknown["error"]["code"], "backend_rejected");
    assert_eq!(unknown["error"]["backend"]["code"], "unknown_message");
    for bad in [
        json!({ "threadToken": token, "before": sent[1], "after": sent[0] }),
        json!({ "threadToken": token, "pageSize": 0 }),
        json!({ "threadToken": token, "pageSize": 201 }),
        json!({ "threadToken": token, "after": "" }),
        json!({}),
    ] {
        assert_eq!(
            alice.error_code("getMessages", bad.clone()).await,
            "bad_request",
            "{bad}"
        );
    }
    let mut carol = stack.ws("carol").await;
    assert_eq!(
        carol
            .error_code("getMessages", json!({ "threadToken": token }))
            .await,
        "forbidden"
    );
    let forged = stack.tokens.by_intruder(
        &TestTokens::thread_claims("alice-bob", &["alice", "bob"]),
        Some("demo"),
    );
    assert_eq!(
        alice
            .error_code("getMessages", json!({ "threadToken": forged }))
            .await,
        "unauthorized"
    );
    assert!(
        stack.backend.state().undelivered_notices().is_empty(),
        "off by default"
    );
}

#[tokio::test]
async fn read_receipts_reach_the_thread_and_the_readers_other_devices() {
    let stack = Stack::start().await;
    let token = stack.thread_token("alice-bob");
    let mut alice = stack.ws("alice").await;
    let mut alice_phone = SioClient::connect(&stack.ecb.url(), &stack.user_token("alice"))
        .await
        .unwrap();
    let mut bob = stack.ws("bob").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    alice_phone
        .ok("getThread", json!({ "threadToken": token }))
        .await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    let message = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "read me" } }),
        )
        .await;
    let id = message["messageId"].as_str().unwrap();
    alice.drain_pushes();

    assert_eq!(
        alice
            .ok("markRead", json!({ "threadToken": token, "messageId": id }))
            .await,
        json!({})
    );
    let read = bob.expect_push("read").await;
    assert_eq!(
        read,
        json!({ "type": "read", "threadId": "alice-bob", "userId": "alice", "messageId": id })
    );
    assert_eq!(
        alice_phone.expect_event("read").await,
        json!({ "threadId": "alice-bob", "userId": "alice", "messageId": id })
    );
    alice.expect_no_push("read", QUIET).await;
    assert_eq!(
        stack
            .backend
            .state()
            .read_mark("alice-bob", "alice")
            .as_deref(),
        Some(id)
    );

    let unknown = alice
        .request(
            "markRead",
            json!({ "threadToken": token, "messageId": "m-gone" }),
        )
        .await;
    assert_eq!(unknown["error"]["backend"]["code"], "unknown_message");
    assert_eq!(
        alice
            .error_code("markRead", json!({ "threadToken": token, "messageId": "" }))
            .await,
        "bad_request"
    );
    let mut carol = stack.ws("carol").await;
    assert_eq!(
        carol
            .error_code("markRead", json!({ "threadToken": token, "messageId": id }))
            .await,
        "forbidden"
    );
    bob.expect_no_push("read", QUIET).await;
}

#[tokio::test]
async fn a_connection_refreshes_its_token_in_place_and_keeps_its_channels() {
    // A leeway of one second, so a token can run out during the test.
    let stack = Stack::with(StackOptions {
        flags: vec!["--token-leeway-s".into(), "1".into()],
        ..Default::default()
    })
    .await;
    let token = stack.thread_token("alice-bob");
    let keys = &stack.backend.state().keys;
    let short_lived = |user: &str, seconds: u64| {
        keys.sign(&json!({ "userId": user, "displayName": user, "exp": ecb_tests::tokens::now() + seconds }))
    };
    let mut alice = ecb_tests::WsClient::connect(&stack.ecb.url(), &short_lived("alice", 2))
        .await
        .unwrap();
    let mut sio = SioClient::connect(&stack.ecb.url(), &short_lived("alice", 2))
        .await
        .unwrap();
    let mut bob = stack.ws("bob").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    sio.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    // exp + leeway < now: with whole seconds, up to 4 s after signing.
    tokio::time::sleep(Duration::from_millis(4200)).await;
    assert_eq!(
        alice
            .error_code("getPresence", json!({ "threadToken": token }))
            .await,
        "unauthorized"
    );

    // Refused: another user's token, an expired one, and REST (no connection).
    assert_eq!(
        alice
            .error_code(
                "refreshToken",
                json!({ "userToken": stack.user_token("bob") })
            )
            .await,
        "forbidden"
    );
    let expired = keys.sign(&json!({ "userId": "alice", "exp": ecb_tests::tokens::now() - 60 }));
    assert_eq!(
        alice
            .error_code("refreshToken", json!({ "userToken": expired }))
            .await,
        "unauthorized"
    );
    assert_eq!(
        alice.error_code("refreshToken", json!({})).await,
        "bad_request"
    );
    let (status, body) = stack
        .rest()
        .call(
            "refreshToken",
            Some(&stack.user_token("alice")),
            &json!({ "userToken": stack.user_token("alice") }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    // A fresh token of the same user: the connection goes on, still joined.
    let fresh = stack.user_token("alice");
    let refreshed = alice
        .ok("refreshToken", json!({ "userToken": fresh }))
        .await;
    assert_eq!(refreshed["userId"], "alice");
    assert!(refreshed["exp"].as_u64().unwrap() > ecb_tests::tokens::now() + 60);
    let expired_on_sio = sio
        .request("getPresence", json!({ "threadToken": token }))
        .await;
    assert_eq!(expired_on_sio["error"]["code"], "unauthorized");
    assert_eq!(
        sio.ok("refreshToken", json!({ "userToken": fresh })).await["userId"],
        "alice"
    );
    // The Socket.IO connection keeps the refreshed caller: an operation
    // that needs a fresh token runs.
    let on_sio = sio.ok("getPresence", json!({ "threadToken": token })).await;
    assert_eq!(on_sio["userIds"], json!(["alice", "bob"]));
    let presence = alice
        .ok("getPresence", json!({ "threadToken": token }))
        .await;
    assert_eq!(presence["userIds"], json!(["alice", "bob"]));
    bob.drain_pushes();
    let sent = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "still there?" } }),
        )
        .await;
    assert_eq!(alice.expect_push("message").await["message"], sent);
    assert_eq!(sio.expect_event("message").await["message"], sent);
    bob.expect_no_push("presence", QUIET).await;
}

#[tokio::test]
async fn the_backend_hears_exactly_which_members_a_message_did_not_reach() {
    let stack = Stack::with(StackOptions {
        flags: vec!["--notify-undelivered".into(), "true".into()],
        ..Default::default()
    })
    .await;
    let token = stack.thread_token("welcome");
    // alice and bob are in the thread; carol is connected elsewhere but has
    // not joined it; dave is offline.
    let mut alice = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    let _carol = stack.ws("carol").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    let sent = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "anyone?" } }),
        )
        .await;
    bob.expect_push("message").await;
    let notices = wait_for_notices(&stack, 1).await;
    let mut users: Vec<&str> = notices[0]["userIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    users.sort();
    assert_eq!(users, ["carol", "dave"]);
    assert_eq!(
        (notices[0]["threadId"].as_str(), &notices[0]["messageId"]),
        (Some("welcome"), &sent["messageId"])
    );
    let call = stack
        .backend_calls()
        .into_iter()
        .rfind(|c| c.operation == "notifyUndelivered")
        .unwrap();
    assert_eq!(call.idempotency_key, None);

    // Typing stores nothing and notifies nobody; everyone joined: no call.
    alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "typing", "data": true } }),
        )
        .await;
    let pair = stack.thread_token("alice-bob");
    alice.ok("getThread", json!({ "threadToken": pair })).await;
    bob.ok("getThread", json!({ "threadToken": pair })).await;
    alice
        .ok(
            "sendMessage",
            json!({ "threadToken": pair, "message": { "type": "text", "data": "both here" } }),
        )
        .await;
    bob.expect_push("message").await;

    // The server API's publish, given the members, notifies the same way.
    let (status, body) = stack
        .rest()
        .call_server(
            "/v1/server/publish",
            &stack.tokens.server_token(),
            &json!({ "threadId": "welcome", "memberIds": ["alice", "bob", "carol", "dave"],
                     "message": { "messageId": "bot-1", "senderId": "bot", "data": "hi" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let notices = wait_for_notices(&stack, 2).await;
    let mut users: Vec<&str> = notices[1]["userIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    users.sort();
    assert_eq!(
        (notices[1]["messageId"].as_str(), users),
        (Some("bot-1"), vec!["carol", "dave"])
    );
    tokio::time::sleep(QUIET).await;
    assert_eq!(
        stack.backend.state().undelivered_notices().len(),
        2,
        "no call when everyone was reached"
    );
}

async fn wait_for_notices(stack: &Stack, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let notices = stack.backend.state().undelivered_notices();
        if notices.len() >= count {
            return notices;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the backend did not get {count} notifyUndelivered calls");
}
