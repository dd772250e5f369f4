//! How ECB's own parts authenticate to each other's Management API
//! (`/@connections/{id}` on `ecb serve` and `ecb gateway`): an HMAC-SHA256,
//! keyed by the shared `ECB_MANAGEMENT_SECRET`, of the request's method, path
//! (with its query), time and body.
//!
//! Why not SigV4, as API Gateway's own endpoint does: verifying SigV4 needs
//! the signer's secret access key, and the functions sign with their role's
//! temporary credentials, which no other party holds. A secret of ECB's own
//! works the same for a Lambda, a local server and the emulator, and keeps
//! AWS credentials out of server-to-server trust. The time bounds replay to
//! [`MAX_CLOCK_SKEW_S`] either way of the verifier's clock, as SigV4's does.

use std::sync::Arc;

use base64::Engine as _;
use ecb_engine::ConfigError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The request's time, Unix seconds.
pub const TIME_HEADER: &str = "x-ecb-management-time";
/// `v1=` + base64 of the HMAC.
pub const SIGNATURE_HEADER: &str = "x-ecb-management-signature";
/// How far a request's time may be from the verifier's clock.
pub const MAX_CLOCK_SKEW_S: u64 = 300;
/// The shortest secret accepted: a secret is a key, not a password.
pub const MIN_SECRET_BYTES: usize = 32;
/// The setting the key comes from.
pub const SETTING: &str = "ECB_MANAGEMENT_SECRET";

/// The shared key, checked once at start-up.
#[derive(Clone)]
pub struct ManagementKey {
    key: Arc<[u8]>,
}

impl std::fmt::Debug for ManagementKey {
    /// Never the key itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManagementKey(…)")
    }
}

/// A request the Management API refuses, and the sentence saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No time or no signature header.
    Unsigned,
    /// A time that is not a number, or too far from the verifier's clock.
    OutOfWindow,
    /// A signature that does not match the request.
    Mismatch,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::Unsigned => "the Management API needs a signed request",
            Self::OutOfWindow => "the request's signing time is outside the allowed clock skew",
            Self::Mismatch => "the request's signature does not match",
        }
    }
}

impl ManagementKey {
    /// The key from `ECB_MANAGEMENT_SECRET`'s text, used as the HMAC key's
    /// bytes; shorter than [`MIN_SECRET_BYTES`] is refused.
    pub fn from_secret(secret: &str) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: SETTING,
                reason: format!("must be at least {MIN_SECRET_BYTES} characters"),
            });
        }
        Ok(Self {
            key: secret.as_bytes().into(),
        })
    }

    /// The key a Management API server needs: it is never served unsigned.
    pub fn required(secret: Option<&str>) -> Result<Self, ConfigError> {
        Self::from_secret(secret.ok_or(ConfigError::Missing(SETTING))?)
    }

    /// The key a pusher signs with, when one is configured (API Gateway's
    /// own endpoint needs none: it checks SigV4).
    pub fn optional(secret: Option<&str>) -> Result<Option<Self>, ConfigError> {
        secret.map(Self::from_secret).transpose()
    }

    fn mac(&self, method: &str, target: &str, time: u64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        // Newlines cannot occur in a method, a request target or a number,
        // so the fields cannot run into one another.
        mac.update(format!("{method}\n{target}\n{time}\n").as_bytes());
        mac.update(body);
        mac
    }

    /// The [`SIGNATURE_HEADER`] value for a request: `target` is its path and
    /// query as sent on the wire (percent-encoding and all).
    pub fn sign(&self, method: &str, target: &str, time: u64, body: &[u8]) -> String {
        let digest = self.mac(method, target, time, body).finalize().into_bytes();
        format!(
            "v1={}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    /// Whether a request carries a valid signature made within the allowed
    /// skew of `now`. The comparison is the HMAC crate's constant-time one.
    pub fn verify(
        &self,
        request: SignedRequest<'_>,
        time: Option<&str>,
        signature: Option<&str>,
        now: u64,
    ) -> Result<(), Refusal> {
        let (Some(time), Some(signature)) = (time, signature) else {
            return Err(Refusal::Unsigned);
        };
        let time: u64 = time.trim().parse().map_err(|_| Refusal::OutOfWindow)?;
        if time.abs_diff(now) > MAX_CLOCK_SKEW_S {
            return Err(Refusal::OutOfWindow);
        }
        let digest = signature
            .trim()
            .strip_prefix("v1=")
            .and_then(|encoded| {
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .ok()
            })
            .ok_or(Refusal::Mismatch)?;
        self.mac(request.method, request.target, time, request.body)
            .verify_slice(&digest)
            .map_err(|_| Refusal::Mismatch)
    }
}

/// What of a request the signature covers, besides its time.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path and query, as received.
    pub target: &'a str,
    pub body: &'a [u8],
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const NOW: u64 = 1_800_000_000;

    fn request(body: &[u8]) -> SignedRequest<'_> {
        SignedRequest {
            method: "POST",
            target: "/@connections/c1",
            body,
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(ManagementKey::from_secret("short").is_err());
        assert!(ManagementKey::from_secret(SECRET).is_ok());
    }

    #[test]
    fn a_signature_covers_method_path_time_and_body() {
        let key = ManagementKey::from_secret(SECRET).unwrap();
        let signature = key.sign("POST", "/@connections/c1", NOW, b"hi");
        let time = NOW.to_string();
        let verify = |request, time: &str, signature: &str, now| {
            key.verify(request, Some(time), Some(signature), now)
        };
        assert_eq!(verify(request(b"hi"), &time, &signature, NOW), Ok(()));
        assert_eq!(
            verify(request(b"hi"), &time, &signature, NOW + MAX_CLOCK_SKEW_S),
            Ok(())
        );
        assert_eq!(
            verify(request(b"ho"), &time, &signature, NOW),
            Err(Refusal::Mismatch)
        );
        let other_path = SignedRequest {
            target: "/@connections/c2",
            ..request(b"hi")
        };
        assert_eq!(
            verify(other_path, &time, &signature, NOW),
            Err(Refusal::Mismatch)
        );
        let delete = SignedRequest {
            method: "DELETE",
            ..request(b"hi")
        };
        assert_eq!(
            verify(delete, &time, &signature, NOW),
            Err(Refusal::Mismatch)
        );
        let later = (NOW + 1).to_string();
        assert_eq!(
            verify(request(b"hi"), &later, &signature, NOW),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify(
                request(b"hi"),
                &time,
                &signature,
                NOW + MAX_CLOCK_SKEW_S + 1
            ),
            Err(Refusal::OutOfWindow)
        );
        let other_key = ManagementKey::from_secret(&SECRET.repeat(2)).unwrap();
        assert_eq!(
            other_key.verify(request(b"hi"), Some(&time), Some(&signature), NOW),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            key.verify(request(b"hi"), None, Some(&signature), NOW),
            Err(Refusal::Unsigned)
        );
        assert_eq!(
            verify(request(b"hi"), &time, "v1=not base64!", NOW),
            Err(Refusal::Mismatch)
        );
    }
}
