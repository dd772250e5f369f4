//! getPresence: which users have a connection in the thread's channel.

use serde_json::{Value, json};

use super::{Outcome, ThreadTokenPayload, parse};
use crate::fanout::Pushes;
use crate::{Caller, EcbError, Engine};

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let ThreadTokenPayload { thread_token } = parse(&payload)?;
    let thread = engine.authorize_thread(caller, &thread_token)?;
    Ok((engine.presence(&thread.thread_id).await?, Pushes::none()))
}

impl Engine {
    /// `{threadId, userIds}`: the distinct users online in a channel, sorted.
    pub(crate) async fn presence(&self, thread_id: &str) -> Result<Value, EcbError> {
        let members = self
            .store
            .members(thread_id)
            .await
            .map_err(|e| crate::engine::store_failure(&e))?;
        let mut user_ids: Vec<String> = members.into_iter().map(|m| m.user_id).collect();
        user_ids.sort();
        user_ids.dedup();
        Ok(json!({ "threadId": thread_id, "userIds": user_ids }))
    }
}
