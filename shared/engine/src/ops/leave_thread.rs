//! leaveThread: the caller's connection stops receiving the thread's pushes.

use serde_json::{Value, json};

use super::{Outcome, ThreadTokenPayload, parse, threads};
use crate::{Caller, Engine};

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let ThreadTokenPayload { thread_token } = parse(&payload)?;
    let thread = engine.tokens.thread(&thread_token)?;
    let pushes = threads::leave_channel(engine, caller, &thread.thread_id).await?;
    Ok((json!({}), pushes))
}
