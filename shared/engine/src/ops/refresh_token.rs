//! refreshToken: a connection swaps its userToken for a fresher one of the
//! same user and keeps its channels, instead of reconnecting before `exp`.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Done, parse};
use crate::engine::store_failure;
use crate::fanout::Pushes;
use crate::ports::ConnectionRecord;
use crate::{Caller, EcbError, Engine};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    user_token: String,
}

pub(crate) async fn run(
    engine: &Engine,
    caller: &Caller,
    payload: Value,
) -> Result<Done, EcbError> {
    let Payload { user_token } = parse(&payload)?;
    // Access::Connection: execute only lets a connection's caller here.
    let Some(connection) = &caller.connection else {
        return Err(EcbError::internal(
            "refreshToken reached dispatch without a connection",
        ));
    };
    let user = engine.tokens.user(&user_token)?;
    if user.user_id != caller.user.user_id {
        return Err(EcbError::forbidden("the new userToken is another user's"));
    }
    let user_token: Arc<str> = Arc::from(user_token);
    // The record is what a Lambda invocation resumes the caller from.
    let record = ConnectionRecord {
        connection_id: connection.connection_id.clone(),
        user: user.to_user(),
        user_token: user_token.clone(),
        token_expires_at: user.exp,
        endpoint: connection.endpoint.clone(),
        connected_at: crate::unix_now(),
        wire: connection.wire,
    };
    engine
        .store
        .put_connection(&record)
        .await
        .map_err(|e| store_failure(&e))?;
    let value = json!({ "userId": user.user_id, "exp": user.exp });
    Ok(Done {
        value,
        pushes: Pushes::none(),
        refreshed: Some(Caller {
            user,
            user_token,
            connection: Some(connection.clone()),
        }),
    })
}
