//! `ECB_LOG_FORMAT=json` as a log pipeline reads it: every line of stderr
//! is one JSON object, the lines of one connection's or one request's work
//! carry its id (their span), and no line holds a token, even at debug.

use ecb_demo_backend::DemoBackend;
use ecb_tests::{EcbProcess, Fault, FaultBackend, Rest, WsClient, seeded_thread_token};
use serde_json::{Value, json};

/// The id a line's spans name under `field`, if any.
fn span_field<'a>(line: &'a Value, field: &str) -> Option<&'a str> {
    line["spans"]
        .as_array()?
        .iter()
        .find_map(|span| span[field].as_str())
}

fn log_message(line: &Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn json_lines_carry_their_connection_or_request_id_and_never_a_token() {
    let backend = DemoBackend::new(None);
    let faults = FaultBackend::start(backend.router()).await;
    let env = [("ECB_LOG_FORMAT", "json"), ("RUST_LOG", "debug")];
    let mut ecb = EcbProcess::serve(&faults.url(), &[], &env).await;
    let alice_token = backend.state().user_token("alice").unwrap();
    let bob_token = backend.state().user_token("bob").unwrap();
    let thread_token = seeded_thread_token(&backend, "welcome");

    let mut alice = WsClient::connect(&ecb.url, &alice_token).await.unwrap();
    let mut bob = WsClient::connect(&ecb.url, &bob_token).await.unwrap();
    let welcome = json!({ "threadToken": thread_token });
    alice.ok("getThread", welcome.clone()).await;
    bob.ok("getThread", welcome.clone()).await;
    let mut message = welcome.clone();
    message["message"] = json!({ "type": "text", "data": "hello" });
    let sent = alice.ok("sendMessage", message.clone()).await;
    faults.set(Fault::Status(503, "{}".into()));
    alice.error_code("sendMessage", message).await;
    faults.set(Fault::None);
    let (status, _) = Rest::new(&ecb.url)
        .call("getThreads", Some(&bob_token), &json!({}))
        .await;
    assert_eq!(status, 200);
    ecb.terminate();
    assert!(ecb.exited(ecb_tests::PATIENCE).await.0.success());

    let raw = ecb.log_lines();
    assert!(raw.len() > 10, "debug logs were written: {raw:?}");
    let mut secrets: Vec<String> = vec![alice_token, bob_token, thread_token];
    secrets.extend(sent["threadToken"].as_str().map(str::to_owned));
    let lines: Vec<Value> = raw
        .iter()
        .map(|line| {
            for secret in &secrets {
                assert!(
                    !line.contains(secret.as_str()),
                    "a token was logged: {line}"
                );
            }
            let parsed: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not one JSON object ({error}): {line}"));
            assert!(
                parsed["timestamp"].is_string() && parsed["level"].is_string(),
                "{line}"
            );
            parsed
        })
        .collect();

    // alice's failed send logs a warning inside her connection's span, the
    // same connection her socket's open line names.
    let failed = lines
        .iter()
        .find(|line| line["level"] == "WARN" && line["fields"]["code"] == "backend_unavailable")
        .expect("the backend fault is logged");
    let connection = span_field(failed, "connection").expect("the warning names its connection");
    let opened = lines
        .iter()
        .find(|line| {
            log_message(line) == "websocket open"
                && span_field(line, "connection") == Some(connection)
        })
        .expect("the open line names the same connection");
    assert!(opened["fields"]["user"] == "alice", "{opened}");
    // The REST call's backend call is logged inside its request's span.
    let rest_call = lines
        .iter()
        .find(|line| {
            log_message(line) == "backend call" && line["fields"]["operation"] == "getThreads"
        })
        .expect("the REST call's backend call is logged");
    assert!(span_field(rest_call, "request_id").is_some(), "{rest_call}");
}

#[tokio::test]
async fn plain_text_stays_the_default() {
    let backend = DemoBackend::new(None);
    let url = format!("http://{}", backend.spawn("127.0.0.1:0").await.unwrap());
    let mut ecb = EcbProcess::serve(&url, &[], &[]).await;
    ecb.terminate();
    ecb.exited(ecb_tests::PATIENCE).await;
    let lines = ecb.log_lines();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|line| !line.starts_with('{')), "{lines:?}");
}
