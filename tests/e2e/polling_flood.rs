//! Polling POSTs get the same backpressure as WebSocket frames: a flood of
//! packets before authentication costs the server a bounded queue, not a
//! gigabyte, and the server goes on serving everyone else.

use ecb_tests::Stack;
use ecb_tests::eio_client::Polling;
use serde_json::json;

/// About one body's worth (1 MB, Engine.IO's default limit) of CONNECT
/// packets with a bad token: the finding's flood.
fn flood_body() -> String {
    let packet = format!("40{}", json!({ "token": "x" }));
    vec![packet; 60_000].join("\u{1e}")
}

#[tokio::test]
async fn a_polling_flood_before_authentication_is_bounded() {
    let stack = Stack::start().await;
    let polling = Polling::new(&format!("{}/socket.io/", stack.ecb.url()));
    let sid = polling.open().await;
    let body = flood_body();
    let mut accepted = 0;
    for _ in 0..10 {
        match polling.try_send(&sid, &body).await {
            Ok((200, _)) => accepted += 1,
            // The session was closed for what it piled up: the flood ends here.
            Ok((400, _)) | Err(_) => break,
            Ok(other) => panic!("unexpected answer to a POST: {other:?}"),
        }
    }
    assert!(accepted < 10, "the session took ten floods without closing");
    // Whatever the session still holds for its client is bounded: a poll
    // finds it closed, or at most one queue's worth of answers.
    let (status, answer) = polling.poll(&sid).await;
    assert!(
        status == 400 || answer.len() < 1024 * 256,
        "a poll returned {} bytes",
        answer.len()
    );
    // Everyone else is still served.
    let mut alice = stack.ws("alice").await;
    alice
        .ok(
            "getPresence",
            json!({ "threadToken": stack.thread_token("welcome") }),
        )
        .await;
}
