//! ECB bridges what the backend stores: a backend with its own models (the
//! original ECB's field names, ISO dates, nulls, nested extras, its own
//! paging) chats through ECB on every transport, and every result and push
//! carries what it stored byte for byte.

use ecb_tests::{
    Fault, OriginalBackend, QUIET, Serverless, SioClient, Stack, StackOptions, WsClient,
};
use serde_json::{Value, json};

/// JSON text as ECB's clients receive it (object order is kept on both sides).
fn text(value: &Value) -> String {
    value.to_string()
}

/// The items of a page or list the backend answered.
fn items_of(answer: &str) -> String {
    let answer: Value = serde_json::from_str(answer).unwrap();
    match answer {
        Value::Array(_) => text(&answer),
        page => text(&page["items"]),
    }
}

fn first_message(answer: &str) -> String {
    let answer: Value = serde_json::from_str(answer).unwrap();
    text(&answer["messages"][0])
}

#[tokio::test]
async fn every_local_transport_carries_what_the_backend_stored() {
    let backend = OriginalBackend::start().await;
    let stack = Stack::with(StackOptions {
        backend_url: Some(backend.url()),
        ..Default::default()
    })
    .await;
    let rest = stack.rest();

    // getUserToken over REST: the backend's token as it sent it.
    let (status, body) = rest
        .call("getUserToken", None, &json!({ "accessToken": "alice" }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        text(&body["result"]),
        backend.last_answer("getUserToken"),
        "the userToken answer passes through"
    );
    let alice_token = body["result"]["userToken"].as_str().unwrap().to_owned();
    let bob_token = backend.user_token("bob");
    let carol_token = backend.user_token("carol");

    let mut alice = WsClient::connect(&stack.ecb.url(), &alice_token)
        .await
        .expect("alice connects over /ws");
    let mut bob = SioClient::connect(&stack.ecb.url(), &bob_token)
        .await
        .expect("bob connects over Socket.IO");

    // createThread over /ws: the whole threadAndMessages, extras and all.
    let created = alice
        .ok(
            "createThread",
            json!({ "memberIds": ["bob", "carol"], "data": { "title": "Pass through" },
                    "message": { "clientMessageId": "c-1", "type": "text", "data": { "text": "first", "mentions": null } } }),
        )
        .await;
    assert_eq!(text(&created), backend.last_answer("createThread"));
    assert!(created["messages"][0].get("threadId").is_none());
    assert_eq!(created["thread"]["members"][0]["userId"], "alice");
    let token = created["thread"]["threadToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // getThread over Socket.IO.
    let opened = bob.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(text(&opened), backend.last_answer("getThread"));

    // sendMessage over each transport; the ack and every push are the stored message.
    let ack = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "clientMessageId": "a-1", "type": "text", "data": "from /ws" } }),
        )
        .await;
    let stored = backend.last_stored_message();
    assert_eq!(text(&ack), stored);
    assert!(stored.contains(r#""createdAt":"2026-12-02T"#), "{stored}");
    let push = bob.expect_event("message").await;
    assert_eq!(text(&push["message"]), stored);
    assert_eq!(push["threadId"], created["thread"]["threadId"]);

    let ack = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "from Socket.IO" } }),
        )
        .await;
    let stored = backend.last_stored_message();
    assert_eq!(text(&ack), stored);
    assert_eq!(text(&alice.expect_push("message").await["message"]), stored);

    let (status, body) = rest
        .call(
            "sendMessage",
            Some(&carol_token),
            &json!({ "threadToken": token, "message": { "clientMessageId": "r-1", "type": "text", "data": "from REST" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let stored = backend.last_stored_message();
    assert_eq!(text(&body["result"]), stored);
    assert_eq!(text(&alice.expect_push("message").await["message"]), stored);
    assert_eq!(text(&bob.expect_event("message").await["message"]), stored);

    // A resend with the same clientMessageId: the backend replays its answer
    // and ECB hands back exactly the first stored message.
    let (_, again) = rest
        .call(
            "sendMessage",
            Some(&carol_token),
            &json!({ "threadToken": token, "message": { "clientMessageId": "r-1", "type": "text", "data": "from REST" } }),
        )
        .await;
    assert_eq!(text(&again["result"]), stored);
    // Pushes are at-least-once across resends: the replay is pushed again,
    // identical, and clients drop it by its messageId.
    assert_eq!(text(&alice.expect_push("message").await["message"]), stored);
    assert_eq!(text(&bob.expect_event("message").await["message"]), stored);

    // Lists: contacts the backend paged itself pass through whole (its
    // totalCount too); threads it returned as an array ECB pages, items unchanged.
    let contacts = alice
        .ok(
            "getContacts",
            json!({ "pageStartIndex": 0, "pageSize": 10 }),
        )
        .await;
    assert_eq!(text(&contacts), backend.last_answer("getContacts"));
    assert_eq!(contacts["totalCount"], 2);
    let contacts = bob
        .ok(
            "getContacts",
            json!({ "pageStartIndex": 0, "pageSize": 10 }),
        )
        .await;
    assert_eq!(text(&contacts), backend.last_answer("getContacts"));
    let threads = bob
        .ok("getThreads", json!({ "pageStartIndex": 0, "pageSize": 10 }))
        .await;
    assert_eq!(
        text(&threads["items"]),
        items_of(&backend.last_answer("getThreads"))
    );
    assert_eq!(threads["nextPage"], Value::Null);
    let (_, threads) = rest
        .call("getThreads", Some(&carol_token), &json!({}))
        .await;
    assert_eq!(
        text(&threads["result"]["items"]),
        items_of(&backend.last_answer("getThreads"))
    );

    // The server API publishes a message in the backend's own model.
    let published = json!({ "messageId": "bot-1", "fromUserId": "bot", "creationTime": 1764694999,
                             "createdAt": "2026-12-02T17:09:59.000Z", "type": "card",
                             "data": { "blocks": [ { "kind": "text", "value": null } ] }, "score": 1.5e-3 });
    let thread_id = created["thread"]["threadId"].clone();
    let (status, body) = rest
        .call_server(
            "/v1/server/publish",
            &stack.tokens.server_token(),
            &json!({ "threadId": thread_id, "message": published }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &body["result"]["delivered"]),
        (200, &json!(2)),
        "{body}"
    );
    assert_eq!(
        text(&alice.expect_push("message").await["message"]),
        text(&published)
    );
    assert_eq!(
        text(&bob.expect_event("message").await["message"]),
        text(&published)
    );
    alice.expect_no_push("message", QUIET).await;
}

#[tokio::test]
async fn malformed_backend_answers_are_still_refused() {
    let stack = Stack::start().await;
    let mut alice = stack.ws("alice").await;
    let thread_token = stack.thread_token("welcome");
    let good_thread = json!({ "threadId": "welcome", "threadToken": thread_token });
    let foreign_token = stack.thread_token("alice-bob");
    let send = json!({ "threadToken": thread_token, "message": { "type": "text", "data": "x" } });
    for (answer, why) in [
        ("not json".to_owned(), "not JSON"),
        (json!({ "thread": { "threadId": "welcome" }, "messages": [] }).to_string(), "no threadToken"),
        (json!({ "thread": { "threadId": "welcome", "threadToken": "forged" }, "messages": [] }).to_string(), "a threadToken that does not verify"),
        (json!({ "thread": { "threadId": "welcome", "threadToken": foreign_token }, "messages": [] }).to_string(), "a threadToken of another thread"),
        (json!({ "thread": good_thread, "messages": {} }).to_string(), "messages not an array"),
        (json!({ "thread": good_thread, "messages": [{ "id": "m1" }] }).to_string(), "no messageId"),
        (json!({ "thread": good_thread, "messages": [{ "messageId": 12 }] }).to_string(), "a numeric messageId"),
        (json!({ "thread": good_thread, "messages": [{ "messageId": "m", "threadId": "elsewhere" }] }).to_string(), "a message of another thread"),
    ] {
        stack.faults.set(Fault::Body(answer));
        assert_eq!(
            alice.error_code("sendMessage", send.clone()).await,
            "backend_invalid_response",
            "{why}"
        );
    }
    stack.faults.set(Fault::Body(
        json!({ "thread": good_thread, "messages": [{ "messageId": "m", "text": "ok" }] })
            .to_string(),
    ));
    assert_eq!(
        alice.ok("sendMessage", send).await,
        json!({ "messageId": "m", "text": "ok" }),
        "the same connection still works"
    );
}

#[tokio::test]
async fn the_lambda_functions_carry_what_the_backend_stored() {
    let backend = OriginalBackend::start().await;
    let aws = Serverless::with_backend(Some(backend.url())).await;
    let mut alice = aws
        .connect(&backend.user_token("alice"))
        .await
        .expect("alice");
    let mut bob = aws.connect(&backend.user_token("bob")).await.expect("bob");
    let created = alice
        .ok(
            "createThread",
            json!({ "memberIds": ["bob"], "data": { "title": "On Lambda" },
                    "message": { "type": "text", "data": "first" } }),
        )
        .await;
    assert_eq!(text(&created), backend.last_answer("createThread"));
    let token = created["thread"]["threadToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let opened = bob.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(text(&opened), backend.last_answer("getThread"));
    let ack = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "over API Gateway" } }),
        )
        .await;
    let stored = backend.last_stored_message();
    assert_eq!(text(&ack), stored);
    assert_eq!(text(&bob.expect_push("message").await["message"]), stored);

    let (status, body) = aws
        .rest()
        .call("getContacts", Some(&backend.user_token("bob")), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(text(&body["result"]), backend.last_answer("getContacts"));
    assert_eq!(
        first_message(&backend.last_answer("createThread")),
        text(&created["messages"][0])
    );
}
