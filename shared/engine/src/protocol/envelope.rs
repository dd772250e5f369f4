//! The envelope every result travels in: `{"ok": true, "result": …}` or
//! `{"ok": false, "error": {"code", "message"}}`.

use serde_json::{Value, json};

use crate::EcbError;

/// What an operation produced, before a transport frames it.
pub type OpResult = Result<Value, EcbError>;

/// The envelope of a result, as JSON. Every transport sends exactly this.
pub fn envelope(result: &OpResult) -> Value {
    match result {
        Ok(value) => json!({ "ok": true, "result": value }),
        Err(error) => json!({ "ok": false, "error": error }),
    }
}
