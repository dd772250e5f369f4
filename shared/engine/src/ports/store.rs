//! The Store port: which connections exist and which thread channels they joined.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::protocol::models::User;
use crate::protocol::wire::Wire;

/// A live connection, as the store keeps it between invocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRecord {
    pub connection_id: String,
    pub user: User,
    /// The userToken it connected with: backend calls forward it, and a
    /// Lambda invocation has no other way to get it back.
    pub user_token: std::sync::Arc<str>,
    /// When the userToken expires (seconds since the epoch).
    pub token_expires_at: u64,
    /// Where pushes for this connection go: a gateway's Management API base URL.
    pub endpoint: String,
    /// Seconds since the epoch.
    pub connected_at: u64,
    /// The framing its pushes are posted in.
    #[serde(default)]
    pub wire: Wire,
}

impl ConnectionRecord {
    /// The connection as a member of a thread channel.
    pub fn member(&self) -> Member {
        Member {
            connection_id: self.connection_id.clone(),
            user_id: self.user.user_id.clone(),
            endpoint: self.endpoint.clone(),
            wire: self.wire,
        }
    }
}

/// A connection in a thread's channel: everything a fan-out needs, so a push
/// to the whole thread costs one read of the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub connection_id: String,
    pub user_id: String,
    pub endpoint: String,
    /// How a push to it is framed (see [`Wire`]).
    #[serde(default)]
    pub wire: Wire,
}

/// A store failure; the engine reports it as `internal`.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// Connections and their thread channels. Channel membership belongs to
/// connections, never to users: a user with two devices is two members.
#[async_trait]
pub trait Store: Send + Sync {
    /// Records a new connection.
    async fn put_connection(&self, record: &ConnectionRecord) -> Result<(), StoreError>;
    /// A connection by id, if it is still known.
    async fn get_connection(
        &self,
        connection_id: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError>;
    /// Forgets a connection and all its memberships; returns the threads it was in.
    async fn remove_connection(&self, connection_id: &str) -> Result<Vec<String>, StoreError>;
    /// Adds a connection to a thread's channel (idempotent).
    async fn join(&self, thread_id: &str, member: &Member) -> Result<(), StoreError>;
    /// Removes a connection from a thread's channel; false if it was not in it.
    async fn leave(&self, thread_id: &str, connection_id: &str) -> Result<bool, StoreError>;
    /// Every connection in a thread's channel.
    async fn members(&self, thread_id: &str) -> Result<Vec<Member>, StoreError>;
    /// Every connection of a user (for the server API's disconnectUser).
    async fn connections_of_user(&self, user_id: &str) -> Result<Vec<Member>, StoreError>;
}
