//! The serverless deployment on one machine: dynalite for DynamoDB, the real
//! function binaries under `cargo lambda watch`, `ecb gateway` for API
//! Gateway, and the demo backend.

use ecb_aws::DynamoStore;
use ecb_demo_backend::{DEMO_PUBLIC_KEY_TEXT, DemoBackend};
use ecb_server::gateway::{GatewayConfig, RunningGateway};

use crate::{Dynalite, LambdaWatch, MANAGEMENT_SECRET, Rest, TestTokens, WsClient};

/// The table the functions use in tests.
pub const TABLE: &str = "ecb";
/// The stage in the gateway's URLs.
pub const STAGE: &str = "local";

/// Everything a serverless test talks to.
pub struct Serverless {
    pub backend: DemoBackend,
    pub gateway: RunningGateway,
    /// The test's own view of the functions' table.
    pub store: DynamoStore,
    pub tokens: TestTokens,
    // Dropped last: the functions need them until the end.
    _watch: LambdaWatch,
    pub dynalite: Dynalite,
}

impl Serverless {
    /// Starts the whole stack and waits until the functions answer.
    pub async fn start() -> Self {
        Self::with_backend(None).await
    }

    /// The stack with the functions calling `backend_url` instead of the
    /// demo backend (which still runs, for its tokens).
    pub async fn with_backend(backend_url: Option<String>) -> Self {
        Self::tuned(backend_url, |_| {}, &[]).await
    }

    /// The stack with the gateway's settings tuned (shorter timeouts, a
    /// faster schedule) and more settings for the functions.
    pub async fn tuned(
        backend_url: Option<String>,
        tune: impl FnOnce(&mut GatewayConfig),
        function_env: &[(&str, String)],
    ) -> Self {
        let dynalite = Dynalite::start().await;
        let backend = DemoBackend::new(None);
        let backend_addr = backend.clone().spawn("127.0.0.1:0").await.expect("backend");
        let backend_url = backend_url.unwrap_or_else(|| format!("http://{backend_addr}"));
        let invoke_port = LambdaWatch::reserve_port();
        let mut config = GatewayConfig {
            listen: "127.0.0.1:0".into(),
            invoke_url: format!("http://127.0.0.1:{invoke_port}"),
            stage: STAGE.into(),
            management_secret: Some(MANAGEMENT_SECRET.into()),
            ..GatewayConfig::default()
        };
        tune(&mut config);
        let gateway = ecb_server::gateway::start(config)
            .await
            .expect("gateway starts");
        let mut env = vec![
            ("ECB_BACKEND_URL", backend_url),
            ("ECB_PUBLIC_KEY", DEMO_PUBLIC_KEY_TEXT.to_owned()),
            ("ECB_TABLE", TABLE.to_owned()),
            ("ECB_DYNAMODB_ENDPOINT", dynalite.url.clone()),
            ("ECB_MANAGEMENT_ENDPOINT", gateway.url()),
            ("ECB_LAMBDA_ENDPOINT", gateway.url()),
            ("ECB_MANAGEMENT_SECRET", MANAGEMENT_SECRET.to_owned()),
        ];
        env.extend(function_env.iter().cloned());
        let watch = LambdaWatch::start(invoke_port, &env).await;
        let store = dynalite.store(TABLE).await;
        Self {
            backend,
            gateway,
            store,
            tokens: TestTokens::new(),
            _watch: watch,
            dynalite,
        }
    }

    /// A userToken for a demo user.
    pub fn user_token(&self, user_id: &str) -> String {
        self.backend.state().user_token(user_id).expect("demo user")
    }

    /// The seeded thread's threadToken.
    pub fn thread_token(&self, thread_id: &str, members: &[&str]) -> String {
        let members: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
        self.backend.state().keys.thread_token(thread_id, &members)
    }

    /// The WebSocket URL API Gateway would give: `ws://host/stage?token=`.
    pub fn websocket_url(&self, token: &str) -> String {
        format!("ws://{}/{STAGE}?token={token}", self.gateway.addr)
    }

    /// The URL stock Socket.IO clients open with `path: "/{stage}"`.
    pub fn socket_io_url(&self) -> String {
        format!(
            "ws://{}/{STAGE}/?EIO=4&transport=websocket",
            self.gateway.addr
        )
    }

    /// A raw WebSocket client through the gateway, or the refusal's status.
    pub async fn connect(&self, token: &str) -> Result<WsClient, u16> {
        WsClient::connect_url(&self.websocket_url(token), None).await
    }

    /// A REST client of the HTTP API (the `api` function behind the gateway).
    pub fn rest(&self) -> Rest {
        Rest::new(&self.gateway.url())
    }
}
