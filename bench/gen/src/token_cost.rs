//! What one RS256 verification costs, ECB's beside Node's, on the same
//! tokens and the same CPU (the load CPU), measured before the scenarios.
//!
//! ECB's figure is its own `TokenVerifier` (jsonwebtoken on ring), not a bare
//! signature check: on a token it has not seen (what each client of a
//! reconnect storm presents) and on one it verified before (what every
//! message presents). Node's are `crypto.verify` (OpenSSL, the signature
//! alone) and the `jsonwebtoken` package the Node peer verifies with.

use std::path::Path;
use std::time::Instant;

use ecb_engine::Settings;
use ecb_engine::tokens::TokenVerifier;

use crate::tokens::Signer;

/// Distinct tokens signed for the measurement; the first `WARM_UP` are
/// verified untimed.
pub const TOKENS: usize = 400;
const WARM_UP: usize = 50;
/// Verifications of tokens already seen, timed together.
const SEEN_ROUNDS: usize = 4000;

/// µs per RS256 verification.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TokenCosts {
    /// ECB, a token it has not verified before.
    pub ecb_us: Option<f64>,
    /// ECB, a token it verified before (its SHA-256 looked up, `exp` checked).
    pub ecb_seen_us: Option<f64>,
    /// node:crypto `crypto.verify` (OpenSSL), the signature alone.
    pub node_crypto_us: Option<f64>,
    /// Node's `jsonwebtoken` (npm) on OpenSSL: the Node peer's.
    pub node_jwt_us: Option<f64>,
}

fn us(value: Option<f64>) -> String {
    value
        .map(|us| format!("{us:.1} µs"))
        .unwrap_or_else(|| "?".into())
}

impl TokenCosts {
    /// One line with every figure, for the console and the report.
    pub fn summary(&self) -> String {
        format!(
            "ECB (jsonwebtoken on ring) {} a new token, {} a token seen before; Node crypto.verify (OpenSSL) {}, Node jsonwebtoken (OpenSSL) {}{}",
            us(self.ecb_us),
            us(self.ecb_seen_us),
            us(self.node_crypto_us),
            us(self.node_jwt_us),
            match (self.ecb_us, self.node_crypto_us) {
                (Some(ecb), Some(node)) if ecb > 0.0 =>
                    format!(" (Node crypto.verify / ECB: {:.2}x)", node / ecb),
                _ => String::new(),
            }
        )
    }
}

/// Measures every figure; one that could not be taken is `None`.
pub fn measure(
    signer: &Signer,
    public_key: &Path,
    scratch: &Path,
    load_cpus: Option<&str>,
    node_dir: &Path,
) -> TokenCosts {
    let tokens: Vec<String> = (0..TOKENS)
        .map(|i| signer.thread_token(&format!("cost-{i}"), &["u0".to_owned()]))
        .collect();
    let (ecb_us, ecb_seen_us) = match ecb(&tokens, public_key) {
        Some((new, seen)) => (Some(new), Some(seen)),
        None => (None, None),
    };
    let (node_crypto_us, node_jwt_us) = node(&tokens, public_key, scratch, load_cpus, node_dir)
        .map_or((None, None), |(c, j)| (Some(c), Some(j)));
    TokenCosts {
        ecb_us,
        ecb_seen_us,
        node_crypto_us,
        node_jwt_us,
    }
}

fn ecb(tokens: &[String], public_key: &Path) -> Option<(f64, f64)> {
    let settings = Settings::from_args([
        "--backend-url".to_owned(),
        "http://127.0.0.1:9".to_owned(),
        "--public-key-file".to_owned(),
        public_key.display().to_string(),
    ])
    .ok()?;
    let verifier = TokenVerifier::new(&settings.resolve().ok()?);
    let (warm, timed) = tokens.split_at(WARM_UP);
    for token in warm {
        verifier.thread(token).ok()?;
    }
    let started = Instant::now();
    for token in timed {
        verifier.thread(token).ok()?;
    }
    let new = started.elapsed().as_secs_f64() * 1e6 / timed.len() as f64;
    let started = Instant::now();
    for token in tokens.iter().cycle().take(SEEN_ROUNDS) {
        verifier.thread(token).ok()?;
    }
    let seen = started.elapsed().as_secs_f64() * 1e6 / SEEN_ROUNDS as f64;
    Some((new, seen))
}

/// Node verifies the same tokens (from a file, one a line), each signature
/// check counted, after as many untimed ones as ECB had.
fn node(
    tokens: &[String],
    public_key: &Path,
    scratch: &Path,
    load_cpus: Option<&str>,
    node_dir: &Path,
) -> Option<(f64, f64)> {
    std::fs::create_dir_all(scratch).ok()?;
    let file = scratch.join("rs256-tokens.txt");
    std::fs::write(&file, tokens.join("\n")).ok()?;
    let script = format!(
        r#"const c=require('crypto'),fs=require('fs'),jwt=require('jsonwebtoken');
const k=c.createPublicKey(fs.readFileSync({key:?}));
const ts=fs.readFileSync({file:?},'utf8').split('\n');
const parts=ts.map(t=>{{const i=t.lastIndexOf('.');return [Buffer.from(t.slice(0,i)),Buffer.from(t.slice(i+1),'base64url')];}});
function time(n,f){{for(let i=0;i<{warm};i++)f(i);const s=process.hrtime.bigint();for(let i=0;i<n;i++)f(i);return Number(process.hrtime.bigint()-s)/1000/n;}}
const n=2000;
const cv=time(n,i=>{{const [m,sig]=parts[i%parts.length];if(!c.verify('RSA-SHA256',m,k,sig))throw 'bad';}});
const jv=time(n,i=>jwt.verify(ts[i%ts.length],k,{{algorithms:['RS256']}}));
console.log(cv+' '+jv);"#,
        key = public_key.display().to_string(),
        file = file.display().to_string(),
        warm = WARM_UP,
    );
    let mut command = match load_cpus {
        Some(cpus) => {
            let mut command = std::process::Command::new("taskset");
            command.args(["-c", cpus, "node"]);
            command
        }
        None => std::process::Command::new("node"),
    };
    let output = command
        .args(["-e", &script])
        .current_dir(node_dir)
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut figures = stdout.split_whitespace().map(str::parse::<f64>);
    Some((figures.next()?.ok()?, figures.next()?.ok()?))
}
