//! The API Gateway Management API Pusher: `POST /@connections/{id}` on the
//! endpoint recorded with each connection, so one fan-out can reach
//! connections held by API Gateway and by local servers alike. With a
//! [`ManagementKey`] every request is also signed for ECB's own endpoints.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_smithy_types::Blob;
use ecb_engine::PushEvent;
use ecb_engine::ports::{Member, PushError, Pusher, push_concurrently};
use ecb_engine::protocol::wire::Wire;

use crate::management_key::ManagementKey;
use crate::signing_interceptor::SignManagementRequests;

/// API Gateway's WebSocket frame limit: larger pushes are refused, not cut.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;

/// Posts frames to connections through the Management API of the gateway
/// that holds them.
pub struct ManagementPusher {
    sdk: aws_config::SdkConfig,
    /// `ECB_MANAGEMENT_ENDPOINT`: every connection's pushes go here instead.
    endpoint_override: Option<String>,
    /// `ECB_MANAGEMENT_SECRET`: what ECB's own endpoints check.
    key: Option<ManagementKey>,
    clients: Mutex<HashMap<String, Client>>,
}

fn classify<E, R>(error: SdkError<E, R>) -> PushError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    if let SdkError::ServiceError(context) = &error
        && context.raw().status_code() == 410
    {
        return PushError::Gone;
    }
    PushError::Failed(aws_sdk_apigatewaymanagement::error::DisplayErrorContext(error).to_string())
}

/// The HTTP status of a raw response, whatever its type.
trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

impl ManagementPusher {
    /// A pusher with the ambient AWS configuration, signing its requests
    /// with `key` when there is one.
    pub async fn new(endpoint_override: Option<String>, key: Option<ManagementKey>) -> Self {
        Self {
            sdk: crate::sdk_config().await,
            endpoint_override,
            key,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, endpoint: &str) -> Client {
        let endpoint = self.endpoint_override.as_deref().unwrap_or(endpoint);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(endpoint.to_owned())
            .or_insert_with(|| {
                let mut config = aws_sdk_apigatewaymanagement::config::Builder::from(&self.sdk)
                    .endpoint_url(endpoint);
                if !endpoint.starts_with("https://")
                    && let Some(credentials) = crate::config::local_credentials()
                {
                    config = config.credentials_provider(credentials);
                }
                if let Some(key) = &self.key {
                    config = config.interceptor(SignManagementRequests { key: key.clone() });
                }
                Client::from_conf(config.build())
            })
            .clone()
    }

    /// Sends one text frame to a connection (a push, or the response to the
    /// connection's own request).
    pub async fn post(&self, to: &Member, text: &str) -> Result<(), PushError> {
        if text.len() > MAX_FRAME_BYTES {
            return Err(PushError::Failed(format!(
                "frame of {} bytes is over API Gateway's {MAX_FRAME_BYTES}",
                text.len()
            )));
        }
        self.client(&to.endpoint)
            .post_to_connection()
            .connection_id(&to.connection_id)
            .data(Blob::new(text.as_bytes()))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

#[async_trait]
impl Pusher for ManagementPusher {
    async fn push(&self, to: &Member, event: &Arc<PushEvent>) -> Result<(), PushError> {
        self.post(to, &to.wire.push_frame(event)).await
    }

    /// The frame is encoded once per wire the fan-out reaches.
    async fn push_each(
        &self,
        targets: Vec<Member>,
        event: Arc<PushEvent>,
    ) -> Vec<(Member, Result<(), PushError>)> {
        let frames = Wire::ALL.map(|wire| {
            targets
                .iter()
                .any(|member| member.wire == wire)
                .then(|| wire.push_frame(&event))
        });
        let frames = &frames;
        push_concurrently(targets, |member| async move {
            let index = Wire::ALL.iter().position(|w| *w == member.wire);
            let frame = index.and_then(|i| frames[i].as_deref()).unwrap_or_default();
            let outcome = self.post(&member, frame).await;
            (member, outcome)
        })
        .await
    }

    async fn disconnect(&self, to: &Member) -> Result<(), PushError> {
        self.client(&to.endpoint)
            .delete_connection()
            .connection_id(&to.connection_id)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
