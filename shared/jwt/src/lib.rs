//! jsonwebtoken's cryptography on ring.
//!
//! jsonwebtoken (10 and later) signs and verifies through one process-wide
//! [`CryptoProvider`]. Its own two are RustCrypto, whose `rsa` crate verifies
//! RS256 at about a quarter of OpenSSL's speed and carries RUSTSEC-2023-0071
//! (a timing side channel), and aws-lc-rs, a second C crypto library with a
//! build of its own. ring is already in every ECB binary for rustls, and its
//! RSA is assembly, as OpenSSL's is. So ECB builds jsonwebtoken without a
//! provider and installs [`PROVIDER`] instead: call [`install`] before the
//! first `encode` or `decode` (every key holder does, in its constructor;
//! calling it again is harmless).
//!
//! Only what ECB and its tests use is here: RS256, signed and verified, and
//! HS256, which the tests sign to forge the algorithm-confusion attack. Any
//! other algorithm is [`ErrorKind::InvalidAlgorithm`]; ECB accepts RS256 alone
//! anyway, and refuses every other `alg` before it reaches a provider.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind, new_error};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey};

/// The provider: RS256 and HS256 on ring.
pub static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_public_key: rsa_components_from_public_key,
        ..KeyUtils::new_unimplemented()
    },
};

/// Installs [`PROVIDER`] as jsonwebtoken's, unless one already is.
pub fn install() {
    let _ = PROVIDER.install_default();
}

/// The smallest RSA modulus RS256 allows (RFC 7518, section 3.3), and the
/// smallest ring verifies with.
pub const MIN_RSA_BITS: usize = 2048;

/// The size in bits of an RSA public key's modulus (`DecodingKey::from_rsa_pem`
/// and `from_rsa_der` keep a PKCS#1 `RSAPublicKey`), so a key too small to
/// verify anything is refused when it is loaded, not at every token.
pub fn rsa_modulus_bits(key: &DecodingKey) -> Option<usize> {
    let modulus = match key.kind() {
        DecodingKeyKind::SecretOrDer(der) => rsa_public_components(der)?.0,
        DecodingKeyKind::RsaModulusExponent { n, .. } => without_leading_zeros(n),
    };
    let first = modulus.first()?;
    Some(modulus.len() * 8 - first.leading_zeros() as usize)
}

/// The two algorithms this provider does, each with its key's family; a key
/// of another family is refused before anything is parsed.
fn check_algorithm(algorithm: &Algorithm, key_family: AlgorithmFamily) -> Result<(), Error> {
    let family = match algorithm {
        Algorithm::RS256 => AlgorithmFamily::Rsa,
        Algorithm::HS256 => AlgorithmFamily::Hmac,
        _ => return Err(new_error(ErrorKind::InvalidAlgorithm)),
    };
    if key_family != family {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    Ok(())
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    check_algorithm(algorithm, key.family())?;
    Ok(Box::new(RingSigner {
        algorithm: *algorithm,
        key: key.clone(),
    }))
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    check_algorithm(algorithm, key.family())?;
    Ok(Box::new(RingVerifier {
        algorithm: *algorithm,
        key: key.clone(),
    }))
}

/// One signature with one key. jsonwebtoken asks its provider for a fresh
/// signer per token, so this holds the key (a clone: the factory's box must
/// own it) and parses it when it signs.
struct RingSigner {
    algorithm: Algorithm,
    key: EncodingKey,
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        match self.algorithm {
            Algorithm::HS256 => {
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, self.key.as_bytes());
                Ok(ring::hmac::sign(&key, message).as_ref().to_vec())
            }
            _ => {
                // PKCS#1 `RSAPrivateKey`, which `EncodingKey::from_rsa_pem`
                // extracts from both PEM forms.
                let pair = ring::signature::RsaKeyPair::from_der(self.key.as_bytes())
                    .map_err(|_| signature::Error::new())?;
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| signature::Error::new())?;
                Ok(signature)
            }
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// One verification with one key (see [`RingSigner`] for why it owns it).
struct RingVerifier {
    algorithm: Algorithm,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let verified = match (self.algorithm, self.key.kind()) {
            (Algorithm::HS256, DecodingKeyKind::SecretOrDer(secret)) => {
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
                ring::hmac::verify(&key, message, signature)
            }
            (Algorithm::HS256, DecodingKeyKind::RsaModulusExponent { .. }) => {
                return Err(signature::Error::new());
            }
            (_, DecodingKeyKind::SecretOrDer(der)) => {
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(message, signature)
            }
            (_, DecodingKeyKind::RsaModulusExponent { n, e }) => RsaPublicKeyComponents { n, e }
                .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature),
        };
        verified.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn rsa_components_from_public_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let (n, e) = rsa_public_components(der).ok_or_else(|| {
        new_error(ErrorKind::InvalidRsaKey(
            "not a PKCS#1 RSAPublicKey".to_owned(),
        ))
    })?;
    Ok((n.to_vec(), e.to_vec()))
}

/// The modulus and exponent of a DER `RSAPublicKey ::= SEQUENCE { modulus
/// INTEGER, publicExponent INTEGER }`, big-endian without leading zeros.
fn rsa_public_components(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (sequence, _) = der_element(der, DER_SEQUENCE)?;
    let (modulus, rest) = der_element(sequence, DER_INTEGER)?;
    let (exponent, _) = der_element(rest, DER_INTEGER)?;
    Some((
        without_leading_zeros(modulus),
        without_leading_zeros(exponent),
    ))
}

const DER_SEQUENCE: u8 = 0x30;
const DER_INTEGER: u8 = 0x02;

/// One DER element of the given tag: its contents and what follows it.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if found != tag {
        return None;
    }
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let octets = usize::from(first & 0x7f);
        if octets == 0 || octets > 4 || rest.len() < octets {
            return None;
        }
        let (length, rest) = rest.split_at(octets);
        let length = length
            .iter()
            .fold(0usize, |length, &byte| length << 8 | usize::from(byte));
        (length, rest)
    };
    (rest.len() >= length).then(|| rest.split_at(length))
}

fn without_leading_zeros(integer: &[u8]) -> &[u8] {
    let start = integer
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(integer.len());
    &integer[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::{Value, json};

    const PRIVATE: &str = include_str!("../../../demo/backend/keys/demo.private.pem");
    const PUBLIC: &str = include_str!("../../../demo/backend/keys/public/demo.pem");
    const OTHER_PUBLIC: &str = include_str!("../../../tests/fixtures/intruder.pem");

    fn claims() -> Value {
        json!({ "sub": "alice", "exp": jsonwebtoken::get_current_timestamp() + 60 })
    }

    fn rs256(token: &str, public_pem: &str) -> Result<Value, ErrorKind> {
        let key = DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap();
        decode::<Value>(token, &key, &Validation::new(Algorithm::RS256))
            .map(|data| data.claims)
            .map_err(|e| e.into_kind())
    }

    #[test]
    fn rs256_signed_here_verifies_with_the_public_key_only() {
        install();
        let key = EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap();
        let token = encode(&Header::new(Algorithm::RS256), &claims(), &key).unwrap();
        assert_eq!(rs256(&token, PUBLIC).unwrap()["sub"], "alice");
        assert_eq!(
            rs256(&token, OTHER_PUBLIC),
            Err(ErrorKind::InvalidSignature)
        );
        let (body, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let forged = format!("{body}.{flipped}{}", &signature[1..]);
        assert_eq!(rs256(&forged, PUBLIC), Err(ErrorKind::InvalidSignature));
    }

    #[test]
    fn an_rsa_key_is_not_an_hmac_secret() {
        install();
        let key = EncodingKey::from_secret(PUBLIC.as_bytes());
        let token = encode(&Header::new(Algorithm::HS256), &claims(), &key).unwrap();
        let secret = DecodingKey::from_secret(PUBLIC.as_bytes());
        assert!(decode::<Value>(&token, &secret, &Validation::new(Algorithm::HS256)).is_ok());
        let rsa = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        let confused = decode::<Value>(&token, &rsa, &Validation::new(Algorithm::HS256));
        assert_eq!(
            confused.map_err(|e| e.into_kind()).unwrap_err(),
            ErrorKind::InvalidKeyFormat
        );
    }

    #[test]
    fn other_algorithms_are_refused() {
        install();
        let key = EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap();
        let signed = encode(&Header::new(Algorithm::RS512), &claims(), &key);
        assert_eq!(
            signed.map_err(|e| e.into_kind()).unwrap_err(),
            ErrorKind::InvalidAlgorithm
        );
    }

    #[test]
    fn the_modulus_size_is_read_off_the_key() {
        let key = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        assert_eq!(rsa_modulus_bits(&key), Some(2048));
        assert_eq!(
            rsa_modulus_bits(&DecodingKey::from_rsa_raw_components(&[0, 0x40, 0], &[1])),
            Some(15)
        );
        assert_eq!(rsa_modulus_bits(&DecodingKey::from_rsa_der(b"\x30")), None);
        assert_eq!(
            rsa_modulus_bits(&DecodingKey::from_rsa_der(b"\x30\x84\xff\xff\xff\xff")),
            None
        );
    }
}
