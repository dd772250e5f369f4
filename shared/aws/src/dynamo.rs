//! The DynamoDB Store.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, DeleteRequest, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use ecb_engine::ports::{ConnectionRecord, Member, Store, StoreError};

use crate::CallCounter;
use crate::items::{self, Item};

/// API Gateway ends a WebSocket connection after two hours at most; records
/// live a little longer, then TTL sweeps whatever `$disconnect` missed.
const CONNECTION_TTL: Duration = Duration::from_secs(2 * 3600 + 600);
/// DynamoDB's BatchWriteItem limit.
const BATCH: usize = 25;

/// Connections and channels in one DynamoDB table (see `items` for the layout).
#[derive(Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    calls: CallCounter,
}

fn failure(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

impl DynamoStore {
    /// A store on `table`; `endpoint` overrides DynamoDB's (dynalite, DynamoDB Local).
    pub async fn connect(table: &str, endpoint: Option<&str>) -> Self {
        let sdk = crate::sdk_config().await;
        let calls = CallCounter::default();
        let config = crate::config::with_endpoint!(
            aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(calls.clone()),
            endpoint
        );
        Self {
            client: Client::from_conf(config.build()),
            table: table.to_owned(),
            calls,
        }
    }

    /// The DynamoDB calls this store has made, by operation.
    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// Creates the table (on-demand, `pk`/`sk`) if it does not exist: for
    /// local stand-ins and tests; on AWS the SAM template creates it.
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(failure)
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(failure)
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(items::PK)?)
            .attribute_definitions(attribute(items::SK)?)
            .key_schema(key(items::PK, KeyType::Hash)?)
            .key_schema(key(items::SK, KeyType::Range)?)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(failure(aws_sdk_dynamodb::error::DisplayErrorContext(error))),
        }
    }

    pub(crate) fn expires_at(&self, from: u64) -> u64 {
        from + CONNECTION_TTL.as_secs()
    }

    /// Every item of a partition, following pagination.
    pub(crate) async fn query(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", items::PK)
                .expression_attribute_values(
                    ":pk",
                    aws_sdk_dynamodb::types::AttributeValue::S(pk.clone()),
                )
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| failure(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            found.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// Writes and deletes in batches of 25, retrying what DynamoDB leaves unprocessed.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(BATCH) {
            let mut pending = chunk.to_vec();
            for _ in 0..5 {
                let written = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| failure(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
                pending = written
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if !pending.is_empty() {
                return Err(StoreError("DynamoDB left writes unprocessed".into()));
            }
        }
        Ok(())
    }
}

fn put(item: Item) -> Result<WriteRequest, StoreError> {
    Ok(WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(failure)?,
        )
        .build())
}

fn delete(key: Item) -> Result<WriteRequest, StoreError> {
    Ok(WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map_err(failure)?,
        )
        .build())
}

#[async_trait]
impl Store for DynamoStore {
    async fn put_connection(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        let expires_at = self.expires_at(record.connected_at);
        let json = serde_json::to_string(record).map_err(failure)?;
        let member = record.member();
        let meta = items::item(
            items::connection_key(&record.connection_id),
            items::META.to_owned(),
            expires_at,
            &[(items::RECORD, json.as_str())],
        );
        let user_edge = items::item(
            items::user_key(&record.user.user_id),
            items::connection_key(&record.connection_id),
            expires_at,
            &items::member_attributes(&member),
        );
        self.batch_write(vec![put(meta)?, put(user_edge)?]).await
    }

    async fn get_connection(
        &self,
        connection_id: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                items::connection_key(connection_id),
                items::META.to_owned(),
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let Some(item) = found.item else {
            return Ok(None);
        };
        let json = items::string(&item, items::RECORD)?;
        serde_json::from_str(&json).map(Some).map_err(failure)
    }

    async fn remove_connection(&self, connection_id: &str) -> Result<Vec<String>, StoreError> {
        let own = items::connection_key(connection_id);
        let partition = self.query(own.clone()).await?;
        let mut threads = Vec::new();
        let mut deletes = Vec::new();
        for item in &partition {
            let sk = items::string(item, items::SK)?;
            if let Some(thread_id) = sk.strip_prefix("THREAD#") {
                deletes.push(delete(items::key(
                    items::thread_key(thread_id),
                    own.clone(),
                ))?);
                threads.push(thread_id.to_owned());
            } else if sk == items::META {
                let json = items::string(item, items::RECORD)?;
                let record: ConnectionRecord = serde_json::from_str(&json).map_err(failure)?;
                deletes.push(delete(items::key(
                    items::user_key(&record.user.user_id),
                    own.clone(),
                ))?);
            }
            deletes.push(delete(items::key(own.clone(), sk))?);
        }
        self.batch_write(deletes).await?;
        Ok(threads)
    }

    async fn join(&self, thread_id: &str, member: &Member) -> Result<(), StoreError> {
        let expires_at = self.expires_at(ecb_engine::unix_now());
        let channel = items::item(
            items::thread_key(thread_id),
            items::connection_key(&member.connection_id),
            expires_at,
            &items::member_attributes(member),
        );
        let reverse = items::item(
            items::connection_key(&member.connection_id),
            items::thread_key(thread_id),
            expires_at,
            &[],
        );
        self.batch_write(vec![put(channel)?, put(reverse)?]).await
    }

    async fn leave(&self, thread_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        let removed = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                items::thread_key(thread_id),
                items::connection_key(connection_id),
            )))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| failure(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                items::connection_key(connection_id),
                items::thread_key(thread_id),
            )))
            .send()
            .await
            .map_err(|e| failure(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(removed.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn members(&self, thread_id: &str) -> Result<Vec<Member>, StoreError> {
        self.query(items::thread_key(thread_id))
            .await?
            .iter()
            .map(items::member)
            .collect()
    }

    async fn connections_of_user(&self, user_id: &str) -> Result<Vec<Member>, StoreError> {
        self.query(items::user_key(user_id))
            .await?
            .iter()
            .map(items::member)
            .collect()
    }
}
