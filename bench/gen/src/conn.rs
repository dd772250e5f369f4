//! Connections: dialing from a chosen loopback source address, the Socket.IO
//! handshake, joining a thread, and the tasks that hold a connection (idle)
//! or drive it (fan-out).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use crate::wire::{self, Incoming, Proto};

/// A client WebSocket.
pub type Ws = WebSocketStream<TcpStream>;

/// How long one handshake or join may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The server under test.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub proto: Proto,
    pub addr: SocketAddr,
    /// The raw WebSocket's path (`/ws` on ECB, `/{stage}` on the gateway).
    pub raw_path: &'static str,
}

impl Endpoint {
    pub fn new(proto: Proto, addr: SocketAddr) -> Self {
        Self::with_raw_path(proto, addr, "/ws")
    }

    pub fn with_raw_path(proto: Proto, addr: SocketAddr, raw_path: &'static str) -> Self {
        Self {
            proto,
            addr,
            raw_path,
        }
    }
}

/// The `i`th of `count` loopback source addresses: 127.0.0.1, 127.0.0.2, …
/// Each has its own ~28k ephemeral ports, so many addresses go past one's.
pub fn source_address(connection: usize, count: usize) -> IpAddr {
    let n = (connection % count.max(1)) as u8;
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + n))
}

/// The next text frame (pings and binary frames skipped); a close is an error.
pub(crate) async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
            None => bail!("connection ended"),
        }
    }
}

/// Opens a connection from `source` and, for Socket.IO, joins namespace `/`
/// with `auth: {token}`. A raw WebSocket carries the token in its URL.
pub async fn dial(endpoint: Endpoint, source: IpAddr, token: &str) -> anyhow::Result<Ws> {
    dial_within(endpoint, source, token, STEP_TIMEOUT).await
}

/// [`dial`] with its own time limit.
pub async fn dial_within(
    endpoint: Endpoint,
    source: IpAddr,
    token: &str,
    limit: Duration,
) -> anyhow::Result<Ws> {
    tokio::time::timeout(limit, dial_inner(endpoint, source, token))
        .await
        .context("handshake timed out")?
}

async fn dial_inner(endpoint: Endpoint, source: IpAddr, token: &str) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket
        .bind(SocketAddr::new(source, 0))
        .with_context(|| format!("binding {source}"))?;
    let tcp = socket.connect(endpoint.addr).await?;
    tcp.set_nodelay(true)?;
    let url = match endpoint.proto {
        Proto::SocketIo => format!(
            "ws://{}/socket.io/?EIO=4&transport=websocket",
            endpoint.addr
        ),
        Proto::RawWs => format!("ws://{}{}?token={token}", endpoint.addr, endpoint.raw_path),
    };
    // Small buffers: the generator holds as many connections as the servers.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await?;
    if endpoint.proto == Proto::SocketIo {
        expect_open(&mut ws).await?;
        join_namespace(&mut ws, token).await?;
    }
    Ok(ws)
}

/// Waits for a new Socket.IO connection's Engine.IO open packet.
pub(crate) async fn expect_open(ws: &mut Ws) -> anyhow::Result<()> {
    let open = next_text(ws).await?;
    if !open.starts_with('0') {
        bail!("expected the Engine.IO open packet, got {open:?}");
    }
    Ok(())
}

/// Joins namespace `/` with `auth: {token}` and waits for its CONNECT ack,
/// answering pings meanwhile; a CONNECT_ERROR is an error.
pub(crate) async fn join_namespace(ws: &mut Ws, token: &str) -> anyhow::Result<()> {
    ws.send(Message::text(wire::sio_connect(token))).await?;
    loop {
        let text = next_text(ws).await?;
        if text.starts_with("40") {
            return Ok(());
        } else if text.starts_with("44") {
            bail!("CONNECT_ERROR {text}");
        } else if text == "2" {
            ws.send(Message::text("3")).await?;
        }
    }
}

/// How a batch of connections is dialed (the idle ramp, the connect storm,
/// the mixed load's idle crowd): one dialing routine for all of them, so
/// their handshake figures are comparable.
#[derive(Debug, Clone, Copy)]
pub struct DialPlan {
    /// How many loopback source addresses to dial from.
    pub sources: usize,
    /// Handshakes in flight at once.
    pub concurrency: usize,
    /// No dial starts past this instant (a time budget).
    pub deadline: Option<Instant>,
    /// No dial starts once this many have failed (in all batches sharing the
    /// [`Failures`]): a server that refuses is not hammered for the budget.
    pub give_up_after: usize,
}

/// Failed dials, counted across batches, and the first one's error for the report.
#[derive(Debug, Default)]
pub struct Failures {
    count: AtomicUsize,
    first: Mutex<Option<String>>,
}

impl Failures {
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    pub fn first(&self) -> Option<String> {
        self.first.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(&self, error: &anyhow::Error) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(format!("{error:#}"));
        }
    }
}

/// One connection [`dial_many`] opened.
pub struct Dialed {
    /// Its index in the batch's range.
    pub index: usize,
    pub ws: Ws,
    /// When its handshake completed (the Socket.IO CONNECT ack, or the
    /// WebSocket upgrade for raw WebSocket).
    pub opened_at: Instant,
    /// From its first byte dialed to that moment.
    pub took: Duration,
}

/// Dials the connections of `range`, `plan.concurrency` at a time: the
/// `i`th from source address `i` with `tokens[i % tokens.len()]`. Returns
/// those that opened, in completion order; failures go to `failures`.
pub async fn dial_many(
    endpoint: Endpoint,
    range: std::ops::Range<usize>,
    tokens: &[String],
    plan: &DialPlan,
    failures: &Failures,
) -> Vec<Dialed> {
    futures_util::stream::iter(range)
        .map(|i| async move {
            let past_deadline = plan.deadline.is_some_and(|d| Instant::now() > d);
            if past_deadline || failures.count() > plan.give_up_after {
                return None;
            }
            let source = source_address(i, plan.sources);
            let started = Instant::now();
            match dial(endpoint, source, &tokens[i % tokens.len()]).await {
                Ok(ws) => {
                    let opened_at = Instant::now();
                    Some(Dialed {
                        index: i,
                        ws,
                        opened_at,
                        took: opened_at - started,
                    })
                }
                Err(error) => {
                    failures.record(&error);
                    None
                }
            }
        })
        .buffer_unordered(plan.concurrency.max(1))
        .filter_map(std::future::ready)
        .collect()
        .await
}

/// Sends getThread and waits for its answer (answering pings, skipping pushes).
pub async fn join(ws: &mut Ws, proto: Proto, thread_token: &str) -> anyhow::Result<()> {
    let step = async {
        ws.send(Message::text(wire::get_thread(proto, 0, thread_token)))
            .await?;
        loop {
            let text = next_text(ws).await?;
            match wire::classify(proto, &text) {
                Incoming::Ack { id: 0, ok: true } => return Ok(()),
                Incoming::Ack { id: 0, ok: false } => bail!("getThread refused: {text}"),
                Incoming::Ping => ws.send(Message::text("3")).await?,
                _ => {}
            }
        }
    };
    tokio::time::timeout(STEP_TIMEOUT, step)
        .await
        .context("getThread timed out")?
}

/// Holds each of `opened` in a task of `holders` (see [`hold`]).
pub fn hold_all(
    holders: &mut tokio::task::JoinSet<()>,
    opened: Vec<Dialed>,
    proto: Proto,
    stop: &CancellationToken,
    alive: &Arc<AtomicUsize>,
) {
    for dialed in opened {
        holders.spawn(hold(dialed.ws, proto, stop.clone(), alive.clone()));
    }
}

/// Holds an idle connection until `stop`: answers pings, nothing else.
/// `alive` counts connections still open.
pub async fn hold(mut ws: Ws, proto: Proto, stop: CancellationToken, alive: Arc<AtomicUsize>) {
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => break,
            message = ws.next() => message,
        };
        match message {
            Some(Ok(Message::Text(text))) => {
                if proto == Proto::SocketIo
                    && text.as_str() == "2"
                    && ws.send(Message::text("3")).await.is_err()
                {
                    alive.fetch_sub(1, Ordering::Relaxed);
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                alive.fetch_sub(1, Ordering::Relaxed);
                return;
            }
        }
    }
    // Dropping the socket closes it; no close handshake, to end fast.
}

/// A message waiting for its ack and its deliveries (closed loop).
struct Pending {
    remaining: u32,
    acked: bool,
    done: Option<oneshot::Sender<()>>,
}

/// One message's timestamps (µs since [`Shared::epoch`]), kept for the
/// open loop's window: where the time between its scheduled send and its
/// last push went (the generator's lateness, the server's answer, the fan-out).
#[derive(Debug, Clone, Copy, Default)]
pub struct Trace {
    pub scheduled: u64,
    /// When its connection task wrote it to the socket (0: not yet).
    pub written: u64,
    /// When its ack arrived (0: not yet).
    pub acked: u64,
    pub first_push: u64,
    pub last_push: u64,
    pub pushes: u32,
}

/// A frame for a connection task to write; `seq` names a traced message (0: none).
pub struct Outgoing {
    pub seq: u64,
    pub frame: String,
}

impl Outgoing {
    /// A frame that is not traced.
    pub fn untraced(frame: String) -> Self {
        Self { seq: 0, frame }
    }
}

/// What every connection task of a fan-out run shares.
pub struct Shared {
    pub epoch: Instant,
    pub deliveries: AtomicU64,
    pub acks: AtomicU64,
    pub errors: AtomicU64,
    pub closed: AtomicU64,
    /// Frames that are neither pings, acks nor pushes of bench messages
    /// (presence, …): how the fan-out sees the joins' pushes end.
    pub others: AtomicU64,
    /// Latencies (µs) of pushes of messages sent within [from, to) µs.
    record_from: AtomicU64,
    record_to: AtomicU64,
    latencies: Mutex<Vec<u32>>,
    traces: Mutex<HashMap<u64, Trace>>,
    pending: Mutex<HashMap<u64, Pending>>,
    first_error: Mutex<Option<String>>,
    track: AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        Self::new()
    }
}

impl Shared {
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            deliveries: AtomicU64::new(0),
            acks: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            others: AtomicU64::new(0),
            record_from: AtomicU64::new(u64::MAX),
            record_to: AtomicU64::new(0),
            latencies: Mutex::new(Vec::new()),
            traces: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            first_error: Mutex::new(None),
            track: AtomicBool::new(false),
        }
    }

    /// Microseconds since the epoch.
    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// Records latencies of messages sent in [from, to) µs from now on.
    pub fn record_between(&self, from: u64, to: u64) {
        self.record_from.store(from, Ordering::Relaxed);
        self.record_to.store(to, Ordering::Relaxed);
    }

    /// The latencies recorded so far, taken.
    pub fn take_latencies(&self) -> Vec<u32> {
        std::mem::take(&mut *self.latencies.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Starts tracing message `seq`, scheduled at `scheduled` µs.
    pub fn trace(&self, seq: u64, scheduled: u64) {
        self.traces().insert(
            seq,
            Trace {
                scheduled,
                ..Trace::default()
            },
        );
    }

    /// The traces recorded so far, taken.
    pub fn take_traces(&self) -> HashMap<u64, Trace> {
        std::mem::take(&mut *self.traces())
    }

    fn traces(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Trace>> {
        self.traces.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn traced(&self, seq: u64, mark: impl FnOnce(&mut Trace, u64)) {
        if seq == 0 {
            return;
        }
        let now = self.now_us();
        if let Some(trace) = self.traces().get_mut(&seq) {
            mark(trace, now);
        }
    }

    /// Closed loop: from now on, acks and deliveries complete pending messages.
    pub fn set_tracking(&self, on: bool) {
        self.track.store(on, Ordering::Relaxed);
        if !on {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
        }
    }

    /// Closed loop: message `seq` is complete once acked and pushed `recipients` times.
    pub fn expect(&self, seq: u64, recipients: u32) -> oneshot::Receiver<()> {
        let (done, wait) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                seq,
                Pending {
                    remaining: recipients,
                    acked: false,
                    done: Some(done),
                },
            );
        wait
    }

    /// Forgets a message that timed out.
    pub fn forget(&self, seq: u64) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&seq);
    }

    /// The first error answer seen, for the report.
    pub fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn settle(&self, seq: u64, acked: bool) {
        if !self.track.load(Ordering::Relaxed) {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let finished = match pending.get_mut(&seq) {
            Some(p) => {
                if acked {
                    p.acked = true;
                } else {
                    p.remaining = p.remaining.saturating_sub(1);
                }
                p.acked && p.remaining == 0
            }
            None => false,
        };
        if finished
            && let Some(mut p) = pending.remove(&seq)
            && let Some(done) = p.done.take()
        {
            let _ = done.send(());
        }
    }

    fn on_text(&self, proto: Proto, text: &str) -> bool {
        match wire::classify(proto, text) {
            Incoming::Ping => return true,
            Incoming::Push { seq, t_us } => {
                self.deliveries.fetch_add(1, Ordering::Relaxed);
                if t_us >= self.record_from.load(Ordering::Relaxed)
                    && t_us < self.record_to.load(Ordering::Relaxed)
                {
                    let latency = self.now_us().saturating_sub(t_us);
                    self.latencies
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(latency.min(u64::from(u32::MAX)) as u32);
                    self.traced(seq, |trace, now| {
                        if trace.pushes == 0 {
                            trace.first_push = now;
                        }
                        trace.last_push = now;
                        trace.pushes += 1;
                    });
                }
                self.settle(seq, false);
            }
            Incoming::Ack { id, ok } => {
                self.traced(id, |trace, now| trace.acked = now);
                if ok {
                    self.acks.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
                    if first.is_none() {
                        *first = Some(text.chars().take(300).collect());
                    }
                }
                // An error ack completes the message: no push will follow.
                if ok {
                    self.settle(id, true);
                } else if self.track.load(Ordering::Relaxed) {
                    let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(mut p) = pending.remove(&id)
                        && let Some(done) = p.done.take()
                    {
                        let _ = done.send(());
                    }
                }
            }
            Incoming::Other => {
                self.others.fetch_add(1, Ordering::Relaxed);
            }
        }
        false
    }
}

/// Drives one joined connection: sends the frames it is handed, answers
/// pings, and reports acks and pushes to `shared`. Ends when `outgoing`
/// closes or the server closes.
pub async fn drive(
    mut ws: Ws,
    proto: Proto,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
) {
    loop {
        tokio::select! {
            frame = outgoing.recv() => match frame {
                Some(Outgoing { seq, frame }) => {
                    if ws.send(Message::text(frame)).await.is_err() {
                        break;
                    }
                    shared.traced(seq, |trace, now| trace.written = now);
                }
                None => return,
            },
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if shared.on_text(proto, text.as_str())
                        && ws.send(Message::text("3")).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
    shared.closed.fetch_add(1, Ordering::Relaxed);
}
