//! Generated input for every parser that takes bytes from outside: the
//! Engine.IO packet and payload decoders, the Socket.IO decoder (text and
//! binary attachments), the raw WebSocket frame parser and the JWT header
//! and claims reading of the token verifier. Each input is a valid sample
//! mutated (bytes flipped, inserted, deleted, repeated, truncated, two
//! samples spliced) or plain random bytes; a parser must answer every one
//! with a value or an error, never a panic.
//!
//! `cargo run --release -p ecb-tests --bin fuzz -- <inputs per parser> [seed]`
//! runs it at length; the tests run a short round.

use std::panic::{AssertUnwindSafe, catch_unwind};

use bytes::Bytes;
use ecb_engine::tokens::TokenVerifier;
use ecb_socketio_codec::{Decoded, Decoder};

/// The largest input generated: past a few frames' worth, longer inputs
/// only exercise the same loops longer.
const MAX_INPUT: usize = 4096;

/// Bytes that mean something to one of the parsers.
const INTERESTING: &[u8] = b"{}[]\",:-/0123456789bx\x1e\\\xff\x00 _placeholdernum";

/// xorshift64*: fast, deterministic from its seed, good enough to mutate with.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        match self.below(2) {
            0 => INTERESTING[self.below(INTERESTING.len())],
            _ => self.next() as u8,
        }
    }
}

/// One mutated input from `samples`.
pub fn generate(rng: &mut Rng, samples: &[Vec<u8>]) -> Vec<u8> {
    if rng.below(16) == 0 {
        let len = rng.below(256);
        return (0..len).map(|_| rng.byte()).collect();
    }
    let mut input = samples[rng.below(samples.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(6) {
            0 if !input.is_empty() => {
                let last = input.len() - 1;
                input[at.min(last)] = rng.byte();
            }
            1 => input.insert(at, rng.byte()),
            2 if at < input.len() => {
                let end = (at + rng.below(16)).min(input.len());
                input.drain(at..end);
            }
            3 if at < input.len() => {
                let end = (at + rng.below(32)).min(input.len());
                let repeated = input[at..end].to_vec();
                for _ in 0..rng.below(64) {
                    input.splice(at..at, repeated.iter().copied());
                }
            }
            4 => input.truncate(at),
            _ => {
                let other = &samples[rng.below(samples.len())];
                let from = rng.below(other.len() + 1);
                input.splice(at.., other[from..].iter().copied());
            }
        }
    }
    input.truncate(MAX_INPUT);
    input
}

/// How a parser is fed one input.
type Feed = Box<dyn Fn(&[u8])>;

/// A parser under test: its name, valid samples of its input, and how to
/// feed it one input.
struct Target {
    name: &'static str,
    samples: Vec<Vec<u8>>,
    feed: Feed,
}

/// What a run found, per parser.
#[derive(Debug, Default)]
pub struct Report {
    /// `(parser, inputs fed, panics)`.
    pub parsers: Vec<(&'static str, u64, u64)>,
}

impl Report {
    /// Whether every parser answered every input.
    pub fn clean(&self) -> bool {
        self.parsers.iter().all(|(_, _, panics)| *panics == 0)
    }
}

fn samples(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|t| t.as_bytes().to_vec()).collect()
}

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

fn targets(verifier: TokenVerifier, token: String) -> Vec<Target> {
    let jwt_parts: Vec<Vec<u8>> = {
        let mut parts = vec![token.clone().into_bytes()];
        parts.extend(token.split('.').map(|part| part.as_bytes().to_vec()));
        parts.push(br#"eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QifQ.e30.AA"#.to_vec());
        parts
    };
    vec![
        Target {
            name: "engine.io packet",
            samples: samples(&[
                "0{\"sid\":\"x\",\"pingInterval\":1}",
                "2",
                "3probe",
                "4hello",
                "5",
                "6",
                "bAQID",
                "1",
            ]),
            feed: Box::new(|input| {
                let _ = ecb_engineio_codec::Packet::decode_text(&text(input));
            }),
        },
        Target {
            name: "engine.io payload",
            samples: samples(&[
                "4a\u{1e}4b",
                "2\u{1e}3\u{1e}bAQID",
                "40{\"token\":\"x\"}\u{1e}41",
                "6",
            ]),
            feed: Box::new(|input| {
                let _ = ecb_engineio_codec::decode_payload(input);
            }),
        },
        Target {
            name: "socket.io decoder",
            samples: samples(&[
                "40{\"token\":\"x\"}",
                "42[\"getThread\",{\"threadToken\":\"t\"}]",
                "421[\"a\",1,null,true]",
                "451-[\"up\",{\"_placeholder\":true,\"num\":0}]",
                "462-/custom,7[{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]",
                "43/custom,1[{}]",
                "44{\"message\":\"x\"}",
                "41",
            ]),
            feed: Box::new(|input| {
                let mut decoder = Decoder::new();
                let mut decoded = decoder.decode_text(&text(input));
                // Attachments a binary packet waits for: slices of the input.
                let mut rest = input;
                while let Ok(Decoded::AwaitingAttachments(_)) = decoded {
                    let cut = rest.len() / 2;
                    decoded = decoder.decode_binary(Bytes::copy_from_slice(&rest[..cut]));
                    if rest.is_empty() {
                        break;
                    }
                    rest = &rest[cut.max(1)..];
                }
            }),
        },
        Target {
            name: "raw websocket frame",
            samples: samples(&[
                "{\"action\":\"getThread\",\"requestId\":\"r-1\",\"threadToken\":\"t\"}",
                "{\"action\":\"sendMessage\",\"requestId\":7,\"threadToken\":\"t\",\"message\":{\"type\":\"text\",\"data\":\"hi\"}}",
                "{\"requestId\":null}",
            ]),
            feed: Box::new(|input| {
                let text = text(input);
                let _ = ecb_engine::protocol::frame::parse_request(&text);
                let _ = ecb_engine::protocol::frame::sniff_request_id(&text);
            }),
        },
        Target {
            name: "jwt",
            samples: jwt_parts,
            feed: Box::new(move |input| {
                let text = text(input);
                let _ = verifier.user(&text);
                let _ = verifier.thread(&text);
                let _ = verifier.server(&text);
            }),
        },
    ]
}

/// Feeds `inputs` generated inputs to each parser from `seed`.
pub fn run(inputs: u64, seed: u64) -> Report {
    let key = format!("--public-key={}", ecb_demo_backend::DEMO_PUBLIC_KEY_TEXT);
    let config = ecb_engine::Settings::from_args(["--backend-url", "http://127.0.0.1:1", &key])
        .and_then(|settings| settings.resolve())
        .expect("the fuzz configuration");
    let verifier = TokenVerifier::new(&config);
    let token = ecb_demo_backend::DemoKeys::demo().user_token("alice", "Alice");
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    for target in targets(verifier, token) {
        let mut panics = 0;
        for _ in 0..inputs {
            let input = generate(&mut rng, &target.samples);
            if catch_unwind(AssertUnwindSafe(|| (target.feed)(&input))).is_err() {
                panics += 1;
                eprintln!(
                    "{} panicked on {:?}",
                    target.name,
                    String::from_utf8_lossy(&input)
                );
            }
        }
        report.parsers.push((target.name, inputs, panics));
    }
    report
}
