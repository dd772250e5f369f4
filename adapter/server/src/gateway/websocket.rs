//! The WebSocket side of the gateway: API Gateway's routes over real
//! sockets, with its rules: no post before `$connect` has returned (410),
//! frames over 32 KB and messages over 128 KB closed with 1009, an idle
//! timeout and a maximum lifetime (shorter values settable for tests).

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::Gateway;
use super::events::{self, ConnectionContext, Route};
use crate::Outbound;

/// API Gateway's WebSocket frame limit.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
/// API Gateway's message limit (a message of several frames).
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

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

/// `GET /`, `GET /{stage}` or `GET /{stage}/` with an upgrade: `$connect`,
/// then the socket.
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
    // Only now can the connection be posted to: until here its id is
    // unknown to the Management API, which answers 410 as AWS does.
    let (mailbox, queue) = crate::hub::socket_queue();
    gateway.hub.register(&context.connection_id, mailbox);
    ecb_engineio::frugal(upgrade, MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(gateway, socket, context, headers, queue))
}

/// Why the gateway itself closes a connection.
#[derive(Debug, Clone, Copy)]
enum GatewayClose {
    /// No frame from the client for the idle timeout.
    Idle,
    /// The connection reached its maximum lifetime.
    Lifetime,
    /// A frame or message over API Gateway's limits.
    TooBig,
}

impl GatewayClose {
    fn frame(self) -> CloseFrame {
        let (code, reason) = match self {
            Self::Idle => (1001, "Going away: idle timeout"),
            Self::Lifetime => (1001, "Going away: maximum connection duration"),
            Self::TooBig => (1009, "Message too big"),
        };
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }
}

async fn run(
    gateway: Gateway,
    socket: WebSocket,
    context: ConnectionContext,
    handshake: HeaderMap,
    queue: mpsc::Receiver<Outbound>,
) {
    let _tracked = gateway.tasks.token();
    let (sink, stream) = socket.split();
    let (close, closing) = oneshot::channel();
    let mut writer = tokio::spawn(write(sink, queue, closing, gateway.shutdown.clone()));
    let ended = tokio::select! {
        ended = read(&gateway, stream, &context) => ended,
        _ = &mut writer => None,
    };
    let code = match ended {
        Some(reason) => {
            let frame = reason.frame();
            let code = frame.code;
            let _ = close.send(frame);
            let _ = tokio::time::timeout(Duration::from_secs(1), &mut writer).await;
            code
        }
        None => 1000,
    };
    gateway.hub.unregister(&context.connection_id);
    writer.abort();
    let event = events::websocket(
        Route::Disconnect(code),
        &context,
        Some((&handshake, &[])),
        None,
    );
    if let Err(error) = gateway
        .lambda
        .invoke(&gateway.config.disconnect_function, &event)
        .await
    {
        tracing::warn!(%error, "$disconnect failed");
    }
}

/// Sends what the Management API posts, until the socket ends or the
/// gateway closes it.
async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut queue: mpsc::Receiver<Outbound>,
    mut closing: oneshot::Receiver<CloseFrame>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        let message = tokio::select! {
            outbound = queue.recv() => match outbound {
                Some(Outbound::Frame(text)) => Message::Text(text.into()),
                Some(Outbound::Push(push)) => Message::Text(push.raw_frame()),
                Some(Outbound::Close | Outbound::Reconnect) | None => break,
            },
            frame = &mut closing => match frame {
                Ok(frame) => Message::Close(Some(frame)),
                Err(_) => break,
            },
            _ = shutdown.cancelled() => break,
        };
        let last = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Hands each client frame to `$default`, in order. Ends when the client
/// goes (`None`) or with the reason the gateway closes the connection.
async fn read(
    gateway: &Gateway,
    mut stream: SplitStream<WebSocket>,
    context: &ConnectionContext,
) -> Option<GatewayClose> {
    let idle = Duration::from_millis(gateway.config.idle_timeout_ms);
    let lifetime = tokio::time::sleep(Duration::from_millis(gateway.config.max_lifetime_ms));
    tokio::pin!(lifetime);
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = tokio::time::sleep(idle) => return Some(GatewayClose::Idle),
            _ = &mut lifetime => return Some(GatewayClose::Lifetime),
        };
        let body = match message {
            Some(Ok(Message::Text(text))) => (text.to_string(), false),
            Some(Ok(Message::Binary(bytes))) => (
                base64::engine::general_purpose::STANDARD.encode(&bytes),
                true,
            ),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Err(error)) if too_big(&error) => return Some(GatewayClose::TooBig),
            _ => return None,
        };
        let event = events::websocket(Route::Message, context, None, Some((&body.0, body.1)));
        if let Err(error) = gateway
            .lambda
            .invoke(&gateway.config.message_function, &event)
            .await
        {
            tracing::warn!(%error, "$default failed");
        }
    }
}

/// Whether a read failed on the frame or message limit.
fn too_big(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}
