//! A Backend that answers what the test scripted and remembers each call, so
//! an operation test needs no HTTP server and can check what ECB sent.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use serde_json::Value;

use crate::EcbError;
use crate::ports::{Backend, BackendCall, BackendOperation};

/// One call the backend received, owned so a test can inspect it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    pub operation: BackendOperation,
    /// The bearer ECB forwarded (the caller's userToken).
    pub user_token: Option<String>,
    /// The body ECB sent: the client's payload plus `user`.
    pub body: Value,
    /// The `Idempotency-Key` ECB sent (the message's `clientMessageId`).
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
struct Script {
    /// operation name → what every call of it answers, until scripted again.
    answers: HashMap<&'static str, Result<Value, EcbError>>,
    calls: Vec<RecordedCall>,
}

/// Answers each operation as scripted: a JSON answer (checked by the engine
/// as any backend's would be) or a failure as [`crate::backend::HttpBackend`]
/// reports it. An operation the test did not script panics: the test asked
/// for a call it did not expect.
#[derive(Default)]
pub struct ScriptedBackend {
    script: Mutex<Script>,
}

impl ScriptedBackend {
    /// A backend with nothing scripted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every later call of `operation` answers `answer`.
    pub fn answer(&self, operation: BackendOperation, answer: Value) {
        self.script().answers.insert(operation.as_str(), Ok(answer));
    }

    /// Every later call of `operation` fails with `error` (a refusal, a
    /// timeout), as the HTTP backend maps those.
    pub fn fail(&self, operation: BackendOperation, error: EcbError) {
        self.script().answers.insert(operation.as_str(), Err(error));
    }

    /// Every call received so far, oldest first.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.script().calls.clone()
    }

    /// The calls of one operation received so far, oldest first.
    pub fn calls_of(&self, operation: BackendOperation) -> Vec<RecordedCall> {
        self.script()
            .calls
            .iter()
            .filter(|call| call.operation == operation)
            .cloned()
            .collect()
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Backend for ScriptedBackend {
    async fn call(&self, call: BackendCall<'_>) -> Result<Value, EcbError> {
        let mut script = self.script();
        script.calls.push(RecordedCall {
            operation: call.operation,
            user_token: call.user_token.map(str::to_owned),
            body: call.body,
            idempotency_key: call.idempotency_key.map(str::to_owned),
        });
        match script.answers.get(call.operation.as_str()) {
            Some(answer) => answer.clone(),
            None => panic!(
                "ScriptedBackend: no answer scripted for {}",
                call.operation.as_str()
            ),
        }
    }
}
