//! Scenario 7: mixed load. A fresh server holds a crowd of idle Socket.IO
//! connections (users in no thread, answering pings) while the fan-out runs
//! on top of it, as in production, where most connections are idle at any
//! moment: whether the idle ones slow the active ones (timers, the
//! connection table, memory) shows beside the plain fan-out's figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::conn::{self, DialPlan, Endpoint, Failures};
use crate::fanout::{self, FanoutPlan, FanoutResult, Watched};
use crate::procs;

/// What to run.
#[derive(Debug, Clone)]
pub struct MixedPlan {
    /// Idle connections held under the fan-out.
    pub idle: usize,
    /// Loopback source addresses the crowd is dialed from.
    pub sources: usize,
    /// Handshakes in flight at once while dialing the crowd.
    pub concurrency: usize,
    /// How long dialing the crowd may take.
    pub idle_budget: Duration,
    /// The fan-out on top.
    pub fanout: FanoutPlan,
}

/// The outcome for one server.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MixedResult {
    pub idle_target: usize,
    /// Idle connections open once the crowd was dialed.
    pub idle_connected: usize,
    /// Idle connections still open after the fan-out.
    pub idle_after: usize,
    pub idle_failures: usize,
    pub first_failure: Option<String>,
    /// The server's RSS before the crowd, with it, and the most during the
    /// fan-out on top (crowd and fan-out connections open), KiB.
    pub baseline_rss_kib: u64,
    pub idle_rss_kib: u64,
    pub peak_rss_kib: u64,
    pub fanout: FanoutResult,
}

/// Runs the crowd and the fan-out against the server `watched.server`,
/// which must be fresh. `crowd_tokens` are the idle users' (taken in turn),
/// `user_tokens` and `thread_tokens` the fan-out's.
pub async fn run(
    endpoint: Endpoint,
    watched: Watched,
    crowd_tokens: &[String],
    user_tokens: &[String],
    thread_tokens: &[String],
    plan: &MixedPlan,
) -> MixedResult {
    let baseline_rss_kib = procs::rss_kib(watched.server);
    let failures = Failures::default();
    let dialing = DialPlan {
        sources: plan.sources,
        concurrency: plan.concurrency,
        deadline: Some(Instant::now() + plan.idle_budget),
        give_up_after: 200,
    };
    let opened = conn::dial_many(endpoint, 0..plan.idle, crowd_tokens, &dialing, &failures).await;
    let stop = CancellationToken::new();
    let alive = Arc::new(AtomicUsize::new(opened.len()));
    let mut holders = tokio::task::JoinSet::new();
    conn::hold_all(&mut holders, opened, endpoint.proto, &stop, &alive);
    let idle_connected = alive.load(Ordering::Relaxed);
    // Let allocations settle, then read.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let idle_rss_kib = procs::rss_kib(watched.server);
    println!(
        "    {idle_connected} idle connections held (of {}): RSS {:.1} MiB{}",
        plan.idle,
        idle_rss_kib as f64 / 1024.0,
        failures
            .first()
            .map(|f| format!(", {} failures (first: {f})", failures.count()))
            .unwrap_or_default()
    );

    // The fan-out on top, the server's RSS sampled meanwhile.
    let peak = AtomicU64::new(idle_rss_kib);
    let done = AtomicBool::new(false);
    let sampler = async {
        while !done.load(Ordering::Relaxed) {
            peak.fetch_max(procs::rss_kib(watched.server), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let measured = async {
        let result = fanout::run(endpoint, watched, user_tokens, thread_tokens, &plan.fanout).await;
        done.store(true, Ordering::Relaxed);
        result
    };
    let (fanout, ()) = tokio::join!(measured, sampler);
    let idle_after = alive.load(Ordering::Relaxed);
    stop.cancel();
    while holders.join_next().await.is_some() {}
    let result = MixedResult {
        idle_target: plan.idle,
        idle_connected,
        idle_after,
        idle_failures: failures.count(),
        first_failure: failures.first(),
        baseline_rss_kib,
        idle_rss_kib,
        peak_rss_kib: peak.load(Ordering::Relaxed),
        fanout,
    };
    println!(
        "    idle connections still open after the fan-out: {}; RSS at most {:.1} MiB during it",
        result.idle_after,
        result.peak_rss_kib as f64 / 1024.0
    );
    result
}
