//! The placeholder scheme: how binaries are cut out of the JSON and put back.
//!
//! Each binary is replaced, depth first in document order, by
//! `{"_placeholder":true,"num":N}` where `N` is its index among the
//! attachments that follow the text packet.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{Data, DecodeError};

/// The key marking an object as a placeholder (its value must be `true`).
pub const PLACEHOLDER_KEY: &str = "_placeholder";
/// The key holding the placeholder's attachment index.
pub const PLACEHOLDER_NUM_KEY: &str = "num";

/// The placeholder standing for attachment `num`.
fn placeholder(num: usize) -> Value {
    let mut map = Map::new();
    map.insert(PLACEHOLDER_KEY.to_owned(), Value::Bool(true));
    map.insert(PLACEHOLDER_NUM_KEY.to_owned(), Value::from(num));
    Value::Object(map)
}

/// If `value` is a placeholder, the attachment index it claims: `Some(None)`
/// when the marker is there but `num` is not a usable index. Like the
/// reference parser, only `"_placeholder": true` makes an object a
/// placeholder; other keys beside it are ignored.
fn placeholder_num(value: &Value) -> Option<Option<usize>> {
    let map = value.as_object()?;
    if map.get(PLACEHOLDER_KEY) != Some(&Value::Bool(true)) {
        return None;
    }
    let num = map
        .get(PLACEHOLDER_NUM_KEY)
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    Some(num)
}

/// Replaces every binary in `data` by a placeholder, appending the binary to
/// `binaries` so the placeholder's `num` is its index there.
pub(crate) fn deconstruct(data: Data, binaries: &mut Vec<Bytes>) -> Value {
    match data {
        Data::Binary(bytes) => {
            binaries.push(bytes);
            placeholder(binaries.len() - 1)
        }
        Data::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|d| deconstruct(d, binaries))
                .collect(),
        ),
        Data::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, deconstruct(v, binaries)))
                .collect(),
        ),
        Data::Null => Value::Null,
        Data::Bool(b) => Value::Bool(b),
        Data::Number(n) => Value::Number(n),
        Data::String(s) => Value::String(s),
    }
}

/// Puts the binaries back where their placeholders are. A placeholder whose
/// `num` is not an index into `binaries` is an error, as in the reference.
pub(crate) fn reconstruct(value: Value, binaries: &[Bytes]) -> Result<Data, DecodeError> {
    if let Some(num) = placeholder_num(&value) {
        let bytes = num
            .and_then(|n| binaries.get(n))
            .ok_or(DecodeError::InvalidPlaceholder)?;
        return Ok(Data::Binary(bytes.clone()));
    }
    Ok(match value {
        Value::Array(items) => Data::Array(
            items
                .into_iter()
                .map(|v| reconstruct(v, binaries))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Data::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, reconstruct(v, binaries)?)))
                .collect::<Result<_, DecodeError>>()?,
        ),
        other => Data::from(other),
    })
}

/// Checks, without rebuilding anything, that every placeholder in `value`
/// points at one of `count` attachments: a decoded packet is then safe to
/// [`reconstruct`] and to forward as is.
pub(crate) fn check_placeholders(value: &Value, count: usize) -> Result<(), DecodeError> {
    if let Some(num) = placeholder_num(value) {
        return match num {
            Some(n) if n < count => Ok(()),
            _ => Err(DecodeError::InvalidPlaceholder),
        };
    }
    match value {
        Value::Array(items) => items.iter().try_for_each(|v| check_placeholders(v, count)),
        Value::Object(map) => map.values().try_for_each(|v| check_placeholders(v, count)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bin(bytes: &'static [u8]) -> Data {
        Data::Binary(Bytes::from_static(bytes))
    }

    #[test]
    fn placeholder_text_matches_the_spec() {
        assert_eq!(
            placeholder(0).to_string(),
            r#"{"_placeholder":true,"num":0}"#
        );
    }

    #[test]
    fn deconstructs_depth_first_in_order() {
        let data = Data::Array(vec![
            Data::from("baz"),
            bin(&[1, 2]),
            Data::Array(vec![bin(&[3]), Data::from(json!({"x": 1}))]),
        ]);
        let mut binaries = Vec::new();
        let value = deconstruct(data, &mut binaries);
        assert_eq!(
            value,
            json!(["baz", {"_placeholder": true, "num": 0}, [{"_placeholder": true, "num": 1}, {"x": 1}]])
        );
        assert_eq!(
            binaries,
            [Bytes::from_static(&[1, 2]), Bytes::from_static(&[3])]
        );
    }

    #[test]
    fn reconstruct_inverts_deconstruct() {
        let data = Data::Array(vec![
            Data::from("baz"),
            Data::from(json!({"nested": null})),
            bin(&[1, 2, 3]),
            Data::Object([("file".to_owned(), bin(&[9]))].into()),
        ]);
        let mut binaries = Vec::new();
        let value = deconstruct(data.clone(), &mut binaries);
        check_placeholders(&value, binaries.len()).unwrap();
        assert_eq!(reconstruct(value, &binaries).unwrap(), data);
    }

    #[test]
    fn out_of_range_placeholders_are_refused() {
        let value = json!(["a", {"_placeholder": true, "num": 1}]);
        assert!(matches!(
            check_placeholders(&value, 1),
            Err(DecodeError::InvalidPlaceholder)
        ));
        assert!(matches!(
            reconstruct(value.clone(), &[Bytes::new()]),
            Err(DecodeError::InvalidPlaceholder)
        ));
        check_placeholders(&value, 2).unwrap();
    }

    #[test]
    fn malformed_placeholder_numbers_are_refused() {
        for num in [json!(-1), json!(0.5), json!("0"), json!(null)] {
            let value = json!([{"_placeholder": true, "num": num}]);
            assert!(
                matches!(
                    check_placeholders(&value, 3),
                    Err(DecodeError::InvalidPlaceholder)
                ),
                "num {num} should be refused"
            );
        }
        let missing = json!([{"_placeholder": true}]);
        assert!(check_placeholders(&missing, 3).is_err());
    }

    #[test]
    fn lookalikes_are_plain_objects() {
        for value in [
            json!({"_placeholder": false, "num": 7}),
            json!({"_placeholder": "true", "num": 7}),
            json!({"num": 7}),
        ] {
            check_placeholders(&value, 0).unwrap();
            assert_eq!(reconstruct(value.clone(), &[]).unwrap(), Data::from(value));
        }
    }
}
