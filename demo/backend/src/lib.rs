//! A tiny customer backend for demos and tests.
//!
//! It implements ECB's backend API (PROTOCOL.md, "Backend API") the way a
//! customer's server would: it signs userTokens and threadTokens with its RS256
//! private key, checks the bearer userToken ECB forwards, verifies Standard
//! Webhooks signatures when a secret is set, stores threads and messages in
//! memory, and answers a repeated `Idempotency-Key` with what it stored first.
//!
//! The key pair under `keys/` is for demos only: anyone can read it.

mod handlers;
mod keys;
mod page;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

pub use keys::{DEMO_KEY_ID, DEMO_PUBLIC_KEY_PEM, DEMO_PUBLIC_KEY_TEXT, DemoKeys};
pub use state::{DemoState, RecordedCall};

/// A running demo backend.
#[derive(Clone)]
pub struct DemoBackend {
    state: Arc<DemoState>,
    ecb_url: page::EcbUrl,
}

impl DemoBackend {
    /// A backend with the demo users and threads, signing with the demo key.
    /// With `webhook_secret` (the decoded `whsec_` key), unsigned calls are refused.
    pub fn new(webhook_secret: Option<Vec<u8>>) -> Self {
        Self {
            state: Arc::new(DemoState::seeded(DemoKeys::demo(), webhook_secret)),
            ecb_url: page::EcbUrl::default(),
        }
    }

    /// Tells the demo chat page (served at `/`) where ECB is: `/config.json`.
    pub fn set_ecb_url(&self, url: impl Into<String>) {
        *self.ecb_url.write().unwrap_or_else(|e| e.into_inner()) = Some(url.into());
    }

    /// The shared state, for tests that inspect what the backend saw.
    pub fn state(&self) -> &Arc<DemoState> {
        &self.state
    }

    /// The HTTP routes of the backend API, and the demo chat page.
    pub fn router(&self) -> axum::Router {
        handlers::router(self.state.clone(), self.ecb_url.clone())
    }

    /// Serves on `listener` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Binds `addr` and serves in the background; returns the bound address.
    pub async fn spawn(self, addr: &str) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(async move {
            if let Err(error) = self.serve(listener).await {
                tracing::error!(%error, "demo backend stopped");
            }
        });
        Ok(bound)
    }
}
