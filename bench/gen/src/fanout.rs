//! Scenarios 2 and 3: fan-out. Threads of N members, each member its own
//! connection (its own user); every message goes to the backend and is
//! pushed to the N−1 other members. First a closed loop finds the
//! saturation rate (deliveries per second, each thread keeping one message in
//! flight until it is acked and delivered to everyone); then an open loop at
//! half that message rate measures end-to-end latency, send timestamp (the
//! scheduled one, so a late generator shows as latency) to push received.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::conn::{self, Endpoint, Outgoing, Shared, Trace};
use crate::procs::CpuMeter;
use crate::server_view::{Scrape, ServerView};
use crate::wire;

/// What to run.
#[derive(Debug, Clone)]
pub struct FanoutPlan {
    pub members: usize,
    pub threads: usize,
    pub warmup: Duration,
    pub measure: Duration,
    /// How long the open loop waits for late pushes before counting losses.
    pub drain: Duration,
    /// How long a closed-loop message may take before it counts as timed out.
    pub completion_timeout: Duration,
    pub sources: usize,
}

/// CPU use during a phase: share of one core.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Cpu {
    pub server: f64,
    pub backend: f64,
    pub generator: f64,
}

/// The closed loop's outcome.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Saturation {
    pub messages_per_second: f64,
    pub deliveries_per_second: f64,
    /// Server CPU microseconds per delivery.
    pub server_cpu_us_per_delivery: f64,
    pub timeouts: u64,
    pub errors: u64,
    pub cpu: Cpu,
}

/// The open loop's outcome.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HalfLoad {
    pub messages_per_second: f64,
    pub deliveries_per_second: f64,
    pub sent: u64,
    pub samples: usize,
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
    /// Pushes expected but not received after the drain.
    pub lost: u64,
    pub errors: u64,
    pub cpu: Cpu,
    /// Where the messages' time went, p99 of each leg.
    pub legs: Legs,
    /// The server's own measure of sendMessage over the window (ECB only).
    pub server: Option<ServerView>,
}

/// The legs of a message's way at half load, each the p99 over the window's
/// messages (µs): how late the generator wrote it, how long the server took
/// to ack it (its own work, the backend call, loopback both ways), and how
/// long its fan-out ran after the ack (ack to last push read).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Legs {
    pub write_late_p99_us: u32,
    pub ack_p99_us: u32,
    pub fan_out_p99_us: u32,
    /// Messages in the window whose send was more than 5 ms late, acked
    /// more than 5 ms after it, or fanned out over more than 5 ms.
    pub late_writes: usize,
    pub slow_acks: usize,
    pub slow_fan_outs: usize,
}

impl Legs {
    const SLOW_US: u64 = 5_000;

    fn of(traces: &HashMap<u64, Trace>) -> Self {
        let complete: Vec<&Trace> = traces
            .values()
            .filter(|t| t.written > 0 && t.acked > 0 && t.pushes > 0)
            .collect();
        let leg = |f: &dyn Fn(&Trace) -> u64| -> (u32, usize) {
            let mut values: Vec<u32> = complete
                .iter()
                .map(|t| f(t).min(u64::from(u32::MAX)) as u32)
                .collect();
            values.sort_unstable();
            let slow = values
                .iter()
                .filter(|&&v| u64::from(v) > Self::SLOW_US)
                .count();
            (percentile(&values, 99.0), slow)
        };
        let (write_late_p99_us, late_writes) = leg(&|t| t.written.saturating_sub(t.scheduled));
        let (ack_p99_us, slow_acks) = leg(&|t| t.acked.saturating_sub(t.written));
        let (fan_out_p99_us, slow_fan_outs) = leg(&|t| t.last_push.saturating_sub(t.acked));
        Self {
            write_late_p99_us,
            ack_p99_us,
            fan_out_p99_us,
            late_writes,
            slow_acks,
            slow_fan_outs,
        }
    }
}

/// Writes the traces as CSV (µs: scheduled, written, acked, first and last
/// push, pushes), ordered by schedule, for a look at a stall.
fn dump_traces(path: &std::path::Path, traces: &HashMap<u64, Trace>) -> std::io::Result<()> {
    use std::io::Write;
    let mut ordered: Vec<(&u64, &Trace)> = traces.iter().collect();
    ordered.sort_by_key(|(_, t)| t.scheduled);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "seq,scheduled,written,acked,first_push,last_push,pushes"
    )?;
    for (seq, t) in ordered {
        writeln!(
            out,
            "{seq},{},{},{},{},{},{}",
            t.scheduled, t.written, t.acked, t.first_push, t.last_push, t.pushes
        )?;
    }
    out.flush()
}

/// The outcome for one server, one thread size.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FanoutResult {
    pub members: usize,
    pub threads: usize,
    pub connections: usize,
    /// The length of a threadToken (its memberIds grow with the thread),
    /// which every sendMessage carries.
    pub thread_token_bytes: usize,
    pub setup_seconds: f64,
    pub saturation: Saturation,
    pub half: Option<HalfLoad>,
    pub first_error: Option<String>,
    pub setup_error: Option<String>,
}

/// The processes whose CPU a phase reads.
#[derive(Debug, Clone, Copy)]
pub struct Watched {
    pub server: u32,
    pub backend: u32,
}

struct Meters {
    server: CpuMeter,
    backend: CpuMeter,
    generator: CpuMeter,
}

impl Meters {
    fn start(watched: Watched) -> Self {
        Self {
            server: CpuMeter::start(watched.server),
            backend: CpuMeter::start(watched.backend),
            generator: CpuMeter::start(std::process::id()),
        }
    }

    fn read(&self) -> (f64, Cpu) {
        let (server_used, server) = self.server.read();
        (
            server_used,
            Cpu {
                server,
                backend: self.backend.read().1,
                generator: self.generator.read().1,
            },
        )
    }
}

/// The `p`th percentile (nearest rank) of `sorted`, 0 when empty.
pub(crate) fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs one thread size against a running server.
pub async fn run(
    endpoint: Endpoint,
    watched: Watched,
    user_tokens: &[String],
    thread_tokens: &[String],
    plan: &FanoutPlan,
) -> FanoutResult {
    let members = plan.members;
    let threads = plan.threads;
    let mut result = FanoutResult {
        members,
        threads,
        connections: members * threads,
        thread_token_bytes: thread_tokens.first().map_or(0, String::len),
        ..Default::default()
    };
    let shared = Arc::new(Shared::new());
    let setup = Instant::now();
    // Connect and join every member of every thread, a few at a time. Each
    // is driven as soon as it has joined, so that the pushes later joins
    // cause (ECB's presence: n(n−1)/2 of them in a thread of n) are read as
    // they come instead of filling its socket and the server's queue.
    type Joined = (
        usize,
        usize,
        mpsc::UnboundedSender<Outgoing>,
        tokio::task::JoinHandle<()>,
    );
    let joined: Vec<anyhow::Result<Joined>> = futures_util::stream::iter(0..threads * members)
        .map(|i| {
            let (thread, member) = (i / members, i % members);
            let user = user_tokens[member].clone();
            let thread_token = thread_tokens[thread].clone();
            let shared = shared.clone();
            async move {
                let source = conn::source_address(i, plan.sources);
                let mut ws = conn::dial(endpoint, source, &user).await?;
                conn::join(&mut ws, endpoint.proto, &thread_token).await?;
                let (tx, rx) = mpsc::unbounded_channel();
                let task = tokio::spawn(conn::drive(ws, endpoint.proto, rx, shared));
                Ok((thread, member, tx, task))
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut senders: Vec<Vec<Option<mpsc::UnboundedSender<Outgoing>>>> =
        vec![vec![None; members]; threads];
    let mut tasks = Vec::new();
    for outcome in joined {
        match outcome {
            Ok((thread, member, tx, task)) => {
                senders[thread][member] = Some(tx);
                tasks.push(task);
            }
            Err(error) => {
                if result.setup_error.is_none() {
                    result.setup_error = Some(format!("{error:#}"));
                }
            }
        }
    }
    result.setup_seconds = setup.elapsed().as_secs_f64();
    if let Some(error) = &result.setup_error {
        println!("    setup failed: {error}");
        drop(senders);
        for task in tasks {
            let _ = task.await;
        }
        return result;
    }
    let senders: Arc<Vec<Vec<mpsc::UnboundedSender<Outgoing>>>> = Arc::new(
        senders
            .into_iter()
            .map(|row| row.into_iter().flatten().collect())
            .collect(),
    );
    let thread_tokens: Arc<Vec<String>> = Arc::new(thread_tokens[..threads].to_vec());
    // Presence pushes of the joins go by first.
    settle(&shared).await;
    let seq = Arc::new(AtomicU64::new(1));

    // Closed loop: one message in flight per thread.
    shared.set_tracking(true);
    let stop = Arc::new(AtomicBool::new(false));
    let timeouts = Arc::new(AtomicU64::new(0));
    let mut slots = tokio::task::JoinSet::new();
    for thread in 0..threads {
        let (shared, senders, tokens, stop, seq, timeouts) = (
            shared.clone(),
            senders.clone(),
            thread_tokens.clone(),
            stop.clone(),
            seq.clone(),
            timeouts.clone(),
        );
        let timeout = plan.completion_timeout;
        slots.spawn(async move {
            let mut k = thread;
            while !stop.load(Ordering::Relaxed) {
                let member = k % members;
                k += 1;
                let s = seq.fetch_add(1, Ordering::Relaxed);
                let done = shared.expect(s, (members - 1) as u32);
                let frame = wire::send_message(endpoint.proto, s, shared.now_us(), &tokens[thread]);
                if senders[thread][member]
                    .send(Outgoing::untraced(frame))
                    .is_err()
                {
                    break;
                }
                if tokio::time::timeout(timeout, done).await.is_err() {
                    timeouts.fetch_add(1, Ordering::Relaxed);
                    shared.forget(s);
                }
            }
        });
    }
    tokio::time::sleep(plan.warmup).await;
    let (d0, a0, e0, t0) = (
        shared.deliveries.load(Ordering::Relaxed),
        shared.acks.load(Ordering::Relaxed),
        shared.errors.load(Ordering::Relaxed),
        timeouts.load(Ordering::Relaxed),
    );
    let meters = Meters::start(watched);
    let window = Instant::now();
    tokio::time::sleep(plan.measure).await;
    let elapsed = window.elapsed().as_secs_f64();
    let (server_used, cpu) = meters.read();
    let deliveries = shared.deliveries.load(Ordering::Relaxed) - d0;
    let acks = shared.acks.load(Ordering::Relaxed) - a0;
    stop.store(true, Ordering::Relaxed);
    while slots.join_next().await.is_some() {}
    shared.set_tracking(false);
    result.saturation = Saturation {
        messages_per_second: acks as f64 / elapsed,
        deliveries_per_second: deliveries as f64 / elapsed,
        server_cpu_us_per_delivery: if deliveries > 0 {
            server_used * 1e6 / deliveries as f64
        } else {
            0.0
        },
        timeouts: timeouts.load(Ordering::Relaxed) - t0,
        errors: shared.errors.load(Ordering::Relaxed) - e0,
        cpu,
    };
    println!(
        "    saturation: {:.0} deliveries/s ({:.0} messages/s), server CPU {:.0}%, generator {:.0}%, backend {:.0}%, {:.1} µs server CPU per delivery, {} timeouts, {} errors",
        result.saturation.deliveries_per_second,
        result.saturation.messages_per_second,
        result.saturation.cpu.server * 100.0,
        result.saturation.cpu.generator * 100.0,
        result.saturation.cpu.backend * 100.0,
        result.saturation.server_cpu_us_per_delivery,
        result.saturation.timeouts,
        result.saturation.errors,
    );
    // Let the tail of the closed loop arrive before the open loop starts.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Open loop at half the saturation message rate.
    let rate = result.saturation.messages_per_second / 2.0;
    if rate >= 1.0 {
        result.half = Some(
            open_loop(
                endpoint,
                watched,
                &shared,
                &senders,
                &thread_tokens,
                &seq,
                rate,
                plan,
            )
            .await,
        );
    }
    result.first_error = shared.first_error();
    drop(senders);
    for task in tasks {
        let _ = task.await;
    }
    result
}

/// Waits for the pushes the joins caused to stop arriving (ECB's presence:
/// half a million in a thread of 1,000, which take it seconds): at least
/// 500 ms, then until 200 ms pass without one, at most 30 s.
async fn settle(shared: &Shared) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = shared.others.load(Ordering::Relaxed);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = shared.others.load(Ordering::Relaxed);
        if now == seen {
            return;
        }
        seen = now;
    }
}

/// When the open loop sends what: message `k` at `start_us + k / rate`,
/// round robin over the threads, and over each thread's members in turn.
struct Schedule {
    start_us: u64,
    rate: f64,
    total: Duration,
    threads: usize,
    members: usize,
}

impl Schedule {
    /// Calls `send(scheduled_us, thread, member)` for each message at its
    /// instant (sleeping in between, on this thread), for `total`; returns
    /// how many were sent. A send that falls behind is made at once and
    /// keeps its scheduled time, so lateness shows as latency.
    fn pace(&self, mut send: impl FnMut(u64, usize, usize)) -> u64 {
        let started = Instant::now();
        let interval = Duration::from_secs_f64(1.0 / self.rate);
        let mut k: u64 = 0;
        loop {
            let due = interval.mul_f64(k as f64);
            if due >= self.total {
                return k;
            }
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            let thread = (k as usize) % self.threads;
            let member = (k as usize / self.threads) % self.members;
            let scheduled = self.start_us + due.as_micros() as u64;
            send(scheduled, thread, member);
            k += 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn open_loop(
    endpoint: Endpoint,
    watched: Watched,
    shared: &Arc<Shared>,
    senders: &Arc<Vec<Vec<mpsc::UnboundedSender<Outgoing>>>>,
    thread_tokens: &Arc<Vec<String>>,
    seq: &Arc<AtomicU64>,
    rate: f64,
    plan: &FanoutPlan,
) -> HalfLoad {
    let (members, threads) = (plan.members, plan.threads);
    let total = plan.warmup + plan.measure;
    // Whether the server measures itself (ECB does; a peer may take the
    // scrape's whole timeout to say no, which must not fall in the window).
    let measures_itself = Scrape::take(endpoint.addr).await.is_some();
    let start_us = shared.now_us();
    let window = (
        start_us + plan.warmup.as_micros() as u64,
        start_us + total.as_micros() as u64,
    );
    shared.record_between(window.0, window.1);
    let d0 = shared.deliveries.load(Ordering::Relaxed);
    let e0 = shared.errors.load(Ordering::Relaxed);
    // The sends are paced by a thread of their own, each at its scheduled
    // instant: the runtime's timer ticks in whole milliseconds, and sends
    // released in bursts at each tick queued up in front of the server (a
    // burst of a dozen messages is a millisecond of its work), which showed
    // as latency the servers did not cause.
    let pacer = {
        let (shared, senders, thread_tokens, seq) = (
            shared.clone(),
            senders.clone(),
            thread_tokens.clone(),
            seq.clone(),
        );
        let schedule = Schedule {
            start_us,
            rate,
            total,
            threads,
            members,
        };
        std::thread::spawn(move || {
            schedule.pace(|scheduled, thread, member| {
                let s = seq.fetch_add(1, Ordering::Relaxed);
                let frame =
                    wire::send_message(endpoint.proto, s, scheduled, &thread_tokens[thread]);
                let traced = scheduled >= window.0 && scheduled < window.1;
                if traced {
                    shared.trace(s, scheduled);
                }
                let seq = if traced { s } else { 0 };
                let _ = senders[thread][member].send(Outgoing { seq, frame });
            })
        })
    };
    tokio::time::sleep(plan.warmup).await;
    let scrape = || async {
        match measures_itself {
            true => Scrape::take(endpoint.addr).await,
            false => None,
        }
    };
    let scrape_before = scrape().await;
    let meters = Meters::start(watched);
    let d_window = shared.deliveries.load(Ordering::Relaxed);
    let since = Instant::now();
    tokio::time::sleep(plan.measure).await;
    let cpu = meters.read().1;
    let window_deliveries_per_second = (shared.deliveries.load(Ordering::Relaxed) - d_window)
        as f64
        / since.elapsed().as_secs_f64();
    let server = match (scrape_before, scrape().await) {
        (Some(before), Some(after)) => Some(after.since(&before)),
        _ => None,
    };
    let k = tokio::task::spawn_blocking(move || pacer.join().unwrap_or(0))
        .await
        .unwrap_or(0);
    tokio::time::sleep(plan.drain).await;
    shared.record_between(u64::MAX, 0);
    let delivered = shared.deliveries.load(Ordering::Relaxed) - d0;
    let expected = k * (members as u64 - 1);
    let mut latencies = shared.take_latencies();
    latencies.sort_unstable();
    let traces = shared.take_traces();
    if let Some(dir) = std::env::var_os("ECB_BENCH_TRACES") {
        let path = std::path::Path::new(&dir).join(format!(
            "{}-{members}x{threads}-{}.csv",
            endpoint.addr.port(),
            start_us
        ));
        if let Err(error) = dump_traces(&path, &traces) {
            println!("    traces not written to {}: {error}", path.display());
        }
    }
    let half = HalfLoad {
        messages_per_second: rate,
        deliveries_per_second: window_deliveries_per_second,
        sent: k,
        samples: latencies.len(),
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        max_us: latencies.last().copied().unwrap_or(0),
        lost: expected.saturating_sub(delivered),
        errors: shared.errors.load(Ordering::Relaxed) - e0,
        cpu,
        legs: Legs::of(&traces),
        server,
    };
    println!(
        "    half load: {:.0} messages/s, {:.0} deliveries/s, latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples), {} lost, {} errors, server CPU {:.0}%; p99 legs: write late {:.2} ms, ack {:.2} ms, fan-out {:.2} ms; over 5 ms: {} writes, {} acks, {} fan-outs",
        half.messages_per_second,
        half.deliveries_per_second,
        f64::from(half.p50_us) / 1000.0,
        f64::from(half.p99_us) / 1000.0,
        f64::from(half.max_us) / 1000.0,
        half.samples,
        half.lost,
        half.errors,
        half.cpu.server * 100.0,
        f64::from(half.legs.write_late_p99_us) / 1000.0,
        f64::from(half.legs.ack_p99_us) / 1000.0,
        f64::from(half.legs.fan_out_p99_us) / 1000.0,
        half.legs.late_writes,
        half.legs.slow_acks,
        half.legs.slow_fan_outs,
    );
    if let Some(view) = &half.server {
        println!(
            "    the server's own measure: {} sendMessages, p99 ≤ {} ms from frame to reply ({:.2}% over 5 ms), of which the backend call p99 ≤ {} ms ({:.2}% over 5 ms)",
            view.send_messages,
            view.send_message_p99_ms
                .map_or("?".into(), |v| format!("{v}")),
            view.send_message_over_5ms * 100.0,
            view.backend_p99_ms.map_or("?".into(), |v| format!("{v}")),
            view.backend_over_5ms * 100.0,
        );
    }
    half
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_sends_each_message_at_its_instant_round_robin() {
        let schedule = Schedule {
            start_us: 1_000,
            rate: 1_000.0,
            total: Duration::from_millis(30),
            threads: 3,
            members: 2,
        };
        let started = Instant::now();
        let mut sent = Vec::new();
        let count = schedule.pace(|scheduled, thread, member| {
            sent.push((scheduled, thread, member, started.elapsed()));
        });
        assert_eq!(count, 30);
        assert_eq!(sent.len(), 30);
        for (k, &(scheduled, thread, member, at)) in sent.iter().enumerate() {
            assert_eq!(
                scheduled,
                1_000 + k as u64 * 1_000,
                "message {k}'s scheduled time"
            );
            assert_eq!(
                (thread, member),
                (k % 3, (k / 3) % 2),
                "message {k}'s sender"
            );
            // Never early: each send waits for its instant.
            assert!(
                at >= Duration::from_millis(k as u64),
                "message {k} sent at {at:?}"
            );
        }
    }

    #[test]
    fn the_legs_are_each_messages_waits_and_count_the_slow_ones() {
        let trace = |late: u64, ack: u64, fan_out: u64| Trace {
            scheduled: 10_000,
            written: 10_000 + late,
            acked: 10_000 + late + ack,
            first_push: 10_000 + late + ack,
            last_push: 10_000 + late + ack + fan_out,
            pushes: 1,
        };
        let mut traces: HashMap<u64, Trace> = (1..=99).map(|k| (k, trace(100, 200, 300))).collect();
        traces.insert(100, trace(6_000, 7_000, 8_000));
        // Not acked: left out.
        traces.insert(
            101,
            Trace {
                acked: 0,
                ..trace(9_000, 9_000, 9_000)
            },
        );
        let legs = Legs::of(&traces);
        assert_eq!(
            (legs.write_late_p99_us, legs.ack_p99_us, legs.fan_out_p99_us),
            (100, 200, 300)
        );
        assert_eq!(
            (legs.late_writes, legs.slow_acks, legs.slow_fan_outs),
            (1, 1, 1)
        );
    }
}
