//! The soak (issue 16): N connections of mixed transports (raw WebSocket,
//! Socket.IO over WebSocket, Socket.IO over HTTP long-polling) held against
//! a real `ecb serve` for a set time while messages flow in every thread,
//! then per connection: pushes lost, duplicated and reordered; and, sampled
//! through the run, the server's RSS and open file descriptors.
//!
//! Every connection is one member of a thread of `members`; each thread
//! sends one message at a time (the next once the last is acked), at a
//! pace that makes `rate` messages per second over all threads. A message
//! acked before another was sent must reach every other member first, so a
//! member seeing a thread's sequence number below one it already saw counts
//! a reorder. Bounded: the connections, the time and the drain are fixed.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::conn::{self, Endpoint, Ws};
use crate::polling::{self, PollingSession};
use crate::procs::Proc;
use crate::suite::{Paths, Server, start_server};
use crate::tokens::Signer;
use crate::wire::{self, Incoming, Proto};

/// A message's number: its thread times this, plus its place in the thread.
const PER_THREAD: u64 = 100_000;
/// How long a message waits for its ack before its thread sends the next.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections opened at once.
const DIAL_CONCURRENCY: usize = 64;

/// `ecb-bench soak --help`.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakConfig {
    /// The repository root (for the demo key pair and the logs).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// The `ecb` binary (release).
    #[arg(long)]
    pub ecb_bin: Option<PathBuf>,
    /// Connections held.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Members (connections) per thread.
    #[arg(long, default_value_t = 10)]
    pub members: usize,
    /// How long messages flow, seconds.
    #[arg(long, default_value_t = 300)]
    pub duration_secs: u64,
    /// Messages per second over all threads.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Of every ten connections, how many are raw WebSocket, Socket.IO over
    /// WebSocket and Socket.IO polling.
    #[arg(long, value_delimiter = ',', default_value = "4,4,2")]
    pub mix: Vec<usize>,
    /// Seconds between samples of the server's RSS and descriptors.
    #[arg(long, default_value_t = 10)]
    pub sample_secs: u64,
    /// Loopback source addresses to spread WebSockets over (ephemeral ports).
    #[arg(long, default_value_t = 4)]
    pub sources: usize,
    /// CPUs to pin the server to (`taskset -c`); "none" to not pin.
    #[arg(long, default_value = "none")]
    pub server_cpus: String,
}

/// The transports, in `--mix` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    RawWs,
    SocketIoWs,
    SocketIoPolling,
}

impl Transport {
    const ALL: [Self; 3] = [Self::RawWs, Self::SocketIoWs, Self::SocketIoPolling];

    fn label(self) -> &'static str {
        match self {
            Self::RawWs => "raw WebSocket",
            Self::SocketIoWs => "Socket.IO WebSocket",
            Self::SocketIoPolling => "Socket.IO polling",
        }
    }

    fn proto(self) -> Proto {
        match self {
            Self::RawWs => Proto::RawWs,
            _ => Proto::SocketIo,
        }
    }

    /// Connection `i`'s transport: the mix, repeated every ten.
    fn of(i: usize, mix: &[usize]) -> Self {
        let slot = i % mix.iter().sum::<usize>().max(1);
        let mut upto = 0;
        for (transport, share) in Self::ALL.iter().zip(mix) {
            upto += share;
            if slot < upto {
                return *transport;
            }
        }
        Self::RawWs
    }
}

/// What a thread's messages became, by their place in the thread.
#[derive(Default)]
struct ThreadLog {
    /// Acked messages: place → the member that sent it.
    acked: std::collections::HashMap<u64, usize>,
}

/// What every task shares.
struct Soak {
    threads: Vec<Mutex<ThreadLog>>,
    /// Each thread's acks, to its sender loop.
    acks: Vec<mpsc::UnboundedSender<(u64, bool)>>,
    sent: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    deliveries: AtomicU64,
    /// Connections whose server side ended before the soak did.
    dropped: AtomicUsize,
    first_error: Mutex<Option<String>>,
}

/// One connection's receipts.
#[derive(Debug, Default)]
struct Receipts {
    seen: HashSet<u64>,
    highest: Option<u64>,
    duplicated: u64,
    reordered: u64,
}

impl Receipts {
    fn record(&mut self, place: u64) {
        if !self.seen.insert(place) {
            self.duplicated += 1;
            return;
        }
        if self.highest.is_some_and(|highest| place < highest) {
            self.reordered += 1;
        }
        self.highest = self.highest.max(Some(place));
    }
}

/// One member's connection, as the tasks see it.
#[derive(Clone, Copy)]
struct Member {
    thread: usize,
    index: usize,
    transport: Transport,
}

impl Soak {
    fn on_text(&self, member: Member, text: &str, receipts: &mut Receipts) {
        match wire::classify(member.transport.proto(), text) {
            Incoming::Push { seq, .. } => {
                self.deliveries.fetch_add(1, Ordering::Relaxed);
                receipts.record(seq % PER_THREAD);
            }
            Incoming::Ack { id, ok } => {
                if !ok {
                    let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert_with(|| text.chars().take(300).collect());
                }
                let _ = self.acks[member.thread].send((id, ok));
            }
            Incoming::Ping | Incoming::Other => {}
        }
    }
}

/// A connection, joined, before it is driven.
enum Joined {
    Ws(Box<Ws>),
    Polling(PollingSession, Vec<String>),
}

async fn open(
    member: Member,
    addr: SocketAddr,
    source: std::net::IpAddr,
    http: &reqwest::Client,
    user: &str,
    thread_token: &str,
) -> anyhow::Result<Joined> {
    match member.transport {
        Transport::RawWs | Transport::SocketIoWs => {
            let endpoint = Endpoint::new(member.transport.proto(), addr);
            let mut ws = conn::dial(endpoint, source, user).await?;
            conn::join(&mut ws, endpoint.proto, thread_token).await?;
            Ok(Joined::Ws(Box::new(ws)))
        }
        Transport::SocketIoPolling => {
            let (session, _) = PollingSession::open(http, addr, user).await?;
            let early = session.join(thread_token).await?;
            Ok(Joined::Polling(session, early))
        }
    }
}

/// Drives one joined connection until `stop` (or the server ends it):
/// sends what `outgoing` yields, answers pings, records receipts.
async fn drive(
    joined: Joined,
    member: Member,
    soak: Arc<Soak>,
    mut outgoing: mpsc::UnboundedReceiver<String>,
    stop: CancellationToken,
) -> Receipts {
    let mut receipts = Receipts::default();
    let proto = member.transport.proto();
    let ended_early = match joined {
        Joined::Ws(mut ws) => loop {
            tokio::select! {
                _ = stop.cancelled() => break false,
                Some(frame) = outgoing.recv() => {
                    if ws.send(Message::text(frame)).await.is_err() {
                        break true;
                    }
                }
                message = ws.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if proto == Proto::SocketIo && text.as_str() == "2" {
                            if ws.send(Message::text("3")).await.is_err() {
                                break true;
                            }
                        } else {
                            soak.on_text(member, text.as_str(), &mut receipts);
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break true,
                },
            }
        },
        Joined::Polling(session, early) => {
            for packet in &early {
                soak.on_text(member, packet, &mut receipts);
            }
            let ran = session
                .run(outgoing, stop.clone(), |packet| {
                    soak.on_text(member, packet, &mut receipts)
                })
                .await;
            ran.is_err() || !stop.is_cancelled()
        }
    };
    if ended_early {
        soak.dropped.fetch_add(1, Ordering::Relaxed);
    }
    receipts
}

/// One thread's sender: its members take turns, one message in flight,
/// every `interval`, until `until`.
async fn send_loop(
    soak: Arc<Soak>,
    thread: usize,
    token: Arc<str>,
    senders: Vec<(Transport, mpsc::UnboundedSender<String>)>,
    mut acks: mpsc::UnboundedReceiver<(u64, bool)>,
    interval: Duration,
    until: Instant,
) {
    let epoch = Instant::now();
    // Threads start spread over one interval, not all at once.
    let offset = interval.mul_f64((thread as f64 * 0.618_034) % 1.0);
    let mut next = Instant::now() + offset;
    let mut place: u64 = 0;
    while next < until {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        let index = (place as usize) % senders.len();
        let (transport, sender) = &senders[index];
        let seq = thread as u64 * PER_THREAD + place;
        let frame = wire::send_message(
            transport.proto(),
            seq,
            epoch.elapsed().as_micros() as u64,
            &token,
        );
        if sender.send(frame).is_err() {
            break;
        }
        soak.sent.fetch_add(1, Ordering::Relaxed);
        let ack = tokio::time::timeout(ACK_TIMEOUT, async {
            while let Some((id, ok)) = acks.recv().await {
                if id == seq {
                    return Some(ok);
                }
            }
            None
        })
        .await;
        match ack {
            Ok(Some(true)) => {
                soak.threads[thread]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .acked
                    .insert(place, index);
            }
            Ok(Some(false)) => {
                soak.errors.fetch_add(1, Ordering::Relaxed);
            }
            Ok(None) => break,
            Err(_) => {
                soak.timeouts.fetch_add(1, Ordering::Relaxed);
            }
        }
        place += 1;
        if place >= PER_THREAD {
            break;
        }
    }
}

/// One sample of the server.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at_s: u64,
    rss_mib: f64,
    fds: usize,
    deliveries: u64,
}

fn sample(server: &Proc, started: Instant, soak: &Soak) -> Sample {
    Sample {
        at_s: started.elapsed().as_secs(),
        rss_mib: server.rss_kib() as f64 / 1024.0,
        fds: server.open_fds(),
        deliveries: soak.deliveries.load(Ordering::Relaxed),
    }
}

fn print_sample(s: &Sample, label: &str) {
    println!(
        "  {label:>9} t={:>4}s  RSS {:>7.1} MiB  fds {:>6}  pushes {:>9}",
        s.at_s, s.rss_mib, s.fds, s.deliveries
    );
}

/// Runs the soak and prints its report (a Markdown section at the end).
pub async fn run(config: SoakConfig) -> anyhow::Result<()> {
    crate::install_crypto_provider();
    anyhow::ensure!(config.members >= 2, "--members must be at least 2");
    anyhow::ensure!(config.mix.len() == 3, "--mix takes three numbers");
    let root = std::fs::canonicalize(&config.root).context("--root")?;
    let paths = Paths {
        ecb: config
            .ecb_bin
            .clone()
            .unwrap_or_else(|| root.join("target/release/ecb")),
        sio_peer: PathBuf::new(),
        node_peer: PathBuf::new(),
        public_key: root.join("demo/backend/keys/public/demo.pem"),
        private_key: root.join("demo/backend/keys/demo.private.pem"),
        logs: root.join("target/bench/soak-logs"),
        root: root.clone(),
    };
    let signer = Signer::from_file(&paths.private_key, "demo")?;
    let threads = config.connections.div_ceil(config.members);
    let members = config.members;
    let connections = threads * members;
    let backend = crate::backend::spawn("127.0.0.1:0").await?;
    let (mut server, port) = start_server(
        Server::Ecb,
        &paths,
        &format!("http://{backend}"),
        crate::suite::cpus(&config.server_cpus),
        "soak",
    )
    .await?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let started = Instant::now();
    let mut samples = vec![sample(&server, started, &Soak::empty(0))];
    print_sample(&samples[0], "idle");

    // Tokens: one user per member place (a user is in many threads).
    let users: Vec<String> = (0..members).map(|m| format!("s{m}")).collect();
    let user_tokens: Vec<Arc<str>> = users.iter().map(|u| signer.user_token(u).into()).collect();
    let thread_tokens: Vec<Arc<str>> = (0..threads)
        .map(|t| signer.thread_token(&format!("soak{t}"), &users).into())
        .collect();
    let (ack_senders, ack_receivers): (Vec<_>, Vec<_>) =
        (0..threads).map(|_| mpsc::unbounded_channel()).unzip();
    let soak = Arc::new(Soak {
        acks: ack_senders,
        ..Soak::empty(threads)
    });

    println!(
        "soak: {connections} connections ({threads} threads of {members}), mix {:?} of raw WebSocket, Socket.IO WebSocket, Socket.IO polling; {} msg/s for {} s",
        config.mix, config.rate, config.duration_secs
    );
    let http = polling::http_client();
    let setup = Instant::now();
    let joined: Vec<(usize, anyhow::Result<Joined>)> = futures_util::stream::iter(0..connections)
        .map(|i| {
            let member = Member {
                thread: i / members,
                index: i % members,
                transport: Transport::of(i, &config.mix),
            };
            let (http, user, token) = (
                http.clone(),
                user_tokens[member.index].clone(),
                thread_tokens[member.thread].clone(),
            );
            let source = conn::source_address(i, config.sources);
            async move { (i, open(member, addr, source, &http, &user, &token).await) }
        })
        .buffer_unordered(DIAL_CONCURRENCY)
        .collect()
        .await;
    let stop = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut senders: Vec<Vec<(Transport, mpsc::UnboundedSender<String>)>> =
        (0..threads).map(|_| Vec::new()).collect();
    let mut opened = [0usize; 3];
    let mut failed = [0usize; 3];
    let mut first_failure = None;
    let mut joined = joined;
    joined.sort_by_key(|(i, _)| *i);
    for (i, outcome) in joined {
        let member = Member {
            thread: i / members,
            index: i % members,
            transport: Transport::of(i, &config.mix),
        };
        let slot = Transport::ALL
            .iter()
            .position(|t| *t == member.transport)
            .unwrap_or(0);
        match outcome {
            Ok(joined) => {
                opened[slot] += 1;
                let (tx, rx) = mpsc::unbounded_channel();
                senders[member.thread].push((member.transport, tx));
                let (soak, stop) = (soak.clone(), stop.clone());
                tasks.spawn(async move {
                    let receipts = drive(joined, member, soak, rx, stop).await;
                    (member, receipts)
                });
            }
            Err(error) => {
                failed[slot] += 1;
                first_failure.get_or_insert_with(|| format!("{error:#}"));
            }
        }
    }
    let setup_s = setup.elapsed().as_secs_f64();
    println!(
        "  opened {} of {connections} in {setup_s:.1} s ({}); failed {}{}",
        opened.iter().sum::<usize>(),
        Transport::ALL
            .iter()
            .zip(opened)
            .map(|(t, n)| format!("{} {n}", t.label()))
            .collect::<Vec<_>>()
            .join(", "),
        failed.iter().sum::<usize>(),
        first_failure
            .as_ref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
    );
    // The joins' presence pushes go by first.
    tokio::time::sleep(Duration::from_secs(2)).await;
    samples.push(sample(&server, started, &soak));
    print_sample(samples.last().unwrap(), "joined");

    // Messages flow: each thread one at a time, all threads `rate` per second.
    let interval = Duration::from_secs_f64(threads as f64 / config.rate.max(0.001));
    let flow = Duration::from_secs(config.duration_secs);
    let until = Instant::now() + flow;
    let mut loops = tokio::task::JoinSet::new();
    for ((thread, senders), acks) in senders.into_iter().enumerate().zip(ack_receivers) {
        if senders.len() < 2 {
            continue;
        }
        loops.spawn(send_loop(
            soak.clone(),
            thread,
            thread_tokens[thread].clone(),
            senders,
            acks,
            interval,
            until,
        ));
    }
    let every = Duration::from_secs(config.sample_secs.max(1));
    while Instant::now() < until {
        tokio::time::sleep(every.min(until.saturating_duration_since(Instant::now()))).await;
        if !server.running() {
            anyhow::bail!("the server exited:\n{}", server.log_tail());
        }
        samples.push(sample(&server, started, &soak));
        print_sample(samples.last().unwrap(), "flowing");
    }
    while loops.join_next().await.is_some() {}
    // Late pushes arrive, then every connection stops and counts.
    tokio::time::sleep(Duration::from_secs(5)).await;
    samples.push(sample(&server, started, &soak));
    print_sample(samples.last().unwrap(), "drained");
    let dropped_during = soak.dropped.load(Ordering::Relaxed);
    stop.cancel();
    let mut totals = Totals::default();
    while let Some(Ok((member, receipts))) = tasks.join_next().await {
        totals.add(&soak, member, &receipts);
    }
    server.stop().await;

    let report = Report {
        config: &config,
        connections,
        threads,
        opened,
        failed,
        setup_s,
        dropped: dropped_during,
        sent: soak.sent.load(Ordering::Relaxed),
        acked: soak
            .threads
            .iter()
            .map(|t| t.lock().unwrap_or_else(|e| e.into_inner()).acked.len() as u64)
            .sum(),
        errors: soak.errors.load(Ordering::Relaxed),
        timeouts: soak.timeouts.load(Ordering::Relaxed),
        totals,
        samples: &samples,
        first_error: soak
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
    };
    println!("\n{}", report.markdown());
    Ok(())
}

impl Soak {
    fn empty(threads: usize) -> Self {
        Self {
            threads: (0..threads).map(|_| Mutex::default()).collect(),
            acks: Vec::new(),
            sent: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            deliveries: AtomicU64::new(0),
            dropped: AtomicUsize::new(0),
            first_error: Mutex::new(None),
        }
    }
}

/// Lost, duplicated, reordered over every connection.
#[derive(Debug, Default)]
struct Totals {
    expected: u64,
    received: u64,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    /// Pushes of messages never acked (timed out or refused).
    unexpected: u64,
}

impl Totals {
    /// A member expects every acked message of its thread it did not send.
    fn add(&mut self, soak: &Soak, member: Member, receipts: &Receipts) {
        let log = soak.threads[member.thread]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let expected: HashSet<u64> = log
            .acked
            .iter()
            .filter(|(_, sender)| **sender != member.index)
            .map(|(place, _)| *place)
            .collect();
        self.expected += expected.len() as u64;
        self.received += receipts.seen.len() as u64 + receipts.duplicated;
        self.lost += expected.difference(&receipts.seen).count() as u64;
        self.unexpected += receipts.seen.difference(&expected).count() as u64;
        self.duplicated += receipts.duplicated;
        self.reordered += receipts.reordered;
    }
}

struct Report<'a> {
    config: &'a SoakConfig,
    connections: usize,
    threads: usize,
    opened: [usize; 3],
    failed: [usize; 3],
    setup_s: f64,
    dropped: usize,
    sent: u64,
    acked: u64,
    errors: u64,
    timeouts: u64,
    totals: Totals,
    samples: &'a [Sample],
    first_error: Option<String>,
}

impl Report<'_> {
    fn markdown(&self) -> String {
        let c = self.config;
        let t = &self.totals;
        let peak_rss = self.samples.iter().map(|s| s.rss_mib).fold(0.0, f64::max);
        let peak_fds = self.samples.iter().map(|s| s.fds).max().unwrap_or(0);
        let mut out = format!(
            "{} connections ({} threads of {}; {} raw WebSocket, {} Socket.IO over WebSocket, {} Socket.IO polling; {} failed to open) held {} s while {:.0} messages/s flowed; opened in {:.1} s.\n\n",
            self.connections,
            self.threads,
            c.members,
            self.opened[0],
            self.opened[1],
            self.opened[2],
            self.failed.iter().sum::<usize>(),
            c.duration_secs,
            c.rate,
            self.setup_s,
        );
        out += "| messages sent | acked | error acks | ack timeouts | pushes expected | received | lost | duplicated | reordered | unexpected | connections dropped by the server |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n\n",
            self.sent,
            self.acked,
            self.errors,
            self.timeouts,
            t.expected,
            t.received,
            t.lost,
            t.duplicated,
            t.reordered,
            t.unexpected,
            self.dropped,
        );
        out += "| t (s) | phase | server RSS (MiB) | server fds | pushes so far |\n|---|---|---|---|---|\n";
        for (i, s) in self.samples.iter().enumerate() {
            let phase = match i {
                0 => "started, idle",
                1 => "all joined",
                _ if i == self.samples.len() - 1 => "drained",
                _ => "flowing",
            };
            out += &format!(
                "| {} | {phase} | {:.1} | {} | {} |\n",
                s.at_s, s.rss_mib, s.fds, s.deliveries
            );
        }
        out += &format!("\nPeak RSS {peak_rss:.1} MiB, peak descriptors {peak_fds}.\n");
        if let Some(error) = &self.first_error {
            out += &format!("\nFirst error ack: `{error}`\n");
        }
        out
    }
}

/// The soak's section of docs/BENCHMARKS.md: written from this command's
/// output, not by the suite, so a new suite report carries it over.
pub const SECTION_HEADING: &str = "## 8. Soak";

/// `report` with the soak section of `previous` (the file it replaces), if
/// that had one, appended.
pub fn keep_section(report: String, previous: &str) -> String {
    let Some(start) = previous.find(SECTION_HEADING) else {
        return report;
    };
    let rest = &previous[start..];
    let end = rest[SECTION_HEADING.len()..]
        .find("\n## ")
        .map_or(rest.len(), |at| at + SECTION_HEADING.len() + 1);
    format!("{}\n\n{}", report.trim_end(), rest[..end].trim_end()) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_report_keeps_the_soak_section() {
        let previous = "# B\n## 4. Lambda\nold\n## 8. Soak\nfigures\n## 9. Next\nx\n";
        assert_eq!(
            keep_section("# B\n## 4. Lambda\nnew\n".into(), previous),
            "# B\n## 4. Lambda\nnew\n\n## 8. Soak\nfigures\n"
        );
        assert_eq!(keep_section("# B\n".into(), "# old\n"), "# B\n");
    }

    #[test]
    fn the_mix_repeats_every_ten() {
        let mix = [4, 4, 2];
        let kinds: Vec<Transport> = (0..10).map(|i| Transport::of(i, &mix)).collect();
        assert_eq!(kinds[0], Transport::RawWs);
        assert_eq!(kinds[4], Transport::SocketIoWs);
        assert_eq!(kinds[9], Transport::SocketIoPolling);
        assert_eq!(Transport::of(13, &mix), Transport::RawWs);
    }

    #[test]
    fn receipts_count_duplicates_and_reorders() {
        let mut receipts = Receipts::default();
        for place in [0, 2, 1, 2, 3] {
            receipts.record(place);
        }
        assert_eq!((receipts.duplicated, receipts.reordered), (1, 1));
        assert_eq!(receipts.seen.len(), 4);
    }
}
