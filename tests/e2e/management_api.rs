//! The Management API (`/@connections/{id}`) of servers sharing a table
//! (issue 16, finding 4): a call without a valid `ECB_MANAGEMENT_SECRET`
//! signature is refused whatever it asks (a forged push, reading a
//! connection, closing it), `ECB_MANAGEMENT_LISTEN` takes it off the
//! clients' port, and the servers' own signed pushes still arrive.

use ecb_demo_backend::{DEMO_PUBLIC_KEY_TEXT, DemoBackend};
use ecb_engine::Settings;
use ecb_engine::ports::Store;
use ecb_tests::{
    Dynalite, MANAGEMENT_SECRET, QUIET, Signing, WsClient, assert_management_refused,
    connection_url, management_call,
};
use reqwest::Method;
use serde_json::json;

use crate::shared_table::send_and_receive;

const TABLE: &str = "ecb-management";

fn settings(dynamodb: &str, backend: &str, extra: &[&str]) -> Settings {
    let public_key = format!("--public-key={DEMO_PUBLIC_KEY_TEXT}");
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--backend-url",
        backend,
        &public_key,
        "--table",
        TABLE,
        "--dynamodb-endpoint",
        dynamodb,
    ];
    args.extend_from_slice(extra);
    Settings::from_args(args).expect("settings")
}

#[tokio::test]
async fn forged_management_calls_are_refused_and_signed_pushes_arrive() {
    let dynalite = Dynalite::start().await;
    let backend = DemoBackend::new(None);
    let backend_url = format!(
        "http://{}",
        backend.clone().spawn("127.0.0.1:0").await.unwrap()
    );
    let secret = ["--management-secret", MANAGEMENT_SECRET];
    // Server one answers the Management API on its clients' port; server
    // two on an address of its own.
    let one = ecb_server::start(&settings(&dynalite.url, &backend_url, &secret))
        .await
        .unwrap();
    let separate = [&secret[..], &["--management-listen", "127.0.0.1:0"]].concat();
    let two = ecb_server::start(&settings(&dynalite.url, &backend_url, &separate))
        .await
        .unwrap();
    let two_management = format!("http://{}", two.management_addr.expect("its own address"));

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

    // Bob's record names server two's Management API address, not its
    // clients' port.
    let store = dynalite.store(TABLE).await;
    let [bob_connection] = &store.connections_of_user("bob").await.unwrap()[..] else {
        panic!("bob has one connection");
    };
    assert_eq!(bob_connection.endpoint, two_management);
    let [alice_connection] = &store.connections_of_user("alice").await.unwrap()[..] else {
        panic!("alice has one connection");
    };
    assert_eq!(alice_connection.endpoint, one.url());

    // Forged pushes, reads and closes are refused wherever it is served, at
    // the root and under a stage; the clients' port of server two does not
    // serve it at all.
    let bob_id = &bob_connection.connection_id;
    let alice_id = &alice_connection.connection_id;
    let staged = format!("{two_management}/local");
    assert_management_refused(&connection_url(&two_management, bob_id)).await;
    assert_management_refused(&connection_url(&staged, bob_id)).await;
    assert_management_refused(&connection_url(&one.url(), alice_id)).await;
    let on_client_port = connection_url(&two.url(), bob_id);
    for method in [Method::POST, Method::GET, Method::DELETE] {
        let (status, _) = management_call(
            method,
            &on_client_port,
            &ecb_tests::management::forged_push(),
            Signing::None,
        )
        .await;
        assert_eq!(status, 404, "the clients' port has no /@connections");
    }
    // None of it reached or closed anyone.
    bob.expect_no_push("message", QUIET).await;
    alice.expect_no_push("message", QUIET).await;

    // The servers' own pushes, signed, arrive both ways.
    send_and_receive(&mut alice, &mut bob, &token).await;
    send_and_receive(&mut bob, &mut alice, &token).await;
    // And a signed call of the test's own is answered like API Gateway's.
    let key = ecb_tests::management_key();
    let signed = Signing::With(&key, ecb_engine::unix_now());
    let url = connection_url(&two_management, bob_id);
    let (status, body) = management_call(Method::GET, &url, "", signed).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("connectedAt"), "{body}");
}

#[tokio::test]
async fn a_shared_server_needs_a_long_management_secret() {
    // Refused before the table is reached: no DynamoDB needed.
    let (dynamodb, backend) = ("http://127.0.0.1:1", "http://127.0.0.1:1");
    let missing = ecb_server::start(&settings(dynamodb, backend, &[])).await;
    let error = missing.err().expect("no secret, no start").to_string();
    assert!(
        error.contains("ECB_MANAGEMENT_SECRET is required"),
        "{error}"
    );
    let short = ecb_server::start(&settings(
        dynamodb,
        backend,
        &["--management-secret", "short"],
    ))
    .await;
    let error = short.err().expect("a short secret, no start").to_string();
    assert!(
        error.contains("ECB_MANAGEMENT_SECRET is invalid"),
        "{error}"
    );
}
