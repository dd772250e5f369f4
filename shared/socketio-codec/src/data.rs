//! Event arguments as the application sees them: JSON that may hold binaries.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Number, Value};

/// A JSON value that may also contain binary blobs, which `serde_json::Value`
/// cannot. It is what an event argument *means* (`["baz", <Buffer 01 02>]`);
/// [`Payload`](super::Payload) is how it travels (placeholders plus a list of
/// attachments). Convert with [`Payload::from_data`](super::Payload::from_data)
/// and [`Payload::into_data`](super::Payload::into_data).
///
/// Objects are ordered maps, like `serde_json`'s default `Map`, so key order on
/// the wire is sorted rather than insertion order; JSON does not give it
/// meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// JSON `null`.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string.
    String(String),
    /// A JSON array, whose items may hold binaries.
    Array(Vec<Data>),
    /// A JSON object, whose values may hold binaries.
    Object(BTreeMap<String, Data>),
    /// A binary blob, sent as an attachment.
    Binary(Bytes),
}

impl Data {
    /// Whether any binary sits anywhere inside; decides between EVENT and
    /// BINARY_EVENT (ACK and BINARY_ACK) when encoding.
    pub fn has_binary(&self) -> bool {
        match self {
            Self::Binary(_) => true,
            Self::Array(items) => items.iter().any(Self::has_binary),
            Self::Object(map) => map.values().any(Self::has_binary),
            Self::Null | Self::Bool(_) | Self::Number(_) | Self::String(_) => false,
        }
    }

    /// The plain JSON value, or the data back unchanged if it holds a binary
    /// (which JSON cannot express without the placeholder scheme).
    ///
    /// # Errors
    ///
    /// Returns `self` when [`Data::has_binary`] is true.
    pub fn into_json(self) -> Result<Value, Self> {
        if self.has_binary() {
            return Err(self);
        }
        Ok(self.into_json_unchecked())
    }

    /// Converts assuming no binary is inside; a stray binary becomes `null`
    /// rather than panicking, but callers check first.
    fn into_json_unchecked(self) -> Value {
        match self {
            Self::Null | Self::Binary(_) => Value::Null,
            Self::Bool(b) => Value::Bool(b),
            Self::Number(n) => Value::Number(n),
            Self::String(s) => Value::String(s),
            Self::Array(items) => {
                Value::Array(items.into_iter().map(Self::into_json_unchecked).collect())
            }
            Self::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, v.into_json_unchecked()))
                    .collect(),
            ),
        }
    }
}

impl From<Value> for Data {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(b),
            Value::Number(n) => Self::Number(n),
            Value::String(s) => Self::String(s),
            Value::Array(items) => Self::Array(items.into_iter().map(Self::from).collect()),
            Value::Object(map) => {
                Self::Object(map.into_iter().map(|(k, v)| (k, Self::from(v))).collect())
            }
        }
    }
}

impl From<Bytes> for Data {
    fn from(bytes: Bytes) -> Self {
        Self::Binary(bytes)
    }
}

impl From<Vec<u8>> for Data {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Binary(Bytes::from(bytes))
    }
}

impl From<&str> for Data {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for Data {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_round_trip() {
        let value = json!({"a": [1, "two", null, true, {"b": 2.5}]});
        let data = Data::from(value.clone());
        assert!(!data.has_binary());
        assert_eq!(data.into_json(), Ok(value));
    }

    #[test]
    fn finds_nested_binaries() {
        let nested = Data::Array(vec![
            Data::from("x"),
            Data::Object(BTreeMap::from([(
                "k".to_owned(),
                Data::Array(vec![Data::from(vec![1u8])]),
            )])),
        ]);
        assert!(nested.has_binary());
        assert!(Data::from(Bytes::new()).has_binary());
        assert!(!Data::from(String::from("s")).has_binary());
    }

    #[test]
    fn binary_cannot_become_json() {
        let data = Data::Array(vec![Data::from(vec![1u8, 2])]);
        assert_eq!(data.clone().into_json(), Err(data));
    }
}
