//! Engine.IO v4 behaviours, as the official suite checks them.
//!
//! Every case of socketio/engine.io-protocol's test suite, against the
//! conformance echo server at `/engine.io/` (ping interval 300 ms, ping
//! timeout 200 ms): the same requests and frames, the same exact answers.

use std::time::Duration;

use ecb_tests::conformance::ConformanceServer;
use ecb_tests::eio_client::{EioSocket, Frame, Polling, keys, open_packet};
use reqwest::Method;
use serde_json::json;

/// Ping interval plus ping timeout: a silent session is dead by then.
const PING_DEADLINE: Duration = Duration::from_millis(300 + 200);

const HANDSHAKE_KEYS: [&str; 5] = [
    "maxPayload",
    "pingInterval",
    "pingTimeout",
    "sid",
    "upgrades",
];

/// A polling session on a fresh echo server.
async fn polling_session() -> (ConformanceServer, Polling, String) {
    let server = ConformanceServer::engine_io().await;
    let polling = server.polling();
    let sid = polling.open().await;
    (server, polling, sid)
}

/// A WebSocket session on a fresh echo server, past its handshake.
async fn websocket_session() -> (ConformanceServer, EioSocket) {
    let server = ConformanceServer::engine_io().await;
    let mut socket = server.open_websocket().await;
    socket.handshake().await;
    (server, socket)
}

/// Asserts a WebSocket to `query` is refused: an HTTP error to the upgrade,
/// or an accepted upgrade closed without a handshake.
async fn assert_websocket_refused(server: &ConformanceServer, query: &str) {
    match server.websocket(query).await {
        Err(status) => assert_eq!(status, 400, "?{query}"),
        Ok(mut socket) => {
            socket.closed().await;
            assert_eq!(socket.next_frame(Duration::ZERO).await, None, "?{query}");
        }
    }
}

/// A polling session whose WebSocket has sent `2probe` and `5` back to back.
async fn upgraded_session() -> (ConformanceServer, Polling, String, EioSocket) {
    let (server, polling, sid) = polling_session().await;
    let mut socket = server
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await
        .expect("the upgrade is accepted");
    socket.send_text("2probe").await;
    socket.send_text("5").await;
    (server, polling, sid, socket)
}

// ---- handshake over HTTP long-polling ----

#[tokio::test]
async fn polling_handshake_opens_a_session_with_the_suite_settings() {
    let server = ConformanceServer::engine_io().await;
    let (status, body) = server.polling().get("EIO=4&transport=polling").await;
    assert_eq!(status, 200, "{body}");
    let open = open_packet(&body);
    assert_eq!(keys(&open), HANDSHAKE_KEYS);
    assert!(open["sid"].is_string(), "{open}");
    assert_eq!(open["upgrades"], json!(["websocket"]));
    assert_eq!(open["pingInterval"], json!(300));
    assert_eq!(open["pingTimeout"], json!(200));
    assert_eq!(open["maxPayload"], json!(1_000_000));
}

#[tokio::test]
async fn polling_handshake_without_eio_4_is_refused() {
    let server = ConformanceServer::engine_io().await;
    let polling = server.polling();
    assert_eq!(polling.get("transport=polling").await.0, 400);
    assert_eq!(polling.get("EIO=abc&transport=polling").await.0, 400);
}

#[tokio::test]
async fn polling_handshake_without_a_known_transport_is_refused() {
    let server = ConformanceServer::engine_io().await;
    let polling = server.polling();
    assert_eq!(polling.get("EIO=4").await.0, 400);
    assert_eq!(polling.get("EIO=4&transport=abc").await.0, 400);
}

#[tokio::test]
async fn polling_handshake_other_than_get_is_refused() {
    let server = ConformanceServer::engine_io().await;
    let polling = server.polling();
    let query = "EIO=4&transport=polling";
    assert_eq!(polling.request(Method::POST, query, "").await.0, 400);
    assert_eq!(polling.request(Method::PUT, query, "").await.0, 400);
}

// ---- handshake over WebSocket ----

#[tokio::test]
async fn websocket_handshake_opens_a_session_without_upgrades() {
    let server = ConformanceServer::engine_io().await;
    let mut socket = server.open_websocket().await;
    let open = socket.handshake().await;
    assert_eq!(keys(&open), HANDSHAKE_KEYS);
    assert!(open["sid"].is_string(), "{open}");
    assert_eq!(open["upgrades"], json!([]));
    assert_eq!(open["pingInterval"], json!(300));
    assert_eq!(open["pingTimeout"], json!(200));
    assert_eq!(open["maxPayload"], json!(1_000_000));
    socket.close().await;
}

#[tokio::test]
async fn websocket_handshake_without_eio_4_is_refused() {
    let server = ConformanceServer::engine_io().await;
    assert_websocket_refused(&server, "transport=websocket").await;
    assert_websocket_refused(&server, "EIO=abc&transport=websocket").await;
}

#[tokio::test]
async fn websocket_handshake_without_a_known_transport_is_refused() {
    let server = ConformanceServer::engine_io().await;
    assert_websocket_refused(&server, "EIO=4").await;
    assert_websocket_refused(&server, "EIO=4&transport=abc").await;
}

// ---- messages over HTTP long-polling ----

#[tokio::test]
async fn polling_echoes_one_text_packet() {
    let (_server, polling, sid) = polling_session().await;
    assert_eq!(polling.send(&sid, "4hello").await, (200, "ok".into()));
    assert_eq!(polling.poll(&sid).await, (200, "4hello".into()));
}

#[tokio::test]
async fn polling_echoes_several_text_packets_in_one_payload() {
    let (_server, polling, sid) = polling_session().await;
    let payload = "4test1\x1e4test2\x1e4test3";
    assert_eq!(polling.send(&sid, payload).await, (200, "ok".into()));
    assert_eq!(polling.poll(&sid).await, (200, payload.into()));
}

#[tokio::test]
async fn polling_echoes_text_and_binary_packets() {
    let (_server, polling, sid) = polling_session().await;
    let payload = "4hello\x1ebAQIDBA==";
    assert_eq!(polling.send(&sid, payload).await, (200, "ok".into()));
    assert_eq!(polling.poll(&sid).await, (200, payload.into()));
}

#[tokio::test]
async fn polling_invalid_packet_format_closes_the_session() {
    let (_server, polling, sid) = polling_session().await;
    // Like the suite, a dropped request is as good as a 400.
    if let Ok((status, body)) = polling.try_send(&sid, "abc").await {
        assert_eq!(status, 400, "{body}");
    }
    assert_eq!(polling.poll(&sid).await.0, 400);
}

#[tokio::test]
async fn polling_duplicate_polls_close_the_session() {
    let (_server, polling, sid) = polling_session().await;
    let first = tokio::spawn({
        let (polling, sid) = (polling.clone(), sid.clone());
        async move { polling.poll(&sid).await }
    });
    // The suite's 5 ms head start for the first poll; the second must still
    // overlap it (nothing is due before the first ping at 300 ms).
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (second, _) = polling
        .get(&format!("EIO=4&transport=polling&sid={sid}&t=burst"))
        .await;
    assert_eq!(second, 400, "second poll");
    assert_eq!(first.await.expect("first poll"), (200, "1".into()));
    assert_eq!(polling.poll(&sid).await.0, 400);
}

// ---- messages over WebSocket ----

#[tokio::test]
async fn websocket_echoes_a_text_packet() {
    let (_server, mut socket) = websocket_session().await;
    socket.send_text("4hello").await;
    assert_eq!(socket.next_non_ping().await, Frame::text("4hello"));
}

#[tokio::test]
async fn websocket_echoes_a_binary_packet() {
    let (_server, mut socket) = websocket_session().await;
    socket.send_binary(&[1, 2, 3, 4]).await;
    assert_eq!(socket.next_non_ping().await, Frame::binary(&[1, 2, 3, 4]));
}

#[tokio::test]
async fn websocket_invalid_packet_format_closes_the_connection() {
    let (_server, mut socket) = websocket_session().await;
    socket.send_text("abc").await;
    socket.closed_answering_pings().await;
}

// ---- heartbeat ----

#[tokio::test]
async fn polling_heartbeat_delivers_pings_and_accepts_pongs() {
    let (_server, polling, sid) = polling_session().await;
    polling.ping_pong(&sid, 3).await;
}

#[tokio::test]
async fn polling_session_is_gone_once_a_ping_goes_unanswered() {
    let (_server, polling, sid) = polling_session().await;
    // Measured from the handshake's answer: the server's clock started
    // before it, so its 300 + 200 ms are up when this poll is sent.
    tokio::time::sleep(PING_DEADLINE).await;
    assert_eq!(polling.poll(&sid).await.0, 400);
}

#[tokio::test]
async fn websocket_heartbeat_delivers_pings_and_accepts_pongs() {
    let (_server, mut socket) = websocket_session().await;
    for round in 1..=3 {
        assert_eq!(
            socket.expect_frame().await,
            Frame::text("2"),
            "round {round}"
        );
        socket.send_text("3").await;
    }
    assert!(!socket.is_closed());
}

#[tokio::test]
async fn websocket_is_closed_once_a_ping_goes_unanswered() {
    let (_server, mut socket) = websocket_session().await;
    assert_eq!(socket.expect_frame().await, Frame::text("2"));
    socket.closed().await;
    assert_eq!(socket.next_frame(Duration::ZERO).await, None);
}

// ---- close ----

#[tokio::test]
async fn polling_close_packet_answers_the_pending_poll_with_noop_and_ends_the_session() {
    let (_server, polling, sid) = polling_session().await;
    let (poll, _) = tokio::join!(polling.poll(&sid), polling.try_send(&sid, "1"));
    assert_eq!(poll, (200, "6".into()));
    assert_eq!(polling.poll(&sid).await.0, 400);
}

#[tokio::test]
async fn websocket_close_packet_closes_the_connection() {
    let (_server, mut socket) = websocket_session().await;
    socket.send_text("1").await;
    socket.closed_answering_pings().await;
}

// ---- upgrade ----

#[tokio::test]
async fn upgrade_from_polling_to_websocket_succeeds() {
    let (server, polling, sid) = polling_session().await;
    let mut socket = server
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await
        .expect("the upgrade is accepted");
    socket.send_text("2probe").await;
    assert_eq!(socket.expect_frame().await, Frame::text("3probe"));
    // While the upgrade is in progress, a poll is answered with a noop.
    assert_eq!(polling.poll(&sid).await, (200, "6".into()));
    socket.send_text("5").await;
    socket.send_text("4hello").await;
    assert_eq!(socket.next_non_ping().await, Frame::text("4hello"));
}

#[tokio::test]
async fn polling_requests_are_refused_after_the_upgrade() {
    let (_server, polling, sid, mut socket) = upgraded_session().await;
    assert_eq!(polling.poll(&sid).await.0, 400);
    socket.send_text("4hello").await;
    assert_eq!(socket.expect_frame().await, Frame::text("3probe"));
    assert_eq!(socket.next_non_ping().await, Frame::text("4hello"));
}

#[tokio::test]
async fn second_websocket_with_the_same_sid_is_accepted_then_closed() {
    let (server, _polling, sid, mut socket) = upgraded_session().await;
    let mut second = server
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await
        .expect("accepted with 101, not refused");
    second.closed().await;
    assert_eq!(second.next_frame(Duration::ZERO).await, None);
    socket.send_text("4hello").await;
    assert_eq!(socket.expect_frame().await, Frame::text("3probe"));
    assert_eq!(socket.next_non_ping().await, Frame::text("4hello"));
}
