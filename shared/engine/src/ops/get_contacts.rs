//! getContacts: the caller's contacts, one page at a time.

use serde_json::Value;

use super::{Outcome, with_user};
use crate::fanout::Pushes;
use crate::paging;
use crate::ports::{BackendCall, BackendOperation};
use crate::{Caller, Engine};

pub(crate) async fn run(engine: &Engine, caller: &Caller, payload: Value) -> Outcome {
    let paging = paging::requested(&payload)?;
    let answer = engine
        .backend
        .call(BackendCall {
            operation: BackendOperation::GetContacts,
            user_token: Some(&caller.user_token),
            body: with_user(payload, caller),
            idempotency_key: None,
        })
        .await?;
    // Contacts are the backend's own model: ECB checks only the page's shape.
    let page = paging::from_backend(answer, paging, |_| Ok(()))?;
    Ok((page, Pushes::none()))
}
