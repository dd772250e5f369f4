//! `$disconnect`: forget the connection (and a Socket.IO connection's
//! Engine.IO session) and tell its threads.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use ecb_functions::{Error, Function, connection_id, respond};

async fn disconnect(
    function: Arc<Function>,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    ecb_functions::socketio::forget(&function, connection_id(&request)).await;
    respond(200, None)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    ecb_functions::serve_websocket_route(disconnect).await
}
