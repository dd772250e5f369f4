//! Server API disconnectUser: the backend ends every connection of a user (a
//! banned account, a password change).

use serde::Deserialize;
use serde_json::{Value, json};

use super::parse;
use crate::engine::store_failure;
use crate::protocol::envelope::OpResult;
use crate::{EcbError, Engine};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    user_id: String,
}

impl Engine {
    /// `POST /v1/server/disconnectUser` → `{disconnected}`, the connections closed.
    pub async fn server_disconnect_user(
        &self,
        server_token: Option<&str>,
        payload: Value,
    ) -> OpResult {
        self.authorize_server(server_token)?;
        let Payload { user_id } = parse(&payload)?;
        if user_id.is_empty() {
            return Err(EcbError::bad_request("userId is required"));
        }
        let connections = self
            .store
            .connections_of_user(&user_id)
            .await
            .map_err(|e| store_failure(&e))?;
        let mut disconnected = 0;
        for connection in &connections {
            match self.pusher.disconnect(connection).await {
                Ok(()) => disconnected += 1,
                Err(error) => {
                    tracing::debug!(connection = %connection.connection_id, %error, "disconnect")
                }
            }
            self.disconnect(&connection.connection_id).await;
        }
        Ok(json!({ "disconnected": disconnected }))
    }
}
