//! Scenario 1: idle connections held, and the server's RSS per connection at
//! checkpoints (1k, 10k, the most the machine allows within the budget).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::conn::{self, DialPlan, Endpoint, Failures};
use crate::procs::{CpuMeter, Proc};

/// What to run.
#[derive(Debug, Clone)]
pub struct IdlePlan {
    /// Connection counts at which RSS is read, ascending; the last is the target.
    pub checkpoints: Vec<usize>,
    /// How long the last count is held (past one ping interval, so heartbeats count).
    pub hold: Duration,
    /// How long the ramp may take in all.
    pub ramp_budget: Duration,
    /// How many loopback source addresses to dial from.
    pub sources: usize,
    /// Handshakes in flight at once.
    pub concurrency: usize,
}

/// RSS at one checkpoint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IdlePoint {
    pub connections: usize,
    pub rss_kib: u64,
    /// (RSS − RSS before the first connection) / connections.
    pub bytes_per_connection: f64,
}

/// The outcome for one server.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IdleResult {
    pub baseline_rss_kib: u64,
    pub points: Vec<IdlePoint>,
    /// Connections open at the end of the ramp.
    pub reached: usize,
    pub target: usize,
    pub failures: usize,
    pub first_failure: Option<String>,
    /// Connections opened per second while dialing (pauses at checkpoints excluded).
    pub connect_rate: f64,
    pub ramp_seconds: f64,
    pub hold_seconds: f64,
    /// Still open after the hold (pings answered throughout).
    pub alive_after_hold: usize,
    /// RSS after the hold, and per connection.
    pub rss_after_hold_kib: u64,
    pub bytes_per_connection_after_hold: f64,
    /// The server's CPU (share of one core) while holding idle connections.
    pub hold_cpu_share: f64,
}

/// Runs the ramp and the hold against `server`, which must be fresh.
pub async fn run(
    endpoint: Endpoint,
    server: &Proc,
    tokens: &[String],
    plan: &IdlePlan,
) -> IdleResult {
    let baseline = server.rss_kib();
    let stop = CancellationToken::new();
    let alive = Arc::new(AtomicUsize::new(0));
    let failures = Failures::default();
    let started = Instant::now();
    let dialing_plan = DialPlan {
        sources: plan.sources,
        concurrency: plan.concurrency,
        deadline: Some(started + plan.ramp_budget),
        // Failing too much: stop dialing.
        give_up_after: 200,
    };
    let target = plan.checkpoints.last().copied().unwrap_or(0);
    let mut points = Vec::new();
    let mut launched = 0usize;
    let mut holders = tokio::task::JoinSet::new();
    let mut dialing = Duration::ZERO;
    for &checkpoint in &plan.checkpoints {
        let phase = Instant::now();
        let range = launched..checkpoint;
        launched = checkpoint;
        let opened = conn::dial_many(endpoint, range, tokens, &dialing_plan, &failures).await;
        dialing += phase.elapsed();
        alive.fetch_add(opened.len(), Ordering::Relaxed);
        conn::hold_all(&mut holders, opened, endpoint.proto, &stop, &alive);
        let open = alive.load(Ordering::Relaxed);
        // Let allocations settle, then read.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let rss = server.rss_kib();
        points.push(IdlePoint {
            connections: open,
            rss_kib: rss,
            bytes_per_connection: per_connection(rss, baseline, open),
        });
        println!(
            "    {open:>6} connections: RSS {:.1} MiB, {:.1} KiB per connection",
            rss as f64 / 1024.0,
            per_connection(rss, baseline, open) / 1024.0
        );
        if open < checkpoint {
            break;
        }
    }
    let ramp_seconds = started.elapsed().as_secs_f64();
    let reached = alive.load(Ordering::Relaxed);
    let cpu = CpuMeter::start(server.pid);
    tokio::time::sleep(plan.hold).await;
    let (_, hold_cpu_share) = cpu.read();
    let alive_after_hold = alive.load(Ordering::Relaxed);
    let rss_after = server.rss_kib();
    stop.cancel();
    while holders.join_next().await.is_some() {}
    IdleResult {
        baseline_rss_kib: baseline,
        reached,
        target,
        failures: failures.count(),
        first_failure: failures.first(),
        connect_rate: reached as f64 / dialing.as_secs_f64().max(1e-9),
        ramp_seconds,
        hold_seconds: plan.hold.as_secs_f64(),
        alive_after_hold,
        rss_after_hold_kib: rss_after,
        bytes_per_connection_after_hold: per_connection(rss_after, baseline, alive_after_hold),
        hold_cpu_share,
        points,
    }
}

fn per_connection(rss_kib: u64, baseline_kib: u64, connections: usize) -> f64 {
    if connections == 0 {
        return 0.0;
    }
    (rss_kib.saturating_sub(baseline_kib) * 1024) as f64 / connections as f64
}
