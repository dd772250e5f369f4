//! The Lambda functions for real: built binaries under `cargo lambda watch`,
//! behind `ecb gateway`, on dynalite, with a real backend.

use ecb_engine::ports::{ConnectionRecord, Store};
use ecb_engine::protocol::models::User;
use ecb_tests::{QUIET, Serverless};
use serde_json::json;

#[tokio::test]
async fn websocket_clients_chat_through_the_lambda_functions() {
    let aws = Serverless::start().await;
    let token = aws.thread_token("alice-bob", &["alice", "bob"]);

    // A bad token: $connect answers 401 and the upgrade is refused.
    assert_eq!(aws.connect("forged").await.err(), Some(401));

    let mut alice = aws
        .connect(&aws.user_token("alice"))
        .await
        .expect("alice connects");
    let mut bob = aws
        .connect(&aws.user_token("bob"))
        .await
        .expect("bob connects");
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(alice.expect_push("presence").await["userId"], "bob");

    let ack = alice
        .ok("sendMessage", json!({ "threadToken": token, "message": { "clientMessageId": "l-1", "type": "text", "data": "hi from lambda" } }))
        .await;
    assert_eq!(ack["senderId"], "alice");
    assert_eq!(bob.expect_push("message").await["message"], ack);
    alice.expect_no_push("message", QUIET).await;
    let answer = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "hi back" } }),
        )
        .await;
    assert_eq!(alice.expect_push("message").await["message"], answer);

    // Errors come back as response frames, and the connection stays usable.
    alice.send_text("{nope");
    assert_eq!(alice.next_response().await["error"]["code"], "bad_request");
    assert_eq!(alice.error_code("fly", json!({})).await, "unknown_action");
    let presence = alice
        .ok("getPresence", json!({ "threadToken": token }))
        .await;
    assert_eq!(presence["userIds"], json!(["alice", "bob"]));

    // $disconnect removes the connection's items and tells the thread.
    bob.close();
    let offline = alice.expect_push("presence").await;
    assert_eq!(
        (offline["userId"].as_str(), offline["online"].as_bool()),
        (Some("bob"), Some(false))
    );
    let members = aws.store.members("alice-bob").await.unwrap();
    assert_eq!(members.len(), 1, "only alice is left: {members:?}");

    // A connection that vanished without $disconnect: the push gets 410 from
    // the gateway and the function forgets it.
    let ghost = ConnectionRecord {
        connection_id: "ghost".into(),
        user: User {
            user_id: "bob".into(),
            display_name: None,
            data: None,
        },
        user_token: aws.user_token("bob").into(),
        token_expires_at: u64::MAX / 2,
        endpoint: aws.gateway.url(),
        connected_at: ecb_engine::unix_now(),
        wire: Default::default(),
    };
    aws.store.put_connection(&ghost).await.unwrap();
    aws.store.join("alice-bob", &ghost.member()).await.unwrap();
    alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "anyone?" } }),
        )
        .await;
    let mut forgotten = false;
    for _ in 0..50 {
        if aws.store.get_connection("ghost").await.unwrap().is_none() {
            forgotten = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(forgotten, "the ghost connection was not removed after 410");
    let members: Vec<String> = aws
        .store
        .members("alice-bob")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.connection_id)
        .collect();
    assert!(!members.contains(&"ghost".to_owned()), "{members:?}");
    assert!(
        aws.store
            .connections_of_user("bob")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_api_function_serves_rest_and_the_server_api() {
    let aws = Serverless::start().await;
    let rest = aws.rest();
    let token = aws.thread_token("welcome", &["alice", "bob", "carol", "dave"]);
    let mut dave = aws
        .connect(&aws.user_token("dave"))
        .await
        .expect("dave connects");
    dave.ok("getThread", json!({ "threadToken": token })).await;

    let (status, body) = rest
        .call("getUserToken", None, &json!({ "accessToken": "carol" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let carol = body["result"]["userToken"].as_str().unwrap().to_owned();
    let (status, body) = rest
        .call("getContacts", Some(&carol), &json!({ "pageSize": 2 }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["result"]["nextPage"],
        json!({ "pageStartIndex": 2, "pageSize": 2 })
    );

    // A REST sendMessage reaches the WebSocket client through the Management API.
    let (status, body) = rest
        .call(
            "sendMessage",
            Some(&carol),
            &json!({ "threadToken": token, "message": { "type": "text", "data": "over REST" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dave.expect_push("message").await["message"], body["result"]);

    // Error statuses come through API Gateway unchanged.
    let (status, body) = rest.call("getThreads", Some("forged"), &json!({})).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = rest.call("fly", Some(&carol), &json!({})).await;
    assert_eq!(status, 404);

    // The server API.
    let server = aws.tokens.server_token();
    let message = json!({ "messageId": "sys-1", "threadId": "welcome", "senderId": "system", "type": "notice", "data": "hello" });
    let (status, body) = rest
        .call_server(
            "/v1/server/publish",
            &server,
            &json!({ "threadId": "welcome", "message": message }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["delivered"], 1);
    assert_eq!(dave.expect_push("message").await["message"], message);
    let (status, body) = rest
        .get("/v1/server/threads/welcome/presence", Some(&server))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["userIds"], json!(["dave"]));
    let (status, body) = rest
        .call_server(
            "/v1/server/disconnectUser",
            &server,
            &json!({ "userId": "dave" }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &body["result"]),
        (200, &json!({ "disconnected": 1 }))
    );
    dave.closed().await;
}

#[tokio::test]
async fn the_gateway_refuses_unsigned_management_calls_and_the_functions_sign_theirs() {
    let aws = Serverless::start().await;
    let token = aws.thread_token("alice-bob", &["alice", "bob"]);
    let mut alice = aws.connect(&aws.user_token("alice")).await.unwrap();
    let mut bob = aws.connect(&aws.user_token("bob")).await.unwrap();
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(alice.expect_push("presence").await["userId"], "bob");

    // Like API Gateway's endpoint, the gateway's answers no unsigned call.
    let [bob_connection] = &aws.store.connections_of_user("bob").await.unwrap()[..] else {
        panic!("bob has one connection");
    };
    let id = &bob_connection.connection_id;
    let gateway = aws.gateway.url();
    let staged = format!("{gateway}/{}", ecb_tests::serverless::STAGE);
    for base in [&gateway, &staged] {
        ecb_tests::assert_management_refused(&ecb_tests::connection_url(base, id)).await;
    }
    bob.expect_no_push("message", QUIET).await;

    // The functions sign theirs: the message function's push and response
    // (and the connect function's presence push above) arrive.
    let ack = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "signed" } }),
        )
        .await;
    assert_eq!(bob.expect_push("message").await["message"], ack);
}
