//! A drain, in process: while an operation is in flight at the backend, the
//! server stops being ready and refuses new work, then lets the operation
//! finish (its ack and its push arrive) and only then closes its sockets
//! with 1012, well within the drain time. A Socket.IO client on HTTP
//! long-polling, still sending as the drain closes its session, gets what
//! was queued for it and the close packet on its next poll.

use std::time::Duration;

use ecb_tests::ecb_process::get;
use ecb_tests::eio_client::Polling;
use ecb_tests::{Fault, PATIENCE, Stack, WsClient};
use serde_json::json;

#[tokio::test]
async fn a_drain_finishes_the_operation_in_flight_then_asks_clients_to_reconnect() {
    let stack = Stack::start().await;
    let url = stack.ecb.url();
    let mut alice = stack.ws("alice").await;
    let mut bob = stack.ws("bob").await;
    let welcome = json!({ "threadToken": stack.thread_token("welcome") });
    alice.ok("getThread", welcome.clone()).await;
    bob.ok("getThread", welcome.clone()).await;
    bob.drain_pushes();

    stack.faults.set(Fault::Slow(Duration::from_millis(600)));
    let mut message = welcome.clone();
    message["action"] = json!("sendMessage");
    message["requestId"] = json!("in-flight");
    message["message"] = json!({ "type": "text", "data": "sent before the signal" });
    alice.send_text(message.to_string());
    tokio::time::sleep(Duration::from_millis(100)).await;

    let alice_token = stack.user_token("alice");
    let Stack { ecb, faults, .. } = stack;
    let draining = tokio::spawn(ecb.drain());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        get(&format!("{url}/readyz")).await.0,
        503,
        "not ready while draining"
    );
    assert_eq!(get(&format!("{url}/healthz")).await.0, 200, "still alive");
    assert_eq!(
        WsClient::connect(&url, &alice_token).await.err(),
        Some(503),
        "no new connection while draining"
    );
    let (status, _) = ecb_tests::Rest::new(&url)
        .call("getThreads", Some(&alice_token), &json!({}))
        .await;
    assert_eq!(status, 503, "no new REST call while draining");

    let ack = alice.next_response().await;
    assert_eq!(ack["requestId"], "in-flight");
    assert_eq!(ack["ok"], true, "the operation in flight finished: {ack}");
    let push = bob.expect_push("message").await;
    assert_eq!(push["message"]["messageId"], ack["result"]["messageId"]);
    assert_eq!(alice.closed().await, Some(1012));
    assert_eq!(bob.closed().await, Some(1012));
    tokio::time::timeout(PATIENCE, draining)
        .await
        .expect("the drain ends in time")
        .unwrap();
    drop(faults);
}

#[tokio::test]
async fn a_polling_client_that_posts_while_its_session_closes_still_gets_its_last_packets() {
    let stack = Stack::start().await;
    let welcome = json!({ "threadToken": stack.thread_token("welcome") });
    let mut alice = stack.ws("alice").await;
    alice.ok("getThread", welcome.clone()).await;
    let bob = Polling::new(&format!("{}/socket.io/", stack.ecb.url()));
    let sid = bob.open().await;
    let token = stack.user_token("bob");
    assert_eq!(
        bob.send(&sid, &format!("40{}", json!({ "token": token })))
            .await,
        (200, "ok".into())
    );
    assert!(
        bob.poll(&sid).await.1.starts_with("40"),
        "bob joined the namespace"
    );
    let join = format!("420{}", json!(["getThread", welcome]));
    assert_eq!(bob.send(&sid, &join).await, (200, "ok".into()));
    assert!(
        bob.poll(&sid).await.1.contains("430[{\"ok\":true"),
        "bob is in the thread"
    );

    // Alice's message is acked and pushed to bob's queue; bob does not poll.
    let mut message = welcome.clone();
    message["message"] = json!({ "type": "text", "data": "before the drain" });
    let sent = alice.ok("sendMessage", message).await;
    let Stack { ecb, .. } = stack;
    let draining = tokio::spawn(ecb.drain());
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Bob has not seen the close yet and sends: taken (and dropped), not a
    // 400 that would make socket.io-client throw away its next poll.
    let late = format!("421{}", json!(["getThreads", {}]));
    assert_eq!(bob.send(&sid, &late).await, (200, "ok".into()));
    let (status, last) = bob.poll(&sid).await;
    assert_eq!(status, 200);
    let packets: Vec<&str> = last.split('\x1e').collect();
    assert_eq!(
        packets.last(),
        Some(&"1"),
        "the close packet comes last: {last}"
    );
    assert!(
        packets
            .iter()
            .any(|packet| packet.starts_with("42[\"message\"")
                && packet.contains(sent["messageId"].as_str().unwrap())),
        "the queued push comes before it: {last}"
    );
    tokio::time::timeout(PATIENCE, draining)
        .await
        .expect("the drain ends in time")
        .unwrap();
}
