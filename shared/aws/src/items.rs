//! The table's item layout (one table, `pk`/`sk` string keys):
//!
//! | pk | sk | what |
//! |---|---|---|
//! | `CONN#{id}` | `META` | the connection record |
//! | `THREAD#{threadId}` | `CONN#{id}` | channel membership: one Query per fan-out |
//! | `CONN#{id}` | `THREAD#{threadId}` | the reverse edge, for cleanup |
//! | `USER#{userId}` | `CONN#{id}` | a user's connections, for disconnectUser |
//!
//! Every item carries `expiresAt` (epoch seconds), the table's TTL attribute,
//! so connections that vanished without `$disconnect` are swept.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use ecb_engine::ports::{Member, StoreError};
use ecb_engine::protocol::wire::Wire;

pub(crate) const PK: &str = "pk";
pub(crate) const SK: &str = "sk";
pub(crate) const EXPIRES_AT: &str = "expiresAt";
pub(crate) const META: &str = "META";
const CONNECTION_ID: &str = "connectionId";
const USER_ID: &str = "userId";
const ENDPOINT: &str = "endpoint";
const WIRE: &str = "wire";
pub(crate) const RECORD: &str = "record";

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn connection_key(connection_id: &str) -> String {
    format!("CONN#{connection_id}")
}

pub(crate) fn thread_key(thread_id: &str) -> String {
    format!("THREAD#{thread_id}")
}

pub(crate) fn user_key(user_id: &str) -> String {
    format!("USER#{user_id}")
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// The primary key of an item.
pub(crate) fn key(pk: String, sk: String) -> Item {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk)),
    ])
}

/// An item with a key, `expiresAt`, and more attributes.
pub(crate) fn item(pk: String, sk: String, expires_at: u64, attributes: &[(&str, &str)]) -> Item {
    let mut item = key(pk, sk);
    item.insert(
        EXPIRES_AT.to_owned(),
        AttributeValue::N(expires_at.to_string()),
    );
    for (name, value) in attributes {
        item.insert((*name).to_owned(), text(value));
    }
    item
}

/// The attributes a member item carries.
pub(crate) fn member_attributes(member: &Member) -> [(&'static str, &str); 4] {
    [
        (CONNECTION_ID, member.connection_id.as_str()),
        (USER_ID, member.user_id.as_str()),
        (ENDPOINT, member.endpoint.as_str()),
        (WIRE, member.wire.as_str()),
    ]
}

pub(crate) fn string(item: &Item, name: &str) -> Result<String, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| StoreError(format!("item lacks string attribute {name}")))
}

/// A member item back into a [`Member`].
pub(crate) fn member(item: &Item) -> Result<Member, StoreError> {
    Ok(Member {
        connection_id: string(item, CONNECTION_ID)?,
        user_id: string(item, USER_ID)?,
        endpoint: string(item, ENDPOINT)?,
        wire: Wire::from_stored(
            item.get(WIRE)
                .and_then(|v| v.as_s().ok())
                .map(String::as_str),
        ),
    })
}
