//! Raw WebSocket (PROTOCOL.md transport 2) at `/ws?token=userToken`.
//!
//! The token is checked before the upgrade (401, as API Gateway refuses a
//! failed `$connect`). Then a reader runs the client's frames through the
//! engine one at a time, in order, while a writer sends responses and pushes,
//! so pushes never wait behind a slow backend call.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ecb_engine::protocol::frame;
use ecb_engine::protocol::wire::Wire;
use ecb_engine::{Caller, EcbError, ErrorCode};
use ecb_engineio::CloseCode;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hub::SocketMailbox;
use crate::open_connections::{OpenConnection, Transport};
use crate::{AppState, Outbound};
use ecb_rest::envelope_response;
use tracing::Instrument;

/// The close code that tells a client it missed pushes (its queue filled
/// while it read too slowly): reconnect, rejoin and page the gap
/// (README, "Transports").
pub const RESYNC: CloseCode = CloseCode::Application(4000);

/// How long the writer may take to finish once the reader is done: a
/// client that reads nothing must not keep the connection's task alive.
const WRITER_GRACE: Duration = Duration::from_secs(1);

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
    let Ok(user_slot) = app.user_connections.take(&caller.user.user_id) else {
        app.engine.disconnect(&connection_id).await;
        let error = EcbError::new(ErrorCode::RateLimited, "too many connections for this user");
        return envelope_response(StatusCode::TOO_MANY_REQUESTS, &Err(error)).into_response();
    };
    let (sender, receiver) = crate::hub::socket_queue();
    let lagging = CancellationToken::new();
    app.hub.register(
        &connection_id,
        SocketMailbox {
            sender: sender.clone(),
            lagging: lagging.clone(),
        },
    );
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
        async move {
            let _user_slot = user_slot;
            let outbox = Outbox { receiver, lagging };
            run(app, socket, caller, sender, outbox).await
        }
        .instrument(span)
    })
}

/// What the writer reads: the connection's queue, and the sign that it
/// overflowed.
struct Outbox {
    receiver: mpsc::Receiver<Outbound>,
    lagging: CancellationToken,
}

async fn run(
    app: AppState,
    socket: WebSocket,
    mut caller: Caller,
    sender: mpsc::Sender<Outbound>,
    outbox: Outbox,
) {
    let _tracked = app.tasks.token();
    let _counted = OpenConnection::new(Transport::WebSocket);
    let connection_id = caller.connection_id().unwrap_or_default().to_owned();
    tracing::debug!(connection = %connection_id, user = %caller.user.user_id, "websocket open");
    let (sink, mut stream) = socket.split();
    // The reader tells the writer how the client broke the protocol, so the
    // close frame carries the RFC 6455 code for it.
    let (broken_tx, broken) = tokio::sync::oneshot::channel();
    let mut writer = tokio::spawn(write(sink, outbox, broken, app.shutdown.clone()));
    let mut writer_done = false;
    let mut broken_tx = Some(broken_tx);
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
                if let (Some(close), Some(tx)) =
                    (CloseCode::for_read_error(&error), broken_tx.take())
                {
                    let _ = tx.send(close);
                }
                break;
            }
        };
        // While draining, a frame is not run (nor answered): the client
        // sends it again once reconnected elsewhere.
        let Some(_running) = app.gate.enter() else {
            tracing::debug!("frame ignored: draining");
            continue;
        };
        let reply = app.engine.handle_frame(&caller, text.as_str()).await;
        if let Some(refreshed) = reply.refreshed {
            caller = refreshed;
        }
        if sender.send(Outbound::Frame(reply.frame)).await.is_err() {
            break;
        }
        reply.pushes.deliver(&app.engine).await;
    }
    app.hub.unregister(&connection_id);
    drop(sender);
    drop(broken_tx);
    if !writer_done
        && tokio::time::timeout(WRITER_GRACE, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
    app.engine.disconnect(&connection_id).await;
    tracing::debug!(connection = %connection_id, "websocket closed");
}

async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    Outbox {
        mut receiver,
        lagging,
    }: Outbox,
    broken: tokio::sync::oneshot::Receiver<(CloseCode, &'static str)>,
    shutdown: CancellationToken,
) {
    // Taken once it has answered: a finished oneshot must not be polled again.
    let mut broken = Some(broken);
    // Made once and polled on every turn: a fresh future per turn would
    // register and drop a waiter for every push written.
    let mut lagged = std::pin::pin!(lagging.cancelled());
    let mut shutting_down = std::pin::pin!(shutdown.cancelled());
    loop {
        let outbound = tokio::select! {
            biased;
            _ = &mut lagged => {
                // What is still queued is dropped: the client resyncs anyway.
                let _ = sink.send(RESYNC.message("too slow: reconnect and resync")).await;
                break;
            }
            close = async { broken.as_mut().expect("checked").await }, if broken.is_some() => {
                broken = None;
                match close {
                    Ok((code, reason)) => {
                        let _ = sink.send(code.message(reason)).await;
                        break;
                    }
                    Err(_) => continue,
                }
            }
            outbound = receiver.recv() => outbound,
            _ = &mut shutting_down => {
                let _ = sink.send(CloseCode::ServiceRestart.message("server restarting")).await;
                break;
            }
        };
        let message = match outbound {
            Some(Outbound::Push(push)) => Message::Text(push.raw_frame()),
            Some(Outbound::Frame(text)) => Message::Text(text.into()),
            Some(Outbound::Close) => {
                let close = CloseCode::Policy.message("disconnected by the server");
                let _ = sink.send(close).await;
                break;
            }
            Some(Outbound::Reconnect) => {
                let _ = sink
                    .send(CloseCode::ServiceRestart.message("server restarting"))
                    .await;
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
