//! The Engine.IO HTTP endpoint: request validation in the reference server's
//! order, the handshake, polling GET/POST, and WebSocket upgrades.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use ecb_engineio_codec::{Handshake, decode_payload};
use serde::Deserialize;
use tokio::sync::oneshot;

use crate::EngineIo;
use crate::command::{Command, Post};
use crate::error::EioError;
use crate::registry::Entry;
use crate::session::{AbortOnDrop, Aborted, open};

#[derive(Deserialize)]
struct EioQuery {
    #[serde(rename = "EIO")]
    eio: Option<String>,
    transport: Option<String>,
    sid: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum TransportKind {
    Polling,
    WebSocket,
}

/// The Engine.IO routes: `path` (with its trailing slash) and the same without it.
pub fn router<S: Clone + Send + Sync + 'static>(eio: Arc<EngineIo>) -> Router<S> {
    let path = eio.config.path.clone();
    let bare = path.trim_end_matches('/').to_owned();
    let mut router = Router::new().route(&path, any(handle));
    if !bare.is_empty() && bare != path {
        router = router.route(&bare, any(handle));
    }
    router.with_state(eio)
}

fn new_sid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn text(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=UTF-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn handle(
    State(eio): State<Arc<EngineIo>>,
    extensions: axum::http::Extensions,
    method: Method,
    query: Result<Query<EioQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    body: Bytes,
) -> Response {
    let Ok(Query(query)) = query else {
        return EioError::TransportUnknown.into_response();
    };
    let transport = match query.transport.as_deref() {
        Some("polling") => TransportKind::Polling,
        Some("websocket") => TransportKind::WebSocket,
        _ => return EioError::TransportUnknown.into_response(),
    };
    if let Some(sid) = query.sid {
        let Some(entry) = eio.registry.get(&sid) else {
            return EioError::UnknownSid.into_response();
        };
        return match (transport, method) {
            (TransportKind::WebSocket, _) => match upgrade {
                Ok(upgrade) => crate::frugal(upgrade, eio.config.max_payload).on_upgrade(
                    move |socket| async move {
                        let _ = entry
                            .commands
                            .send(Command::Upgrade(Box::new(socket)))
                            .await;
                    },
                ),
                Err(_) => EioError::BadRequest.into_response(),
            },
            (TransportKind::Polling, Method::GET) => poll(entry).await,
            (TransportKind::Polling, Method::POST) => post(&eio, entry, body).await,
            _ => EioError::BadRequest.into_response(),
        };
    }
    if method != Method::GET {
        return EioError::BadHandshakeMethod.into_response();
    }
    if query.eio.as_deref() != Some("4") {
        return EioError::UnsupportedProtocolVersion.into_response();
    }
    // The peer's address, when the server was started with it (`ConnectInfo`).
    let ip: Option<IpAddr> = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if eio
        .registry
        .admits(ip, eio.config.max_sessions_per_ip)
        .is_err()
    {
        tracing::debug!(
            ?ip,
            "engine.io handshake refused: too many sessions from one address"
        );
        return EioError::TooManySessions.into_response();
    }
    let handshake = |sid: &str, over_polling: bool| {
        Handshake::new(
            sid,
            over_polling,
            eio.config.ping_interval.as_millis() as u64,
            eio.config.ping_timeout.as_millis() as u64,
            eio.config.max_payload as u64,
        )
        .to_packet()
    };
    match transport {
        TransportKind::Polling => {
            let sid = new_sid();
            let greeting = handshake(&sid, true);
            open(&eio, sid, ip, None, None);
            text(greeting.encode_text())
        }
        TransportKind::WebSocket => match upgrade {
            Ok(upgrade) => {
                let sid = new_sid();
                let greeting = handshake(&sid, false);
                crate::frugal(upgrade, eio.config.max_payload).on_upgrade(
                    move |socket| async move {
                        open(&eio, sid, ip, Some(socket), Some(greeting));
                    },
                )
            }
            Err(_) => EioError::BadRequest.into_response(),
        },
    }
}

async fn poll(entry: Entry) -> Response {
    let (reply, answer) = oneshot::channel();
    if entry.commands.send(Command::Poll(reply)).await.is_err() {
        return EioError::UnknownSid.into_response();
    }
    // A poll whose client goes away may take packets with it: the session
    // ends with it, so the client reconnects instead of missing them.
    let in_flight = AbortOnDrop::new(entry.abort.clone(), Aborted::PollClosedPrematurely);
    let answer = answer.await;
    in_flight.disarm();
    match answer {
        Ok(Ok(body)) => text(body),
        Ok(Err(error)) => error.into_response(),
        Err(_) => EioError::UnknownSid.into_response(),
    }
}

/// Clears the "a POST is in flight" mark however the POST ends.
struct Posting(Entry);

impl Drop for Posting {
    fn drop(&mut self) {
        self.0.posting.store(false, Ordering::Release);
    }
}

async fn post(eio: &EngineIo, entry: Entry, body: Bytes) -> Response {
    if body.len() > eio.config.max_payload {
        return (StatusCode::PAYLOAD_TOO_LARGE, "payload too large").into_response();
    }
    if entry.posting.swap(true, Ordering::AcqRel) {
        let _ = entry.commands.send(Command::Close).await;
        return EioError::BadRequest.into_response();
    }
    let posting = Posting(entry);
    let packets = match decode_payload(&body) {
        Ok(packets) => packets,
        Err(_) => {
            let _ = posting.0.commands.send(Command::Close).await;
            return EioError::BadRequest.into_response();
        }
    };
    let (reply, answer) = oneshot::channel();
    if posting
        .0
        .commands
        .send(Command::Post(Box::new(Post { packets, reply })))
        .await
        .is_err()
    {
        return EioError::UnknownSid.into_response();
    }
    match answer.await {
        Ok(Ok(())) => ([(header::CONTENT_TYPE, "text/html")], "ok").into_response(),
        Ok(Err(error)) => error.into_response(),
        Err(_) => EioError::UnknownSid.into_response(),
    }
}
