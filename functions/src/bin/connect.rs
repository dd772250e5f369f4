//! `$connect`: a raw WebSocket client's `?token=` is verified and its
//! connection recorded (401 refuses the upgrade); a Socket.IO client
//! (`EIO=4`) gets its Engine.IO session and, right after, its open packet.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use ecb_engine::protocol::envelope::envelope;
use ecb_engine::protocol::wire::Wire;
use ecb_functions::{Error, Function, connection_id, respond};

async fn connect(
    function: Arc<Function>,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let origin = request.headers.get("origin").map(|o| o.as_bytes());
    if !function.engine.config().origin_allowed(origin) {
        let error = ecb_engine::EcbError::forbidden("origin not allowed");
        return respond(403, Some(envelope(&Err(error)).to_string()));
    }
    if request.query_string_parameters.first("EIO").is_some() {
        return ecb_functions::socketio::accept(&function, &request).await;
    }
    let token = request
        .query_string_parameters
        .first("token")
        .unwrap_or_default();
    let endpoint = function.endpoint(&request.request_context);
    match function
        .engine
        .connect(
            token,
            connection_id(&request).to_owned(),
            endpoint,
            Wire::Ecb,
        )
        .await
    {
        Ok(_) => respond(200, None),
        Err(error) => respond(error.http_status(), Some(envelope(&Err(error)).to_string())),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    ecb_functions::serve_websocket_route(connect).await
}
