//! Connections cannot be held open for nothing: half-sent requests and
//! idle connections are closed, and one address or one user holds at most
//! so many at once.

use std::time::Duration;

use ecb_tests::eio_client::Polling;
use ecb_tests::{PATIENCE, SioClient, Stack, StackOptions, WsClient, raw_http};
use serde_json::json;

fn with_flags(flags: &[&str]) -> StackOptions {
    StackOptions {
        flags: flags.iter().map(|flag| (*flag).to_owned()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn half_sent_requests_are_closed_after_the_header_timeout() {
    let stack = Stack::with(with_flags(&["--header-timeout-ms", "300"])).await;
    let url = stack.ecb.url();
    let mut half_sent = Vec::new();
    for _ in 0..50 {
        let mut stream = raw_http::connect(&url).await;
        raw_http::write(&mut stream, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
        half_sent.push(stream);
    }
    let mut silent = raw_http::connect(&url).await;
    for stream in half_sent.iter_mut().chain([&mut silent]) {
        assert!(
            raw_http::closed_within(stream, PATIENCE).await,
            "a half-sent request is still open"
        );
    }
    // A whole request is answered as ever.
    let (status, _) = stack.rest().get("/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_body_that_stops_coming_is_closed_after_the_idle_timeout() {
    let stack = Stack::with(with_flags(&["--idle-timeout-s", "1"])).await;
    let mut stream = raw_http::connect(&stack.ecb.url()).await;
    let token = stack.user_token("alice");
    let head = format!(
        "POST /v1/getThreads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"pa"
    );
    raw_http::write(&mut stream, head.as_bytes()).await;
    assert!(raw_http::closed_within(&mut stream, PATIENCE).await);
}

#[tokio::test]
async fn one_address_holds_at_most_its_connections_and_sessions() {
    let stack = Stack::with(with_flags(&["--max-connections-per-ip", "4"])).await;
    let url = stack.ecb.url();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(raw_http::connect(&url).await);
    }
    let mut refused = raw_http::connect(&url).await;
    assert!(
        raw_http::closed_within(&mut refused, PATIENCE).await,
        "a fifth connection from one address stayed open"
    );
    drop(held.pop());
    // The place is given back once the server sees the connection go.
    let mut again = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut stream = raw_http::connect(&url).await;
        if !raw_http::closed_within(&mut stream, Duration::from_millis(100)).await {
            again = Some(stream);
            break;
        }
    }
    assert!(again.is_some(), "a freed place was not given back");
    drop(again);
    drop(held);

    // Polling sessions hold no connection between requests: they are
    // counted apart, with the same limit.
    let polling = Polling::new(&format!("{url}/socket.io/"));
    let mut sids = Vec::new();
    for _ in 0..4 {
        sids.push(polling.open().await);
    }
    let (status, body) = polling.get("EIO=4&transport=polling").await;
    assert_eq!(status, 429, "a fifth session from one address: {body}");
    polling.send(&sids[0], "1").await;
    let mut reopened = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if polling.get("EIO=4&transport=polling").await.0 == 200 {
            reopened = true;
            break;
        }
    }
    assert!(reopened, "a closed session's place was not given back");
}

#[tokio::test]
async fn one_user_holds_at_most_their_connections() {
    let stack = Stack::with(with_flags(&["--max-connections-per-user", "2"])).await;
    let url = stack.ecb.url();
    let alice = stack.user_token("alice");
    let first = stack.ws("alice").await;
    let _second = SioClient::connect(&url, &alice)
        .await
        .expect("second connects");
    assert_eq!(WsClient::connect(&url, &alice).await.err(), Some(429));
    let refused = SioClient::connect(&url, &alice)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    // Other users have their own.
    let mut bob = stack.ws("bob").await;
    bob.ok(
        "getPresence",
        json!({ "threadToken": stack.thread_token("welcome") }),
    )
    .await;
    first.close();
    let mut reconnected = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if WsClient::connect(&url, &alice).await.is_ok() {
            reconnected = true;
            break;
        }
    }
    assert!(
        reconnected,
        "a closed connection's place was not given back"
    );
}
