//! Server API presence: who is online in a thread, for the backend.

use crate::protocol::envelope::OpResult;
use crate::{EcbError, Engine};

impl Engine {
    /// `GET /v1/server/threads/{threadId}/presence` → `{threadId, userIds}`.
    pub async fn server_presence(&self, server_token: Option<&str>, thread_id: &str) -> OpResult {
        self.authorize_server(server_token)?;
        if thread_id.is_empty() {
            return Err(EcbError::bad_request("threadId is required"));
        }
        self.presence(thread_id).await
    }
}
