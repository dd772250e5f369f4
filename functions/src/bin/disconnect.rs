//! `$disconnect`: forget the connection and tell its threads.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use ecb_functions::{Error, Function, connection_id, respond};
use lambda_runtime::{LambdaEvent, service_fn};

async fn disconnect(
    function: &Function,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    function.engine.disconnect(connection_id(&request)).await;
    respond(200, None)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = Arc::new(Function::from_env().await?);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| {
            let function = function.clone();
            async move { Ok::<_, Error>(disconnect(&function, event.payload).await) }
        },
    ))
    .await
}
