//! The demo key pair and the tokens the backend signs with it.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Value, json};

/// The demo public key, PEM. ECB trusts it in `ecb demo` and the tests.
pub const DEMO_PUBLIC_KEY_PEM: &str = include_str!("../keys/public/demo.pem");
/// The demo public key as `ECB_PUBLIC_KEY` text: labelled with its id, so
/// the demo tokens' `kid` names it.
pub const DEMO_PUBLIC_KEY_TEXT: &str = concat!("demo: ", include_str!("../keys/public/demo.pem"));
const DEMO_PRIVATE_KEY_PEM: &str = include_str!("../keys/demo.private.pem");
/// The key id the demo tokens carry (the public key's file stem).
pub const DEMO_KEY_ID: &str = "demo";

/// How long demo tokens live.
const TOKEN_LIFETIME_S: u64 = 12 * 3600;
/// How long a serverToken lives: short, as PROTOCOL.md asks.
const SERVER_TOKEN_LIFETIME_S: u64 = 60;

/// Signs and checks the demo tokens.
pub struct DemoKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
}

/// What the backend reads back from the userToken ECB forwards.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BearerClaims {
    pub user_id: String,
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

impl DemoKeys {
    /// The shipped demo key pair.
    pub fn demo() -> Self {
        ecb_jwt::install();
        Self {
            encoding: EncodingKey::from_rsa_pem(DEMO_PRIVATE_KEY_PEM.as_bytes())
                .expect("the shipped demo private key parses"),
            decoding: DecodingKey::from_rsa_pem(DEMO_PUBLIC_KEY_PEM.as_bytes())
                .expect("the shipped demo public key parses"),
            kid: DEMO_KEY_ID.to_owned(),
        }
    }

    /// Signs any claims as an RS256 JWT with the demo key id.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(claims, Some(&self.kid))
    }

    /// Signs claims with the demo key under any key id (or none), as a
    /// backend whose key is configured under another name would.
    pub fn sign_with_kid(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("RS256 signing succeeds")
    }

    /// A userToken for a user.
    pub fn user_token(&self, user_id: &str, display_name: &str) -> String {
        self.sign(&json!({
            "userId": user_id,
            "displayName": display_name,
            "iat": now(),
            "exp": now() + TOKEN_LIFETIME_S,
        }))
    }

    /// A threadToken naming a thread's members.
    pub fn thread_token(&self, thread_id: &str, member_ids: &[String]) -> String {
        self.sign(&json!({
            "threadId": thread_id,
            "memberIds": member_ids,
            "exp": now() + TOKEN_LIFETIME_S,
        }))
    }

    /// A short-lived serverToken for ECB's server API.
    pub fn server_token(&self) -> String {
        self.sign(&json!({ "scope": "server", "exp": now() + SERVER_TOKEN_LIFETIME_S }))
    }

    /// Checks a bearer userToken: the backend trusts only its own signature.
    pub fn verify_user(&self, token: &str) -> Option<BearerClaims> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        jsonwebtoken::decode::<BearerClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}
