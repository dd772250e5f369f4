//! ECB in front of a backend, both started for one test.

use ecb_demo_backend::{DEMO_PUBLIC_KEY_PEM, DemoBackend, RecordedCall};
use ecb_engine::Settings;
use ecb_server::RunningServer;

use crate::{FaultBackend, Rest, TestTokens, WsClient};

/// The demo public key as a file named `demo.pem` (so its `kid` is `demo`),
/// written once per test process.
fn demo_key_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ecb-test-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("demo.pem");
        std::fs::write(&file, DEMO_PUBLIC_KEY_PEM).expect("write demo key");
        file
    })
}

/// What to change from the defaults.
#[derive(Default, Clone)]
pub struct StackOptions {
    /// Extra `ecb serve` flags, e.g. `["--rate-limit", "5"]`.
    pub flags: Vec<String>,
    /// Give the demo backend this Standard Webhooks key (it then requires signatures).
    pub backend_secret: Option<Vec<u8>>,
    /// Point ECB at this backend URL instead of the demo backend.
    pub backend_url: Option<String>,
}

/// A demo backend behind a fault injector, and ECB in front of it.
pub struct Stack {
    pub ecb: RunningServer,
    pub backend: DemoBackend,
    pub faults: FaultBackend,
    pub tokens: TestTokens,
}

impl Stack {
    /// The default stack.
    pub async fn start() -> Self {
        Self::with(StackOptions::default()).await
    }

    /// A stack with options.
    pub async fn with(options: StackOptions) -> Self {
        let backend = DemoBackend::new(options.backend_secret.clone());
        let faults = FaultBackend::start(backend.router()).await;
        let key_file = demo_key_file();
        let mut args = vec![
            "--listen".to_owned(),
            "127.0.0.1:0".to_owned(),
            "--backend-url".to_owned(),
            options.backend_url.clone().unwrap_or_else(|| faults.url()),
            "--public-key-file".to_owned(),
            key_file.display().to_string(),
        ];
        args.extend(options.flags);
        let settings = Settings::from_args(args).expect("test settings parse");
        let ecb = ecb_server::start(&settings).await.expect("ECB starts");
        Self {
            ecb,
            backend,
            faults,
            tokens: TestTokens::new(),
        }
    }

    /// A REST client for this ECB.
    pub fn rest(&self) -> Rest {
        Rest::new(&self.ecb.url())
    }

    /// A userToken for a demo user.
    pub fn user_token(&self, user_id: &str) -> String {
        self.backend
            .state()
            .user_token(user_id)
            .expect("a demo user")
    }

    /// A raw WebSocket client connected as a demo user.
    pub async fn ws(&self, user_id: &str) -> WsClient {
        WsClient::connect(&self.ecb.url(), &self.user_token(user_id))
            .await
            .expect("websocket connects")
    }

    /// The threadToken of a seeded thread, as the backend signs it.
    pub fn thread_token(&self, thread_id: &str) -> String {
        seeded_thread_token(&self.backend, thread_id)
    }

    /// The backend calls made since the stack started, by operation name.
    pub fn backend_calls(&self) -> Vec<RecordedCall> {
        self.backend.state().calls()
    }

    /// Operation names of the backend calls made so far.
    pub fn backend_operations(&self) -> Vec<String> {
        self.backend_calls()
            .into_iter()
            .map(|c| c.operation)
            .collect()
    }
}

/// The threadToken of one of the demo backend's seeded threads (`welcome`:
/// alice, bob, carol and dave; `alice-bob`), as that backend signs it.
pub fn seeded_thread_token(backend: &DemoBackend, thread_id: &str) -> String {
    let members: Vec<String> = match thread_id {
        "alice-bob" => vec!["alice".into(), "bob".into()],
        _ => ["alice", "bob", "carol", "dave"].map(String::from).to_vec(),
    };
    backend.state().keys.thread_token(thread_id, &members)
}
