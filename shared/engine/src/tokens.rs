//! Token verification: RS256 only, public keys only, chosen by `kid`.
//!
//! Every token the engine accepts passes through [`TokenVerifier`]. It refuses
//! any other algorithm before looking at a key, so `alg: none` and HS256
//! "signed" with the public key fail the same way as a forged signature.
//! jsonwebtoken parses and validates the claims; the signature is ring's
//! (`ecb-jwt` says why), which the verifier installs as jsonwebtoken's
//! provider when it is built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::EcbError;
use crate::config::{ConfigError, EngineConfig};
use crate::protocol::models::User;

/// One public key, with the id a token's `kid` names it by.
#[derive(Clone)]
struct NamedKey {
    kid: Option<String>,
    key: DecodingKey,
}

/// The public keys ECB trusts; several at once so keys can be rotated.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<NamedKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<_> = self
            .keys
            .iter()
            .map(|k| k.kid.as_deref().unwrap_or("-"))
            .collect();
        f.debug_struct("KeySet").field("kids", &ids).finish()
    }
}

impl KeySet {
    /// Loads the keys of `ECB_PUBLIC_KEY_FILE` (id = file stem) and
    /// `ECB_PUBLIC_KEY` (id = the label before each key, see
    /// [`labelled_pem_blocks`]); at least one key is required, and no two
    /// keys may share an id.
    pub fn load(files: &[PathBuf], pem_text: Option<&str>) -> Result<Self, ConfigError> {
        let mut keys = Vec::new();
        for path in files.iter().filter(|p| !p.as_os_str().is_empty()) {
            let pem = std::fs::read(path).map_err(|e| {
                ConfigError::invalid("ECB_PUBLIC_KEY_FILE", format!("{}: {e}", path.display()))
            })?;
            let key = public_key(&pem).map_err(|e| {
                ConfigError::invalid("ECB_PUBLIC_KEY_FILE", format!("{}: {e}", path.display()))
            })?;
            keys.push(NamedKey {
                kid: key_id(path),
                key,
            });
        }
        if let Some(text) = pem_text.filter(|t| !t.trim().is_empty()) {
            for block in labelled_pem_blocks(text)? {
                let key = public_key(block.pem.as_bytes())
                    .map_err(|e| ConfigError::invalid("ECB_PUBLIC_KEY", e))?;
                keys.push(NamedKey {
                    kid: block.kid,
                    key,
                });
            }
        }
        if keys.is_empty() {
            return Err(ConfigError::Missing(
                "ECB_PUBLIC_KEY_FILE or ECB_PUBLIC_KEY",
            ));
        }
        for (index, key) in keys.iter().enumerate() {
            if let Some(kid) = &key.kid
                && keys[..index].iter().any(|k| k.kid.as_ref() == Some(kid))
            {
                return Err(ConfigError::invalid(
                    "ECB_PUBLIC_KEY",
                    format!("two keys have the id {kid:?}"),
                ));
            }
        }
        Ok(Self { keys })
    }

    /// The keys to try for a token: the one its `kid` names (none when no
    /// key has that id: a kid binds a token to one key), else every key.
    fn candidates<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a DecodingKey> {
        self.keys
            .iter()
            .filter(move |k| kid.is_none() || k.kid.as_deref() == kid)
            .map(|k| &k.key)
    }
}

/// One PEM public key, refused now if RS256 may not use it: a key under
/// 2048 bits (RFC 7518, 3.3) would otherwise load and then fail every token
/// as a bad signature, since ring verifies with nothing smaller.
fn public_key(pem: &[u8]) -> Result<DecodingKey, String> {
    let key = DecodingKey::from_rsa_pem(pem).map_err(|e| e.to_string())?;
    match ecb_jwt::rsa_modulus_bits(&key) {
        Some(bits) if bits >= ecb_jwt::MIN_RSA_BITS => Ok(key),
        Some(bits) => Err(format!(
            "an RSA key of {bits} bits; RS256 needs at least {}",
            ecb_jwt::MIN_RSA_BITS
        )),
        None => Err("not an RSA public key".to_owned()),
    }
}

fn key_id(path: &Path) -> Option<String> {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
}

/// One key of `ECB_PUBLIC_KEY`: its PEM block and the id it was labelled with.
#[derive(Debug, PartialEq)]
struct LabelledPem {
    kid: Option<String>,
    pem: String,
}

const PEM_BEGIN: &str = "-----BEGIN";
const PEM_END: &str = "-----END";
const PEM_DASHES: &str = "-----";

/// Splits PEM text that may hold several keys (an environment variable can
/// carry a rotation pair), each optionally labelled with its id:
/// `2026-11: -----BEGIN PUBLIC KEY-----…`. Text keys need ids for the same
/// reason files have them: a token's `kid` must name one key, not fall back
/// to whichever key verifies. A literal `\n` stands for a newline, as it
/// often does where a PEM had to fit on one line; blocks are found by their
/// markers, so newlines may also be spaces or missing.
fn labelled_pem_blocks(text: &str) -> Result<Vec<LabelledPem>, ConfigError> {
    let text = text.replace("\\n", "\n");
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(begin) = rest.find(PEM_BEGIN) {
        let kid = pem_label(&rest[..begin])?;
        let block = &rest[begin..];
        let end = block
            .find(PEM_END)
            .and_then(|end| {
                let after = end + PEM_END.len();
                block[after..]
                    .find(PEM_DASHES)
                    .map(|dashes| after + dashes + PEM_DASHES.len())
            })
            .ok_or_else(|| ConfigError::invalid("ECB_PUBLIC_KEY", "a key lacks its END line"))?;
        let pem = block[..end]
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .fold(String::new(), |pem, line| pem + line + "\n");
        blocks.push(LabelledPem { kid, pem });
        rest = &block[end..];
    }
    if !rest.trim().is_empty() {
        // Not PEM at all, or text after the last key: the key parser says why.
        let pem = if blocks.is_empty() {
            text.clone()
        } else {
            rest.to_owned()
        };
        blocks.push(LabelledPem { kid: None, pem });
    }
    Ok(blocks)
}

/// The id before a PEM block: `id:`, or nothing.
fn pem_label(text: &str) -> Result<Option<String>, ConfigError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.strip_suffix(':').map(str::trim) {
        Some(kid) if !kid.is_empty() && !kid.contains(char::is_whitespace) => {
            Ok(Some(kid.to_owned()))
        }
        _ => Err(ConfigError::invalid(
            "ECB_PUBLIC_KEY",
            "text before a key must be its id and a colon (`2026-11: -----BEGIN PUBLIC KEY-----`)",
        )),
    }
}

/// What a userToken says about its holder.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserClaims {
    pub user_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
    pub exp: u64,
}

impl UserClaims {
    /// The caller as the backend's `user` model.
    pub fn to_user(&self) -> User {
        User {
            user_id: self.user_id.clone(),
            display_name: self.display_name.clone(),
            data: self.data.clone(),
        }
    }
}

/// What a threadToken says: which thread, and who belongs to it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadClaims {
    pub thread_id: String,
    pub member_ids: Vec<String>,
    pub exp: u64,
}

#[derive(Debug, Deserialize)]
struct ServerClaims {
    scope: String,
}

/// How many verified tokens are remembered.
const VERIFIED_CAPACITY: usize = 8192;

/// Tokens whose signature already verified, with their claims. An RSA
/// verification costs tens of microseconds (bench/ANALYSIS.md), more than
/// the rest of a message, and a client presents the same threadToken with
/// every message; the same string cannot verify
/// differently later (the keys are fixed for the process), so only `exp` is
/// checked again. Tokens are remembered by their SHA-256, not their text:
/// a JWT is half a kilobyte, and every open connection's userToken is here.
#[derive(Default)]
struct Verified {
    claims: Mutex<HashMap<[u8; 32], Arc<Value>>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Verified {
    fn get(&self, token: &str, leeway: u64) -> Option<Arc<Value>> {
        let claims = self.claims.lock().unwrap_or_else(|e| e.into_inner());
        let found = claims.get(&digest(token))?;
        let exp = found.get("exp").and_then(Value::as_u64)?;
        (exp + leeway >= crate::unix_now()).then(|| found.clone())
    }

    fn insert(&self, token: &str, value: &Arc<Value>) {
        let mut claims = self.claims.lock().unwrap_or_else(|e| e.into_inner());
        if claims.len() >= VERIFIED_CAPACITY {
            claims.clear();
        }
        claims.insert(digest(token), value.clone());
    }
}

/// Verifies the three kinds of token against the configured keys and claims.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: KeySet,
    validation: Validation,
    verified: Arc<Verified>,
}

impl TokenVerifier {
    /// Builds the verifier for a configuration.
    pub fn new(config: &EngineConfig) -> Self {
        ecb_jwt::install();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = vec![Algorithm::RS256];
        validation.leeway = config.token_leeway.as_secs();
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(issuer) = &config.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            keys: config.keys.clone(),
            validation,
            verified: Arc::default(),
        }
    }

    /// The leeway granted on `exp`, so a connection's later checks agree with
    /// the verification it had at connect time.
    pub fn leeway_s(&self) -> u64 {
        self.validation.leeway
    }

    /// Verifies a userToken.
    pub fn user(&self, token: &str) -> Result<UserClaims, EcbError> {
        let claims: UserClaims = self.verify(token, "userToken")?;
        if claims.user_id.is_empty() {
            return Err(EcbError::unauthorized("userToken has an empty userId"));
        }
        Ok(claims)
    }

    /// Verifies a threadToken.
    pub fn thread(&self, token: &str) -> Result<ThreadClaims, EcbError> {
        let claims: ThreadClaims = self.verify(token, "threadToken")?;
        if claims.thread_id.is_empty() {
            return Err(EcbError::unauthorized("threadToken has an empty threadId"));
        }
        Ok(claims)
    }

    /// Verifies a serverToken (the backend calling ECB's server API).
    pub fn server(&self, token: &str) -> Result<(), EcbError> {
        let claims: ServerClaims = self.verify(token, "serverToken")?;
        if claims.scope != "server" {
            return Err(EcbError::unauthorized("serverToken lacks scope \"server\""));
        }
        Ok(())
    }

    fn verify<T: DeserializeOwned>(&self, token: &str, kind: &'static str) -> Result<T, EcbError> {
        let claims = match self.verified.get(token, self.validation.leeway) {
            Some(claims) => {
                crate::instruments::token_checked(kind, "cache_hit");
                claims
            }
            None => {
                let verified = self.verify_signature(token, kind);
                let outcome = if verified.is_ok() {
                    "verified"
                } else {
                    "rejected"
                };
                crate::instruments::token_checked(kind, outcome);
                let claims = Arc::new(verified?);
                self.verified.insert(token, &claims);
                claims
            }
        };
        T::deserialize(&*claims)
            .map_err(|_| EcbError::unauthorized(format!("{kind} lacks or mistypes a claim")))
    }

    fn verify_signature(&self, token: &str, kind: &str) -> Result<Value, EcbError> {
        let header = decode_header(token)
            .map_err(|_| EcbError::unauthorized(format!("{kind} is not a valid RS256 JWT")))?;
        if header.alg != Algorithm::RS256 {
            return Err(EcbError::unauthorized(format!(
                "{kind} uses {:?}; only RS256 is accepted",
                header.alg
            )));
        }
        let mut last_error = None;
        for key in self.keys.candidates(header.kid.as_deref()) {
            match decode::<Value>(token, key, &self.validation) {
                Ok(data) => return Ok(data.claims),
                Err(error) => last_error = Some(error),
            }
        }
        let reason = match last_error.as_ref().map(|e| e.kind()) {
            Some(jsonwebtoken::errors::ErrorKind::ExpiredSignature) => "has expired",
            Some(jsonwebtoken::errors::ErrorKind::ImmatureSignature) => "is not valid yet",
            Some(jsonwebtoken::errors::ErrorKind::InvalidIssuer) => "has the wrong issuer",
            Some(jsonwebtoken::errors::ErrorKind::InvalidAudience) => "has the wrong audience",
            Some(jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_)) => {
                "lacks a required claim"
            }
            Some(jsonwebtoken::errors::ErrorKind::Json(_)) => "lacks or mistypes a claim",
            Some(jsonwebtoken::errors::ErrorKind::InvalidSignature) => "has an invalid signature",
            None => "names an unknown key",
            Some(_) => "could not be verified",
        };
        Err(EcbError::unauthorized(format!("{kind} {reason}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PUBLIC KEY-----\nAAAA\nBBBB\n-----END PUBLIC KEY-----";

    fn kids(text: &str) -> Vec<Option<String>> {
        labelled_pem_blocks(text)
            .unwrap()
            .into_iter()
            .map(|block| block.kid)
            .collect()
    }

    #[test]
    fn pem_text_splits_into_keys_whatever_its_line_breaks() {
        let one = labelled_pem_blocks(KEY).unwrap();
        assert_eq!(
            one,
            vec![LabelledPem {
                kid: None,
                pem: format!("{KEY}\n")
            }]
        );
        let two = format!("{KEY}\n{}", KEY.replace("PUBLIC KEY", "RSA PUBLIC KEY"));
        assert_eq!(labelled_pem_blocks(&two).unwrap().len(), 2);
        let escaped = KEY.replace('\n', "\\n");
        assert_eq!(labelled_pem_blocks(&escaped).unwrap(), one);
        let flat = format!("{} {}", KEY.replace('\n', " "), KEY.replace('\n', ""));
        assert_eq!(labelled_pem_blocks(&flat).unwrap().len(), 2);
    }

    #[test]
    fn a_label_before_a_key_is_its_id() {
        assert_eq!(
            kids(&format!("2026-11: {KEY}\n2027-01:\n{KEY}\n{KEY}")),
            [Some("2026-11".into()), Some("2027-01".into()), None]
        );
        assert_eq!(
            kids(&format!("a:{}", KEY.replace('\n', ""))),
            [Some("a".into())]
        );
    }

    #[test]
    fn a_key_too_small_for_rs256_is_refused_when_loaded() {
        const RSA_1024: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+W5IsbMvsS/Un3H0wpfgOtyGj
otOnDNl1SNsNXlLU46c/2STnHR24M2fkcSxQKR063EE04rpGDe2WIEoyMX6L70qY
ru4sUluPsidgI91mPHFAfuZ62VBxBV+Cbn3e7gx/qkyAH85/P/0yHATfAXD4o6yH
xXmh09yuLkieAl1BPQIDAQAB
-----END PUBLIC KEY-----";
        let error = KeySet::load(&[], Some(&format!("old: {RSA_1024}"))).unwrap_err();
        assert!(error.to_string().contains("1024 bits"), "{error}");
        // The 2048-bit demo key loads (key_set panics otherwise).
        crate::testing::TestKeys::key_set();
    }

    #[test]
    fn text_that_is_not_a_label_is_refused() {
        for text in [
            format!("no colon {KEY}"),
            format!(": {KEY}"),
            format!("two words: {KEY}"),
        ] {
            assert!(labelled_pem_blocks(&text).is_err(), "{text}");
        }
        assert!(labelled_pem_blocks("-----BEGIN PUBLIC KEY-----\nAAAA").is_err());
    }
}
