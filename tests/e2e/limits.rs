//! Limits and bad input: the right code, and the connection stays usable.

use std::time::Duration;

use ecb_tests::{Stack, StackOptions, WsClient};
use serde_json::json;

#[tokio::test]
async fn bad_frames_get_clear_errors_and_the_connection_stays_open() {
    let stack = Stack::start().await;
    let mut alice = stack.ws("alice").await;
    let presence = json!({ "threadToken": stack.thread_token("welcome") });

    alice.send_text("{not json");
    let response = alice.next_response().await;
    assert_eq!(response["error"]["code"], "bad_request");
    assert_eq!(response["requestId"], json!(null));

    alice.send_text(r#"{"requestId":"r-9","threadToken":"x"}"#);
    let response = alice.next_response().await;
    assert_eq!(
        (
            response["requestId"].as_str(),
            response["error"]["code"].as_str()
        ),
        (Some("r-9"), Some("bad_request"))
    );

    alice.send_binary(vec![1, 2, 3]);
    assert_eq!(alice.next_response().await["error"]["code"], "bad_request");

    assert_eq!(alice.error_code("fly", json!({})).await, "unknown_action");
    assert_eq!(
        alice.error_code("getThread", json!({})).await,
        "bad_request"
    );
    assert_eq!(
        alice
            .error_code("getThread", json!({ "threadToken": 7 }))
            .await,
        "bad_request"
    );

    let oversized =
        json!({ "action": "getPresence", "requestId": "big", "padding": "x".repeat(40_000) });
    alice.send_text(oversized.to_string());
    let response = alice.next_response().await;
    assert_eq!(
        (
            response["requestId"].as_str(),
            response["error"]["code"].as_str()
        ),
        (Some("big"), Some("payload_too_large"))
    );

    // After all that, the same connection still works.
    alice.ok("getPresence", presence).await;
    assert!(stack.backend_calls().is_empty());
}

#[tokio::test]
async fn rest_maps_bad_input_to_statuses() {
    let stack = Stack::start().await;
    let rest = stack.rest();
    let alice = stack.user_token("alice");
    let (status, body) = rest.call("fly", Some(&alice), &json!({})).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("unknown_action"))
    );
    let (status, body) = rest
        .post_raw("/v1/getThreads", Some(&alice), b"{oops".to_vec())
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let (status, body) = rest
        .post_raw("/v1/getThreads", Some(&alice), vec![b' '; 40_000])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let (status, body) = rest.get("/nowhere", None).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("unknown_action"))
    );
}

#[tokio::test]
async fn over_the_rate_operations_are_refused_then_allowed_again() {
    let stack = Stack::with(StackOptions {
        flags: vec!["--rate-limit".into(), "5".into()],
        ..Default::default()
    })
    .await;
    let mut alice = stack.ws("alice").await;
    let presence = json!({ "threadToken": stack.thread_token("welcome") });
    let mut codes = Vec::new();
    for _ in 0..10 {
        let response = alice.request("getPresence", presence.clone()).await;
        codes.push(
            response["error"]["code"]
                .as_str()
                .unwrap_or("ok")
                .to_owned(),
        );
    }
    assert!(codes[..5].iter().all(|c| c == "ok"), "{codes:?}");
    assert!(codes.iter().any(|c| c == "rate_limited"), "{codes:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    alice.ok("getPresence", presence).await;
    // Another connection has its own budget.
    let mut bob = stack.ws("bob").await;
    bob.ok(
        "getPresence",
        json!({ "threadToken": stack.thread_token("welcome") }),
    )
    .await;
}

#[tokio::test]
async fn foreign_origins_are_refused_when_origins_are_configured() {
    let stack = Stack::with(StackOptions {
        flags: vec![
            "--allowed-origins".into(),
            "https://app.example,https://admin.example".into(),
        ],
        ..Default::default()
    })
    .await;
    let url = stack.ecb.url();
    let token = stack.user_token("alice");
    assert!(
        WsClient::connect_with_origin(&url, &token, Some("https://app.example"))
            .await
            .is_ok()
    );
    assert!(
        WsClient::connect_with_origin(&url, &token, None)
            .await
            .is_ok()
    );
    assert_eq!(
        WsClient::connect_with_origin(&url, &token, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    let client = reqwest::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, format!("{url}/v1/getThreads"))
        .header("origin", "https://admin.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("https://admin.example")
    );
    let foreign = client
        .post(format!("{url}/v1/getThreads"))
        .header("origin", "https://evil.example")
        .bearer_auth(&token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
}

#[tokio::test]
async fn stopping_the_server_asks_connections_to_reconnect() {
    let stack = Stack::start().await;
    let mut alice = stack.ws("alice").await;
    alice
        .ok(
            "getPresence",
            json!({ "threadToken": stack.thread_token("welcome") }),
        )
        .await;
    let Stack { ecb, .. } = stack;
    ecb.stop().await;
    assert_eq!(alice.closed().await, Some(1012), "service restart");
}
