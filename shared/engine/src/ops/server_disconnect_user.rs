//! Server API disconnectUser: the backend ends every connection of a user (a
//! banned account, a password change).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, parse};
use crate::engine::store_failure;
use crate::fanout::Pushes;
use crate::{EcbError, Engine};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    user_id: String,
}

/// `POST /v1/server/disconnectUser` → `{disconnected}`, the connections closed.
pub(crate) async fn run(engine: &Engine, payload: Value) -> Outcome {
    let Payload { user_id } = parse(&payload)?;
    if user_id.is_empty() {
        return Err(EcbError::bad_request("userId is required"));
    }
    let connections = engine
        .store
        .connections_of_user(&user_id)
        .await
        .map_err(|e| store_failure(&e))?;
    let mut disconnected = 0;
    for connection in &connections {
        match engine.pusher.disconnect(connection).await {
            Ok(()) => disconnected += 1,
            Err(error) => {
                tracing::debug!(connection = %connection.connection_id, %error, "disconnect")
            }
        }
        engine.disconnect(&connection.connection_id).await;
    }
    Ok((json!({ "disconnected": disconnected }), Pushes::none()))
}
