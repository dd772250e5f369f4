//! Standard Webhooks signatures, so a backend can tell ECB's calls from
//! anyone else's without sharing the JWT private key.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs request bodies with the shared secret (`ECB_BACKEND_SECRET`).
#[derive(Clone)]
pub struct WebhookSigner {
    key: Vec<u8>,
}

impl WebhookSigner {
    /// A signer for the decoded secret.
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// The `webhook-signature` value for a message id, timestamp and body:
    /// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    /// Whether a `webhook-signature` header (space-separated `v1,<sig>` list)
    /// holds a valid signature: what a backend does with ECB's calls.
    pub fn verify(&self, id: &str, timestamp: u64, body: &[u8], header: &str) -> bool {
        let expected = self.sign(id, timestamp, body);
        header
            .split_whitespace()
            .any(|candidate| constant_time_eq(candidate.as_bytes(), expected.as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification.
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        let signer = WebhookSigner::new(key);
        let body = br#"{"test": 2432232314}"#;
        let signature = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(signer.verify("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, &signature));
        assert!(!signer.verify("msg_other", 1614265330, body, &signature));
    }
}
