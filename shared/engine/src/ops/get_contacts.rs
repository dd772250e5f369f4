//! getContacts: the caller's contacts, one page at a time.

use serde_json::Value;

use super::{Outcome, to_value, with_user};
use crate::fanout::Pushes;
use crate::paging;
use crate::ports::{BackendCall, BackendOperation};
use crate::protocol::models::PagedContacts;
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
    let page: PagedContacts = paging::from_backend(answer, paging)?;
    Ok((to_value(&page)?, Pushes::none()))
}
