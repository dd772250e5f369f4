//! getPresence: which users have a connection in the thread's channel.

use serde_json::Value;

use super::{Outcome, ThreadTokenPayload, parse, threads};
use crate::fanout::Pushes;
use crate::{Caller, Engine, presence};

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let ThreadTokenPayload { thread_token } = parse(&payload)?;
    let thread = threads::authorize(engine, caller, &thread_token, threads::Decider::Token)?;
    Ok((
        presence::online(engine, &thread.thread_id).await?,
        Pushes::none(),
    ))
}
