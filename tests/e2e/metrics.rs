//! `/metrics` as an operator's Prometheus scrapes it, from a real `ecb serve`
//! process (its recorder is its own): the page parses as the text format,
//! and its counters move as a scripted chat runs: connections by transport,
//! operations by action and code, a rate limit, a backend fault, pushes,
//! fan-outs, token checks. And where it is served is the operator's choice.

use ecb_demo_backend::DemoBackend;
use ecb_tests::ecb_process::get;
use ecb_tests::{
    EcbProcess, Fault, FaultBackend, PATIENCE, Scrape, SioClient, WsClient, seeded_thread_token,
};
use serde_json::{Value, json};

async fn scrape_url(url: &str) -> Scrape {
    let (status, body) = get(url).await;
    assert_eq!(status, 200, "{body}");
    Scrape::parse(&body).unwrap_or_else(|error| panic!("{error}\n{body}"))
}

async fn scrape(ecb: &EcbProcess) -> Scrape {
    scrape_url(&format!("{}/metrics", ecb.url)).await
}

fn token(backend: &DemoBackend, user: &str) -> String {
    backend.state().user_token(user).expect("a demo user")
}

fn operations(scrape: &Scrape, action: &str, code: &str) -> f64 {
    scrape.value(
        "ecb_operations_total",
        &[("action", action), ("code", code)],
    )
}

#[tokio::test]
async fn counters_move_as_a_scripted_chat_runs() {
    let backend = DemoBackend::new(None);
    let faults = FaultBackend::start(backend.router()).await;
    let ecb = EcbProcess::serve(&faults.url(), &["--rate-limit", "5"], &[]).await;
    let before = scrape(&ecb).await;
    assert_eq!(operations(&before, "sendMessage", "ok"), 0.0);

    // Connect: two raw WebSockets and a Socket.IO client, all in one thread.
    let welcome = json!({ "threadToken": seeded_thread_token(&backend, "welcome") });
    let mut alice = WsClient::connect(&ecb.url, &token(&backend, "alice"))
        .await
        .unwrap();
    let mut bob = WsClient::connect(&ecb.url, &token(&backend, "bob"))
        .await
        .unwrap();
    let mut carol = SioClient::connect(&ecb.url, &token(&backend, "carol"))
        .await
        .unwrap();
    alice.ok("getThread", welcome.clone()).await;
    bob.ok("getThread", welcome.clone()).await;
    carol.ok("getThread", welcome.clone()).await;

    // Send: one stored message, pushed to the two others.
    let mut message = welcome.clone();
    message["message"] = json!({ "type": "text", "data": "hello" });
    alice.ok("sendMessage", message.clone()).await;
    bob.expect_push("message").await;
    carol.expect_event("message").await;

    // Rate limit: a burst of typing over the limit of 5 per second.
    let mut typing = welcome.clone();
    typing["message"] = json!({ "type": "typing", "data": true });
    let mut refused = 0;
    for _ in 0..10 {
        let response: Value = bob.request("sendMessage", typing.clone()).await;
        if response["error"]["code"] == "rate_limited" {
            refused += 1;
        }
    }
    assert!(refused > 0, "the burst went over the limit");

    // Backend fault: the backend answers 503 to the next message.
    faults.set(Fault::Status(503, "{}".into()));
    assert_eq!(
        alice.error_code("sendMessage", message.clone()).await,
        "backend_unavailable"
    );
    faults.set(Fault::None);

    let after = scrape(&ecb).await;
    let transport = |t| [("transport", t)];
    assert_eq!(
        after.value("ecb_connections_open", &transport("websocket")),
        2.0
    );
    assert_eq!(
        after.value("ecb_connections_open", &transport("socketio")),
        1.0
    );
    assert_eq!(
        after.value("ecb_connections_opened_total", &transport("websocket")),
        2.0
    );
    assert_eq!(
        after.value("ecb_engineio_sessions", &transport("websocket")),
        1.0
    );
    assert_eq!(operations(&after, "getThread", "ok"), 3.0);
    assert_eq!(
        operations(&after, "sendMessage", "ok"),
        1.0 + (10 - refused) as f64
    );
    assert_eq!(
        operations(&after, "sendMessage", "rate_limited"),
        refused as f64
    );
    assert_eq!(after.value("ecb_rate_limited_total", &[]), refused as f64);
    assert_eq!(
        operations(&after, "sendMessage", "backend_unavailable"),
        1.0
    );
    let backend_calls = |outcome| {
        after.value(
            "ecb_backend_call_duration_seconds_count",
            &[("operation", "addThreadMessage"), ("outcome", outcome)],
        )
    };
    assert_eq!(backend_calls("ok"), 1.0);
    assert_eq!(backend_calls("unavailable"), 1.0);
    assert_eq!(
        after.types["ecb_backend_call_duration_seconds"],
        "histogram"
    );
    assert!(after.value("ecb_pushes_total", &[("outcome", "delivered")]) >= 2.0);
    assert!(after.value("ecb_fanout_size_count", &[]) >= 1.0);
    let tokens = |kind, outcome| {
        after.value(
            "ecb_token_verifications_total",
            &[("kind", kind), ("outcome", outcome)],
        )
    };
    assert_eq!(tokens("userToken", "verified"), 3.0);
    assert!(tokens("threadToken", "verified") >= 1.0);
    assert!(
        tokens("threadToken", "cache_hit") >= 3.0,
        "the same threadToken is verified once"
    );

    // A connection that closes leaves the gauge.
    bob.close();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while scrape(&ecb)
        .await
        .value("ecb_connections_open", &transport("websocket"))
        != 1.0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's connection left the gauge"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn metrics_can_move_to_an_address_of_their_own_or_be_turned_off() {
    let backend = DemoBackend::new(None);
    let backend_url = format!("http://{}", backend.spawn("127.0.0.1:0").await.unwrap());
    let mut apart =
        EcbProcess::serve(&backend_url, &["--metrics-listen", "127.0.0.1:0"], &[]).await;
    let line = tokio::time::timeout(PATIENCE, apart.stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .expect("the metrics address is printed");
    let metrics_url = line
        .strip_prefix("Metrics on ")
        .unwrap_or_else(|| panic!("unexpected line: {line}"))
        .to_owned();
    assert_eq!(
        apart.get("/metrics").await.0,
        404,
        "not on the main listener"
    );
    scrape_url(&format!("{metrics_url}/metrics")).await;

    let off = EcbProcess::serve(&backend_url, &[], &[("ECB_METRICS_LISTEN", "off")]).await;
    assert_eq!(off.get("/metrics").await.0, 404);
}
