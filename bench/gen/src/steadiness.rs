//! How steady this machine's CPUs are over the run: one fixed piece of pure
//! arithmetic (no memory traffic, no syscalls) timed over and over on the
//! servers' CPU and on the load's, at the start and at the end.
//!
//! A shared host's vCPU can run at a fraction of its speed for seconds at a
//! time, which moves every server's capacity between the closed loop that
//! sets "half load" and the open loop that measures its tail. The spread of
//! the same work's time is the figure that says how much, so a tail can be
//! read against it rather than guessed at.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context;

/// Rounds of the xorshift step in one timed piece: about 25 ms on this
/// machine at full speed, short enough for a slow second to show.
const ROUNDS_PER_PIECE: u64 = 15_000_000;

/// The time of one fixed piece of work, spread over the pieces timed.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Steadiness {
    pub pieces: usize,
    pub seconds: f64,
    pub p10_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub max_ms: f64,
}

impl Steadiness {
    /// Times pieces of work until `duration` has passed (at least three).
    pub fn measure(duration: Duration) -> Self {
        Self::measure_pieces(duration, ROUNDS_PER_PIECE)
    }

    /// [`Steadiness::measure`] on other CPUs than this process's: this
    /// binary's `steadiness` command, run there under `taskset`.
    pub fn measure_on(cpus: &str, duration: Duration) -> anyhow::Result<Self> {
        let output = std::process::Command::new("taskset")
            .args(["-c", cpus])
            .arg(std::env::current_exe()?)
            .args(["steadiness", "--millis", &duration.as_millis().to_string()])
            .output()
            .context("running the steadiness command under taskset")?;
        anyhow::ensure!(
            output.status.success(),
            "the steadiness command: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(serde_json::from_slice(&output.stdout)?)
    }

    fn measure_pieces(duration: Duration, rounds: u64) -> Self {
        let started = Instant::now();
        let mut times = Vec::new();
        while times.len() < 3 || started.elapsed() < duration {
            let piece = Instant::now();
            black_box(work(black_box(rounds)));
            times.push(piece.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        Self {
            pieces: times.len(),
            seconds: started.elapsed().as_secs_f64(),
            p10_ms: at(0.10),
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            max_ms: times[times.len() - 1],
        }
    }

    /// How much longer a piece took at the 90th percentile than at the 10th.
    pub fn spread(&self) -> f64 {
        self.p90_ms / self.p10_ms
    }

    /// One line for the report and the console.
    pub fn summary(&self) -> String {
        format!(
            "{} pieces over {:.1} s: p10 {:.1} ms, p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms (p90 / p10 {:.2}×)",
            self.pieces,
            self.seconds,
            self.p10_ms,
            self.p50_ms,
            self.p90_ms,
            self.max_ms,
            self.spread()
        )
    }
}

/// Both CPUs of a run, one after the other: the servers' (when they are
/// pinned) and the generator's.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunSteadiness {
    pub server_cpus: String,
    pub server: Option<Steadiness>,
    pub load_cpus: String,
    pub load: Steadiness,
}

impl RunSteadiness {
    /// Measures `server_cpus` (unless "none") and then this process's CPU,
    /// `duration` each.
    pub fn measure(server_cpus: &str, load_cpus: &str, duration: Duration) -> Self {
        let server = (server_cpus != "none")
            .then(|| Steadiness::measure_on(server_cpus, duration))
            .and_then(|measured| {
                measured
                    .map_err(|error| println!("    CPU steadiness on {server_cpus}: {error:#}"))
                    .ok()
            });
        Self {
            server_cpus: server_cpus.to_owned(),
            server,
            load_cpus: load_cpus.to_owned(),
            load: Steadiness::measure(duration),
        }
    }

    /// One line for the report and the console.
    pub fn summary(&self) -> String {
        let server = self.server.map_or_else(
            || "not measured".to_owned(),
            |steadiness| steadiness.summary(),
        );
        format!(
            "server CPU {}: {server}; load CPU {}: {}",
            self.server_cpus,
            self.load_cpus,
            self.load.summary()
        )
    }
}

/// A dependent chain of xorshift steps: the compiler cannot fold it and the
/// CPU cannot overlap its rounds, so its time is the core's speed alone.
fn work(rounds: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantiles_are_ordered_and_the_spread_is_at_least_one() {
        let steadiness = Steadiness::measure_pieces(Duration::from_millis(1), 10_000);
        assert!(steadiness.pieces >= 3);
        assert!(steadiness.p10_ms > 0.0);
        assert!(steadiness.p10_ms <= steadiness.p50_ms);
        assert!(steadiness.p50_ms <= steadiness.p90_ms);
        assert!(steadiness.p90_ms <= steadiness.max_ms);
        assert!(steadiness.spread() >= 1.0);
    }
}
