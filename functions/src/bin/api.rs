//! The HTTP API: REST `/v1/{action}` and the server API, the same router the
//! local server mounts, run under `lambda_http`. Pushes are delivered before
//! the answer, since a Lambda may be frozen once it has answered.

use ecb_functions::{Error, Function};
use ecb_rest::{PushDelivery, RestState};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = Function::from_env().await?;
    let router = ecb_rest::router(RestState {
        engine: function.engine.clone(),
        delivery: PushDelivery::Inline,
    });
    lambda_http::run(ecb_rest::with_origin_policy(
        router,
        function.engine.clone(),
    ))
    .await
}
