//! The Engine.IO sessions of Socket.IO connections on API Gateway, in the
//! connection table: what the `engineio` function needs to ping them on a
//! schedule and to close those that stopped answering, with no process
//! alive between their frames.
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `EIO` | `CONN#{id}` | `endpoint`, `state`, `openedAt`, `pingedAt`, `pongedAt` (epoch ms), `queryToken` |
//!
//! One partition, so a sweep is one paged Query. A partition takes 1,000
//! writes a second: at one ping and one pong per connection every five
//! minutes that is some 150,000 connections; beyond that the key would be
//! sharded (`EIO#{n}`) and each sweep would query every shard.

use aws_sdk_dynamodb::types::AttributeValue;
use ecb_engine::ports::StoreError;

use crate::DynamoStore;
use crate::items::{self, Item};

const PARTITION: &str = "EIO";
const ENDPOINT: &str = "endpoint";
const STATE: &str = "state";
const OPENED_AT: &str = "openedAt";
const PINGED_AT: &str = "pingedAt";
const PONGED_AT: &str = "pongedAt";
const QUERY_TOKEN: &str = "queryToken";

/// Where a session is in the Socket.IO handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Engine.IO is open; the client has not joined a namespace yet.
    Opened,
    /// The client's CONNECT was accepted: it is an ECB connection.
    Connected,
}

impl SessionState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Connected => "connected",
        }
    }
}

/// One Socket.IO connection's Engine.IO session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineIoSession {
    pub connection_id: String,
    /// The Management API its packets are posted to.
    pub endpoint: String,
    pub state: SessionState,
    /// When `$connect` accepted it (epoch ms).
    pub opened_at: u64,
    /// The last ping sent, if any (epoch ms).
    pub pinged_at: Option<u64>,
    /// The last pong received, if any (epoch ms).
    pub ponged_at: Option<u64>,
    /// A `token` given in the handshake's query, for a CONNECT without `auth`.
    pub query_token: Option<String>,
}

fn number(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn read_number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn session_key(connection_id: &str) -> Item {
    items::key(PARTITION.to_owned(), items::connection_key(connection_id))
}

impl EngineIoSession {
    fn to_item(&self, expires_at: u64) -> Item {
        let mut item = items::item(
            PARTITION.to_owned(),
            items::connection_key(&self.connection_id),
            expires_at,
            &[(ENDPOINT, &self.endpoint), (STATE, self.state.as_str())],
        );
        item.insert(OPENED_AT.to_owned(), number(self.opened_at));
        if let Some(token) = &self.query_token {
            item.insert(QUERY_TOKEN.to_owned(), AttributeValue::S(token.clone()));
        }
        item
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let sk = items::string(item, items::SK)?;
        let connection_id = sk
            .strip_prefix("CONN#")
            .ok_or_else(|| StoreError(format!("session item with key {sk}")))?;
        let state = match items::string(item, STATE)?.as_str() {
            "connected" => SessionState::Connected,
            _ => SessionState::Opened,
        };
        Ok(Self {
            connection_id: connection_id.to_owned(),
            endpoint: items::string(item, ENDPOINT)?,
            state,
            opened_at: read_number(item, OPENED_AT).unwrap_or_default(),
            pinged_at: read_number(item, PINGED_AT),
            ponged_at: read_number(item, PONGED_AT),
            query_token: items::string(item, QUERY_TOKEN).ok(),
        })
    }
}

fn dynamo_failure<E: std::error::Error + Send + Sync + 'static>(
    error: aws_sdk_dynamodb::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> StoreError {
    StoreError(aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string())
}

impl DynamoStore {
    /// Records a session `$connect` accepted.
    pub async fn open_session(&self, session: &EngineIoSession) -> Result<(), StoreError> {
        let expires_at = self.expires_at(session.opened_at / 1000);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(session.to_item(expires_at)))
            .send()
            .await
            .map(|_| ())
            .map_err(dynamo_failure)
    }

    /// A session by connection id, if the connection speaks Socket.IO.
    pub async fn session(
        &self,
        connection_id: &str,
    ) -> Result<Option<EngineIoSession>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(session_key(connection_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_failure)?;
        found
            .item
            .as_ref()
            .map(EngineIoSession::from_item)
            .transpose()
    }

    /// Every session, for a sweep.
    pub async fn sessions(&self) -> Result<Vec<EngineIoSession>, StoreError> {
        self.query(PARTITION.to_owned())
            .await?
            .iter()
            .map(EngineIoSession::from_item)
            .collect()
    }

    /// The client joined: the session is an ECB connection now.
    pub async fn session_connected(&self, connection_id: &str) -> Result<(), StoreError> {
        self.update_session(connection_id, STATE, AttributeValue::S("connected".into()))
            .await
    }

    /// A ping went out at `at` (epoch ms).
    pub async fn session_pinged(&self, connection_id: &str, at: u64) -> Result<(), StoreError> {
        self.update_session(connection_id, PINGED_AT, number(at))
            .await
    }

    /// A pong came in at `at` (epoch ms).
    pub async fn session_ponged(&self, connection_id: &str, at: u64) -> Result<(), StoreError> {
        self.update_session(connection_id, PONGED_AT, number(at))
            .await
    }

    /// Forgets a session (`$disconnect`, or the sweep closing it).
    pub async fn remove_session(&self, connection_id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(session_key(connection_id)))
            .send()
            .await
            .map(|_| ())
            .map_err(dynamo_failure)
    }

    /// Sets one attribute of an existing session; a session already gone
    /// (closed meanwhile) is left gone rather than written back half.
    async fn update_session(
        &self,
        connection_id: &str,
        attribute: &str,
        value: AttributeValue,
    ) -> Result<(), StoreError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(connection_id)))
            .update_expression("SET #a = :v")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_names("#pk", items::PK)
            .expression_attribute_values(":v", value)
            .send()
            .await;
        match updated {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(dynamo_failure(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_survives_its_item() {
        let session = EngineIoSession {
            connection_id: "L0SM9cOFvHcCIhw=".into(),
            endpoint: "https://example/prod".into(),
            state: SessionState::Opened,
            opened_at: 1_700_000_000_123,
            pinged_at: None,
            ponged_at: None,
            query_token: Some("token".into()),
        };
        let item = session.to_item(1);
        assert_eq!(EngineIoSession::from_item(&item).unwrap(), session);
    }
}
