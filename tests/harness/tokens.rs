//! Tokens a test signs itself: good ones with the demo key, and every kind of
//! bad one an attacker would try.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const INTRUDER_PRIVATE_KEY: &str = include_str!("../fixtures/intruder.private.pem");
/// The intruder's public key: a second trusted key in rotation tests.
pub const INTRUDER_PUBLIC_KEY: &str = include_str!("../fixtures/intruder.pem");

/// Signs tokens for tests.
pub struct TestTokens {
    demo: ecb_demo_backend::DemoKeys,
    intruder: EncodingKey,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

impl Default for TestTokens {
    fn default() -> Self {
        Self::new()
    }
}

impl TestTokens {
    /// The demo key and the intruder's.
    pub fn new() -> Self {
        Self {
            demo: ecb_demo_backend::DemoKeys::demo(),
            intruder: EncodingKey::from_rsa_pem(INTRUDER_PRIVATE_KEY.as_bytes())
                .expect("intruder key parses"),
        }
    }

    /// Claims signed with the demo key (kid "demo"): what ECB trusts.
    pub fn signed(&self, claims: &Value) -> String {
        self.demo.sign(claims)
    }

    /// Claims signed with the demo key under another key id (or none).
    pub fn signed_with_kid(&self, claims: &Value, kid: Option<&str>) -> String {
        self.demo.sign_with_kid(claims, kid)
    }

    /// Claims signed with a key ECB does not know.
    pub fn by_intruder(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.intruder).expect("signing")
    }

    /// `alg: none`, no signature.
    pub fn unsigned(&self, claims: &Value) -> String {
        let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        format!("{header}.{}.", b64(claims.to_string().as_bytes()))
    }

    /// HS256 with the RSA public key's PEM as the HMAC secret: the classic
    /// algorithm-confusion attack.
    pub fn hs256_with_public_key(&self, claims: &Value) -> String {
        let key = EncodingKey::from_secret(ecb_demo_backend::DEMO_PUBLIC_KEY_PEM.as_bytes());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).expect("signing")
    }

    /// A validly signed token whose payload was then changed.
    pub fn tampered(&self, claims: &Value, forged: &Value) -> String {
        let token = self.signed(claims);
        let parts: Vec<&str> = token.split('.').collect();
        format!(
            "{}.{}.{}",
            parts[0],
            b64(forged.to_string().as_bytes()),
            parts[2]
        )
    }

    /// userToken claims for a user, valid for an hour.
    pub fn user_claims(user_id: &str) -> Value {
        json!({ "userId": user_id, "displayName": user_id, "exp": now() + 3600 })
    }

    /// threadToken claims.
    pub fn thread_claims(thread_id: &str, members: &[&str]) -> Value {
        json!({ "threadId": thread_id, "memberIds": members, "exp": now() + 3600 })
    }

    /// A valid serverToken.
    pub fn server_token(&self) -> String {
        self.demo.server_token()
    }
}
