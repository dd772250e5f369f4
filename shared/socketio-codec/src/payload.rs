//! The arguments of an EVENT or ACK in their wire shape.

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::Value;

use super::binary::{deconstruct, reconstruct};
use super::{Data, DecodeError};

/// The argument array of an EVENT or ACK as it travels: JSON in which each
/// binary is a `{"_placeholder":true,"num":N}`, plus the attachments in
/// `num` order.
///
/// Keeping placeholders (rather than rebuilding values eagerly) lets a server
/// relay or echo a binary event by editing `args` and reusing `binaries`
/// untouched; [`Payload::into_data`] rebuilds the values when they are
/// actually needed. A payload with no binaries is a plain EVENT / ACK, and its
/// JSON is taken literally: placeholders only mean something when
/// attachments came with them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payload {
    /// The JSON array items. For an EVENT, `args[0]` is the event name.
    pub args: Vec<Value>,
    /// The attachments, indexed by the placeholders' `num`.
    pub binaries: Vec<Bytes>,
}

impl Payload {
    /// A payload of plain JSON arguments, without attachments.
    pub fn new(args: Vec<Value>) -> Self {
        Self {
            args,
            binaries: Vec::new(),
        }
    }

    /// Cuts every binary out of `items` into attachments, leaving
    /// placeholders behind.
    pub fn from_data(items: Vec<Data>) -> Self {
        let mut binaries = Vec::new();
        let args = items
            .into_iter()
            .map(|item| deconstruct(item, &mut binaries))
            .collect();
        Self { args, binaries }
    }

    /// The arguments with binaries put back where their placeholders are.
    /// Fails only on a placeholder pointing past the attachments, which a
    /// payload produced by the [`Decoder`](super::Decoder) never has.
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidPlaceholder`] for such a placeholder.
    pub fn into_data(self) -> Result<Vec<Data>, DecodeError> {
        if self.binaries.is_empty() {
            return Ok(self.args.into_iter().map(Data::from).collect());
        }
        self.args
            .into_iter()
            .map(|arg| reconstruct(arg, &self.binaries))
            .collect()
    }

    /// Whether the payload travels as BINARY_EVENT / BINARY_ACK.
    pub fn has_binary(&self) -> bool {
        !self.binaries.is_empty()
    }

    /// The event name, when this is an EVENT payload. A numeric first item
    /// is accepted by the reference parser and names the event by its
    /// decimal spelling (JavaScript property keys are strings), so it is
    /// returned the same way.
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        match self.args.first()? {
            Value::String(name) => Some(Cow::Borrowed(name)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    /// The event's arguments after its name. An ACK has no name: its
    /// arguments are all of `args`.
    pub fn event_args(&self) -> &[Value] {
        self.args.get(1..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_payload_keeps_placeholder_lookalikes_literal() {
        let literal = json!({"_placeholder": true, "num": 0});
        let payload = Payload::new(vec![json!("e"), literal.clone()]);
        assert!(!payload.has_binary());
        assert_eq!(
            payload.into_data().unwrap(),
            [Data::from("e"), Data::from(literal)]
        );
    }

    #[test]
    fn binary_round_trip() {
        let items = vec![Data::from("baz"), Data::from(vec![1u8, 2, 3, 4])];
        let payload = Payload::from_data(items.clone());
        assert!(payload.has_binary());
        assert_eq!(
            payload.args,
            [json!("baz"), json!({"_placeholder": true, "num": 0})]
        );
        assert_eq!(payload.binaries, [Bytes::from_static(&[1, 2, 3, 4])]);
        assert_eq!(payload.into_data().unwrap(), items);
    }

    #[test]
    fn into_data_reports_dangling_placeholders() {
        let payload = Payload {
            args: vec![json!({"_placeholder": true, "num": 3})],
            binaries: vec![Bytes::new()],
        };
        assert!(matches!(
            payload.into_data(),
            Err(DecodeError::InvalidPlaceholder)
        ));
    }

    #[test]
    fn event_name_and_args() {
        let payload = Payload::new(vec![json!("message"), json!(1), json!("2")]);
        assert_eq!(payload.event_name().as_deref(), Some("message"));
        assert_eq!(payload.event_args(), [json!(1), json!("2")]);
        let numeric = Payload::new(vec![json!(42)]);
        assert_eq!(numeric.event_name().as_deref(), Some("42"));
        assert!(numeric.event_args().is_empty());
        assert_eq!(Payload::new(vec![json!({})]).event_name(), None);
        assert_eq!(Payload::default().event_name(), None);
        assert!(Payload::default().event_args().is_empty());
    }
}
