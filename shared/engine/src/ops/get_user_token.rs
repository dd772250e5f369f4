//! getUserToken: trade the backend's own accessToken for a userToken.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, parse};
use crate::fanout::Pushes;
use crate::ports::{BackendCall, BackendOperation};
use crate::{EcbError, Engine};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    access_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    user_token: String,
}

pub(crate) async fn run(engine: &Engine, payload: Value) -> Outcome {
    let Payload { access_token } = parse(&payload)?;
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::GetUserToken,
            user_token: None,
            body: json!({ "accessToken": access_token }),
            idempotency_key: None,
        })
        .await?;
    let Answer { user_token } = serde_json::from_value(answer)
        .map_err(|_| EcbError::backend_invalid("backend getUserToken must answer {userToken}"))?;
    engine
        .tokens
        .user(&user_token)
        .map_err(|e| EcbError::backend_invalid(format!("backend userToken: {}", e.message)))?;
    Ok((json!({ "userToken": user_token }), Pushes::none()))
}
