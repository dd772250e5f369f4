//! The HTTP API: REST `/v1/{action}` and the server API, the same router the
//! local server mounts, run under `lambda_http`. Pushes are delivered before
//! the answer, since a Lambda may be frozen once it has answered.

use ecb_functions::{Error, Function};
use ecb_rest::{PushDelivery, RestState};

/// Prints the request's metrics as EMF once it is answered (pushes were
/// delivered before the answer, so they are counted).
async fn flush_metrics_after(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    ecb_functions::emf::flush();
    response
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = Function::from_env().await?;
    let router = ecb_rest::router(RestState {
        engine: function.engine.clone(),
        delivery: PushDelivery::Inline,
    })
    .layer(axum::middleware::from_fn(flush_metrics_after));
    lambda_http::run(ecb_rest::with_origin_policy(
        router,
        function.engine.clone(),
    ))
    .await
}
