//! A backend that is down, slow, failing, refusing or talking nonsense: the
//! caller gets the right code, nobody is pushed anything, and the connection
//! and the server keep working.

use std::time::Duration;

use ecb_tests::fault_backend::dead_url;
use ecb_tests::{Fault, QUIET, Stack, StackOptions};
use serde_json::json;

#[tokio::test]
async fn each_backend_fault_maps_to_its_code_and_pushes_nothing() {
    let stack = Stack::with(StackOptions {
        flags: vec!["--backend-timeout-ms".into(), "300".into()],
        ..Default::default()
    })
    .await;
    let token = stack.thread_token("alice-bob");
    let mut alice = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    bob.drain_pushes();
    let rest = stack.rest();
    let alice_token = stack.user_token("alice");
    let send =
        json!({ "threadToken": token, "message": { "type": "text", "data": "are you there?" } });

    let forged_thread = json!({
        "thread": { "threadId": "alice-bob", "threadToken": "not-a-token", "memberIds": ["alice", "bob"] },
        "messages": [{ "messageId": "m", "threadId": "alice-bob", "senderId": "alice", "type": "text", "data": 1 }]
    });
    let cases = [
        ("slow past the timeout", Fault::Slow(Duration::from_secs(2)), "backend_unavailable", 504),
        ("5xx", Fault::Status(503, "busy".into()), "backend_unavailable", 502),
        ("4xx", Fault::Status(409, r#"{"error":{"code":"archived","message":"thread archived"}}"#.into()), "backend_rejected", 409),
        ("4xx without a body", Fault::Status(404, String::new()), "backend_rejected", 404),
        ("malformed JSON", Fault::Body("{not json".into()), "backend_invalid_response", 502),
        ("the wrong shape", Fault::Body(r#"{"hello":"world"}"#.into()), "backend_invalid_response", 502),
        ("a thread with a forged threadToken", Fault::Body(forged_thread.to_string()), "backend_invalid_response", 502),
        ("no message", Fault::Body(json!({ "thread": { "threadId": "alice-bob", "threadToken": token, "memberIds": ["alice","bob"] }, "messages": [] }).to_string()), "backend_invalid_response", 502),
    ];
    for (why, fault, code, status) in cases {
        stack.faults.set(fault);
        let response = alice.request("sendMessage", send.clone()).await;
        assert_eq!(
            response["error"]["code"], code,
            "a backend that is {why}: {response}"
        );
        let (rest_status, body) = rest.call("sendMessage", Some(&alice_token), &send).await;
        assert_eq!(
            rest_status, status,
            "REST status for a backend that is {why}"
        );
        assert_eq!(body["error"]["code"], code);
        bob.expect_no_push("message", QUIET).await;
        if why == "4xx" {
            assert_eq!(
                response["error"]["backend"],
                json!({ "code": "archived", "message": "thread archived" })
            );
            assert_eq!(response["error"]["message"], "thread archived");
        }

        // Recovered backend: the same connection works at once.
        stack.faults.set(Fault::None);
        let ack = alice.ok("sendMessage", send.clone()).await;
        assert_eq!(bob.expect_push("message").await["message"], ack);
    }
}

#[tokio::test]
async fn a_backend_that_is_down_is_unavailable_and_ecb_stays_up() {
    let stack = Stack::with(StackOptions {
        backend_url: Some(dead_url().await),
        ..Default::default()
    })
    .await;
    let mut alice = stack.ws("alice").await;
    for _ in 0..3 {
        assert_eq!(
            alice.error_code("getThreads", json!({})).await,
            "backend_unavailable"
        );
    }
    let (status, body) = stack
        .rest()
        .call("getThreads", Some(&stack.user_token("alice")), &json!({}))
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (502, Some("backend_unavailable"))
    );
    // Operations that need no backend still work on the same connection.
    let presence = alice
        .ok(
            "getPresence",
            json!({ "threadToken": stack.thread_token("welcome") }),
        )
        .await;
    assert_eq!(presence["threadId"], "welcome");
    let (status, _) = stack.rest().get("/healthz", None).await;
    assert_eq!(status, 200);
}
