//! Broken input gets the status its protocol names: RFC 6455 close codes
//! on a WebSocket, the envelope's `payload_too_large` for a REST body too
//! large, decided before the body is read.

use ecb_tests::{PATIENCE, Stack, raw_http};

/// A text frame that is not UTF-8, an unmasked frame (clients must mask),
/// a message over the transport's limit: each with the close code RFC 6455
/// gives it.
#[tokio::test]
async fn broken_websocket_frames_close_with_their_rfc_6455_codes() {
    let stack = Stack::start().await;
    let url = stack.ecb.url();
    let token = stack.user_token("alice");
    let too_big = vec![b' '; 1_100_000];
    let cases: [(&str, Vec<u8>, u16); 3] = [
        (
            "invalid UTF-8",
            raw_http::frame(1, &[0xff, 0xfe], true),
            1007,
        ),
        ("unmasked", raw_http::frame(1, b"{}", false), 1002),
        ("too big", raw_http::frame(1, &too_big, true), 1009),
    ];
    for (why, frame, code) in cases {
        let mut raw = raw_http::websocket(&url, &format!("/ws?token={token}")).await;
        raw_http::write(&mut raw, &frame).await;
        assert_eq!(
            raw_http::close_code(&mut raw).await,
            Some(code),
            "/ws: {why}"
        );
        let mut eio = raw_http::websocket(&url, "/socket.io/?EIO=4&transport=websocket").await;
        raw_http::write(&mut eio, &frame).await;
        assert_eq!(
            raw_http::close_code(&mut eio).await,
            Some(code),
            "/socket.io/: {why}"
        );
    }
}

#[tokio::test]
async fn rest_bodies_over_the_limit_get_the_envelope_before_they_are_read() {
    let stack = Stack::start().await;
    let token = stack.user_token("alice");
    // Three megabytes: past what the body layer used to refuse in plain text.
    let (status, body) = stack
        .rest()
        .post_raw("/v1/getThreads", Some(&token), vec![b' '; 3 << 20])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // A declared length over the limit is answered at once, with no body sent.
    let mut stream = raw_http::connect(&stack.ecb.url()).await;
    let head = format!(
        "POST /v1/getThreads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
    );
    raw_http::write(&mut stream, head.as_bytes()).await;
    let response = tokio::time::timeout(PATIENCE, raw_http::read_response(&mut stream))
        .await
        .expect("answered without the body");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains(r#""code":"payload_too_large""#),
        "{response}"
    );
}
