//! Socket.IO on API Gateway. A stock Socket.IO v4 client opens a WebSocket
//! with `EIO=4`; with no process alive between its frames, its Engine.IO
//! session lives in the table (`ecb_aws::EngineIoSession`) and three things
//! happen where a server process would do them itself:
//!
//! - **The open packet**: API Gateway refuses posts to a connection (410)
//!   until `$connect` has returned, so `$connect` queues an asynchronous
//!   invocation of the `engineio` function, which posts the open packet,
//!   retrying while the gateway still says 410 ([`open`]).
//! - **Frames**: `$default` reads each frame ([`packets::classify`]): a
//!   CONNECT verifies the token and records the ECB connection, an EVENT
//!   runs through ECB's one Socket.IO mapping, a pong is noted ([`on_frame`]).
//! - **Heartbeat**: a schedule invokes `engineio` (every minute on AWS),
//!   which pings the sessions that are due and closes those that never
//!   joined or stopped answering ([`sweep`], rule in [`upkeep`]).

pub mod packets;
pub mod upkeep;

use std::time::{Duration, Instant};

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use ecb_aws::{EngineIoSession, SessionState};
use ecb_engine::ports::{Member, PushError, Pusher};
use ecb_engine::protocol::socketio;
use ecb_engine::protocol::wire::Wire;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Function, connection_id, respond};
use packets::Inbound;
use upkeep::Upkeep;

/// How many sessions one sweep serves at once.
const CONCURRENT_UPKEEP: usize = 32;
/// How long the open packet keeps being retried while the gateway says 410.
const OPEN_RETRY_BUDGET: Duration = Duration::from_secs(5);

/// What `$connect` queues for the `engineio` function.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenRequest {
    pub connection_id: String,
    pub endpoint: String,
}

/// An event for the `engineio` function: an open to post, or (anything
/// else: EventBridge's scheduled event) a sweep.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineIoEvent {
    pub open_socket_io: Option<OpenRequest>,
}

/// Milliseconds since the epoch: Engine.IO's heartbeat is in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `$connect` of a Socket.IO client: records its session and queues the
/// open packet. The token is checked at its CONNECT, as Socket.IO does.
pub async fn accept(
    function: &Function,
    request: &ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let query = &request.query_string_parameters;
    if query.first("EIO") != Some("4") {
        return respond(400, Some(engineio_error(5, "Unsupported protocol version")));
    }
    if query.first("transport") != Some("websocket") {
        // HTTP long-polling would hold a Lambda per poll: the local server's only.
        return respond(400, Some(engineio_error(0, "Transport unknown")));
    }
    let session = EngineIoSession {
        connection_id: connection_id(request).to_owned(),
        endpoint: function.endpoint(&request.request_context),
        state: SessionState::Opened,
        opened_at: now_ms(),
        pinged_at: None,
        ponged_at: None,
        query_token: query.first("token").map(str::to_owned),
    };
    if let Err(error) = function.store.open_session(&session).await {
        tracing::error!(%error, "Socket.IO session not recorded");
        return respond(500, None);
    }
    let open = OpenRequest {
        connection_id: session.connection_id.clone(),
        endpoint: session.endpoint.clone(),
    };
    let event = serde_json::json!({ "openSocketIo": open });
    if let Err(error) = function.socket_io.opener.queue(&event).await {
        tracing::error!(%error, "the open packet could not be queued");
        let _ = function.store.remove_session(&session.connection_id).await;
        return respond(500, None);
    }
    respond(200, None)
}

/// The reference server's body for a refused handshake.
fn engineio_error(code: u8, message: &str) -> String {
    serde_json::json!({ "code": code, "message": message }).to_string()
}

/// Posts the open packet as soon as the gateway takes it.
pub async fn open(function: &Function, request: OpenRequest) {
    let settings = &function.socket_io.settings;
    let frame = packets::open(
        &request.connection_id,
        settings.ping_interval_ms,
        settings.ping_timeout_ms,
        function.engine.config().max_payload,
    );
    let to = socket_io_member(request.connection_id, request.endpoint);
    let started = Instant::now();
    let mut delay = Duration::from_millis(10);
    loop {
        match function.pusher.post(&to, &frame).await {
            Ok(()) => return,
            Err(PushError::Gone) if started.elapsed() < OPEN_RETRY_BUDGET => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(500));
            }
            Err(error) => {
                tracing::warn!(%error, "open packet not delivered");
                return;
            }
        }
    }
}

fn socket_io_member(connection_id: String, endpoint: String) -> Member {
    Member {
        connection_id,
        user_id: String::new(),
        endpoint,
        wire: Wire::SocketIo,
    }
}

/// One frame from a Socket.IO client.
pub async fn on_frame(function: &Function, request: &ApiGatewayWebsocketProxyRequest, text: &str) {
    let id = connection_id(request);
    let to = function.member(request);
    match packets::classify(text) {
        Inbound::Pong => {
            if let Err(error) = function.store.session_ponged(id, now_ms()).await {
                tracing::warn!(%error, "pong not recorded");
            }
        }
        Inbound::Connect { nsp, auth } if nsp == ecb_socketio_codec::MAIN_NAMESPACE => {
            join(function, &to, &auth).await;
        }
        Inbound::Connect { nsp, .. } => post(function, &to, &packets::refused(&nsp, None)).await,
        Inbound::Event { payload, ack, size } => {
            let caller = match function.callers.resume(&function.engine, id).await {
                Ok(caller)
                    if caller.connection.as_ref().map(|c| c.wire) == Some(Wire::SocketIo) =>
                {
                    caller
                }
                // The reference server ignores events of a namespace not joined.
                _ => {
                    tracing::debug!(connection = %id, "event before CONNECT ignored");
                    return;
                }
            };
            let reply = socketio::run_event(&function.engine, &caller, payload, size).await;
            if let Some(refreshed) = reply.refreshed {
                function.callers.remember(refreshed);
            }
            if let Some(ack) = ack {
                post(function, &to, &packets::ack(ack, &reply.result)).await;
            }
            reply.pushes.deliver(&function.engine).await;
        }
        Inbound::Disconnect => {
            // The client left the namespace; its Engine.IO session goes on
            // until the socket closes (then `$disconnect`).
            function.callers.forget(id);
            function.engine.disconnect(id).await;
        }
        Inbound::Ignored => {}
        Inbound::Binary => {
            tracing::debug!(connection = %id, "binary packet ignored: not part of the protocol");
        }
        Inbound::Malformed(reason) => {
            tracing::debug!(connection = %id, %reason, "malformed packet: closing");
            if let Err(error) = function.pusher.disconnect(&to).await {
                tracing::debug!(connection = %id, %error, "close after a malformed packet");
            }
        }
    }
}

/// A CONNECT to the main namespace: the token (`auth.token`, else the
/// handshake's `token` query) opens the ECB connection, or is refused with
/// CONNECT_ERROR `{code, message}` as on the local server.
async fn join(function: &Function, to: &Member, auth: &Map<String, Value>) {
    let id = to.connection_id.as_str();
    let session = match function.store.session(id).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            tracing::debug!(connection = %id, "CONNECT without an Engine.IO session ignored");
            return;
        }
        Err(error) => {
            tracing::error!(%error, "session not read");
            let refusal =
                ecb_engine::EcbError::internal("ECB could not reach its connection store");
            post(function, to, &packets::refused("/", Some(&refusal))).await;
            return;
        }
    };
    let token = socketio::token(auth, session.query_token.as_deref());
    let connected = function
        .engine
        .connect(token, id.to_owned(), to.endpoint.clone(), Wire::SocketIo)
        .await;
    match connected {
        Ok(caller) => {
            if let Err(error) = function.store.session_connected(id).await {
                tracing::warn!(%error, "session state not recorded");
            }
            function.callers.remember(caller);
            post(function, to, &packets::connected(id)).await;
        }
        Err(error) => post(function, to, &packets::refused("/", Some(&error))).await,
    }
}

async fn post(function: &Function, to: &Member, frame: &str) {
    if let Err(error) = function.pusher.post(to, frame).await {
        tracing::warn!(%error, "frame not delivered");
    }
}

/// A scheduled sweep over every session: pings those due, closes those
/// that never joined or stopped answering. A closed connection's items go
/// at its `$disconnect`; one the gateway no longer knows is forgotten here.
pub async fn sweep(function: &Function) {
    let now = now_ms();
    let sessions = match function.store.sessions().await {
        Ok(sessions) => sessions,
        Err(error) => {
            tracing::error!(%error, "sweep could not read the sessions");
            return;
        }
    };
    let total = sessions.len();
    futures_util::stream::iter(sessions)
        .for_each_concurrent(CONCURRENT_UPKEEP, |session| async move {
            let id = session.connection_id.clone();
            let to = socket_io_member(session.connection_id.clone(), session.endpoint.clone());
            let outcome = match upkeep::upkeep(&session, now, &function.socket_io.settings) {
                Upkeep::Keep => return,
                Upkeep::Ping => {
                    let sent = function.pusher.post(&to, &packets::ping()).await;
                    if sent.is_ok()
                        && let Err(error) = function.store.session_pinged(&id, now).await
                    {
                        tracing::warn!(%error, "ping not recorded");
                    }
                    sent
                }
                Upkeep::Close(reason) => {
                    tracing::debug!(connection = %id, reason = reason.as_str(), "closing");
                    function.pusher.disconnect(&to).await
                }
            };
            match outcome {
                Ok(()) => {}
                Err(PushError::Gone) => forget(function, &id).await,
                Err(error) => tracing::warn!(%error, "upkeep failed"),
            }
        })
        .await;
    tracing::debug!(sessions = total, "sweep done");
}

/// Forgets a connection everywhere: its session, its ECB record and channels.
///
/// The session goes first, so that once the thread hears the connection
/// went offline, no sweep pings it any more.
pub async fn forget(function: &Function, connection_id: &str) {
    function.callers.forget(connection_id);
    if let Err(error) = function.store.remove_session(connection_id).await {
        tracing::warn!(%error, "session not removed");
    }
    function.engine.disconnect(connection_id).await;
}
