//! Tokens a test signs itself, as a customer's backend would.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::tokens::KeySet;

/// The demo backend's key pair: already in the repository, already trusted
/// by `ecb demo`, so the engine's tests need no key material of their own.
const PRIVATE_KEY_PEM: &str = include_str!("../../../../demo/backend/keys/demo.private.pem");
const PUBLIC_KEY_PEM: &str = include_str!("../../../../demo/backend/keys/public/demo.pem");

/// How long the tokens a test signs stay valid: longer than any test runs.
const LIFETIME_S: u64 = 3600;

/// Signs RS256 tokens with the test private key; the engine verifies them
/// with the public key alone, as it does in production.
pub struct TestKeys {
    signing: EncodingKey,
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TestKeys {
    /// The test key pair.
    pub fn new() -> Self {
        ecb_jwt::install();
        Self {
            signing: EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM.as_bytes())
                .expect("the demo private key parses"),
        }
    }

    /// The public keys an engine under test trusts: the test key only.
    pub fn key_set() -> KeySet {
        KeySet::load(&[], Some(PUBLIC_KEY_PEM)).expect("the demo public key parses")
    }

    /// Any claims as an RS256 JWT: for tokens a test shapes itself (expired,
    /// missing a claim).
    pub fn sign(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &self.signing)
            .expect("RS256 signing succeeds")
    }

    /// A valid userToken for `user_id` (its display name is the id).
    pub fn user_token(&self, user_id: &str) -> String {
        self.sign(&json!({
            "userId": user_id,
            "displayName": user_id,
            "exp": expiry(),
        }))
    }

    /// A valid threadToken naming a thread and its members.
    pub fn thread_token(&self, thread_id: &str, member_ids: &[&str]) -> String {
        self.sign(&json!({
            "threadId": thread_id,
            "memberIds": member_ids,
            "exp": expiry(),
        }))
    }

    /// A valid serverToken, the backend's credential for the server API.
    pub fn server_token(&self) -> String {
        self.sign(&json!({ "scope": "server", "exp": expiry() }))
    }
}

fn expiry() -> u64 {
    crate::unix_now() + LIFETIME_S
}
