//! Socket.IO v5 behaviours, as the official suite checks them.
//!
//! Every Socket.IO case of socketio/socket.io-protocol's test suite, against
//! the conformance server at `/socket.io/` (namespaces `/` and `/custom`,
//! `message` → `message-back`, `message-with-ack`), with the exact packets
//! the suite sends and expects. Of the Engine.IO cases the suite repeats on
//! `/socket.io/`, only those that check something more than
//! `engineio_protocol` does are here: this endpoint's settings, its refusals,
//! the heartbeat while no namespace is joined yet, and an upgraded session.

use std::time::Duration;

use ecb_tests::conformance::ConformanceServer;
use ecb_tests::eio_client::{EioSocket, Frame, keys, open_packet};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;

/// How long a session may stay without a namespace (the suite's `connectTimeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// An attachment's placeholder, as the suite writes it.
const PLACEHOLDERS: &str = r#"{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}"#;

/// A WebSocket session on a fresh Socket.IO server, past its Engine.IO handshake.
async fn engine_session() -> (ConformanceServer, EioSocket) {
    let server = ConformanceServer::socket_io().await;
    let mut socket = server.open_websocket().await;
    socket.handshake().await;
    (server, socket)
}

/// A session that has joined the main namespace (CONNECT reply and `auth`
/// event consumed), as the suite's `initSocketIOConnection` leaves it.
async fn main_namespace_session() -> (ConformanceServer, EioSocket) {
    let (server, mut socket) = engine_session().await;
    socket.send_text("40").await;
    assert_connect_reply(socket.next_non_ping().await, "40");
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(r#"42["auth",{}]"#)
    );
    (server, socket)
}

/// Asserts a granted CONNECT: `prefix` then a JSON object with only a string `sid`.
fn assert_connect_reply(frame: Frame, prefix: &str) {
    let text = frame.into_text();
    let data = text
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected a CONNECT reply {prefix}…, got {text:?}"));
    let data: Value =
        serde_json::from_str(data).unwrap_or_else(|e| panic!("CONNECT data {text:?}: {e}"));
    assert_eq!(keys(&data), ["sid"], "{text}");
    assert!(data["sid"].is_string(), "{text}");
}

/// Sends a CONNECT and checks the reply and the `auth` event that follows.
async fn assert_connects(
    socket: &mut EioSocket,
    connect: &str,
    reply_prefix: &str,
    auth_event: &str,
) {
    socket.send_text(connect).await;
    assert_connect_reply(socket.next_non_ping().await, reply_prefix);
    assert_eq!(socket.next_non_ping().await, Frame::text(auth_event));
}

// ---- the Engine.IO layer on /socket.io/ ----

#[tokio::test]
async fn socket_io_endpoint_handshakes_with_the_suite_settings() {
    let server = ConformanceServer::socket_io().await;
    let (status, body) = server.polling().get("EIO=4&transport=polling").await;
    assert_eq!(status, 200, "{body}");
    let over_polling = open_packet(&body);
    let mut socket = server.open_websocket().await;
    let over_websocket = socket.handshake().await;
    for (open, upgrades) in [
        (over_polling, json!(["websocket"])),
        (over_websocket, json!([])),
    ] {
        assert_eq!(
            keys(&open),
            [
                "maxPayload",
                "pingInterval",
                "pingTimeout",
                "sid",
                "upgrades"
            ]
        );
        assert!(open["sid"].is_string(), "{open}");
        assert_eq!(open["upgrades"], upgrades);
        assert_eq!(open["pingInterval"], json!(300));
        assert_eq!(open["pingTimeout"], json!(200));
        assert_eq!(open["maxPayload"], json!(1_000_000));
    }
}

#[tokio::test]
async fn socket_io_endpoint_refuses_bad_handshakes() {
    let server = ConformanceServer::socket_io().await;
    let polling = server.polling();
    for query in [
        "transport=polling",
        "EIO=abc&transport=polling",
        "EIO=4",
        "EIO=4&transport=abc",
    ] {
        assert_eq!(polling.get(query).await.0, 400, "GET ?{query}");
    }
    for method in [Method::POST, Method::PUT] {
        let (status, _) = polling
            .request(method.clone(), "EIO=4&transport=polling", "")
            .await;
        assert_eq!(status, 400, "{method}");
    }
    for query in [
        "transport=websocket",
        "EIO=abc&transport=websocket",
        "EIO=4",
        "EIO=4&transport=abc",
    ] {
        match server.websocket(query).await {
            Err(status) => assert_eq!(status, 400, "websocket ?{query}"),
            Ok(mut socket) => {
                socket.closed().await;
                assert_eq!(socket.next_frame(Duration::ZERO).await, None, "?{query}");
            }
        }
    }
}

#[tokio::test]
async fn socket_io_polling_session_answers_pings_before_joining_a_namespace() {
    // Three rounds end at about 900 ms, inside the 1 s connect timeout.
    let server = ConformanceServer::socket_io().await;
    let polling = server.polling();
    let sid = polling.open().await;
    polling.ping_pong(&sid, 3).await;
}

#[tokio::test]
async fn socket_io_session_upgraded_to_websocket_joins_the_main_namespace() {
    let server = ConformanceServer::socket_io().await;
    let polling = server.polling();
    let sid = polling.open().await;
    let mut socket = server
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await
        .expect("the upgrade is accepted");
    socket.send_text("2probe").await;
    assert_eq!(socket.expect_frame().await, Frame::text("3probe"));
    socket.send_text("5").await;
    assert_connects(&mut socket, "40", "40", r#"42["auth",{}]"#).await;
    assert_eq!(polling.poll(&sid).await.0, 400);
}

// ---- connect ----

#[tokio::test]
async fn connect_to_the_main_namespace_replies_with_a_sid_then_an_empty_auth() {
    let (_server, mut socket) = engine_session().await;
    assert_connects(&mut socket, "40", "40", r#"42["auth",{}]"#).await;
}

#[tokio::test]
async fn connect_to_the_main_namespace_with_a_payload_gets_it_back_as_auth() {
    let (_server, mut socket) = engine_session().await;
    assert_connects(
        &mut socket,
        r#"40{"token":"123"}"#,
        "40",
        r#"42["auth",{"token":"123"}]"#,
    )
    .await;
}

#[tokio::test]
async fn connect_to_a_custom_namespace_replies_in_that_namespace() {
    let (_server, mut socket) = engine_session().await;
    assert_connects(
        &mut socket,
        "40/custom,",
        "40/custom,",
        r#"42/custom,["auth",{}]"#,
    )
    .await;
}

#[tokio::test]
async fn connect_to_a_custom_namespace_with_a_payload_gets_it_back_as_auth() {
    let (_server, mut socket) = engine_session().await;
    assert_connects(
        &mut socket,
        r#"40/custom,{"token":"abc"}"#,
        "40/custom,",
        r#"42/custom,["auth",{"token":"abc"}]"#,
    )
    .await;
}

#[tokio::test]
async fn connect_to_an_unknown_namespace_is_refused_with_invalid_namespace() {
    let (_server, mut socket) = engine_session().await;
    socket.send_text("40/random").await;
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(r#"44/random,{"message":"Invalid namespace"}"#)
    );
    // The connection stays open: the main namespace can still be joined.
    assert_connects(&mut socket, "40", "40", r#"42["auth",{}]"#).await;
}

#[tokio::test]
async fn invalid_handshake_packet_closes_the_connection() {
    let server = ConformanceServer::socket_io().await;
    let started = Instant::now();
    let mut socket = server.open_websocket().await;
    socket.handshake().await;
    socket.send_text("4abc").await;
    socket.closed_answering_pings().await;
    // The session started after `started`: closing for the connect timeout
    // instead of for the packet would come too late.
    assert!(
        started.elapsed() < CONNECT_TIMEOUT,
        "closed after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connection_without_a_socket_io_handshake_is_closed() {
    // Pings are answered, so it is the connect timeout that closes it.
    let (_server, mut socket) = engine_session().await;
    socket.closed_answering_pings().await;
}

// ---- disconnect ----

#[tokio::test]
async fn disconnect_from_the_main_namespace_gets_no_reply() {
    let (_server, mut socket) = main_namespace_session().await;
    socket.send_text("41").await;
    // Nothing answers the DISCONNECT; the next frame is the next ping.
    assert_eq!(socket.expect_frame().await, Frame::text("2"));
    // The Engine.IO connection stays open and usable.
    socket.send_text("3").await;
    assert_connects(&mut socket, "40", "40", r#"42["auth",{}]"#).await;
}

#[tokio::test]
async fn leaving_a_custom_namespace_keeps_the_main_namespace_working() {
    let (_server, mut socket) = main_namespace_session().await;
    // The suite waits for a ping first; answering it keeps this test free of
    // the 200 ms ping timeout.
    assert_eq!(socket.expect_frame().await, Frame::text("2"));
    socket.send_text("3").await;
    assert_connects(
        &mut socket,
        "40/custom",
        "40/custom,",
        r#"42/custom,["auth",{}]"#,
    )
    .await;
    socket.send_text("41/custom").await;
    socket
        .send_text(r#"42["message","message to main namespace"]"#)
        .await;
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(r#"42["message-back","message to main namespace"]"#)
    );
}

// ---- messages ----

#[tokio::test]
async fn message_event_is_echoed_as_message_back() {
    let (_server, mut socket) = main_namespace_session().await;
    socket
        .send_text(r#"42["message",1,"2",{"3":[true]}]"#)
        .await;
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(r#"42["message-back",1,"2",{"3":[true]}]"#)
    );
}

#[tokio::test]
async fn message_event_with_binary_attachments_is_echoed_with_them() {
    let (_server, mut socket) = main_namespace_session().await;
    socket
        .send_text(&format!(r#"452-["message",{PLACEHOLDERS}]"#))
        .await;
    socket.send_binary(&[1, 2, 3]).await;
    socket.send_binary(&[4, 5, 6]).await;
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(&format!(r#"452-["message-back",{PLACEHOLDERS}]"#))
    );
    assert_eq!(socket.next_non_ping().await, Frame::binary(&[1, 2, 3]));
    assert_eq!(socket.next_non_ping().await, Frame::binary(&[4, 5, 6]));
}

#[tokio::test]
async fn event_with_an_ack_id_is_acknowledged_with_its_arguments() {
    let (_server, mut socket) = main_namespace_session().await;
    socket
        .send_text(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await;
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(r#"43456[1,"2",{"3":[false]}]"#)
    );
}

#[tokio::test]
async fn event_with_binary_attachments_and_an_ack_id_gets_a_binary_ack() {
    let (_server, mut socket) = main_namespace_session().await;
    socket
        .send_text(&format!(r#"452-789["message-with-ack",{PLACEHOLDERS}]"#))
        .await;
    socket.send_binary(&[1, 2, 3]).await;
    socket.send_binary(&[4, 5, 6]).await;
    assert_eq!(
        socket.next_non_ping().await,
        Frame::text(&format!("462-789[{PLACEHOLDERS}]"))
    );
    assert_eq!(socket.next_non_ping().await, Frame::binary(&[1, 2, 3]));
    assert_eq!(socket.next_non_ping().await, Frame::binary(&[4, 5, 6]));
}

#[tokio::test]
async fn unknown_packet_type_closes_the_connection() {
    let (_server, mut socket) = main_namespace_session().await;
    socket.send_text("4abc").await;
    socket.closed_answering_pings().await;
}

#[tokio::test]
async fn event_whose_payload_is_not_an_array_closes_the_connection() {
    let (_server, mut socket) = main_namespace_session().await;
    socket.send_text("42{}").await;
    socket.closed_answering_pings().await;
}

#[tokio::test]
async fn event_with_an_invalid_ack_id_closes_the_connection() {
    let (_server, mut socket) = main_namespace_session().await;
    socket
        .send_text(r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#)
        .await;
    socket.closed_answering_pings().await;
}
