//! Fan-out: delivering one event to every connection in a channel, at most a
//! bounded number at a time, and forgetting connections that are gone.

use std::sync::Arc;

use crate::ops::presence_change;
use crate::ports::{Member, PushError};
use crate::{Engine, PushEvent};

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
            delivered += engine
                .fan_out(&fan_out.members, fan_out.except.as_deref(), &fan_out.event)
                .await;
        }
        delivered
    }
}

impl Engine {
    /// Pushes `event` to `members` except `except`; connections found gone are
    /// forgotten (with their presence) afterwards. Returns deliveries made.
    pub(crate) async fn fan_out(
        &self,
        members: &[Member],
        except: Option<&str>,
        event: &PushEvent,
    ) -> usize {
        let (delivered, gone) = self.push_all(members, except, event).await;
        if !gone.is_empty() {
            self.forget_connections(&gone).await;
        }
        delivered
    }

    /// Removes connections and announces users who went offline with them.
    /// Pushes made here do not forget further gone connections: TTL and their
    /// own disconnects sweep those, and the cleanup cannot recurse.
    pub(crate) async fn forget_connections(&self, connection_ids: &[String]) {
        for connection_id in connection_ids {
            let record = self
                .store
                .get_connection(connection_id)
                .await
                .ok()
                .flatten();
            let threads = match self.store.remove_connection(connection_id).await {
                Ok(threads) => threads,
                Err(error) => {
                    crate::engine::store_failure(&error);
                    continue;
                }
            };
            let Some(record) = record else { continue };
            tracing::debug!(connection = %connection_id, threads = threads.len(), "connection forgotten");
            for thread_id in threads {
                let Ok(members) = self.store.members(&thread_id).await else {
                    continue;
                };
                let offline = presence_change(&thread_id, &record.user.user_id, false, &members);
                if let Some(event) = offline {
                    self.push_all(&members, None, &event).await;
                }
            }
        }
    }

    async fn push_all(
        &self,
        members: &[Member],
        except: Option<&str>,
        event: &PushEvent,
    ) -> (usize, Vec<String>) {
        let targets: Vec<Member> = members
            .iter()
            .filter(|member| Some(member.connection_id.as_str()) != except)
            .cloned()
            .collect();
        let results = self
            .pusher
            .push_each(targets, Arc::new(event.clone()))
            .await;
        let mut delivered = 0;
        let mut gone = Vec::new();
        for (member, result) in results {
            match result {
                Ok(()) => delivered += 1,
                Err(PushError::Gone) => gone.push(member.connection_id),
                Err(PushError::Failed(reason)) => {
                    tracing::warn!(connection = %member.connection_id, %reason, "push failed")
                }
            }
        }
        (delivered, gone)
    }
}
