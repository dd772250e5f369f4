//! Fan-out: delivering one event to every connection in a channel, at most a
//! bounded number at a time, and forgetting connections that are gone.

use std::sync::Arc;

use crate::ports::{Member, PushError};
use crate::{Engine, PushEvent, presence};

/// One event for a set of members, minus the connection that caused it.
pub(crate) struct FanOut {
    pub(crate) members: Vec<Member>,
    pub(crate) except: Option<String>,
    pub(crate) event: PushEvent,
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
        Self(vec![FanOut {
            members,
            except: except.map(str::to_owned),
            event,
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

    /// Delivers every push; returns how many connections received one.
    pub async fn deliver(self, engine: &Engine) -> usize {
        let mut delivered = 0;
        for fan_out in self.0 {
            delivered += fan_out_one(
                engine,
                &fan_out.members,
                fan_out.except.as_deref(),
                &fan_out.event,
            )
            .await;
        }
        delivered
    }
}

/// Pushes `event` to `members` except `except`; connections found gone are
/// forgotten (with their presence) afterwards. Returns deliveries made.
async fn fan_out_one(
    engine: &Engine,
    members: &[Member],
    except: Option<&str>,
    event: &PushEvent,
) -> usize {
    let (delivered, gone) = push_all(engine, members, except, event).await;
    if !gone.is_empty() {
        forget_connections(engine, &gone).await;
    }
    delivered
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
                push_all(engine, &members, None, &event).await;
            }
        }
    }
}

async fn push_all(
    engine: &Engine,
    members: &[Member],
    except: Option<&str>,
    event: &PushEvent,
) -> (usize, Vec<String>) {
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
    let mut delivered = 0;
    let mut gone = Vec::new();
    for (member, result) in results {
        match result {
            Ok(()) => delivered += 1,
            Err(PushError::Gone) => gone.push(member.connection_id),
            Err(PushError::QueueFull) => {
                tracing::debug!(connection = %member.connection_id, "push dropped: queue full")
            }
            Err(PushError::Failed(reason)) => {
                tracing::warn!(connection = %member.connection_id, %reason, "push failed")
            }
        }
    }
    (delivered, gone)
}
