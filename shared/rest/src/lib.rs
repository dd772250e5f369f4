//! REST (PROTOCOL.md transport 3) and the server API as an axum router.
//!
//! The local server mounts it beside its socket transports; the `api` Lambda
//! runs it under `lambda_http`. Either way an HTTP request becomes one engine
//! call and the envelope its body, with the status the error code names.

mod body;
mod handlers;
mod origin;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use ecb_engine::{Engine, Pushes};
use tokio_util::task::TaskTracker;

pub use handlers::envelope_response;
pub use origin::with_origin_policy;

/// When an operation's pushes are delivered, relative to its HTTP answer.
#[derive(Clone)]
pub enum PushDelivery {
    /// After answering, in a task the server tracks (a long-lived server).
    Background(TaskTracker),
    /// Before answering (a Lambda, which may be frozen once it has answered).
    Inline,
}

/// What the REST handlers share.
#[derive(Clone)]
pub struct RestState {
    pub engine: Arc<Engine>,
    pub delivery: PushDelivery,
}

impl RestState {
    async fn deliver(&self, pushes: Pushes) {
        if pushes.is_empty() {
            return;
        }
        match &self.delivery {
            PushDelivery::Inline => {
                pushes.deliver(&self.engine).await;
            }
            PushDelivery::Background(tasks) => {
                let engine = self.engine.clone();
                tasks.spawn(async move {
                    pushes.deliver(&engine).await;
                });
            }
        }
    }
}

/// `POST /v1/{action}`, the server API, and an envelope for anything else.
pub fn router(state: RestState) -> Router {
    Router::new()
        .route("/v1/server/publish", post(handlers::publish))
        .route(
            "/v1/server/threads/{thread_id}/presence",
            get(handlers::presence),
        )
        .route("/v1/server/disconnectUser", post(handlers::disconnect_user))
        .route("/v1/{action}", post(handlers::operation))
        .fallback(handlers::not_found)
        .with_state(state)
}
