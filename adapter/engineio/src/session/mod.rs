//! One Engine.IO session as an actor: a task that owns the transport (a
//! polling queue or a WebSocket), the probe of an upgrade in progress and the
//! heartbeat, and serves the HTTP requests and the layer above through one
//! command queue. One owner means no locks and no races between a poll, a
//! probe and a ping.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use ecb_engineio_codec::{Packet, WsFrame, encode_payload};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::http::EioError;
use super::registry::Entry;
use super::{EngineIo, Inbound, Step, Upper};

/// How many commands may wait for a session (pushes queue here too).
const COMMAND_QUEUE: usize = 1024;
/// How many client messages may wait for the layer above before the
/// session stops reading its WebSocket (backpressure onto the client).
const PENDING_LIMIT: usize = 256;
/// How long a session closed by its client waits for a poll racing the close.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_millis(250);

/// What the outside asks of a session.
pub(crate) enum Command {
    /// A polling GET: answered with a payload when there is something to send.
    Poll(oneshot::Sender<Result<String, EioError>>),
    /// A polling POST, decoded (boxed: commands are queued by the thousand,
    /// so every variant is kept to a pointer or two).
    Post(Box<Post>),
    /// A WebSocket arrived for this sid: the probe of an upgrade.
    Upgrade(Box<WebSocket>),
    /// Packets from the layer above, sent back to back (a binary event and
    /// its attachments must not be split by another packet).
    Send(Box<[Packet]>),
    /// One Engine.IO text packet, already encoded: a push whose bytes every
    /// socket of a fan-out shares.
    SendEncoded(Arc<Utf8Bytes>),
    /// The layer above ends the session.
    Close,
}

/// A polling POST's packets, and where its answer goes.
pub(crate) struct Post {
    pub(crate) packets: Vec<Packet>,
    pub(crate) reply: oneshot::Sender<Result<(), EioError>>,
}

/// The layer above's handle on its session.
#[derive(Clone)]
pub struct SessionSender {
    commands: mpsc::Sender<Command>,
}

impl SessionSender {
    /// Queues packets for the client, in order and unsplit; false once the
    /// session is closed.
    pub async fn send(&self, packets: Vec<Packet>) -> bool {
        self.commands
            .send(Command::Send(packets.into_boxed_slice()))
            .await
            .is_ok()
    }

    /// Queues an encoded Engine.IO text packet (`4…`) without waiting: a
    /// fan-out must not stall behind one slow client.
    pub fn try_send_encoded(&self, packet: Arc<Utf8Bytes>) -> Result<(), Refused> {
        self.commands
            .try_send(Command::SendEncoded(packet))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => Refused::Full,
                mpsc::error::TrySendError::Closed(_) => Refused::Closed,
            })
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }

    /// Closes the session.
    pub async fn close(&self) {
        let _ = self.commands.send(Command::Close).await;
    }
}

/// Why a session did not take a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its queue is full: the client reads slower than it is sent to.
    Full,
    /// The session has ended.
    Closed,
}

/// Why a session ends; decides what a pending poll is answered with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    /// The client sent `1`: a pending poll ends with a noop.
    ClientClosed,
    /// Anything else: a pending poll gets the close packet.
    Closed(&'static str),
}

/// A session's WebSocket, whole: the actor reads and writes it in turn, so
/// it needs no split halves and no lock between them.
struct Socket {
    socket: Box<WebSocket>,
}

impl Socket {
    fn new(socket: Box<WebSocket>) -> Self {
        Self { socket }
    }

    async fn send(&mut self, packet: &Packet) -> bool {
        let message = match packet.to_ws_frame() {
            WsFrame::Text(text) => Message::Text(text.into()),
            WsFrame::Binary(bytes) => Message::Binary(bytes),
        };
        self.socket.send(message).await.is_ok()
    }

    async fn send_encoded(&mut self, packet: Utf8Bytes) -> bool {
        self.socket.send(Message::Text(packet)).await.is_ok()
    }

    async fn close(mut self) {
        let frame = CloseFrame {
            code: 1000,
            reason: "".into(),
        };
        let _ = self.socket.send(Message::Close(Some(frame))).await;
        let _ = self.socket.close().await;
    }
}

enum Transport {
    Polling {
        pending: Option<oneshot::Sender<Result<String, EioError>>>,
        queue: Vec<Packet>,
    },
    WebSocket(Socket),
}

struct Actor {
    eio: Arc<EngineIo>,
    sid: String,
    transport: Transport,
    /// The WebSocket of an upgrade in progress, and whether it was probed.
    probe: Option<Socket>,
    probed: bool,
    next_ping: Instant,
    pong_deadline: Option<Instant>,
    /// The layer above: idle, or handling a message.
    upper: UpperState,
    /// Client messages that arrived while the layer above was busy.
    pending: VecDeque<Inbound>,
}

enum UpperState {
    Idle(Box<dyn Upper>),
    Busy(Step),
    /// It ended the session (or is being closed).
    Gone,
}

impl UpperState {
    fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Idle(upper) => upper.deadline(),
            Self::Busy(_) | Self::Gone => None,
        }
    }

    /// The step in hand finishing; never, when there is none.
    async fn stepped(&mut self) -> Option<Box<dyn Upper>> {
        match self {
            Self::Busy(step) => step.await,
            Self::Idle(_) | Self::Gone => std::future::pending().await,
        }
    }
}

/// What one turn of the loop saw.
enum Event {
    Command(Option<Command>),
    Frame(Option<Result<Message, axum::Error>>),
    Probe(Option<Result<Message, axum::Error>>),
    Stepped(Option<Box<dyn Upper>>),
    Timer(Due),
    Shutdown,
}

/// Which deadline the session's timer was set for.
#[derive(Clone, Copy)]
enum Due {
    Ping,
    PongMissed,
    /// The layer above's (see [`Upper::deadline`]).
    Upper,
}

/// Opens a session on `transport`, with the layer above's state for it, and
/// starts its actor.
/// A WebSocket session's first frame is its handshake (`greeting`); a polling
/// session's handshake is the answer to the request that opened it.
pub(crate) fn open(
    eio: &Arc<EngineIo>,
    sid: String,
    socket: Option<WebSocket>,
    greeting: Option<Packet>,
) {
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    eio.registry.insert(
        &sid,
        Entry {
            commands: commands.clone(),
            posting: Default::default(),
        },
    );
    let transport = match socket {
        Some(socket) => Transport::WebSocket(Socket::new(Box::new(socket))),
        None => Transport::Polling {
            pending: None,
            queue: Vec::new(),
        },
    };
    let actor = Actor {
        eio: eio.clone(),
        sid: sid.clone(),
        transport,
        probe: None,
        probed: false,
        next_ping: Instant::now() + eio.config.ping_interval,
        pong_deadline: None,
        upper: UpperState::Idle(eio.handler.clone().open(
            &sid,
            SessionSender {
                commands: commands.clone(),
            },
        )),
        pending: VecDeque::new(),
    };
    eio.tasks.spawn(actor.run(command_rx, greeting));
}

async fn next_message(socket: &mut Option<Socket>) -> Option<Result<Message, axum::Error>> {
    match socket {
        Some(socket) => socket.socket.next().await,
        None => std::future::pending().await,
    }
}

async fn next_transport_message(transport: &mut Transport) -> Option<Result<Message, axum::Error>> {
    match transport {
        Transport::WebSocket(socket) => socket.socket.next().await,
        Transport::Polling { .. } => std::future::pending().await,
    }
}

impl Actor {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>, greeting: Option<Packet>) {
        let shutdown = self.eio.shutdown.clone();
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
            let reading = self.pending.len() < PENDING_LIMIT;
            let event = tokio::select! {
                biased;
                _ = shutdown.cancelled() => Event::Shutdown,
                // Timers first: a request arriving after the pong deadline
                // must find the session already closed.
                _ = tokio::time::sleep_until(at) => Event::Timer(due),
                message = next_message(&mut self.probe) => Event::Probe(message),
                message = next_transport_message(&mut self.transport), if reading => Event::Frame(message),
                command = commands.recv() => Event::Command(command),
                upper = self.upper.stepped() => Event::Stepped(upper),
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
                Event::Frame(message) => self.on_frame(message).await,
                Event::Probe(message) => {
                    Box::pin(self.on_probe(message)).await;
                    Ok(())
                }
                Event::Stepped(upper) => self.stepped(upper),
                Event::Timer(Due::Upper) => Err(Ending::Closed("the layer above timed out")),
                Event::Timer(Due::Ping) => self.ping().await,
                Event::Timer(Due::PongMissed) => Err(Ending::Closed("ping timeout")),
            };
            if let Err(ending) = outcome {
                break ending;
            }
        };
        tracing::debug!(sid = %self.sid, ?ending, "engine.io session closed");
        Box::pin(self.end(ending, commands)).await;
    }

    async fn end(mut self, ending: Ending, mut commands: mpsc::Receiver<Command>) {
        if ending == Ending::ClientClosed {
            self.answer_racing_poll(&mut commands).await;
        }
        self.finish(ending, &mut commands).await;
    }

    /// The earliest of the session's deadlines, and what it means. A missed
    /// pong outranks a ping (a request after the pong deadline must find the
    /// session closed), and the layer above's deadline counts while idle.
    fn next_timer(&self) -> (Instant, Due) {
        let heartbeat = match self.pong_deadline {
            Some(deadline) => (deadline, Due::PongMissed),
            None => (self.next_ping, Due::Ping),
        };
        match self.upper.deadline() {
            Some(deadline) if deadline < heartbeat.0 => (deadline, Due::Upper),
            _ => heartbeat,
        }
    }

    /// A client that closes over polling may have a poll in flight on
    /// another connection that lost the race to its close: that poll gets
    /// the noop it would have had, not an error. Later requests get 400.
    async fn answer_racing_poll(&mut self, commands: &mut mpsc::Receiver<Command>) {
        let Transport::Polling { pending: None, .. } = self.transport else {
            return;
        };
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

    async fn on_command(&mut self, command: Command) -> Result<(), Ending> {
        match command {
            Command::Poll(reply) => self.on_poll(reply).await,
            Command::Post(post) => {
                let Post { packets, reply } = *post;
                if matches!(self.transport, Transport::WebSocket(_)) {
                    let _ = reply.send(Err(EioError::BadRequest));
                    return Ok(());
                }
                let mut outcome = Ok(());
                for packet in packets {
                    outcome = self.on_packet(packet).await;
                    if outcome.is_err() {
                        break;
                    }
                }
                let _ = reply.send(Ok(()));
                outcome
            }
            Command::Upgrade(socket) => {
                if self.probe.is_some() || matches!(self.transport, Transport::WebSocket(_)) {
                    // A second WebSocket for the same session: accepted, then
                    // closed, as the reference server does.
                    Socket::new(socket).close().await;
                } else {
                    self.probe = Some(Socket::new(socket));
                }
                Ok(())
            }
            Command::Send(packets) => self.send_all(packets).await,
            Command::SendEncoded(packet) => self.send_encoded(&packet).await,
            Command::Close => Err(Ending::Closed("closed by the server")),
        }
    }

    async fn on_poll(
        &mut self,
        reply: oneshot::Sender<Result<String, EioError>>,
    ) -> Result<(), Ending> {
        if self
            .pong_deadline
            .is_some_and(|deadline| deadline <= Instant::now())
        {
            let _ = reply.send(Err(EioError::UnknownSid));
            return Err(Ending::Closed("ping timeout"));
        }
        // Frames the probe already has in hand go first: a client that sent
        // `5` before polling expects the poll to see the upgrade done.
        while let Some(message) = self
            .probe
            .as_mut()
            .and_then(|p| p.socket.next().now_or_never())
        {
            self.on_probe(message).await;
        }
        match &mut self.transport {
            Transport::WebSocket(_) => {
                let _ = reply.send(Err(EioError::BadRequest));
                Ok(())
            }
            Transport::Polling { pending, queue } => {
                if pending.is_some() {
                    let _ = reply.send(Err(EioError::BadRequest));
                    return Err(Ending::Closed("overlapping polls"));
                }
                if self.probed {
                    let _ = reply.send(Ok(Packet::Noop.encode_text()));
                } else if !queue.is_empty() {
                    let _ = reply.send(Ok(encode_payload(&std::mem::take(queue))));
                } else {
                    *pending = Some(reply);
                }
                Ok(())
            }
        }
    }

    async fn on_frame(
        &mut self,
        message: Option<Result<Message, axum::Error>>,
    ) -> Result<(), Ending> {
        match message {
            Some(Ok(Message::Text(text))) => match Packet::decode_text(text.as_str()) {
                Ok(packet) => self.on_packet(packet).await,
                Err(_) => Err(Ending::Closed("invalid packet")),
            },
            Some(Ok(Message::Binary(bytes))) => self.on_packet(Packet::BinaryMessage(bytes)).await,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                Err(Ending::Closed("transport closed"))
            }
        }
    }

    async fn on_probe(&mut self, message: Option<Result<Message, axum::Error>>) {
        let packet = match message {
            Some(Ok(Message::Text(text))) => Packet::decode_text(text.as_str()).ok(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return,
            _ => None,
        };
        match packet {
            Some(packet) if packet.is_probe_ping() && !self.probed => {
                let Some(probe) = self.probe.as_mut() else {
                    return;
                };
                if probe.send(&Packet::probe_pong()).await {
                    self.probed = true;
                    self.answer_pending_poll(Packet::Noop.encode_text());
                } else {
                    self.probe = None;
                }
            }
            Some(Packet::Upgrade) if self.probed => self.complete_upgrade().await,
            _ => {
                // Anything else cancels the upgrade.
                if let Some(probe) = self.probe.take() {
                    probe.close().await;
                }
                self.probed = false;
            }
        }
    }

    async fn complete_upgrade(&mut self) {
        let Some(mut socket) = self.probe.take() else {
            return;
        };
        self.probed = false;
        let queued = match std::mem::replace(
            &mut self.transport,
            Transport::Polling {
                pending: None,
                queue: Vec::new(),
            },
        ) {
            Transport::Polling { pending, queue } => {
                if let Some(pending) = pending {
                    let _ = pending.send(Ok(Packet::Noop.encode_text()));
                }
                queue
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
        tracing::debug!(sid = %self.sid, "engine.io session upgraded to websocket");
    }

    /// A packet from the client, over either transport.
    async fn on_packet(&mut self, packet: Packet) -> Result<(), Ending> {
        match packet {
            Packet::Pong(_) => {
                self.pong_deadline = None;
                self.next_ping = Instant::now() + self.eio.config.ping_interval;
                Ok(())
            }
            Packet::Message(text) => self.deliver(Inbound::Text(text)),
            Packet::BinaryMessage(bytes) => self.deliver(Inbound::Binary(bytes)),
            Packet::Close => Err(Ending::ClientClosed),
            Packet::Ping(_) => Err(Ending::Closed("invalid heartbeat direction")),
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => Ok(()),
        }
    }

    /// A message for the layer above: handled now if it is idle, else
    /// queued behind the one in hand.
    fn deliver(&mut self, inbound: Inbound) -> Result<(), Ending> {
        match std::mem::replace(&mut self.upper, UpperState::Gone) {
            UpperState::Idle(upper) => self.upper = UpperState::Busy(upper.on_message(inbound)),
            busy => {
                self.upper = busy;
                self.pending.push_back(inbound);
            }
        }
        Ok(())
    }

    /// The layer above finished a message: on to the next one, if any.
    fn stepped(&mut self, upper: Option<Box<dyn Upper>>) -> Result<(), Ending> {
        let Some(upper) = upper else {
            self.upper = UpperState::Gone;
            return Err(Ending::Closed("closed by the server"));
        };
        self.upper = match self.pending.pop_front() {
            Some(next) => UpperState::Busy(upper.on_message(next)),
            None => UpperState::Idle(upper),
        };
        Ok(())
    }

    /// Lets the layer above finish the messages it was given, then closes it.
    async fn close_upper(&mut self) {
        let mut upper = match std::mem::replace(&mut self.upper, UpperState::Gone) {
            UpperState::Idle(upper) => Some(upper),
            UpperState::Busy(step) => step.await,
            UpperState::Gone => None,
        };
        while let Some(current) = upper.take() {
            match self.pending.pop_front() {
                Some(next) => upper = current.on_message(next).await,
                None => current.on_close().await,
            }
        }
    }

    async fn ping(&mut self) -> Result<(), Ending> {
        // From when the ping was due, not when the timer got round to it: a
        // client that waits pingInterval + pingTimeout must find us closed.
        self.pong_deadline = Some(self.next_ping + self.eio.config.ping_timeout);
        self.send(Packet::Ping(String::new())).await
    }

    /// A packet to the client: straight onto a WebSocket, else queued for the
    /// next poll (and a waiting poll answered at once).
    async fn send(&mut self, packet: Packet) -> Result<(), Ending> {
        match &mut self.transport {
            Transport::WebSocket(socket) => {
                if socket.send(&packet).await {
                    Ok(())
                } else {
                    Err(Ending::Closed("transport closed"))
                }
            }
            Transport::Polling { pending, queue } => {
                queue.push(packet);
                if !self.probed
                    && let Some(reply) = pending.take()
                {
                    let _ = reply.send(Ok(encode_payload(&std::mem::take(queue))));
                }
                Ok(())
            }
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
            return if socket.send_encoded(packet.clone()).await {
                Ok(())
            } else {
                Err(Ending::Closed("transport closed"))
            };
        }
        match Packet::decode_text(packet.as_str()) {
            Ok(packet) => self.send(packet).await,
            Err(error) => {
                tracing::warn!(sid = %self.sid, %error, "dropped an invalid encoded packet");
                Ok(())
            }
        }
    }

    fn answer_pending_poll(&mut self, body: String) {
        if let Transport::Polling { pending, .. } = &mut self.transport
            && let Some(reply) = pending.take()
        {
            let _ = reply.send(Ok(body));
        }
    }

    async fn finish(mut self, ending: Ending, commands: &mut mpsc::Receiver<Command>) {
        self.eio.registry.remove(&self.sid);
        let last = match ending {
            Ending::ClientClosed => Packet::Noop,
            Ending::Closed(_) => Packet::Close,
        };
        self.answer_pending_poll(last.encode_text());
        if let Some(probe) = self.probe.take() {
            probe.close().await;
        }
        if let Transport::WebSocket(socket) = std::mem::replace(
            &mut self.transport,
            Transport::Polling {
                pending: None,
                queue: Vec::new(),
            },
        ) {
            socket.close().await;
        }
        // Nothing reads the queue any more: the layer above's sends fail at
        // once instead of waiting on a full queue.
        commands.close();
        self.close_upper().await;
    }
}
