//! The WebSocket side of the gateway: API Gateway's routes over real sockets.

use std::net::SocketAddr;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;

use super::Gateway;
use super::events::{self, ConnectionContext, Route};
use crate::Outbound;

/// API Gateway's connection ids are 16 random bytes, base64 (`L0SM9cOFvHcCIhw=`).
fn connection_id() -> String {
    let bytes = uuid::Uuid::new_v4();
    base64::engine::general_purpose::STANDARD.encode(&bytes.as_bytes()[..10])
}

/// The status and body a `$connect` answer asks for.
fn connect_answer(answer: &Value) -> (u16, String) {
    let status = answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .unwrap_or(502) as u16;
    let body = answer
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

/// `GET /` or `GET /{stage}` with an upgrade: `$connect`, then the socket.
pub(crate) async fn upgrade(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let context = ConnectionContext {
        connection_id: connection_id(),
        domain_name: text(header::HOST),
        stage: gateway.config.stage.clone(),
        source_ip: peer.ip().to_string(),
        user_agent: text(header::USER_AGENT),
        connected_at: events::now_ms(),
    };
    let pairs = events::url_pairs(raw_query.as_deref().unwrap_or_default());
    let event = events::websocket(Route::Connect, &context, Some((&headers, &pairs)), None);
    let (status, body) = match gateway
        .lambda
        .invoke(&gateway.config.connect_function, &event)
        .await
    {
        Ok(answer) => connect_answer(&answer),
        Err(error) => {
            tracing::warn!(%error, "$connect failed");
            (502, String::new())
        }
    };
    if status != 200 {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        return (status, body).into_response();
    }
    let (mailbox, queue) = crate::hub::socket_queue();
    gateway.hub.register(&context.connection_id, mailbox);
    // API Gateway's own frame limit is 128 KiB for messages split into frames.
    ecb_engineio::frugal(upgrade, 128 * 1024)
        .on_upgrade(move |socket| run(gateway, socket, context, headers, queue))
}

async fn run(
    gateway: Gateway,
    socket: WebSocket,
    context: ConnectionContext,
    handshake: HeaderMap,
    mut queue: mpsc::Receiver<Outbound>,
) {
    let _tracked = gateway.tasks.token();
    let (mut sink, mut stream) = socket.split();
    let shutdown = gateway.shutdown.clone();
    let writer = tokio::spawn(async move {
        loop {
            let outbound = tokio::select! {
                outbound = queue.recv() => outbound,
                _ = shutdown.cancelled() => None,
            };
            let message = match outbound {
                Some(Outbound::Frame(text)) => Message::Text(text.into()),
                Some(Outbound::Push(push)) => Message::Text(push.raw_frame()),
                Some(Outbound::Close) | None => break,
            };
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut writer = writer;
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = &mut writer => break,
        };
        let body = match message {
            Some(Ok(Message::Text(text))) => (text.to_string(), false),
            Some(Ok(Message::Binary(bytes))) => (
                base64::engine::general_purpose::STANDARD.encode(&bytes),
                true,
            ),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => break,
        };
        let event = events::websocket(Route::Message, &context, None, Some((&body.0, body.1)));
        if let Err(error) = gateway
            .lambda
            .invoke(&gateway.config.message_function, &event)
            .await
        {
            tracing::warn!(%error, connection = %context.connection_id, "$default failed");
        }
    }
    gateway.hub.unregister(&context.connection_id);
    writer.abort();
    let event = events::websocket(Route::Disconnect, &context, Some((&handshake, &[])), None);
    if let Err(error) = gateway
        .lambda
        .invoke(&gateway.config.disconnect_function, &event)
        .await
    {
        tracing::warn!(%error, connection = %context.connection_id, "$disconnect failed");
    }
}
