//! The Management API as the tests call it: the secret every test server,
//! gateway and function shares, and requests signed with it (or not, or
//! wrongly) the way `ManagementPusher` signs its own.

use ecb_aws::ManagementKey;

/// `ECB_MANAGEMENT_SECRET` in the tests.
pub const MANAGEMENT_SECRET: &str = "ecb-tests-management-secret-0123456789";

/// The key of [`MANAGEMENT_SECRET`].
pub fn management_key() -> ManagementKey {
    ManagementKey::from_secret(MANAGEMENT_SECRET).expect("a long enough secret")
}

/// `{base}/@connections/{id}`, the id percent-encoded as the SDK does (API
/// Gateway's ids hold `/`, `+` and `=`).
pub fn connection_url(base: &str, connection_id: &str) -> String {
    let mut url = reqwest::Url::parse(base).expect("a base URL");
    url.path_segments_mut()
        .expect("a base that can have a path")
        .pop_if_empty()
        .extend(["@connections", connection_id]);
    url.to_string()
}

/// How a test request to `/@connections` is signed.
#[derive(Debug, Clone, Copy)]
pub enum Signing<'a> {
    /// No signature headers at all: what a forger without the secret sends.
    None,
    /// Signed with this key, at this Unix time.
    With(&'a ManagementKey, u64),
}

/// Sends `method url` with `body`, signed as `signing` says; the status and
/// the body of the answer.
pub async fn management_call(
    method: reqwest::Method,
    url: &str,
    body: &str,
    signing: Signing<'_>,
) -> (u16, String) {
    let parsed = reqwest::Url::parse(url).expect("a URL");
    let target = match parsed.query() {
        Some(query) => format!("{}?{query}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let mut request = reqwest::Client::new()
        .request(method.clone(), parsed)
        .body(body.to_owned());
    if let Signing::With(key, time) = signing {
        let signature = key.sign(method.as_str(), &target, time, body.as_bytes());
        request = request
            .header(ecb_aws::management_key::TIME_HEADER, time.to_string())
            .header(ecb_aws::management_key::SIGNATURE_HEADER, signature);
    }
    let response = request.send().await.expect("the Management API answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// A push as a forger would write it: alice "says" something in alice-bob.
pub fn forged_push() -> String {
    serde_json::json!({
        "type": "message",
        "threadId": "alice-bob",
        "message": { "messageId": "forged", "senderId": "alice", "type": "text", "data": "your password, please" },
    })
    .to_string()
}

/// Asserts `url` (a `/@connections/{id}`) refuses, with 401 and the
/// `unauthorized` envelope, every call without the secret's valid
/// signature: none at all, another key's, the right key's outside the
/// clock skew; a POST, a GET and a DELETE alike.
pub async fn assert_management_refused(url: &str) {
    let wrong_key = ManagementKey::from_secret(&"x".repeat(40)).expect("a key");
    let right_key = management_key();
    let now = ecb_engine::unix_now();
    // Past the allowed skew by a margin, so the seconds the calls take
    // cannot bring a time back into the window.
    let skew = ecb_aws::management_key::MAX_CLOCK_SKEW_S + 30;
    let signings = [
        Signing::None,
        Signing::With(&wrong_key, now),
        Signing::With(&right_key, now - skew),
        Signing::With(&right_key, now + skew),
    ];
    for method in [
        reqwest::Method::POST,
        reqwest::Method::GET,
        reqwest::Method::DELETE,
    ] {
        for (case, signing) in signings.into_iter().enumerate() {
            let (status, body) =
                management_call(method.clone(), url, &forged_push(), signing).await;
            assert_eq!(
                status, 401,
                "{method} {url} case {case} {signing:?}: {body}"
            );
            let envelope: serde_json::Value = serde_json::from_str(&body).expect("an envelope");
            assert_eq!(envelope["ok"], false, "{body}");
            assert_eq!(envelope["error"]["code"], "unauthorized", "{body}");
        }
    }
}
