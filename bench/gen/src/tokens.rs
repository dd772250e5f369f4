//! Tokens, signed as the customer's backend would: RS256 with the demo key
//! pair ECB's demo and tests use (ECB and the peers hold the public key).

use std::path::Path;

use anyhow::Context;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

/// How long bench tokens live.
const LIFETIME_S: u64 = 12 * 3600;

/// Signs userTokens and threadTokens.
pub struct Signer {
    key: EncodingKey,
    kid: String,
}

impl Signer {
    /// From a PEM private key file; the key id is the public key's file stem (`demo`).
    pub fn from_file(private_key: &Path, kid: &str) -> anyhow::Result<Self> {
        ecb_jwt::install();
        let pem = std::fs::read(private_key)
            .with_context(|| format!("reading {}", private_key.display()))?;
        Ok(Self {
            key: EncodingKey::from_rsa_pem(&pem).context("RSA private key PEM")?,
            kid: kid.to_owned(),
        })
    }

    fn sign(&self, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).expect("RS256 signing")
    }

    /// A userToken.
    pub fn user_token(&self, user_id: &str) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        self.sign(&json!({
            "userId": user_id,
            "displayName": format!("Bench {user_id}"),
            "iat": now,
            "exp": now + LIFETIME_S,
        }))
    }

    /// A threadToken.
    pub fn thread_token(&self, thread_id: &str, member_ids: &[String]) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        self.sign(&json!({
            "threadId": thread_id,
            "memberIds": member_ids,
            "exp": now + LIFETIME_S,
        }))
    }
}
