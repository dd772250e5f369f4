//! Presence: which users are online in a thread. It counts users, not
//! connections: a user with two devices is online while either is joined,
//! so `online` goes out on a user's first join and `offline` on their last
//! leave. The rule is here once, for joins, leaves, disconnects and pushes
//! that find a connection gone.

use serde_json::{Value, json};

use crate::fanout::Pushes;
use crate::ports::Member;
use crate::{EcbError, Engine, PushEvent};

/// The presence event for a user's connection joining (`online`) or leaving
/// a channel whose other members are `others`; none while another connection
/// of the same user is among them (presence counts users, not connections).
pub(crate) fn change(
    thread_id: &str,
    user_id: &str,
    online: bool,
    others: &[Member],
) -> Option<PushEvent> {
    if others.iter().any(|m| m.user_id == user_id) {
        return None;
    }
    Some(PushEvent::Presence {
        thread_id: thread_id.to_owned(),
        user_id: user_id.to_owned(),
        online,
    })
}

/// [`change`] as pushes to the channel's other members.
pub(crate) fn pushes(thread_id: &str, user_id: &str, online: bool, others: Vec<Member>) -> Pushes {
    match change(thread_id, user_id, online, &others) {
        Some(event) => Pushes::one(others, None, event),
        None => Pushes::none(),
    }
}

/// `{threadId, userIds}`: the distinct users online in a channel, sorted.
pub(crate) async fn online(engine: &Engine, thread_id: &str) -> Result<Value, EcbError> {
    let members = engine.channel(thread_id).await?;
    let mut user_ids: Vec<String> = members.into_iter().map(|m| m.user_id).collect();
    user_ids.sort();
    user_ids.dedup();
    Ok(json!({ "threadId": thread_id, "userIds": user_ids }))
}
