//! getThreads: the caller's threads, one page at a time, each with a checked
//! threadToken the client can open it with.

use serde_json::Value;

use super::{Outcome, to_value, with_user};
use crate::fanout::Pushes;
use crate::paging;
use crate::ports::{BackendCall, BackendOperation};
use crate::protocol::models::PagedThreads;
use crate::{Caller, Engine};

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
    let page: PagedThreads = paging::from_backend(answer, paging)?;
    for thread in &page.items {
        engine.check_thread(thread)?;
    }
    Ok((to_value(&page)?, Pushes::none()))
}
