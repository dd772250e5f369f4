//! `$disconnect`: forget the connection and tell its threads.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use ecb_functions::{Error, Function, connection_id, respond};

async fn disconnect(
    function: Arc<Function>,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    function.engine.disconnect(connection_id(&request)).await;
    respond(200, None)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    ecb_functions::serve_websocket_route(disconnect).await
}
