//! Scenario 5: a connect storm. A fresh server takes N connections, each
//! its own user with its own RS256 userToken (signed ahead of time, so the
//! server cannot answer any from a cache of verified tokens), dialed as fast
//! as it accepts them with a bounded number of handshakes in flight: what a
//! server faces when a deploy or a network blip reconnects every client at
//! once. The figure is handshakes per second, first dial to last CONNECT ack.

use std::time::{Duration, Instant};

use crate::conn::{self, DialPlan, Endpoint, Failures};
use crate::fanout::percentile;
use crate::procs::{self, CpuMeter};

/// What to run.
#[derive(Debug, Clone)]
pub struct StormPlan {
    /// How many connections (each with its own token).
    pub connections: usize,
    /// How many loopback source addresses to dial from.
    pub sources: usize,
    /// Handshakes in flight at once.
    pub concurrency: usize,
    /// How long the storm may take in all.
    pub budget: Duration,
}

/// The outcome for one server.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StormResult {
    pub target: usize,
    pub connected: usize,
    pub failures: usize,
    pub first_failure: Option<String>,
    /// From the first dial to the last CONNECT ack.
    pub seconds: f64,
    /// Connections opened per second over that span.
    pub handshakes_per_second: f64,
    /// Handshake latency (TCP connect, WebSocket upgrade, Engine.IO open,
    /// Socket.IO CONNECT and its ack), µs.
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
    /// The server's CPU over the storm, share of one core.
    pub server_cpu: f64,
    /// Server CPU microseconds per handshake.
    pub server_cpu_us_per_handshake: f64,
    /// The server's RSS with every connection open, KiB.
    pub rss_kib: u64,
}

/// Runs the storm against the server of process `server`, which must be
/// fresh; `tokens` holds one distinct userToken per connection.
pub async fn run(
    endpoint: Endpoint,
    server: u32,
    tokens: &[String],
    plan: &StormPlan,
) -> StormResult {
    let connections = plan.connections.min(tokens.len());
    let failures = Failures::default();
    let cpu = CpuMeter::start(server);
    let started = Instant::now();
    let dialing = DialPlan {
        sources: plan.sources,
        concurrency: plan.concurrency,
        deadline: Some(started + plan.budget),
        give_up_after: connections / 10 + 100,
    };
    let opened = conn::dial_many(endpoint, 0..connections, tokens, &dialing, &failures).await;
    let (server_used, _) = cpu.read();
    let last = opened.iter().map(|d| d.opened_at).max().unwrap_or(started);
    let seconds = (last - started).as_secs_f64();
    let mut latencies: Vec<u32> = opened
        .iter()
        .map(|d| d.took.as_micros().min(u128::from(u32::MAX)) as u32)
        .collect();
    latencies.sort_unstable();
    let rss_kib = procs::rss_kib(server);
    let connected = opened.len();
    // Closed by dropping: no close handshakes to wait for.
    drop(opened);
    let result = StormResult {
        target: connections,
        connected,
        failures: failures.count(),
        first_failure: failures.first(),
        seconds,
        handshakes_per_second: if seconds > 0.0 {
            connected as f64 / seconds
        } else {
            0.0
        },
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        max_us: latencies.last().copied().unwrap_or(0),
        server_cpu: if seconds > 0.0 {
            server_used / seconds
        } else {
            0.0
        },
        server_cpu_us_per_handshake: if connected > 0 {
            server_used * 1e6 / connected as f64
        } else {
            0.0
        },
        rss_kib,
    };
    println!(
        "    {} of {} connected in {:.2} s: {:.0} handshakes/s, latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, server CPU {:.0}% ({:.0} µs per handshake), RSS {:.1} MiB{}",
        result.connected,
        result.target,
        result.seconds,
        result.handshakes_per_second,
        f64::from(result.p50_us) / 1000.0,
        f64::from(result.p99_us) / 1000.0,
        f64::from(result.max_us) / 1000.0,
        result.server_cpu * 100.0,
        result.server_cpu_us_per_handshake,
        result.rss_kib as f64 / 1024.0,
        result
            .first_failure
            .as_ref()
            .map(|f| format!(", {} failures (first: {f})", result.failures))
            .unwrap_or_default()
    );
    result
}
