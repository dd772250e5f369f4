//! The demo backend's memory: users, threads, messages, idempotency keys, and
//! a log of the calls it received (tests read it).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::DemoKeys;

/// A demo user.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub user_id: String,
    pub display_name: String,
}

/// A stored thread.
#[derive(Debug, Clone)]
pub struct StoredThread {
    pub thread_id: String,
    pub member_ids: Vec<String>,
    pub data: Value,
    pub messages: Vec<Value>,
}

/// One call the backend received, as a test wants to check it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    pub operation: String,
    pub idempotency_key: Option<String>,
    /// Whether it carried a valid Standard Webhooks signature.
    pub signed: bool,
}

#[derive(Default)]
pub(crate) struct Tables {
    pub(crate) threads: BTreeMap<String, StoredThread>,
    /// (userId, Idempotency-Key) → the answer given the first time.
    pub(crate) idempotent: HashMap<(String, String), Value>,
    pub(crate) calls: Vec<RecordedCall>,
    /// (threadId, userId) → the last messageId the user marked read.
    pub(crate) reads: HashMap<(String, String), String>,
    /// The notifyUndelivered bodies received, oldest first.
    pub(crate) undelivered: Vec<Value>,
    pub(crate) next_thread: u64,
    pub(crate) next_message: u64,
}

/// Everything the demo backend knows.
pub struct DemoState {
    pub keys: DemoKeys,
    pub users: Vec<DemoUser>,
    pub(crate) webhook_secret: Option<Vec<u8>>,
    pub(crate) tables: Mutex<Tables>,
}

impl DemoState {
    /// Four users and two threads to start chatting in.
    pub fn seeded(keys: DemoKeys, webhook_secret: Option<Vec<u8>>) -> Self {
        let users = [
            ("alice", "Alice"),
            ("bob", "Bob"),
            ("carol", "Carol"),
            ("dave", "Dave"),
        ]
        .into_iter()
        .map(|(id, name)| DemoUser {
            user_id: id.into(),
            display_name: name.into(),
        })
        .collect();
        let mut tables = Tables::default();
        for (thread_id, members, title) in [
            ("welcome", vec!["alice", "bob", "carol", "dave"], "Welcome"),
            ("alice-bob", vec!["alice", "bob"], "Alice and Bob"),
        ] {
            tables.threads.insert(
                thread_id.into(),
                StoredThread {
                    thread_id: thread_id.into(),
                    member_ids: members.into_iter().map(String::from).collect(),
                    data: json!({ "title": title }),
                    messages: Vec::new(),
                },
            );
        }
        Self {
            keys,
            users,
            webhook_secret,
            tables: Mutex::new(tables),
        }
    }

    pub(crate) fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user with this id.
    pub fn user(&self, user_id: &str) -> Option<&DemoUser> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    /// A fresh userToken for a demo user (tests and the demo page use it).
    pub fn user_token(&self, user_id: &str) -> Option<String> {
        self.user(user_id)
            .map(|u| self.keys.user_token(&u.user_id, &u.display_name))
    }

    /// The calls received so far.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.tables().calls.clone()
    }

    /// The notifyUndelivered calls received: `{threadId, messageId, userIds}`.
    pub fn undelivered_notices(&self) -> Vec<Value> {
        self.tables().undelivered.clone()
    }

    /// The last message a user marked read in a thread.
    pub fn read_mark(&self, thread_id: &str, user_id: &str) -> Option<String> {
        self.tables()
            .reads
            .get(&(thread_id.to_owned(), user_id.to_owned()))
            .cloned()
    }

    /// Forgets a thread's messages, as a backend that prunes its history
    /// would: recovery from a messageId it no longer knows must say so.
    pub fn forget_messages(&self, thread_id: &str) {
        if let Some(thread) = self.tables().threads.get_mut(thread_id) {
            thread.messages.clear();
        }
    }

    /// Every message stored in a thread, oldest first.
    pub fn messages(&self, thread_id: &str) -> Vec<Value> {
        self.tables()
            .threads
            .get(thread_id)
            .map(|t| t.messages.clone())
            .unwrap_or_default()
    }

    /// A thread as the `thread` model, with a freshly signed threadToken.
    pub(crate) fn thread_model(&self, thread: &StoredThread) -> Value {
        json!({
            "threadId": thread.thread_id,
            "threadToken": self.keys.thread_token(&thread.thread_id, &thread.member_ids),
            "memberIds": thread.member_ids,
            "data": thread.data,
        })
    }

    /// The `user` model of a demo user.
    pub(crate) fn user_model(user: &DemoUser) -> Value {
        json!({ "userId": user.user_id, "displayName": user.display_name })
    }
}
