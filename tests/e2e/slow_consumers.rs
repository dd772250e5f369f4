//! A client that reads slower than it is pushed to is told to resync, not
//! left open with a silent gap: a raw WebSocket is closed with 4000, a
//! Socket.IO session ends (WebSocket 1013) so socket.io-client reconnects.

use ecb_tests::{SlowReader, Stack};
use serde_json::json;

/// More pushes than the server queues for one connection (1024), each big
/// enough that the network holds few of them.
const PUSHES: usize = 2000;
const PUSH_PADDING: usize = 4096;

/// Publishes `PUSHES` messages to the welcome thread, a few at a time.
async fn flood_welcome(stack: &Stack) {
    let rest = stack.rest();
    let server_token = stack.tokens.server_token();
    let padding = "x".repeat(PUSH_PADDING);
    for batch in 0..PUSHES / 8 {
        let publishes = (0..8).map(|i| {
            let message = json!({
                "messageId": format!("m-{batch}-{i}"),
                "threadId": "welcome",
                "type": "text",
                "data": padding,
            });
            let rest = rest.clone();
            let server_token = server_token.clone();
            async move {
                let (status, body) = rest
                    .call_server(
                        "/v1/server/publish",
                        &server_token,
                        &json!({ "threadId": "welcome", "message": message }),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
            }
        });
        futures_util::future::join_all(publishes).await;
    }
}

fn ws_url(stack: &Stack, path_and_query: &str) -> String {
    format!(
        "{}{path_and_query}",
        stack.ecb.url().replacen("http", "ws", 1)
    )
}

#[tokio::test]
async fn a_raw_websocket_that_reads_too_slowly_is_told_to_resync() {
    let stack = Stack::start().await;
    let token = stack.user_token("alice");
    let mut alice = SlowReader::connect(&ws_url(&stack, &format!("/ws?token={token}"))).await;
    let join = json!({ "action": "getThread", "requestId": 1, "threadToken": stack.thread_token("welcome") });
    alice.send_text(&join.to_string()).await;
    alice
        .next_text_where(|text| text.contains(r#""type":"response""#))
        .await;
    // Alice stops reading while the pushes pile up.
    flood_welcome(&stack).await;
    let drained = alice.drain().await;
    let pushes = drained
        .texts
        .iter()
        .filter(|text| text.contains(r#""type":"message""#))
        .count();
    assert_eq!(drained.close_code, Some(4000), "after {pushes} pushes");
    assert!(pushes < PUSHES, "every push arrived: nothing was slow");
    // Reconnecting works at once.
    let mut again = stack.ws("alice").await;
    again
        .ok(
            "getPresence",
            json!({ "threadToken": stack.thread_token("welcome") }),
        )
        .await;
}

#[tokio::test]
async fn a_socket_io_client_that_reads_too_slowly_is_disconnected_to_reconnect() {
    let stack = Stack::start().await;
    let mut alice =
        SlowReader::connect(&ws_url(&stack, "/socket.io/?EIO=4&transport=websocket")).await;
    assert!(alice.next_text().await.starts_with('0'), "the handshake");
    let connect = format!("40{}", json!({ "token": stack.user_token("alice") }));
    alice.send_text(&connect).await;
    assert!(
        alice.next_text().await.starts_with("40"),
        "joined the namespace"
    );
    let join = json!(["getThread", { "threadToken": stack.thread_token("welcome") }]);
    alice.send_text(&format!("421{join}")).await;
    alice.next_text_where(|text| text.starts_with("431")).await;
    flood_welcome(&stack).await;
    let drained = alice.drain().await;
    let pushes = drained
        .texts
        .iter()
        .filter(|text| text.starts_with(r#"42["message""#))
        .count();
    assert_eq!(drained.close_code, Some(1013), "after {pushes} pushes");
    assert!(pushes < PUSHES, "every push arrived: nothing was slow");
    // Not a Socket.IO DISCONNECT, which would tell socket.io-client not to
    // reconnect.
    assert!(!drained.texts.iter().any(|text| text.starts_with("41")));
}
