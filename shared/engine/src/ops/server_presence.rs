//! Server API presence: who is online in a thread, for the backend.

use serde::Deserialize;
use serde_json::Value;

use super::{Outcome, parse};
use crate::fanout::Pushes;
use crate::{EcbError, Engine, presence};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    thread_id: String,
}

/// `GET /v1/server/threads/{threadId}/presence` → `{threadId, userIds}`.
pub(crate) async fn run(engine: &Engine, payload: Value) -> Outcome {
    let Payload { thread_id } = parse(&payload)?;
    if thread_id.is_empty() {
        return Err(EcbError::bad_request("threadId is required"));
    }
    Ok((presence::online(engine, &thread_id).await?, Pushes::none()))
}
