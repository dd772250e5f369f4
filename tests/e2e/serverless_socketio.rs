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
                let url = format!("{}/@connections/{id}", gateway.lock().unwrap());
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
    let fragments = [
        OpCode::Data(Data::Text),
        OpCode::Data(Data::Continue),
        OpCode::Data(Data::Continue),
    ];
    for (index, opcode) in fragments.into_iter().enumerate() {
        let frame = WsFrame::message(vec![b'y'; 16 * 1024], opcode, index == 2);
        socket.send_message(Message::Frame(frame)).await;
    }
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
