//! Socket.IO on the serverless stack (`ecb gateway`, the functions under
//! `cargo lambda watch`, dynalite), from the wire up: the open packet after
//! `$connect`, the heartbeat from the schedule, and the gateway holding
//! clients to API Gateway's rules. Stock socket.io-client and
//! python-socketio run the same stack in the Node tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::post;
use ecb_engine::ports::Store;
use ecb_server::gateway::GatewayConfig;
use ecb_tests::eio_client::EioSocket;
use ecb_tests::{Serverless, SioClient};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// A heartbeat short enough to watch: pings every second, a second and a
/// half to answer, the sweep every 200 ms.
async fn quick_heartbeat() -> Serverless {
    Serverless::tuned(
        None,
        |gateway| gateway.schedule_every_ms = 200,
        &[
            ("ECB_SOCKETIO_PING_INTERVAL_MS", "1000".into()),
            ("ECB_SOCKETIO_PING_TIMEOUT_MS", "1500".into()),
            ("ECB_SOCKETIO_CONNECT_TIMEOUT_MS", "2000".into()),
        ],
    )
    .await
}

#[tokio::test]
async fn socket_io_clients_join_chat_and_are_pinged_through_the_functions() {
    let aws = quick_heartbeat().await;
    let token = aws.thread_token("alice-bob", &["alice", "bob"]);

    // The open packet arrives although `$connect` could not post it, with
    // the heartbeat the sweeps keep.
    let mut socket = EioSocket::connect(&aws.socket_io_url())
        .await
        .expect("upgrade");
    let open = socket.handshake().await;
    assert_eq!(
        (open["pingInterval"].as_u64(), open["pingTimeout"].as_u64()),
        (Some(1000), Some(1500))
    );
    assert_eq!(open["upgrades"], json!([]));

    // A bad token is a CONNECT_ERROR with ECB's code; the session stays
    // open for another try, as on the local server.
    socket.send_text(r#"40{"token":"forged"}"#).await;
    let refusal = next_packet(&mut socket).await;
    let data: Value =
        serde_json::from_str(refusal.strip_prefix("44").expect("CONNECT_ERROR")).unwrap();
    assert_eq!(data["code"], "unauthorized");
    socket
        .send_text(&format!(
            "40{}",
            json!({ "token": aws.user_token("alice") })
        ))
        .await;
    let joined = next_packet(&mut socket).await;
    let sid: Value = serde_json::from_str(joined.strip_prefix("40").expect("CONNECT")).unwrap();
    assert!(sid["sid"].is_string());
    socket
        .send_text(&format!(
            "420{}",
            json!(["getThread", { "threadToken": token }])
        ))
        .await;
    let ack = next_packet(&mut socket).await;
    assert!(ack.starts_with("430[{\"ok\":true"), "{ack}");

    // A raw WebSocket client in the same thread: pushes reach each in its own wire.
    let mut bob = aws
        .connect(&aws.user_token("bob"))
        .await
        .expect("bob connects");
    bob.ok("getThread", json!({ "threadToken": token })).await;
    let presence = next_event(&mut socket, "presence").await;
    assert_eq!(
        (presence["userId"].as_str(), presence["online"].as_bool()),
        (Some("bob"), Some(true))
    );
    let sent = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "to socket.io" } }),
        )
        .await;
    assert_eq!(next_event(&mut socket, "message").await["message"], sent);
    socket
        .send_text(&format!(
            "421{}",
            json!(["sendMessage", { "threadToken": token, "message": { "type": "text", "data": "to raw" } }])
        ))
        .await;
    let pushed = bob.expect_push("message").await;
    assert_eq!(pushed["message"]["data"], "to raw");

    // Pings come from the schedule; a client that answers them stays.
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(4500);
    while tokio::time::Instant::now() < until {
        if let Some(frame) = socket.next_frame(Duration::from_millis(200)).await
            && frame.is_ping()
        {
            pings += 1;
            socket.send_text("3").await;
        }
    }
    assert!(pings >= 3, "{pings} pings in 4.5 s at an interval of 1 s");
    assert!(!socket.is_closed());
    let members = aws.store.members("alice-bob").await.unwrap();
    assert_eq!(members.len(), 2, "{members:?}");

    // One that stops answering is closed, and its items go with it.
    let alice = sid["sid"].as_str().unwrap().to_owned();
    socket.closed().await;
    let offline = bob.expect_push("presence").await;
    assert_eq!(
        (offline["userId"].as_str(), offline["online"].as_bool()),
        (Some("alice"), Some(false))
    );
    assert!(aws.store.get_connection(&alice).await.unwrap().is_none());
    assert!(aws.store.session(&alice).await.unwrap().is_none());
    assert_eq!(aws.store.members("alice-bob").await.unwrap().len(), 1);
}

#[tokio::test]
async fn socket_io_clients_that_never_join_are_closed_after_the_connect_timeout() {
    let aws = quick_heartbeat().await;
    let mut socket = EioSocket::connect(&aws.socket_io_url())
        .await
        .expect("upgrade");
    socket.handshake().await;
    let started = tokio::time::Instant::now();
    socket.closed_answering_pings().await;
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "closed after {:?}",
        started.elapsed()
    );

    // HTTP long-polling is the local server's only: refused at `$connect`.
    let polling = format!("ws://{}/local/?EIO=4&transport=polling", aws.gateway.addr);
    assert_eq!(EioSocket::connect(&polling).await.err(), Some(400));
    let old = format!("ws://{}/local/?EIO=3&transport=websocket", aws.gateway.addr);
    assert_eq!(EioSocket::connect(&old).await.err(), Some(400));

    // `query: {token}` stands in for `auth` when the CONNECT has none.
    let with_query = format!("{}&token={}", aws.socket_io_url(), aws.user_token("carol"));
    let mut socket = EioSocket::connect(&with_query).await.expect("upgrade");
    socket.handshake().await;
    socket.send_text("40").await;
    assert!(
        socket
            .next_non_ping()
            .await
            .into_text()
            .starts_with("40{\"sid\"")
    );
    let mut client = SioClient::connect_url(&aws.socket_io_url(), &aws.user_token("dave"))
        .await
        .expect("dave joins");
    assert_eq!(
        client.request("fly", json!({})).await["error"]["code"],
        "unknown_action"
    );

    // A message over 32 KB reaches the functions only split into frames, as
    // API Gateway wants; there it is over ECB's payload limit, on both wires.
    let big = "x".repeat(40 * 1024);
    let over_the_limit = [
        (
            aws.websocket_url(&aws.user_token("dave")),
            json!({ "action": "getThreads", "requestId": 1, "padding": big }).to_string(),
        ),
        (
            with_query.clone(),
            format!("427{}", json!(["getThreads", { "padding": big }])),
        ),
    ];
    for (url, text) in over_the_limit {
        let mut socket = EioSocket::connect(&url).await.expect("upgrade");
        if url.contains("EIO=4") {
            socket.handshake().await;
            socket.send_text("40").await;
            socket.next_non_ping().await;
        }
        send_in_fragments(&mut socket, text.as_bytes()).await;
        let answer = socket.next_non_ping().await.into_text();
        assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");
        assert!(
            answer.starts_with("437[") || answer.contains(r#""requestId":1"#),
            "{answer}"
        );
    }
}

/// Sends one text message as 16 KB fragments.
async fn send_in_fragments(socket: &mut EioSocket, text: &[u8]) {
    let chunks: Vec<&[u8]> = text.chunks(16 * 1024).collect();
    for (index, chunk) in chunks.iter().enumerate() {
        let opcode = if index == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = index + 1 == chunks.len();
        socket
            .send_message(Message::Frame(WsFrame::message(
                chunk.to_vec(),
                opcode,
                last,
            )))
            .await;
    }
}

/// The next packet that is not a ping, answering pings on the way (the
/// heartbeat is fast enough here to close a client that waits unanswering).
async fn next_packet(socket: &mut EioSocket) -> String {
    loop {
        let frame = socket.expect_frame().await;
        if !frame.is_ping() {
            return frame.into_text();
        }
        socket.send_text("3").await;
    }
}

async fn next_event(socket: &mut EioSocket, name: &str) -> Value {
    loop {
        let text = next_packet(socket).await;
        if let Some(args) = text.strip_prefix("42") {
            let args: Value = serde_json::from_str(args).unwrap();
            if args[0] == name {
                return args[1].clone();
            }
        }
    }
}

/// What a stand-in Lambda saw: `$connect`'s own post and each frame's size.
#[derive(Default)]
struct Seen {
    early_post: Option<u16>,
    frames: Vec<usize>,
}

/// A stand-in for the Invoke API whose `connect` posts to the connection
/// before answering, which ECB's real function never does: the one fault
/// the gateway must refuse that ECB cannot cause.
async fn stand_in_lambda(gateway_url: Arc<Mutex<String>>, seen: Arc<Mutex<Seen>>) -> String {
    type Shared = (Arc<Mutex<String>>, Arc<Mutex<Seen>>);
    async fn invoked(
        State((gateway, seen)): State<Shared>,
        Path(function): Path<String>,
        Json(event): Json<Value>,
    ) -> Json<Value> {
        match function.as_str() {
            "connect" => {
                let id = event["requestContext"]["connectionId"]
                    .as_str()
                    .unwrap_or_default();
                // Percent-encoded as the SDK does: an id with a `/` would
                // otherwise miss the Management API for the HTTP API's routes.
                let url = ecb_tests::connection_url(&gateway.lock().unwrap(), id);
                let key = ecb_tests::management_key();
                let signing = ecb_tests::Signing::With(&key, ecb_engine::unix_now());
                let (status, _) =
                    ecb_tests::management_call(reqwest::Method::POST, &url, "early", signing).await;
                seen.lock().unwrap().early_post = Some(status);
            }
            "message" => {
                let size = event["body"].as_str().map_or(0, str::len);
                seen.lock().unwrap().frames.push(size);
            }
            _ => {}
        }
        Json(json!({ "statusCode": 200 }))
    }
    let app = axum::Router::new()
        .route(
            "/2015-03-31/functions/{function}/invocations",
            post(invoked),
        )
        .with_state((gateway_url, seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_gateway_holds_connections_to_api_gateways_rules() {
    let gateway_url = Arc::new(Mutex::new(String::new()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let invoke_url = stand_in_lambda(gateway_url.clone(), seen.clone()).await;
    let gateway = ecb_server::gateway::start(GatewayConfig {
        listen: "127.0.0.1:0".into(),
        invoke_url,
        schedule_function: "none".into(),
        idle_timeout_ms: 600,
        max_lifetime_ms: 1500,
        management_secret: Some(ecb_tests::MANAGEMENT_SECRET.into()),
        ..GatewayConfig::default()
    })
    .await
    .unwrap();
    *gateway_url.lock().unwrap() = gateway.url();
    let url = format!("ws://{}/local", gateway.addr);

    // A post while `$connect` runs is 410; once it returned, posts go through.
    let mut socket = EioSocket::connect(&url).await.expect("upgrade");
    assert_eq!(seen.lock().unwrap().early_post, Some(410));

    // Frames up to 32 KB pass, and messages up to 128 KB in 32 KB fragments.
    socket.send_text(&"x".repeat(32 * 1024)).await;
    send_in_fragments(&mut socket, &[b'y'; 48 * 1024]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.lock().unwrap().frames, vec![32 * 1024, 48 * 1024]);
    // A bigger frame is closed with 1009, as AWS does.
    socket.send_text(&"x".repeat(32 * 1024 + 1)).await;
    assert_eq!(socket.closed().await, Some(1009));

    // Quiet for the idle timeout: closed with 1001.
    let mut quiet = EioSocket::connect(&url).await.expect("upgrade");
    assert_eq!(quiet.closed().await, Some(1001));

    // Busy, but past the maximum lifetime: closed with 1001 as well.
    let mut busy = EioSocket::connect(&url).await.expect("upgrade");
    let started = tokio::time::Instant::now();
    while !busy.is_closed() && started.elapsed() < Duration::from_secs(5) {
        busy.send_text("still here").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(busy.closed().await, Some(1001));
    let lived = started.elapsed();
    assert!(
        lived >= Duration::from_millis(1300) && lived < Duration::from_secs(3),
        "{lived:?}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn chat_features_run_on_the_lambda_functions_over_both_wires() {
    let aws = Serverless::tuned(None, |_| {}, &[("ECB_NOTIFY_UNDELIVERED", "true".into())]).await;
    let token = aws.thread_token("welcome", &["alice", "bob", "carol", "dave"]);
    let mut alice = aws
        .connect(&aws.user_token("alice"))
        .await
        .expect("alice connects");
    let mut bob = SioClient::connect_url(&aws.socket_io_url(), &aws.user_token("bob"))
        .await
        .expect("bob joins");
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;

    // A message: carol and dave, in no connection of the thread, are the
    // ones the backend hears about.
    let sent = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "on lambda" } }),
        )
        .await;
    assert_eq!(bob.expect_event("message").await["message"], sent);
    let mut notices = Vec::new();
    for _ in 0..100 {
        notices = aws.backend.state().undelivered_notices();
        if !notices.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(notices.len(), 1, "{notices:?}");
    let mut users: Vec<&str> = notices[0]["userIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    users.sort();
    assert_eq!(users, ["carol", "dave"]);

    // History and read receipts, pushed across wires.
    let page = bob
        .ok(
            "getMessages",
            json!({ "threadToken": token, "pageSize": 1 }),
        )
        .await;
    assert_eq!(page["messages"][0], sent);
    let id = sent["messageId"].as_str().unwrap();
    assert_eq!(
        bob.ok("markRead", json!({ "threadToken": token, "messageId": id }))
            .await,
        json!({})
    );
    let read = alice.expect_push("read").await;
    assert_eq!(
        (read["userId"].as_str(), read["messageId"].as_str()),
        (Some("bob"), Some(id))
    );
    let unknown = alice
        .request(
            "getMessages",
            json!({ "threadToken": token, "after": "m-gone" }),
        )
        .await;
    assert_eq!(unknown["error"]["backend"]["code"], "unknown_message");

    // refreshToken rewrites the connection's record, which later frames
    // (on any instance) resume from.
    let before = aws.store.connections_of_user("alice").await.unwrap();
    let connection = before[0].connection_id.clone();
    let old = aws
        .store
        .get_connection(&connection)
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = aws.user_token("alice");
    let refreshed = alice
        .ok("refreshToken", json!({ "userToken": fresh }))
        .await;
    assert_eq!(refreshed["userId"], "alice");
    let record = aws
        .store
        .get_connection(&connection)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&*record.user_token, fresh.as_str());
    assert!(record.token_expires_at > old.token_expires_at);
    assert_eq!(
        alice
            .error_code(
                "refreshToken",
                json!({ "userToken": aws.user_token("bob") })
            )
            .await,
        "forbidden"
    );
    assert_eq!(
        bob.ok(
            "refreshToken",
            json!({ "userToken": aws.user_token("bob") })
        )
        .await["userId"],
        "bob"
    );
    let again = bob
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "after refresh" } }),
        )
        .await;
    assert_eq!(alice.expect_push("message").await["message"], again);
}
