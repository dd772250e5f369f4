//! The embedded Store: one process, one map.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{ConnectionRecord, Member, Store, StoreError};

#[derive(Default)]
struct Maps {
    connections: HashMap<String, ConnectionRecord>,
    /// thread → connection id → member; ordered so listings are stable.
    channels: HashMap<String, BTreeMap<String, Member>>,
    /// connection → threads joined: the reverse edge used on disconnect.
    joined: HashMap<String, HashSet<String>>,
    /// user → connection ids.
    users: HashMap<String, HashSet<String>>,
}

/// The local server's default store: connections and channels in memory.
#[derive(Default)]
pub struct MemoryStore {
    maps: Mutex<Maps>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn maps(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn put_connection(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        let mut maps = self.maps();
        maps.users
            .entry(record.user.user_id.clone())
            .or_default()
            .insert(record.connection_id.clone());
        maps.connections
            .insert(record.connection_id.clone(), record.clone());
        Ok(())
    }

    async fn get_connection(
        &self,
        connection_id: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        Ok(self.maps().connections.get(connection_id).cloned())
    }

    async fn remove_connection(&self, connection_id: &str) -> Result<Vec<String>, StoreError> {
        let mut maps = self.maps();
        if let Some(record) = maps.connections.remove(connection_id)
            && let Some(ids) = maps.users.get_mut(&record.user.user_id)
        {
            ids.remove(connection_id);
            if ids.is_empty() {
                maps.users.remove(&record.user.user_id);
            }
        }
        let threads: Vec<String> = maps
            .joined
            .remove(connection_id)
            .unwrap_or_default()
            .into_iter()
            .collect();
        for thread_id in &threads {
            if let Some(channel) = maps.channels.get_mut(thread_id) {
                channel.remove(connection_id);
                if channel.is_empty() {
                    maps.channels.remove(thread_id);
                }
            }
        }
        Ok(threads)
    }

    async fn join(&self, thread_id: &str, member: &Member) -> Result<(), StoreError> {
        let mut maps = self.maps();
        maps.channels
            .entry(thread_id.to_owned())
            .or_default()
            .insert(member.connection_id.clone(), member.clone());
        maps.joined
            .entry(member.connection_id.clone())
            .or_default()
            .insert(thread_id.to_owned());
        Ok(())
    }

    async fn leave(&self, thread_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        let mut maps = self.maps();
        let was_member = match maps.channels.get_mut(thread_id) {
            Some(channel) => {
                let removed = channel.remove(connection_id).is_some();
                if channel.is_empty() {
                    maps.channels.remove(thread_id);
                }
                removed
            }
            None => false,
        };
        if let Some(threads) = maps.joined.get_mut(connection_id) {
            threads.remove(thread_id);
        }
        Ok(was_member)
    }

    async fn members(&self, thread_id: &str) -> Result<Vec<Member>, StoreError> {
        Ok(self
            .maps()
            .channels
            .get(thread_id)
            .map(|channel| channel.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn connections_of_user(&self, user_id: &str) -> Result<Vec<Member>, StoreError> {
        let maps = self.maps();
        Ok(maps
            .users
            .get(user_id)
            .into_iter()
            .flatten()
            .filter_map(|id| maps.connections.get(id))
            .map(ConnectionRecord::member)
            .collect())
    }
}
