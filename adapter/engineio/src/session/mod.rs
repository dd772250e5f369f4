//! One Engine.IO session as an actor: a task that owns the transport, the
//! upgrade in progress, the heartbeat and the layer above's state, and
//! serves the HTTP requests and the layer above through one command queue.
//! One owner means no locks and no races between a poll, a probe and a ping.
//!
//! This file is the actor's loop and what it does with each event; the
//! state machines it drives are in their own files: `transport` and
//! `polling` (how packets reach the client), `inbound_post` (a POST's
//! packets, taken in as the layer above has room), `upgrade` (the probe),
//! `heartbeat` (pings), `layer_above` (running the layer above in order),
//! `abort` (ending the session from outside its queue).

mod abort;
mod closing;
mod gauge;
mod handle;
mod heartbeat;
mod inbound_post;
mod layer_above;
mod polling;
mod transport;
mod upgrade;

use std::sync::Arc;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use ecb_engineio_codec::Packet;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub(crate) use abort::{Abort, AbortOnDrop, Aborted};
pub use handle::{Refused, SessionSender};

use crate::close::CloseCode;
use crate::command::{Command, Post};
use crate::error::EioError;
use crate::registry::Entry;
use crate::{EngineIo, Inbound, Upper};
use gauge::SessionGauge;
use heartbeat::{Beat, Heartbeat};
use inbound_post::InboundPost;
use layer_above::LayerAbove;
use polling::{Overflow, PollReply, Polling};
use transport::{Socket, Transport};
use upgrade::{ProbeStep, Upgrade};

/// How many commands may wait for a session (pushes queue here too).
const COMMAND_QUEUE: usize = 1024;
/// How long a session closed by its client waits for a poll racing the close.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_millis(250);

/// Why a session ends; decides what a waiting poll is answered with, and
/// the status a WebSocket closes with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    /// The client sent `1`: a waiting poll ends with a noop.
    ClientClosed,
    /// The layer above closed it: the client gets what is queued, then the
    /// close packet (see `closing.rs`).
    ClosedAbove,
    /// Anything else: a waiting poll gets the close packet, a WebSocket 1000.
    Closed(&'static str),
    /// The same, with the WebSocket status that says why (a broken frame,
    /// a client too slow to keep up).
    Refused(CloseCode, &'static str),
}

impl From<Aborted> for Ending {
    fn from(why: Aborted) -> Self {
        match why {
            Aborted::PollClosedPrematurely => Self::Closed("poll connection closed prematurely"),
            Aborted::Lagging => Self::Refused(
                CloseCode::TryAgainLater,
                "the client reads too slowly; reconnect",
            ),
        }
    }
}

impl From<Overflow> for Ending {
    fn from(_: Overflow) -> Self {
        Aborted::Lagging.into()
    }
}

/// What one turn of the loop saw.
enum Event {
    Command(Option<Command>),
    Aborted(Aborted),
    Frame(Option<Result<Message, axum::Error>>),
    Posted(Packet),
    Probe(Option<Result<Message, axum::Error>>),
    Stepped(Option<Box<dyn Upper>>),
    Timer(Due),
    Shutdown,
}

/// Which deadline the session's one timer was set for.
#[derive(Clone, Copy)]
enum Due {
    Heartbeat(Beat),
    /// The layer above's (see [`Upper::deadline`]).
    LayerAbove,
}

struct Actor {
    eio: Arc<EngineIo>,
    sid: String,
    transport: Transport,
    upgrade: Upgrade<Socket>,
    heartbeat: Heartbeat,
    layer: LayerAbove,
    gauge: SessionGauge,
    inbound_post: InboundPost,
    abort: Abort,
}

/// Opens a session and starts its actor. A WebSocket session's first frame
/// is its handshake (`greeting`); a polling session's handshake is the
/// answer to the request that opened it.
pub(crate) fn open(
    eio: &Arc<EngineIo>,
    sid: String,
    ip: Option<std::net::IpAddr>,
    socket: Option<WebSocket>,
    greeting: Option<Packet>,
) {
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let abort = Abort::default();
    eio.registry.insert(
        &sid,
        Entry {
            commands: commands.clone(),
            posting: Default::default(),
            abort: abort.clone(),
            ip,
        },
    );
    let gauge = SessionGauge::open(socket.is_some());
    let transport = match socket {
        Some(socket) => Transport::WebSocket(Socket::new(Box::new(socket))),
        None => Transport::Polling(Polling::default()),
    };
    let sender = SessionSender {
        commands,
        abort: abort.clone(),
    };
    let upper = eio.handler.clone().open(&sid, sender);
    let actor = Actor {
        eio: eio.clone(),
        sid,
        transport,
        upgrade: Upgrade::Idle,
        heartbeat: Heartbeat::start(Instant::now(), eio.config.ping_interval),
        layer: LayerAbove::new(upper),
        gauge,
        inbound_post: InboundPost::default(),
        abort,
    };
    eio.tasks.spawn(actor.run(command_rx, greeting));
}

async fn next_probe_message(upgrade: &mut Upgrade<Socket>) -> Option<Result<Message, axum::Error>> {
    match upgrade.socket_mut() {
        Some(socket) => socket.next().await,
        None => std::future::pending().await,
    }
}

impl Actor {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>, greeting: Option<Packet>) {
        let shutdown = self.eio.shutdown.clone();
        let abort = self.abort.clone();
        // Made once and polled on every turn: a fresh future per turn would
        // register and drop a waiter, and a timer, for every push sent.
        let mut closing = std::pin::pin!(shutdown.cancelled());
        let mut aborted = std::pin::pin!(abort.aborted());
        let mut timer = std::pin::pin!(tokio::time::sleep_until(self.next_timer().0));
        if let Some(greeting) = greeting
            && self.send(greeting).await.is_err()
        {
            Box::pin(self.end(Ending::Closed("transport closed"), commands)).await;
            return;
        }
        let ending = loop {
            // One timer for the session, at its earliest deadline (each
            // timer is a hundred bytes of every idle session's memory).
            let (at, due) = self.next_timer();
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
            // One bound on what a client may have waiting for the layer
            // above, whether it arrives as WebSocket frames or POST bodies.
            let reading = self.layer.wants_more();
            let event = tokio::select! {
                biased;
                _ = &mut closing => Event::Shutdown,
                why = &mut aborted => Event::Aborted(why),
                // Timers first: a request arriving after the pong deadline
                // must find the session already closed.
                _ = &mut timer => Event::Timer(due),
                message = next_probe_message(&mut self.upgrade) => Event::Probe(message),
                message = self.transport.next(), if reading => Event::Frame(message),
                packet = self.inbound_post.next(), if reading => Event::Posted(packet),
                command = commands.recv() => Event::Command(command),
                upper = self.layer.stepped() => Event::Stepped(upper),
            };
            let outcome = match event {
                // Sends are the hot path; the rest is rare, and boxed so its
                // futures do not enlarge every session's task.
                Event::Command(Some(Command::SendEncoded(packet))) => {
                    self.send_encoded(&packet).await
                }
                Event::Command(Some(Command::Send(packets))) => self.send_all(packets).await,
                Event::Command(Some(command)) => Box::pin(self.on_command(command)).await,
                Event::Command(None) | Event::Shutdown => Err(Ending::Closed("server closing")),
                Event::Aborted(why) => Err(why.into()),
                Event::Frame(message) => self.on_frame(message).await,
                Event::Posted(packet) => self.on_packet(packet),
                Event::Probe(message) => {
                    Box::pin(self.on_probe(message)).await;
                    Ok(())
                }
                Event::Stepped(upper) => self
                    .layer
                    .resume(upper)
                    .map_err(|_| Ending::Closed("closed by the server")),
                Event::Timer(Due::LayerAbove) => Err(Ending::Closed("the layer above timed out")),
                Event::Timer(Due::Heartbeat(Beat::Ping)) => self.ping().await,
                Event::Timer(Due::Heartbeat(Beat::PongMissed)) => {
                    Err(Ending::Closed("ping timeout"))
                }
            };
            if let Err(ending) = outcome {
                break ending;
            }
        };
        tracing::debug!(sid = %self.sid, ?ending, "engine.io session closed");
        Box::pin(self.end(ending, commands)).await;
    }

    /// The earliest of the session's deadlines, and what it means. The
    /// layer above's deadline counts while it is idle.
    fn next_timer(&self) -> (Instant, Due) {
        let (at, beat) = self.heartbeat.deadline();
        match self.layer.deadline() {
            Some(deadline) if deadline < at => (deadline, Due::LayerAbove),
            _ => (at, Due::Heartbeat(beat)),
        }
    }

    async fn on_command(&mut self, command: Command) -> Result<(), Ending> {
        match command {
            Command::Poll(reply) => self.on_poll(reply).await,
            Command::Post(post) => self.on_post(*post).await,
            Command::Upgrade(socket) => {
                let refused = match self.transport {
                    Transport::WebSocket(_) => Err(Socket::new(socket)),
                    Transport::Polling(_) => self.upgrade.offer(Socket::new(socket)),
                };
                // A second WebSocket for the same session: accepted, then
                // closed, as the reference server does.
                if let Err(extra) = refused {
                    extra.close().await;
                }
                Ok(())
            }
            Command::Send(packets) => self.send_all(packets).await,
            Command::SendEncoded(packet) => self.send_encoded(&packet).await,
            Command::Close => Err(Ending::Closed("closed by the server")),
            Command::CloseGracefully => Err(Ending::ClosedAbove),
        }
    }

    async fn on_poll(&mut self, reply: PollReply) -> Result<(), Ending> {
        if self.heartbeat.missed(Instant::now()) {
            let _ = reply.send(Err(EioError::UnknownSid));
            return Err(Ending::Closed("ping timeout"));
        }
        // Frames the probe already has in hand go first: a client that sent
        // `5` before polling expects the poll to see the upgrade done.
        while let Some(message) = self.upgrade.socket_mut().and_then(Socket::next_ready) {
            self.on_probe(message).await;
        }
        let hold = self.upgrade.holds_polls();
        match &mut self.transport {
            Transport::WebSocket(_) => {
                let _ = reply.send(Err(EioError::BadRequest));
                Ok(())
            }
            Transport::Polling(polling) => polling
                .poll(reply, hold)
                .map_err(|_| Ending::Closed("overlapping polls")),
        }
    }

    async fn on_post(&mut self, post: Post) -> Result<(), Ending> {
        if matches!(self.transport, Transport::WebSocket(_)) {
            let _ = post.reply.send(Err(EioError::BadRequest));
            return Ok(());
        }
        // Its packets go up as the layer above has room (see the loop).
        self.inbound_post.start(post);
        Ok(())
    }

    async fn on_frame(
        &mut self,
        message: Option<Result<Message, axum::Error>>,
    ) -> Result<(), Ending> {
        match message {
            Some(Ok(Message::Text(text))) => match Packet::decode_text(text.as_str()) {
                Ok(packet) => self.on_packet(packet),
                Err(_) => Err(Ending::Closed("invalid packet")),
            },
            Some(Ok(Message::Binary(bytes))) => self.on_packet(Packet::BinaryMessage(bytes)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
            Some(Err(error)) => match CloseCode::for_read_error(&error) {
                Some((code, reason)) => Err(Ending::Refused(code, reason)),
                None => Err(Ending::Closed("transport closed")),
            },
            Some(Ok(Message::Close(_))) | None => Err(Ending::Closed("transport closed")),
        }
    }

    async fn on_probe(&mut self, message: Option<Result<Message, axum::Error>>) {
        let packet = match message {
            Some(Ok(Message::Text(text))) => Packet::decode_text(text.as_str()).ok(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return,
            _ => None,
        };
        match self.upgrade.on_packet(packet.as_ref()) {
            ProbeStep::AnswerPing => {
                let sent = match self.upgrade.socket_mut() {
                    Some(probe) => probe.send(&Packet::probe_pong()).await,
                    None => false,
                };
                self.upgrade.answered(sent);
                if sent && let Transport::Polling(polling) = &mut self.transport {
                    polling.answer_waiting(Packet::Noop.encode_text());
                }
            }
            ProbeStep::Complete(socket) => self.complete_upgrade(socket).await,
            ProbeStep::Cancel(socket) => socket.close().await,
            ProbeStep::Ignore => {}
        }
    }

    async fn complete_upgrade(&mut self, mut socket: Socket) {
        let queued = match self.transport.take() {
            Transport::Polling(mut polling) => {
                polling.answer_waiting(Packet::Noop.encode_text());
                polling.into_queue()
            }
            Transport::WebSocket(old) => {
                old.close().await;
                Vec::new()
            }
        };
        for packet in &queued {
            if !socket.send(packet).await {
                break;
            }
        }
        self.transport = Transport::WebSocket(socket);
        self.gauge.upgraded();
        tracing::debug!(sid = %self.sid, "engine.io session upgraded to websocket");
    }

    /// A packet from the client, over either transport.
    fn on_packet(&mut self, packet: Packet) -> Result<(), Ending> {
        match packet {
            Packet::Pong(_) => {
                self.heartbeat
                    .ponged(Instant::now(), self.eio.config.ping_interval);
                Ok(())
            }
            Packet::Message(text) => {
                self.layer.deliver(Inbound::Text(text));
                Ok(())
            }
            Packet::BinaryMessage(bytes) => {
                self.layer.deliver(Inbound::Binary(bytes));
                Ok(())
            }
            Packet::Close => Err(Ending::ClientClosed),
            Packet::Ping(_) => Err(Ending::Closed("invalid heartbeat direction")),
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => Ok(()),
        }
    }

    async fn ping(&mut self) -> Result<(), Ending> {
        self.heartbeat.pinged(self.eio.config.ping_timeout);
        self.send(Packet::Ping(String::new())).await
    }

    /// A packet to the client: straight onto a WebSocket, else queued for the
    /// next poll (and a waiting poll answered at once).
    async fn send(&mut self, packet: Packet) -> Result<(), Ending> {
        match &mut self.transport {
            Transport::WebSocket(socket) => match socket.send(&packet).await {
                true => Ok(()),
                false => Err(Ending::Closed("transport closed")),
            },
            Transport::Polling(polling) => Ok(polling.push(packet, self.upgrade.holds_polls())?),
        }
    }

    async fn send_all(&mut self, packets: Box<[Packet]>) -> Result<(), Ending> {
        for packet in packets {
            self.send(packet).await?;
        }
        Ok(())
    }

    /// An encoded packet: its shared bytes straight onto a WebSocket, else
    /// decoded into the polling queue (polling payloads are rebuilt anyway).
    async fn send_encoded(&mut self, packet: &Utf8Bytes) -> Result<(), Ending> {
        if let Transport::WebSocket(socket) = &mut self.transport {
            return match socket.send_encoded(packet.clone()).await {
                true => Ok(()),
                false => Err(Ending::Closed("transport closed")),
            };
        }
        match Packet::decode_text(packet.as_str()) {
            Ok(packet) => self.send(packet).await,
            Err(error) => {
                tracing::warn!(%error, "dropped an invalid encoded packet");
                Ok(())
            }
        }
    }

    async fn end(mut self, ending: Ending, mut commands: mpsc::Receiver<Command>) {
        match ending {
            Ending::ClientClosed => self.answer_racing_poll(&mut commands).await,
            Ending::ClosedAbove => self.hand_over_close(&mut commands).await,
            Ending::Closed(_) | Ending::Refused(..) => {}
        }
        self.finish(ending, &mut commands).await;
    }

    /// A client that closes over polling may have a poll in flight on
    /// another connection that lost the race to its close: that poll gets
    /// the noop it would have had, not an error. Later requests get 400.
    async fn answer_racing_poll(&mut self, commands: &mut mpsc::Receiver<Command>) {
        let Transport::Polling(polling) = &self.transport else {
            return;
        };
        if polling.is_waiting() {
            return;
        }
        let linger = tokio::time::sleep(CLOSE_LINGER);
        tokio::pin!(linger);
        loop {
            let command = tokio::select! {
                command = commands.recv() => command,
                _ = &mut linger => return,
            };
            match command {
                Some(Command::Poll(reply)) => {
                    let _ = reply.send(Ok(Packet::Noop.encode_text()));
                    return;
                }
                Some(Command::Post(post)) => {
                    let _ = post.reply.send(Err(EioError::BadRequest));
                }
                Some(_) => {}
                None => return,
            }
        }
    }

    async fn finish(mut self, ending: Ending, commands: &mut mpsc::Receiver<Command>) {
        self.eio.registry.remove(&self.sid);
        self.inbound_post.finish();
        let last = match ending {
            Ending::ClientClosed => Packet::Noop,
            Ending::ClosedAbove | Ending::Closed(_) | Ending::Refused(..) => Packet::Close,
        };
        let socket = match self.transport.take() {
            Transport::Polling(mut polling) => {
                polling.answer_waiting(last.encode_text());
                None
            }
            Transport::WebSocket(socket) => Some(socket),
        };
        if let Some(probe) = self.upgrade.take() {
            probe.close().await;
        }
        if let Some(socket) = socket {
            match ending {
                Ending::Refused(code, reason) => socket.close_with(code, reason).await,
                Ending::ClientClosed | Ending::ClosedAbove | Ending::Closed(_) => {
                    socket.close().await
                }
            }
        }
        // Nothing reads the queue any more: the layer above's sends fail at
        // once instead of waiting on a full queue.
        commands.close();
        self.layer.close().await;
    }
}
