//! What the five Lambda functions share: configuration from the environment
//! (PROTOCOL.md's variables), the engine on the DynamoDB Store and the
//! Management API Pusher, Socket.IO's sessions on API Gateway, and the API
//! Gateway event helpers, and the engine's metrics as CloudWatch EMF lines
//! (`emf.rs`). Each binary in `src/bin/` is one thin handler on top.

mod callers;
pub mod emf;
pub mod settings;
pub mod socketio;

use std::sync::Arc;

use aws_lambda_events::apigw::{
    ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest,
    ApiGatewayWebsocketProxyRequestContext,
};
use aws_lambda_events::encodings::Body;
use ecb_aws::{AsyncInvoker, DynamoStore, ManagementKey, ManagementPusher};
use ecb_engine::backend::HttpBackend;
use ecb_engine::ports::Member;
use ecb_engine::protocol::wire::Wire;
use ecb_engine::{ConfigError, Engine, Settings};

pub use callers::Callers;
pub use lambda_runtime::Error;
pub use settings::SocketIoSettings;

/// The engine and the pusher one warm Lambda instance keeps between invocations.
pub struct Function {
    pub engine: Arc<Engine>,
    pub pusher: Arc<ManagementPusher>,
    /// The engine's store, for what only the Lambda deployment keeps there
    /// (Socket.IO's Engine.IO sessions).
    pub store: Arc<DynamoStore>,
    /// The callers of connections this instance has served.
    pub callers: Callers,
    pub socket_io: SocketIo,
    management_endpoint: Option<String>,
}

/// Socket.IO on API Gateway: its settings and the queue of open packets.
pub struct SocketIo {
    pub settings: SocketIoSettings,
    /// Asynchronous invocations of the `engineio` function.
    pub opener: AsyncInvoker,
}

impl Function {
    /// Reads the configuration and builds the engine; a bad setting fails the
    /// cold start with one line naming it.
    pub async fn from_env() -> Result<Self, Error> {
        // The runtime's own setup, so Lambda's advanced logging controls
        // work: AWS_LAMBDA_LOG_FORMAT=JSON, and AWS_LAMBDA_LOG_LEVEL where
        // RUST_LOG sets no filter (else info). What is logged is the
        // engine's, which never logs a token.
        lambda_runtime::tracing::init_default_subscriber();
        emf::install();
        let settings = Settings::from_env()?;
        let config = settings.resolve()?;
        let table = settings
            .table
            .as_deref()
            .ok_or(ConfigError::Missing("ECB_TABLE"))?;
        let local = settings.dynamodb_endpoint.as_deref();
        let store = Arc::new(DynamoStore::connect(table, local).await);
        if local.is_some() {
            // A local stand-in starts empty; on AWS the SAM template made the table.
            store.ensure_table().await?;
        }
        let socket_io_settings = SocketIoSettings::from_env()?;
        let opener = AsyncInvoker::new(
            &socket_io_settings.engineio_function,
            socket_io_settings.lambda_endpoint.as_deref(),
        )
        .await;
        // API Gateway checks SigV4; ECB's own endpoints (a local server on
        // the table, `ecb gateway`) check ECB_MANAGEMENT_SECRET's signature.
        let management_key = ManagementKey::optional(settings.management_secret.as_deref())?;
        let pusher = Arc::new(
            ManagementPusher::new(settings.management_endpoint.clone(), management_key).await,
        );
        let backend = HttpBackend::new(&config)?;
        Ok(Self {
            engine: Arc::new(Engine::new(
                config,
                store.clone(),
                pusher.clone(),
                Arc::new(backend),
            )),
            pusher,
            store,
            callers: Callers::default(),
            socket_io: SocketIo {
                settings: socket_io_settings,
                opener,
            },
            management_endpoint: settings.management_endpoint,
        })
    }

    /// Where this connection's pushes go: `ECB_MANAGEMENT_ENDPOINT`, else the
    /// API's own `https://{domainName}/{stage}`.
    pub fn endpoint(&self, context: &ApiGatewayWebsocketProxyRequestContext) -> String {
        self.management_endpoint.clone().unwrap_or_else(|| {
            format!(
                "https://{}/{}",
                context.domain_name.as_deref().unwrap_or_default(),
                context.stage.as_deref().unwrap_or_default()
            )
        })
    }

    /// The connection an event is about, as a channel member (user unknown;
    /// what is posted to it is framed by the poster).
    pub fn member(&self, request: &ApiGatewayWebsocketProxyRequest) -> Member {
        Member {
            connection_id: connection_id(request).to_owned(),
            user_id: String::new(),
            endpoint: self.endpoint(&request.request_context),
            wire: Wire::Ecb,
        }
    }
}

/// Runs a WebSocket route: the engine is built once per cold start, then
/// `handler` answers every event the runtime hands over.
pub async fn serve_websocket_route<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(Arc<Function>, ApiGatewayWebsocketProxyRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ApiGatewayProxyResponse> + Send + 'static,
{
    let function = Arc::new(Function::from_env().await?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<ApiGatewayWebsocketProxyRequest>| {
            let answer = handler(function.clone(), event.payload);
            async move {
                let answer = answer.await;
                emf::flush();
                Ok::<_, Error>(answer)
            }
        },
    ))
    .await
}

/// The API Gateway connection id of an event.
pub fn connection_id(request: &ApiGatewayWebsocketProxyRequest) -> &str {
    request
        .request_context
        .connection_id
        .as_deref()
        .unwrap_or_default()
}

/// A response with a status and an optional text body.
pub fn respond(status: u16, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status);
    response.body = body.map(Body::Text);
    response
}
