//! Raw WebSocket (PROTOCOL.md transport 2) at `/ws?token=userToken`.
//!
//! The token is checked before the upgrade (401, as API Gateway refuses a
//! failed `$connect`). Then a reader runs the client's frames through the
//! engine one at a time, in order, while a writer sends responses and pushes,
//! so pushes never wait behind a slow backend call.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ecb_engine::protocol::frame;
use ecb_engine::protocol::wire::Wire;
use ecb_engine::{Caller, EcbError};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::open_connections::{OpenConnection, Transport};
use crate::{AppState, Outbound};
use ecb_rest::envelope_response;
use tracing::Instrument;

/// Close code for a server restarting: reconnect, elsewhere or later
/// (RFC 6455's registry, "Service Restart").
const SERVICE_RESTART: u16 = 1012;
/// Close code for a policy ending the connection (disconnectUser).
const POLICY: u16 = 1008;

#[derive(Deserialize)]
pub struct Params {
    token: Option<String>,
}

/// `GET /ws?token=`.
pub async fn upgrade(
    State(app): State<AppState>,
    Query(params): Query<Params>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let token = params.token.unwrap_or_default();
    let connection_id = uuid::Uuid::new_v4().to_string();
    let caller = match app
        .engine
        .connect(
            &token,
            connection_id.clone(),
            app.endpoint.clone(),
            Wire::Ecb,
        )
        .await
    {
        Ok(caller) => caller,
        Err(error) => {
            let status =
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return envelope_response(status, &Err(error)).into_response();
        }
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            app.engine.disconnect(&connection_id).await;
            return rejection.into_response();
        }
    };
    let (sender, receiver) = crate::hub::socket_queue();
    app.hub.register(&connection_id, sender.clone());
    let failed = (app.clone(), connection_id.clone());
    ecb_engineio::frugal(
        upgrade,
        ecb_engine::limits::transport_limit(app.engine.config().max_payload),
    )
    .on_failed_upgrade(move |error| {
        tracing::debug!(%error, "websocket upgrade failed");
        let (app, connection_id) = failed;
        app.hub.unregister(&connection_id);
        tokio::spawn(async move { app.engine.disconnect(&connection_id).await });
    })
    .on_upgrade(move |socket| {
        let span =
            tracing::info_span!("connection", connection = %connection_id, transport = "websocket");
        run(app, socket, caller, sender, receiver).instrument(span)
    })
}

async fn run(
    app: AppState,
    socket: WebSocket,
    caller: Caller,
    sender: mpsc::Sender<Outbound>,
    receiver: mpsc::Receiver<Outbound>,
) {
    let _tracked = app.tasks.token();
    let _counted = OpenConnection::new(Transport::WebSocket);
    let connection_id = caller.connection_id().unwrap_or_default().to_owned();
    tracing::info!(connection = %connection_id, user = %caller.user.user_id, "websocket open");
    let (sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(write(sink, receiver, app.shutdown.clone()));
    let mut writer_done = false;
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = &mut writer => {
                writer_done = true;
                break;
            }
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                let error = EcbError::bad_request("frames must be JSON text");
                let frame = frame::response(None, &Err(error));
                if sender.send(Outbound::Frame(frame)).await.is_err() {
                    break;
                }
                continue;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(error)) => {
                tracing::debug!(connection = %connection_id, %error, "websocket read failed");
                break;
            }
        };
        // While draining, a frame is not run (nor answered): the client
        // sends it again once reconnected elsewhere.
        let Some(_running) = app.gate.enter() else {
            tracing::debug!("frame ignored: draining");
            continue;
        };
        let (response, pushes) = app.engine.handle_frame(&caller, text.as_str()).await;
        if sender.send(Outbound::Frame(response)).await.is_err() {
            break;
        }
        pushes.deliver(&app.engine).await;
    }
    app.hub.unregister(&connection_id);
    drop(sender);
    if !writer_done {
        let _ = writer.await;
    }
    app.engine.disconnect(&connection_id).await;
    tracing::info!(connection = %connection_id, "websocket closed");
}

async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut receiver: mpsc::Receiver<Outbound>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let close = |code: u16, reason: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        }))
    };
    loop {
        let outbound = tokio::select! {
            outbound = receiver.recv() => outbound,
            _ = shutdown.cancelled() => {
                let _ = sink.send(close(SERVICE_RESTART, "server restarting")).await;
                break;
            }
        };
        let message = match outbound {
            Some(Outbound::Push(push)) => Message::Text(push.raw_frame()),
            Some(Outbound::Frame(text)) => Message::Text(text.into()),
            Some(Outbound::Close) => {
                let _ = sink.send(close(POLICY, "disconnected by the server")).await;
                break;
            }
            Some(Outbound::Reconnect) => {
                let _ = sink.send(close(SERVICE_RESTART, "server restarting")).await;
                break;
            }
            None => break,
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}
