//! `$default`: one request frame through the engine; the response frame goes
//! back to the caller by PostToConnection, then the pushes fan out. Frames
//! of Socket.IO clients (Engine.IO packets) go through `socketio::on_frame`.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use ecb_engine::FrameReply;
use ecb_engine::protocol::frame;
use ecb_engine::protocol::frame::sniff_request_id;
use ecb_functions::{Error, Function, connection_id, respond, socketio};

async fn message(
    function: Arc<Function>,
    request: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let body = request.body.as_deref().unwrap_or_default();
    if socketio::packets::is_engineio(body) {
        socketio::on_frame(&function, &request, body).await;
        return respond(200, None);
    }
    let resumed = function
        .callers
        .resume(&function.engine, connection_id(&request))
        .await;
    let (reply, to) = match resumed {
        Ok(caller) => {
            let mut reply = function.engine.handle_frame(&caller, body).await;
            if let Some(refreshed) = reply.refreshed.take() {
                function.callers.remember(refreshed);
            }
            let to = caller
                .connection
                .unwrap_or_else(|| function.member(&request));
            (reply, to)
        }
        Err(error) => {
            let frame = frame::response(sniff_request_id(body).as_ref(), &Err(error));
            (FrameReply::error(frame), function.member(&request))
        }
    };
    if let Err(error) = function.pusher.post(&to, &reply.frame).await {
        tracing::warn!(%error, "response not delivered");
    }
    reply.pushes.deliver(&function.engine).await;
    respond(200, None)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    ecb_functions::serve_websocket_route(message).await
}
