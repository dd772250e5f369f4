//! The engine under test, assembled from the in-process ports, and the part
//! of a transport a test needs: run a request, then deliver its pushes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{MemoryStore, RecordingPusher, ScriptedBackend, TestKeys};
use crate::protocol::envelope::OpResult;
use crate::{Caller, Credentials, Engine, EngineConfig, Payload, Reply, Request};

/// Where the engine under test believes its backend is: never dialled, the
/// [`ScriptedBackend`] answers instead.
const UNREACHABLE_BACKEND_URL: &str = "http://backend.invalid";

/// The real [`Engine`] on a [`MemoryStore`], a [`RecordingPusher`] and a
/// [`ScriptedBackend`], trusting [`TestKeys`]. Each port is kept beside the
/// engine so a test scripts the backend and reads what was stored and pushed.
pub struct TestEngine {
    pub engine: Arc<Engine>,
    pub store: Arc<MemoryStore>,
    pub pusher: Arc<RecordingPusher>,
    pub backend: Arc<ScriptedBackend>,
    pub keys: TestKeys,
}

/// Adjusts the configuration before the engine is built, for tests of a
/// setting (`block_non_members`, `max_payload`, `rate_limit`).
#[must_use = "a builder does nothing until built"]
pub struct TestEngineBuilder {
    config: EngineConfig,
}

impl Default for TestEngineBuilder {
    fn default() -> Self {
        Self {
            // The defaults of `Settings`, so a test sees what `ecb serve` does.
            config: EngineConfig {
                backend_url: UNREACHABLE_BACKEND_URL.to_owned(),
                keys: TestKeys::key_set(),
                block_non_members: true,
                notify_undelivered: false,
                backend_secret: None,
                issuer: None,
                audience: None,
                allowed_origins: Vec::new(),
                max_payload: 32 * 1024,
                rate_limit: 20,
                backend_timeout: Duration::from_secs(10),
                token_leeway: Duration::from_secs(30),
            },
        }
    }
}

impl TestEngineBuilder {
    /// Changes the configuration the engine will run with.
    pub fn config(mut self, change: impl FnOnce(&mut EngineConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// The engine over fresh in-process ports.
    pub fn build(self) -> TestEngine {
        let store = Arc::new(MemoryStore::new());
        let pusher = Arc::new(RecordingPusher::new());
        let backend = Arc::new(ScriptedBackend::new());
        TestEngine {
            engine: Arc::new(Engine::new(
                self.config,
                store.clone(),
                pusher.clone(),
                backend.clone(),
            )),
            store,
            pusher,
            backend,
            keys: TestKeys::new(),
        }
    }
}

impl Default for TestEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEngine {
    /// An engine with the default configuration.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// An engine whose configuration a test changes first.
    pub fn builder() -> TestEngineBuilder {
        TestEngineBuilder::default()
    }

    /// Opens a connection for `user_id` with a fresh userToken, as a
    /// WebSocket or `$connect` does; its pushes are recorded under
    /// `connection_id`.
    pub async fn connect(&self, user_id: &str, connection_id: &str) -> Caller {
        self.engine
            .connect(
                &self.keys.user_token(user_id),
                connection_id.to_owned(),
                format!("test://{connection_id}"),
                crate::protocol::wire::Wire::Ecb,
            )
            .await
            .expect("a fresh userToken connects")
    }

    /// Runs `action` on a connection as a transport does: the reply's
    /// result, after its pushes were delivered.
    pub async fn run(&self, caller: &Caller, action: &str, payload: Value) -> OpResult {
        self.deliver(
            self.execute(Credentials::Connection(caller), action, payload)
                .await,
        )
        .await
    }

    /// Runs a REST or server API request with `bearer` as its token.
    pub async fn run_with_bearer(&self, bearer: &str, action: &str, payload: Value) -> OpResult {
        self.deliver(
            self.execute(Credentials::Bearer(Some(bearer)), action, payload)
                .await,
        )
        .await
    }

    /// Runs a server API request with a fresh serverToken.
    pub async fn run_as_server(&self, action: &str, payload: Value) -> OpResult {
        self.run_with_bearer(&self.keys.server_token(), action, payload)
            .await
    }

    /// The engine's reply with its pushes not yet delivered: for tests of
    /// what happens before anyone else is pushed.
    pub async fn execute(
        &self,
        credentials: Credentials<'_>,
        action: &str,
        payload: Value,
    ) -> Reply {
        let wire_size = payload.to_string().len();
        let request = Request {
            action,
            payload: Payload::Parsed {
                value: payload,
                wire_size,
            },
        };
        self.engine.execute(credentials, request).await
    }

    /// Delivers a reply's pushes, then hands back its result.
    pub async fn deliver(&self, reply: Reply) -> OpResult {
        reply.pushes.deliver(&self.engine).await;
        reply.result
    }
}
