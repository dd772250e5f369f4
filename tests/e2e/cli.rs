//! The `ecb` binary itself, as a person runs it.

use std::process::{Command, Stdio};

use ecb_tests::{WsClient, ecb_binary};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

#[test]
fn serve_without_a_backend_url_stops_with_one_line_naming_it() {
    let output = Command::new(ecb_binary())
        .arg("serve")
        .env_remove("ECB_BACKEND_URL")
        .env("ECB_PUBLIC_KEY", ecb_demo_backend::DEMO_PUBLIC_KEY_PEM)
        .output()
        .expect("ecb runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("ECB_BACKEND_URL"), "{stderr}");
}

#[test]
fn serve_with_an_unreadable_key_names_the_setting() {
    let output = Command::new(ecb_binary())
        .args([
            "serve",
            "--backend-url",
            "http://127.0.0.1:9",
            "--public-key-file",
            "/nonexistent/k.pem",
        ])
        .env_remove("ECB_PUBLIC_KEY")
        .output()
        .expect("ecb runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ECB_PUBLIC_KEY_FILE"));
}

#[test]
fn help_lists_the_commands_and_settings() {
    let output = Command::new(ecb_binary())
        .arg("--help")
        .output()
        .expect("ecb runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("serve") && help.contains("demo"), "{help}");
    let output = Command::new(ecb_binary())
        .args(["serve", "--help"])
        .output()
        .expect("ecb runs");
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in [
        "ECB_BACKEND_URL",
        "ECB_PUBLIC_KEY_FILE",
        "ECB_RATE_LIMIT",
        "ECB_ALLOWED_ORIGINS",
    ] {
        assert!(help.contains(variable), "serve --help names {variable}");
    }
}

#[tokio::test]
async fn demo_runs_chats_and_stops_on_sigterm() {
    let mut child = tokio::process::Command::new(ecb_binary())
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--backend-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ecb demo starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    while let Ok(Some(line)) = tokio::time::timeout(ecb_tests::PATIENCE, lines.next_line())
        .await
        .unwrap()
    {
        if let Some(at) = line.find("ECB:") {
            url = line[at + 4..].split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let url = url.expect("the banner names the ECB URL");

    let rest = ecb_tests::Rest::new(&url);
    let (_, body) = rest
        .call("getUserToken", None, &json!({ "accessToken": "alice" }))
        .await;
    let alice = body["result"]["userToken"].as_str().unwrap().to_owned();
    let (_, body) = rest
        .call("getUserToken", None, &json!({ "accessToken": "bob" }))
        .await;
    let bob_token = body["result"]["userToken"].as_str().unwrap().to_owned();
    let (_, threads) = rest.call("getThreads", Some(&alice), &json!({})).await;
    let thread_token = threads["result"]["items"][0]["threadToken"].clone();

    let mut bob = WsClient::connect(&url, &bob_token).await.unwrap();
    bob.ok("getThread", json!({ "threadToken": thread_token }))
        .await;
    let (status, _) = rest
        .call("sendMessage", Some(&alice), &json!({ "threadToken": thread_token, "message": { "type": "text", "data": "hi bob" } }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        bob.expect_push("message").await["message"]["data"],
        "hi bob"
    );

    let pid = child.id().unwrap().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    assert_eq!(
        bob.closed().await,
        Some(1012),
        "told to reconnect: service restart"
    );
    let status = tokio::time::timeout(ecb_tests::PATIENCE, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "ecb demo exits cleanly on SIGTERM: {status}"
    );
}
