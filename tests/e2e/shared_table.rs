//! Several `ecb serve` processes sharing threads through one DynamoDB table,
//! with no broker: each pushes to the others' connections through their
//! `/@connections` endpoints.

use ecb_demo_backend::{DEMO_PUBLIC_KEY_TEXT, DemoBackend};
use ecb_engine::Settings;
use ecb_tests::{Dynalite, WsClient};
use serde_json::json;

async fn server(dynalite: &Dynalite, backend: &str) -> ecb_server::RunningServer {
    let public_key = format!("--public-key={DEMO_PUBLIC_KEY_TEXT}");
    let settings = Settings::from_args([
        "--listen",
        "127.0.0.1:0",
        "--backend-url",
        backend,
        &public_key,
        "--table",
        "ecb-shared",
        "--dynamodb-endpoint",
        &dynalite.url,
        "--rate-limit",
        "1000",
        // The fan-out tests hold hundreds of one user's connections.
        "--max-connections-per-user",
        "0",
        "--management-secret",
        ecb_tests::MANAGEMENT_SECRET,
    ])
    .expect("settings");
    ecb_server::start(&settings).await.expect("server starts")
}

/// Two servers on one table in front of one backend.
struct TwoServers {
    one: ecb_server::RunningServer,
    two: ecb_server::RunningServer,
    backend: DemoBackend,
    _dynalite: Dynalite,
}

async fn two_servers() -> TwoServers {
    let dynalite = Dynalite::start().await;
    let backend = DemoBackend::new(None);
    let addr = backend.clone().spawn("127.0.0.1:0").await.unwrap();
    let backend_url = format!("http://{addr}");
    TwoServers {
        one: server(&dynalite, &backend_url).await,
        two: server(&dynalite, &backend_url).await,
        backend,
        _dynalite: dynalite,
    }
}

#[tokio::test]
async fn clients_on_two_servers_chat_in_one_thread() {
    let TwoServers {
        one,
        two,
        backend,
        _dynalite,
    } = two_servers().await;
    let state = backend.state();
    let token = state
        .keys
        .thread_token("alice-bob", &["alice".into(), "bob".into()]);

    let mut alice = WsClient::connect(&one.url(), &state.user_token("alice").unwrap())
        .await
        .unwrap();
    let mut bob = WsClient::connect(&two.url(), &state.user_token("bob").unwrap())
        .await
        .unwrap();
    alice.ok("getThread", json!({ "threadToken": token })).await;
    bob.ok("getThread", json!({ "threadToken": token })).await;
    assert_eq!(alice.expect_push("presence").await["userId"], "bob");

    chat_both_ways(&mut alice, &mut bob, &token).await;
    let presence = bob.ok("getPresence", json!({ "threadToken": token })).await;
    assert_eq!(presence["userIds"], json!(["alice", "bob"]));

    // Server two stops: it closes bob's socket, and its engine tells alice's
    // server, through the table and `/@connections`, that bob went offline.
    two.stop().await;
    let offline = alice.expect_push("presence").await;
    assert_eq!(
        (offline["userId"].as_str(), offline["online"].as_bool()),
        (Some("bob"), Some(false))
    );
    let presence = alice
        .ok("getPresence", json!({ "threadToken": token }))
        .await;
    assert_eq!(presence["userIds"], json!(["alice"]));
}

/// `from` sends a message and `to` is pushed it, then the other way round.
async fn chat_both_ways(from: &mut WsClient, to: &mut WsClient, token: &str) {
    send_and_receive(from, to, token).await;
    send_and_receive(to, from, token).await;
}

pub(crate) async fn send_and_receive(sender: &mut WsClient, receiver: &mut WsClient, token: &str) {
    let message = json!({ "threadToken": token, "message": { "type": "text", "data": "hello" } });
    let ack = sender.ok("sendMessage", message).await;
    assert_eq!(receiver.expect_push("message").await["message"], ack);
}

/// A real `ecb serve` process on the shared table; killed on drop.
struct ServeProcess {
    url: String,
    child: tokio::process::Child,
}

async fn serve_process(dynalite: &Dynalite, backend: &str) -> ServeProcess {
    let port = ecb_tests::dynalite::free_port();
    let child = tokio::process::Command::new(ecb_tests::ecb_binary())
        .arg("serve")
        .env("ECB_LISTEN", format!("127.0.0.1:{port}"))
        .env("ECB_BACKEND_URL", backend)
        .env("ECB_PUBLIC_KEY", DEMO_PUBLIC_KEY_TEXT)
        .env("ECB_TABLE", "ecb-processes")
        .env("ECB_DYNAMODB_ENDPOINT", &dynalite.url)
        .env("ECB_MANAGEMENT_SECRET", ecb_tests::MANAGEMENT_SECRET)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ecb serve starts");
    ecb_tests::dynalite::wait_for_port(port).await;
    ServeProcess {
        url: format!("http://127.0.0.1:{port}"),
        child,
    }
}

#[tokio::test]
async fn two_ecb_serve_processes_share_a_thread() {
    let dynalite = Dynalite::start().await;
    let backend = DemoBackend::new(None);
    let backend_url = format!(
        "http://{}",
        backend.clone().spawn("127.0.0.1:0").await.unwrap()
    );
    let one = serve_process(&dynalite, &backend_url).await;
    let two = serve_process(&dynalite, &backend_url).await;
    let state = backend.state();
    let token = state
        .keys
        .thread_token("welcome", &["carol".into(), "dave".into()]);
    let mut carol = WsClient::connect(&one.url, &state.user_token("carol").unwrap())
        .await
        .unwrap();
    let mut dave = WsClient::connect(&two.url, &state.user_token("dave").unwrap())
        .await
        .unwrap();
    carol.ok("getThread", json!({ "threadToken": token })).await;
    dave.ok("getThread", json!({ "threadToken": token })).await;
    chat_both_ways(&mut carol, &mut dave, &token).await;
    // SIGTERM: the process closes its sockets and its connections' records go.
    let pid = two.child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert_eq!(dave.closed().await, Some(1012));
    let offline = carol.expect_push("presence").await;
    assert_eq!(
        (offline["userId"].as_str(), offline["online"].as_bool()),
        (Some("dave"), Some(false))
    );
    drop(one);
}

#[tokio::test]
async fn fan_out_to_hundreds_on_another_server_costs_one_query() {
    let TwoServers {
        one,
        two,
        backend,
        _dynalite,
    } = two_servers().await;
    let state = backend.state();
    let token = state
        .keys
        .thread_token("welcome", &["alice".into(), "bob".into()]);
    let bob_token = state.user_token("bob").unwrap();

    let mut listeners = Vec::new();
    for _ in 0..200 {
        let mut bob = WsClient::connect(&two.url(), &bob_token).await.unwrap();
        bob.ok("getThread", json!({ "threadToken": token })).await;
        listeners.push(bob);
    }
    let mut alice = WsClient::connect(&one.url(), &state.user_token("alice").unwrap())
        .await
        .unwrap();
    alice.ok("getThread", json!({ "threadToken": token })).await;

    let calls = one
        .state()
        .store_calls
        .clone()
        .expect("a shared server counts its calls");
    let queries_before = calls.count("Query");
    let ack = alice
        .ok(
            "sendMessage",
            json!({ "threadToken": token, "message": { "type": "text", "data": "to all of you" } }),
        )
        .await;
    for bob in &mut listeners {
        assert_eq!(bob.expect_push("message").await["message"], ack);
    }
    assert_eq!(
        calls.count("Query") - queries_before,
        1,
        "{:?}",
        calls.snapshot()
    );
}
