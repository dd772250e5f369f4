//! The backend port with its latency measured: the engine wraps whatever
//! backend it is given in this, so every backend call is timed in one place,
//! whatever the transport or the operation.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::Value;

use crate::EcbError;
use crate::instruments;
use crate::ports::{Backend, BackendCall};

/// A backend whose calls are recorded as `ecb_backend_call_duration_seconds`.
pub(crate) struct MeteredBackend(pub(crate) Arc<dyn Backend>);

#[async_trait]
impl Backend for MeteredBackend {
    async fn call(&self, call: BackendCall<'_>) -> Result<Value, EcbError> {
        let operation = call.operation;
        let started = Instant::now();
        let answer = self.0.call(call).await;
        let outcome = instruments::backend_outcome(answer.as_ref().err());
        instruments::backend_call(operation, outcome, started.elapsed());
        answer
    }
}
