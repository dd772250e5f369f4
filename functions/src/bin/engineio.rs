//! `engineio`: Socket.IO's Engine.IO upkeep on API Gateway. Invoked
//! asynchronously by `$connect` to post a new connection's open packet, and
//! on a schedule to ping the sessions that are due and close the dead.

use std::sync::Arc;

use ecb_functions::socketio::{self, EngineIoEvent};
use ecb_functions::{Error, Function};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

async fn upkeep(function: Arc<Function>, event: Value) {
    match serde_json::from_value::<EngineIoEvent>(event) {
        Ok(EngineIoEvent {
            open_socket_io: Some(open),
        }) => socketio::open(&function, open).await,
        // EventBridge's scheduled event (its fields are not needed).
        Ok(_) => socketio::sweep(&function).await,
        Err(error) => tracing::warn!(%error, "unexpected event"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = Arc::new(Function::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let function = function.clone();
        async move {
            upkeep(function, event.payload).await;
            ecb_functions::emf::flush();
            Ok::<_, Error>(Value::Null)
        }
    }))
    .await
}
