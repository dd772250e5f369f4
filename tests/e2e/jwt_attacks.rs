//! The JWT attack matrix. Every forged, stale or misused token is refused, and
//! refused before the backend hears of it.

use ecb_tests::tokens::{INTRUDER_PUBLIC_KEY, now};
use ecb_tests::{Stack, StackOptions, TestTokens, WsClient};
use serde_json::{Value, json};

/// Bad userTokens and why each is bad.
fn bad_user_tokens(tokens: &TestTokens) -> Vec<(&'static str, String)> {
    let alice = TestTokens::user_claims("alice");
    vec![
        ("alg none", tokens.unsigned(&alice)),
        (
            "HS256 signed with the public key",
            tokens.hs256_with_public_key(&alice),
        ),
        (
            "expired",
            tokens.signed(&json!({ "userId": "alice", "exp": now() - 3600 })),
        ),
        (
            "not yet valid",
            tokens.signed(&json!({ "userId": "alice", "exp": now() + 7200, "nbf": now() + 3600 })),
        ),
        ("another key", tokens.by_intruder(&alice, None)),
        (
            "another key claiming the demo kid",
            tokens.by_intruder(&alice, Some("demo")),
        ),
        (
            "tampered",
            tokens.tampered(&TestTokens::user_claims("mallory"), &alice),
        ),
        ("no userId", tokens.signed(&json!({ "exp": now() + 3600 }))),
        ("no exp", tokens.signed(&json!({ "userId": "alice" }))),
        (
            "a threadToken",
            tokens.signed(&TestTokens::thread_claims("welcome", &["alice"])),
        ),
        ("not a JWT", "hello".to_owned()),
        ("empty", String::new()),
    ]
}

#[tokio::test]
async fn bad_user_tokens_are_refused_at_connect_and_over_rest() {
    let stack = Stack::start().await;
    let rest = stack.rest();
    for (why, token) in bad_user_tokens(&stack.tokens) {
        let refused = WsClient::connect(&stack.ecb.url(), &token).await.err();
        assert_eq!(refused, Some(401), "websocket with a token that is {why}");
        let (status, body) = rest.call("getThreads", Some(&token), &json!({})).await;
        assert_eq!(status, 401, "REST with a token that is {why}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let (status, _) = rest.call("getThreads", None, &json!({})).await;
    assert_eq!(status, 401, "REST without a token");
    assert!(
        stack.backend_calls().is_empty(),
        "the backend saw {:?}",
        stack.backend_operations()
    );
}

#[tokio::test]
async fn bad_thread_tokens_are_refused_before_the_backend() {
    let stack = Stack::with(StackOptions {
        flags: vec!["--rate-limit".into(), "1000".into()],
        ..Default::default()
    })
    .await;
    let tokens = &stack.tokens;
    let mut alice = stack.ws("alice").await;
    let welcome = TestTokens::thread_claims("welcome", &["alice", "bob"]);
    let bad: Vec<(&str, String, &str)> = vec![
        ("alg none", tokens.unsigned(&welcome), "unauthorized"),
        (
            "HS256",
            tokens.hs256_with_public_key(&welcome),
            "unauthorized",
        ),
        (
            "expired",
            tokens.signed(
                &json!({ "threadId": "welcome", "memberIds": ["alice"], "exp": now() - 3600 }),
            ),
            "unauthorized",
        ),
        (
            "another key",
            tokens.by_intruder(&welcome, None),
            "unauthorized",
        ),
        (
            "tampered membership",
            tokens.tampered(&TestTokens::thread_claims("welcome", &["bob"]), &welcome),
            "unauthorized",
        ),
        ("a userToken", stack.user_token("alice"), "unauthorized"),
    ];
    for (why, token, expected) in bad {
        for action in ["getThread", "sendMessage", "getPresence", "leaveThread"] {
            let code = alice
                .error_code(
                    action,
                    json!({ "threadToken": token, "message": { "type": "text", "data": "x" } }),
                )
                .await;
            assert_eq!(code, expected, "{action} with a threadToken that is {why}");
        }
    }
    assert!(
        stack.backend_calls().is_empty(),
        "the backend saw {:?}",
        stack.backend_operations()
    );
}

#[tokio::test]
async fn non_members_are_forbidden_while_block_non_members_is_on() {
    let stack = Stack::start().await;
    let mut carol = stack.ws("carol").await; // not in alice-bob
    let other_thread = stack.thread_token("alice-bob");
    for action in ["getThread", "sendMessage", "getPresence"] {
        let code = carol
            .error_code(
                action,
                json!({ "threadToken": other_thread, "message": { "type": "text", "data": "x" } }),
            )
            .await;
        assert_eq!(code, "forbidden", "{action}");
    }
    let (status, body) = stack
        .rest()
        .call(
            "sendMessage",
            Some(&stack.user_token("carol")),
            &json!({ "threadToken": other_thread, "message": { "type": "text", "data": "x" } }),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(stack.backend_calls().is_empty());
}

#[tokio::test]
async fn non_members_reach_the_backend_when_block_non_members_is_off() {
    let stack = Stack::with(StackOptions {
        flags: vec!["--block-non-members".into(), "false".into()],
        ..Default::default()
    })
    .await;
    let mut carol = stack.ws("carol").await;
    let response = carol
        .request(
            "getThread",
            json!({ "threadToken": stack.thread_token("alice-bob") }),
        )
        .await;
    // The backend decides: the demo backend refuses non-members with 403.
    assert_eq!(response["error"]["code"], "backend_rejected");
    assert_eq!(response["error"]["backend"]["code"], "not_a_member");
    assert_eq!(stack.backend_operations(), ["getThread"]);
}

#[tokio::test]
async fn what_no_backend_sees_checks_membership_even_when_block_non_members_is_off() {
    let stack = Stack::with(StackOptions {
        flags: vec!["--block-non-members".into(), "false".into()],
        ..Default::default()
    })
    .await;
    let mut carol = stack.ws("carol").await; // not in alice-bob
    let other_thread = stack.thread_token("alice-bob");
    let typing =
        json!({ "threadToken": other_thread, "message": { "type": "typing", "data": true } });
    let presence = json!({ "threadToken": other_thread });
    assert_eq!(
        carol.error_code("sendMessage", typing.clone()).await,
        "forbidden"
    );
    assert_eq!(
        carol.error_code("getPresence", presence.clone()).await,
        "forbidden"
    );
    let carol_token = stack.user_token("carol");
    for (action, payload) in [("sendMessage", &typing), ("getPresence", &presence)] {
        let (status, body) = stack.rest().call(action, Some(&carol_token), payload).await;
        assert_eq!(
            (status.as_u16(), body["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "REST {action}"
        );
    }
    // Members still type and see presence.
    let mut alice = stack.ws("alice").await;
    alice.ok("sendMessage", typing).await;
    alice.ok("getPresence", presence).await;
    assert!(stack.backend_calls().is_empty());
}

#[tokio::test]
async fn a_kid_that_names_no_configured_key_is_refused_whatever_key_signed_it() {
    // The demo key twice: as the stack's file `demo.pem` (id "demo") and as
    // unlabelled text; the intruder's key as text labelled "next".
    let keys = format!(
        "{}next: {INTRUDER_PUBLIC_KEY}",
        ecb_demo_backend::DEMO_PUBLIC_KEY_PEM
    );
    let stack = Stack::with(StackOptions {
        flags: vec![format!("--public-key={keys}")],
        ..Default::default()
    })
    .await;
    let url = stack.ecb.url();
    let alice = TestTokens::user_claims("alice");
    let tokens = &stack.tokens;
    for (why, token) in [
        (
            "the demo key without kid",
            tokens.signed_with_kid(&alice, None),
        ),
        (
            "the demo key as demo",
            tokens.signed_with_kid(&alice, Some("demo")),
        ),
        (
            "a text key by its label",
            tokens.by_intruder(&alice, Some("next")),
        ),
        ("a text key without kid", tokens.by_intruder(&alice, None)),
    ] {
        assert!(WsClient::connect(&url, &token).await.is_ok(), "{why}");
    }
    for (why, token) in [
        (
            "a path as kid",
            tokens.signed_with_kid(&alice, Some("../../etc/passwd")),
        ),
        (
            "an unknown kid",
            tokens.signed_with_kid(&alice, Some("nope")),
        ),
        (
            "another text key's label",
            tokens.signed_with_kid(&alice, Some("next")),
        ),
    ] {
        assert_eq!(
            WsClient::connect(&url, &token).await.err(),
            Some(401),
            "{why}"
        );
        let (status, _) = stack
            .rest()
            .call("getThreads", Some(&token), &json!({}))
            .await;
        assert_eq!(status, 401, "REST: {why}");
    }
    assert!(stack.backend_calls().is_empty());
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let stack = Stack::with(StackOptions {
        flags: vec![
            "--issuer".into(),
            "https://backend.example".into(),
            "--audience".into(),
            "ecb".into(),
        ],
        ..Default::default()
    })
    .await;
    let tokens = &stack.tokens;
    let claims = |iss: &str, aud: &str| -> Value {
        json!({ "userId": "alice", "exp": now() + 600, "iss": iss, "aud": aud })
    };
    let url = stack.ecb.url();
    assert!(
        WsClient::connect(
            &url,
            &tokens.signed(&claims("https://backend.example", "ecb"))
        )
        .await
        .is_ok()
    );
    for (why, token) in [
        (
            "wrong iss",
            tokens.signed(&claims("https://evil.example", "ecb")),
        ),
        (
            "wrong aud",
            tokens.signed(&claims("https://backend.example", "other")),
        ),
        (
            "no iss/aud",
            tokens.signed(&TestTokens::user_claims("alice")),
        ),
    ] {
        assert_eq!(
            WsClient::connect(&url, &token).await.err(),
            Some(401),
            "{why}"
        );
    }
    assert!(stack.backend_calls().is_empty());
}

#[tokio::test]
async fn rotated_keys_are_chosen_by_kid() {
    let dir = std::env::temp_dir().join(format!("ecb-rotation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let next = dir.join("next.pem");
    std::fs::write(&next, INTRUDER_PUBLIC_KEY).unwrap();
    let stack = Stack::with(StackOptions {
        flags: vec!["--public-key-file".into(), next.display().to_string()],
        ..Default::default()
    })
    .await;
    let url = stack.ecb.url();
    let alice = TestTokens::user_claims("alice");
    // The demo key file is still configured by the stack, so both keys are trusted...
    assert!(
        WsClient::connect(&url, &stack.tokens.by_intruder(&alice, Some("next")))
            .await
            .is_ok()
    );
    assert!(
        WsClient::connect(&url, &stack.tokens.by_intruder(&alice, None))
            .await
            .is_ok()
    );
    // ...but a kid binds the token to that one key.
    assert_eq!(
        WsClient::connect(&url, &stack.tokens.by_intruder(&alice, Some("demo")))
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        WsClient::connect(&url, &stack.tokens.by_intruder(&alice, Some("unknown")))
            .await
            .err(),
        Some(401)
    );
}
