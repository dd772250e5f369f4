//! Fan-out: delivering one event to every connection in a channel, at most a
//! bounded number at a time, and forgetting connections that are gone; then,
//! for a stored message, telling the backend whom it did not reach.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::ports::{BackendCall, BackendOperation, Member, PushError};
use crate::{Engine, ErrorCode, PushEvent, presence};

/// How many times a failed notifyUndelivered is tried in all, and the
/// pause before the second try (growing fourfold).
const NOTIFY_ATTEMPTS: u32 = 3;
const NOTIFY_FIRST_RETRY: Duration = Duration::from_millis(100);

/// One event for a set of members, minus the connection that caused it.
pub(crate) struct FanOut {
    pub(crate) members: Vec<Member>,
    pub(crate) except: Option<String>,
    pub(crate) event: PushEvent,
    /// For a stored message: whom the backend hears about if not reached.
    pub(crate) undelivered: Option<Undelivered>,
}

/// A stored message's audience, for notifyUndelivered: the thread's
/// members (from its threadToken), minus the author.
pub(crate) struct Undelivered {
    pub(crate) message_id: String,
    pub(crate) member_ids: Vec<String>,
    pub(crate) author: Option<String>,
}

/// Pushes an operation owes, delivered after its caller has the reply.
#[derive(Default)]
#[must_use = "pushes do nothing until delivered"]
pub struct Pushes(Vec<FanOut>);

impl Pushes {
    /// Nothing to push.
    pub fn none() -> Self {
        Self::default()
    }

    pub(crate) fn one(members: Vec<Member>, except: Option<&str>, event: PushEvent) -> Self {
        Self::message(members, except, event, None)
    }

    /// A stored message's push, after which (with `ECB_NOTIFY_UNDELIVERED`)
    /// the backend is told which members it did not reach.
    pub(crate) fn message(
        members: Vec<Member>,
        except: Option<&str>,
        event: PushEvent,
        undelivered: Option<Undelivered>,
    ) -> Self {
        Self(vec![FanOut {
            members,
            except: except.map(str::to_owned),
            event,
            undelivered,
        }])
    }

    /// These pushes, then `other`'s.
    pub(crate) fn then(mut self, other: Pushes) -> Self {
        self.0.extend(other.0);
        self
    }

    /// Whether there is nothing to deliver.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Delivers every push (then any notifyUndelivered, which the caller's
    /// reply never waits for: it was sent before); returns how many
    /// connections received one.
    pub async fn deliver(self, engine: &Engine) -> usize {
        let mut delivered = 0;
        for fan_out in self.0 {
            delivered += fan_out_one(engine, fan_out).await;
        }
        delivered
    }
}

/// Pushes the event to the members except one; connections found gone are
/// forgotten (with their presence) afterwards. Returns deliveries made.
async fn fan_out_one(engine: &Engine, fan_out: FanOut) -> usize {
    let reach = push_all(
        engine,
        &fan_out.members,
        fan_out.except.as_deref(),
        &fan_out.event,
    )
    .await;
    if !reach.gone.is_empty() {
        forget_connections(engine, &reach.gone).await;
    }
    if let Some(undelivered) = fan_out.undelivered
        && engine.config.notify_undelivered
    {
        notify_undelivered(engine, fan_out.event.thread_id(), undelivered, &reach.users).await;
    }
    reach.delivered
}

/// Tells the backend which members a message reached on no connection, so
/// it can send a mobile push or an email. Signed like every backend call;
/// retried a bounded number of times, then logged and dropped.
async fn notify_undelivered(
    engine: &Engine,
    thread_id: &str,
    undelivered: Undelivered,
    reached: &HashSet<String>,
) {
    let user_ids: Vec<&String> = undelivered
        .member_ids
        .iter()
        .filter(|id| undelivered.author.as_ref() != Some(*id) && !reached.contains(*id))
        .collect();
    if user_ids.is_empty() {
        return;
    }
    let body = json!({
        "threadId": thread_id,
        "messageId": undelivered.message_id,
        "userIds": user_ids,
    });
    let mut pause = NOTIFY_FIRST_RETRY;
    for attempt in 1..=NOTIFY_ATTEMPTS {
        let call = BackendCall {
            operation: BackendOperation::NotifyUndelivered,
            user_token: None,
            body: body.clone(),
            idempotency_key: None,
        };
        match engine.backend.call(call).await {
            Ok(_) => return,
            // A refusal will not change on a retry.
            Err(error)
                if error.code == ErrorCode::BackendRejected || attempt == NOTIFY_ATTEMPTS =>
            {
                tracing::warn!(thread = %thread_id, code = %error.code, message = %error.message, "notifyUndelivered dropped");
                return;
            }
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
        }
    }
}

/// Removes connections and announces users who went offline with them.
/// Pushes made here do not forget further gone connections: TTL and their
/// own disconnects sweep those, and the cleanup cannot recurse.
pub(crate) async fn forget_connections(engine: &Engine, connection_ids: &[String]) {
    for connection_id in connection_ids {
        let record = engine
            .store
            .get_connection(connection_id)
            .await
            .ok()
            .flatten();
        let threads = match engine.store.remove_connection(connection_id).await {
            Ok(threads) => threads,
            Err(error) => {
                crate::engine::store_failure(&error);
                continue;
            }
        };
        let Some(record) = record else { continue };
        tracing::debug!(connection = %connection_id, threads = threads.len(), "connection forgotten");
        for thread_id in threads {
            let Ok(members) = engine.store.members(&thread_id).await else {
                continue;
            };
            let offline = presence::change(&thread_id, &record.user.user_id, false, &members);
            if let Some(event) = offline {
                let _ = push_all(engine, &members, None, &event).await;
            }
        }
    }
}

/// Who one fan-out reached.
#[must_use]
struct Reach {
    delivered: usize,
    /// The users with at least one connection the push arrived at.
    users: HashSet<String>,
    /// Connections that no longer exist.
    gone: Vec<String>,
}

async fn push_all(
    engine: &Engine,
    members: &[Member],
    except: Option<&str>,
    event: &PushEvent,
) -> Reach {
    let targets: Vec<Member> = members
        .iter()
        .filter(|member| Some(member.connection_id.as_str()) != except)
        .cloned()
        .collect();
    let results = engine
        .pusher
        .push_each(targets, Arc::new(event.clone()))
        .await;
    crate::instruments::fan_out(results.iter().map(|(_, result)| result));
    let mut reach = Reach {
        delivered: 0,
        users: HashSet::new(),
        gone: Vec::new(),
    };
    for (member, result) in results {
        match result {
            Ok(()) => {
                reach.delivered += 1;
                reach.users.insert(member.user_id);
            }
            Err(PushError::Gone) => reach.gone.push(member.connection_id),
            Err(PushError::QueueFull) => {
                tracing::debug!(connection = %member.connection_id, "push dropped: queue full")
            }
            Err(PushError::Failed(reason)) => {
                tracing::warn!(user = %member.user_id, %reason, "push failed")
            }
        }
    }
    reach
}
