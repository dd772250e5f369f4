//! getThreads: the caller's threads, one page at a time, each with a checked
//! threadToken the client can open it with.

use serde_json::Value;

use serde::Deserialize;

use super::{Outcome, threads, with_user};
use crate::fanout::Pushes;
use crate::paging;
use crate::ports::{BackendCall, BackendOperation};
use crate::protocol::models::Thread;
use crate::{Caller, EcbError, Engine};

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let paging = paging::requested(&payload)?;
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::GetThreads,
            user_token: Some(&caller.user_token),
            body: with_user(payload, caller),
            idempotency_key: None,
        })
        .await?;
    let page = paging::from_backend(answer, paging, |item| {
        let thread = Thread::deserialize(item)
            .map_err(|e| EcbError::backend_invalid(format!("backend thread: {e}")))?;
        threads::check_thread(engine, &thread)
    })?;
    Ok((page, Pushes::none()))
}
