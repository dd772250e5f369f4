//! docs/BENCHMARKS.md, rendered from the figures the run printed.

use std::fmt::Write as _;
use std::path::Path;

use crate::fanout::FanoutResult;
use crate::idle::IdleResult;
use crate::lambda::{self, LambdaResult, Prices};
use crate::lambda_socketio;
use crate::mixed::MixedResult;
use crate::procs::{self, Machine};
use crate::steadiness::RunSteadiness;
use crate::storm::StormResult;
use crate::suite::{LARGE_THREAD, MIXED_MEMBERS, Server, Subject, SuiteConfig};
use crate::token_cost::TokenCosts;
use crate::wire::Proto;

/// When, where and with what the run happened.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Meta {
    pub date: String,
    pub command: String,
    pub machine: Machine,
    pub load_start: String,
    pub load_end: String,
    /// The CPUs' steadiness at the start and at the end of the run.
    pub steadiness_start: RunSteadiness,
    pub steadiness_end: RunSteadiness,
    pub versions: Vec<(String, String)>,
    pub server_cpus: String,
    pub load_cpus: String,
    pub build_seconds: Option<f64>,
    pub suite_seconds: f64,
    pub smoke: bool,
    pub measure_secs: u64,
    pub warmup_secs: u64,
}

fn json_field(path: &Path, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

fn lock_version(lock: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(lock).ok()?;
    let marker = format!("name = \"{package}\"\nversion = \"");
    let start = text.find(&marker)? + marker.len();
    Some(text[start..].split('"').next()?.to_owned())
}

impl Meta {
    pub fn gather(config: &SuiteConfig, root: &Path, sio_peer: &Path) -> Self {
        let _ = sio_peer;
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .args(args)
                .current_dir(root)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let commit = git(&["rev-parse", "--short", "HEAD"]);
        let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
        let node_modules = root.join("bench/peers/node/node_modules");
        let npm = |package: &str| {
            json_field(&node_modules.join(package).join("package.json"), "version")
                .unwrap_or_else(|| "not installed".into())
        };
        let peer_lock = root.join("bench/peers/socketioxide/Cargo.lock");
        let ecb_lock = root.join("Cargo.lock");
        let versions = vec![
            (
                "ECB".to_owned(),
                format!(
                    "{} (commit {commit}{})",
                    env!("CARGO_PKG_VERSION"),
                    if dirty {
                        ", with uncommitted changes"
                    } else {
                        ""
                    }
                ),
            ),
            (
                "rustc".to_owned(),
                procs::command_output("rustc", &["--version"]).unwrap_or_default(),
            ),
            (
                "Node.js".to_owned(),
                procs::command_output("node", &["--version"]).unwrap_or_default(),
            ),
            ("socket.io (npm)".to_owned(), npm("socket.io")),
            ("jsonwebtoken (npm)".to_owned(), npm("jsonwebtoken")),
            ("undici (npm)".to_owned(), npm("undici")),
            (
                "socketioxide".to_owned(),
                lock_version(&peer_lock, "socketioxide").unwrap_or_else(|| "?".into()),
            ),
            (
                "jsonwebtoken (crate; ECB / socketioxide peer)".to_owned(),
                format!(
                    "{} / {}",
                    lock_version(&ecb_lock, "jsonwebtoken").unwrap_or_else(|| "?".into()),
                    lock_version(&peer_lock, "jsonwebtoken").unwrap_or_else(|| "?".into())
                ),
            ),
            (
                "ring (ECB's RS256)".to_owned(),
                lock_version(&ecb_lock, "ring").unwrap_or_else(|| "?".into()),
            ),
            (
                "axum (ECB / socketioxide peer)".to_owned(),
                format!(
                    "{} / {}",
                    lock_version(&ecb_lock, "axum").unwrap_or_else(|| "?".into()),
                    lock_version(&peer_lock, "axum").unwrap_or_else(|| "?".into())
                ),
            ),
            (
                "tokio-tungstenite (ECB / socketioxide peer)".to_owned(),
                format!(
                    "{} / {}",
                    lock_version(&ecb_lock, "tokio-tungstenite").unwrap_or_else(|| "?".into()),
                    lock_version(&peer_lock, "tokio-tungstenite").unwrap_or_else(|| "?".into())
                ),
            ),
            (
                "cargo-lambda".to_owned(),
                procs::command_output("cargo", &["lambda", "--version"])
                    .unwrap_or_else(|| "not installed".into()),
            ),
            ("dynalite (npm)".to_owned(), npm("dynalite")),
        ];
        Self {
            date: procs::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default(),
            command: config.command.clone(),
            machine: Machine::read(),
            load_start: procs::load_snapshot(),
            load_end: String::new(),
            steadiness_start: RunSteadiness::default(),
            steadiness_end: RunSteadiness::default(),
            versions,
            server_cpus: config.server_cpus.clone(),
            load_cpus: config.load_cpus.clone(),
            build_seconds: config.build_seconds,
            suite_seconds: 0.0,
            smoke: config.smoke,
            measure_secs: if config.smoke { 1 } else { config.measure_secs },
            warmup_secs: config.warmup_secs,
        }
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub meta: Meta,
    pub tokens: TokenCosts,
    pub idle: Vec<(Subject, IdleResult)>,
    /// Scenario 5.
    pub storm: Vec<(Subject, StormResult)>,
    /// Scenarios 2, 3 and 6 (threads of 1,000).
    pub fanout: Vec<(Subject, Vec<FanoutResult>)>,
    /// Scenario 7.
    pub mixed: Vec<(Subject, MixedResult)>,
    pub lambda: Option<LambdaResult>,
}

const ECB_SIO: Subject = Subject {
    server: Server::Ecb,
    proto: Proto::SocketIo,
};
const ECB_RAW: Subject = Subject {
    server: Server::Ecb,
    proto: Proto::RawWs,
};
const NODE: Subject = Subject {
    server: Server::Node,
    proto: Proto::SocketIo,
};
const SIOXIDE: Subject = Subject {
    server: Server::Socketioxide,
    proto: Proto::SocketIo,
};

impl Report {
    fn idle_of(&self, subject: Subject) -> Option<&IdleResult> {
        self.idle
            .iter()
            .find(|(s, _)| *s == subject)
            .map(|(_, r)| r)
    }

    fn fanout_of(&self, subject: Subject, members: usize) -> Option<&FanoutResult> {
        self.fanout
            .iter()
            .find(|(s, _)| *s == subject)
            .and_then(|(_, results)| results.iter().find(|r| r.members == members))
    }

    fn storm_of(&self, subject: Subject) -> Option<&StormResult> {
        self.storm
            .iter()
            .find(|(s, _)| *s == subject)
            .map(|(_, r)| r)
    }

    fn mixed_of(&self, subject: Subject) -> Option<&MixedResult> {
        self.mixed
            .iter()
            .find(|(s, _)| *s == subject)
            .map(|(_, r)| r)
    }

    /// Scenario 2's thread sizes (below [`LARGE_THREAD`]).
    fn small_sizes(&self) -> Vec<usize> {
        self.sizes()
            .into_iter()
            .filter(|&n| n < LARGE_THREAD)
            .collect()
    }

    /// Scenario 6's thread sizes ([`LARGE_THREAD`] and more).
    fn large_sizes(&self) -> Vec<usize> {
        self.sizes()
            .into_iter()
            .filter(|&n| n >= LARGE_THREAD)
            .collect()
    }

    fn sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self
            .fanout
            .iter()
            .flat_map(|(_, rs)| rs.iter().map(|r| r.members))
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }
}

/// One row of the Headline table: a figure for ECB and both peers, each
/// shown by `show`, and ECB's ratio to each peer.
fn headline_row(
    out: &mut String,
    figure: &str,
    [ecb, node, socketioxide]: [f64; 3],
    show: impl Fn(f64) -> String,
    target: &str,
) {
    let _ = writeln!(
        out,
        "| {figure} | {} | {} | {} | {} | {} | {target} |",
        show(ecb),
        show(node),
        show(socketioxide),
        ratio(ecb, node),
        ratio(ecb, socketioxide),
    );
}

fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "—".into()
    }
}

fn ms(us: u32) -> String {
    format!("{:.2}", f64::from(us) / 1000.0)
}

fn kib(bytes: f64) -> String {
    format!("{:.1}", bytes / 1024.0)
}

fn with_commas(n: f64) -> String {
    let n = n.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn idle_section(report: &Report, out: &mut String) {
    let _ = writeln!(out, "## 1. Idle connections\n");
    let _ = writeln!(
        out,
        "Each server starts fresh; the generator opens Socket.IO connections (Engine.IO handshake over WebSocket, then the namespace CONNECT with `auth: {{token}}`, whose RS256 userToken each server verifies) from 8 loopback source addresses, 128 handshakes at a time, and answers every ping. RSS is the server's `VmRSS`; per connection = (RSS − RSS before the first connection) / connections. The last count is held {} s, past one 25 s ping interval, and counted again.\n",
        report
            .idle
            .first()
            .map(|(_, r)| format!("{:.0}", r.hold_seconds))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "| server | connections | RSS (MiB) | KiB per connection | connections/s while dialing | held after the hold | KiB per connection after the hold | server CPU while idle |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (subject, result) in &report.idle {
        for (i, point) in result.points.iter().enumerate() {
            let last = i + 1 == result.points.len();
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {} | {} | {} | {} | {} |",
                subject.label(),
                with_commas(point.connections as f64),
                point.rss_kib as f64 / 1024.0,
                kib(point.bytes_per_connection),
                if last {
                    with_commas(result.connect_rate)
                } else {
                    String::new()
                },
                if last {
                    with_commas(result.alive_after_hold as f64)
                } else {
                    String::new()
                },
                if last {
                    kib(result.bytes_per_connection_after_hold)
                } else {
                    String::new()
                },
                if last {
                    format!("{:.1}%", result.hold_cpu_share * 100.0)
                } else {
                    String::new()
                },
            );
        }
    }
    let limits: Vec<String> = report
        .idle
        .iter()
        .filter_map(|(s, r)| {
            r.first_failure.as_ref().map(|f| {
                format!(
                    "{}: {} failed connections, first: `{}`",
                    s.label(),
                    r.failures,
                    f
                )
            })
        })
        .collect();
    let _ = writeln!(
        out,
        "\nThe most connections tried is the smallest of 100,000 (the issue's target) and the open-file limits of the server and the generator minus 100 (this machine: {}; the hard limit cannot be raised here, so this is the most it allows).{}\n",
        report.meta.machine.open_files_limit,
        if limits.is_empty() {
            String::new()
        } else {
            format!(" Failures: {}.", limits.join("; "))
        }
    );
    if let (Some(ecb), Some(node), Some(sx)) = (
        report.idle_of(ECB_SIO),
        report.idle_of(NODE),
        report.idle_of(SIOXIDE),
    ) {
        let _ = writeln!(
            out,
            "RSS per idle Socket.IO connection at the most held, after the hold: ECB / Node = {}, ECB / socketioxide = {} (lower is better).\n",
            ratio(
                ecb.bytes_per_connection_after_hold,
                node.bytes_per_connection_after_hold
            ),
            ratio(
                ecb.bytes_per_connection_after_hold,
                sx.bytes_per_connection_after_hold
            )
        );
    }
}

fn fanout_table(report: &Report, sizes: &[usize], subjects: &[Subject], out: &mut String) {
    for &members in sizes {
        let _ = writeln!(out, "### Threads of {members}\n");
        let _ = writeln!(
            out,
            "| server | threads × members | deliveries/s at saturation | messages/s | server CPU | server CPU µs per delivery | generator CPU | timeouts / errors | half load (messages/s) | p50 ms | p99 ms | max ms | lost / errors |"
        );
        let _ = writeln!(
            out,
            "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"
        );
        for &subject in subjects {
            let Some(r) = report.fanout_of(subject, members) else {
                continue;
            };
            if let Some(error) = &r.setup_error {
                let _ = writeln!(
                    out,
                    "| {} | setup failed: {error} |||||||||||| ",
                    subject.label()
                );
                continue;
            }
            let s = &r.saturation;
            let (half_rate, p50, p99, max, lost) = match &r.half {
                Some(h) => (
                    with_commas(h.messages_per_second),
                    ms(h.p50_us),
                    ms(h.p99_us),
                    ms(h.max_us),
                    format!("{} / {}", h.lost, h.errors),
                ),
                None => Default::default(),
            };
            let _ = writeln!(
                out,
                "| {} | {} × {} | {} | {} | {:.0}% | {:.2} | {:.0}% | {} / {} | {} | {} | {} | {} | {} |",
                subject.label(),
                r.threads,
                r.members,
                with_commas(s.deliveries_per_second),
                with_commas(s.messages_per_second),
                s.cpu.server * 100.0,
                s.server_cpu_us_per_delivery,
                s.cpu.generator * 100.0,
                s.timeouts,
                s.errors,
                half_rate,
                p50,
                p99,
                max,
                lost,
            );
        }
        let _ = writeln!(out);
    }
}

/// Where each server's half-load latency went: the generator's legs of a
/// message (p99 each), and, for ECB, its own measure of sendMessage.
fn legs_table(report: &Report, sizes: &[usize], subjects: &[Subject], out: &mut String) {
    let _ = writeln!(
        out,
        "| server | threads of | p99 ms | write late p99 ms | ack p99 ms | fan-out p99 ms | messages over 5 ms: write late / ack / fan-out | server's own sendMessage p99 (bucket) | of which the backend call p99 (bucket) | sendMessages over 5 ms, server / backend call |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|---:|---:|---|");
    for &members in sizes {
        for &subject in subjects {
            let Some(h) = report
                .fanout_of(subject, members)
                .and_then(|r| r.half.as_ref())
            else {
                continue;
            };
            let legs = &h.legs;
            let bucket = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("≤ {v}"));
            let (own, backend, over) = match &h.server {
                Some(v) => (
                    bucket(v.send_message_p99_ms),
                    bucket(v.backend_p99_ms),
                    format!(
                        "{:.2}% / {:.2}%",
                        v.send_message_over_5ms * 100.0,
                        v.backend_over_5ms * 100.0
                    ),
                ),
                None => ("—".into(), "—".into(), "—".into()),
            };
            let _ = writeln!(
                out,
                "| {} | {members} | {} | {} | {} | {} | {} / {} / {} | {own} | {backend} | {over} |",
                subject.label(),
                ms(h.p99_us),
                ms(legs.write_late_p99_us),
                ms(legs.ack_p99_us),
                ms(legs.fan_out_p99_us),
                legs.late_writes,
                legs.slow_acks,
                legs.slow_fan_outs,
            );
        }
    }
    let _ = writeln!(out);
}

fn ratios_table(
    report: &Report,
    sizes: &[usize],
    a: Subject,
    others: &[Subject],
    out: &mut String,
) {
    let _ = writeln!(
        out,
        "| threads of | {} |",
        others
            .iter()
            .map(|o| format!(
                "deliveries/s {} / {} (higher is better) | p99 {} / {} (lower is better)",
                a.label(),
                o.label(),
                a.label(),
                o.label()
            ))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "|---:|{}", "---:|---:|".repeat(others.len()));
    for &members in sizes {
        let Some(ra) = report.fanout_of(a, members) else {
            continue;
        };
        let mut row = format!("| {members} |");
        for &o in others {
            let ro = report.fanout_of(o, members);
            let sat = ro
                .map(|ro| {
                    ratio(
                        ra.saturation.deliveries_per_second,
                        ro.saturation.deliveries_per_second,
                    )
                })
                .unwrap_or_else(|| "—".into());
            let p99 = match (ra.half.as_ref(), ro.and_then(|ro| ro.half.as_ref())) {
                (Some(ha), Some(ho)) => ratio(f64::from(ha.p99_us), f64::from(ho.p99_us)),
                _ => "—".into(),
            };
            let _ = write!(row, " {sat} | {p99} |");
        }
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out);
}

fn storm_section(report: &Report, out: &mut String) {
    let _ = writeln!(out, "## 5. Connect storm\n");
    let _ = writeln!(
        out,
        "What a server faces when a deploy or a network blip reconnects every client at once. Each server starts fresh; the generator dials {} connections, each its own user with its own RS256 userToken (all signed before the storm, so the server verifies every one and no cache of verified tokens helps), 128 handshakes at a time from 8 loopback source addresses, with scenario 1's dialing code. One handshake: TCP connect, the WebSocket upgrade of `/socket.io/?EIO=4&transport=websocket`, the Engine.IO open packet, the namespace CONNECT with `auth: {{token}}` and its ack (raw WebSocket: the upgrade of `/ws?token=`, which verifies the token). Handshakes/s = connections opened / (the last CONNECT ack − the first dial); latency = one handshake's first byte to its ack, waiting in the server's accept queue included. Server CPU is over the storm, as a share of one core.\n",
        report
            .storm
            .first()
            .map(|(_, r)| with_commas(r.target as f64))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "| server | connected | seconds | handshakes/s | p50 ms | p99 ms | max ms | server CPU | server CPU µs per handshake | RSS after (MiB) | failures |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for (subject, r) in &report.storm {
        let _ = writeln!(
            out,
            "| {} | {} of {} | {:.2} | {} | {} | {} | {} | {:.0}% | {:.0} | {:.1} | {} |",
            subject.label(),
            with_commas(r.connected as f64),
            with_commas(r.target as f64),
            r.seconds,
            with_commas(r.handshakes_per_second),
            ms(r.p50_us),
            ms(r.p99_us),
            ms(r.max_us),
            r.server_cpu * 100.0,
            r.server_cpu_us_per_handshake,
            r.rss_kib as f64 / 1024.0,
            match &r.first_failure {
                Some(first) => format!("{} (first: `{first}`)", r.failures),
                None => r.failures.to_string(),
            },
        );
    }
    if let Some(ecb) = report.storm_of(ECB_SIO) {
        let rate = |s| report.storm_of(s).map_or(0.0, |r| r.handshakes_per_second);
        let _ = writeln!(
            out,
            "\nHandshakes/s: ECB / Node = {}, ECB / socketioxide = {} (higher is better; target ≥ 2× Node).\n",
            ratio(ecb.handshakes_per_second, rate(NODE)),
            ratio(ecb.handshakes_per_second, rate(SIOXIDE)),
        );
    } else {
        let _ = writeln!(out);
    }
}

fn large_section(report: &Report, out: &mut String) {
    let sizes = report.large_sizes();
    let token_bytes = report
        .fanout
        .iter()
        .flat_map(|(_, rs)| rs.iter())
        .find(|r| r.members >= LARGE_THREAD)
        .map_or(0, |r| r.thread_token_bytes);
    let _ = writeln!(out, "## 6. Threads of 1,000\n");
    let _ = writeln!(
        out,
        "Scenario 2 with threads of {}: one message, {} deliveries. Few threads, so that the generator, which reads every push on its one CPU, keeps up (its CPU is in the table); every member is its own connection and user. The threadToken lists every memberId ({} bytes here), and every sendMessage carries it. ECB pushes presence to the members already in on every join (n(n−1)/2 ≈ 500,000 pushes in a thread of 1,000 while it is set up; the peers have no presence); the measurement starts once they have stopped arriving. A message's last push leaves its server at least {} × the server CPU per delivery after its first, so the latency at half load is mostly the length of one fan-out (and of the one before it, when they overlap), not a queue.\n",
        sizes
            .iter()
            .map(|&n| with_commas(n as f64))
            .collect::<Vec<_>>()
            .join(", "),
        sizes
            .iter()
            .map(|&n| with_commas(n.saturating_sub(1) as f64))
            .collect::<Vec<_>>()
            .join(", "),
        with_commas(token_bytes as f64),
        sizes
            .first()
            .map(|&n| with_commas(n.saturating_sub(1) as f64))
            .unwrap_or_default(),
    );
    fanout_table(report, &sizes, &[ECB_SIO, NODE, SIOXIDE], out);
    let _ = writeln!(
        out,
        "Ratios (target: ECB ≥ 1.5× both peers' deliveries/s):\n"
    );
    ratios_table(report, &sizes, ECB_SIO, &[NODE, SIOXIDE], out);
}

fn mixed_section(report: &Report, out: &mut String) {
    let _ = writeln!(
        out,
        "## 7. Mixed load: idle connections under the fan-out\n"
    );
    let first = report.mixed.first().map(|(_, r)| r);
    let _ = writeln!(
        out,
        "Most connections of a chat service are idle at any moment. Each Socket.IO server starts fresh and takes {} idle connections (users in no thread, dialed as in scenario 1, every ping answered); then scenario 2's fan-out at threads of {MIXED_MEMBERS} ({} threads) runs on top of them, measured as in scenario 2. *Alone* is the same server at threads of {MIXED_MEMBERS} without the idle connections, from scenario 2 of this run. RSS: the server's with the idle connections, and the most sampled (every 250 ms) during the fan-out on top.\n",
        first
            .map(|r| with_commas(r.idle_target as f64))
            .unwrap_or_default(),
        first.map(|r| r.fanout.threads).unwrap_or_default(),
    );
    let _ = writeln!(
        out,
        "| server | idle held (after the fan-out) | deliveries/s at saturation | alone | with idle / alone | server CPU µs per delivery | p50 ms at half load | p99 ms at half load | p99 alone | lost / errors | RSS with idle (MiB) | RSS at most during the fan-out (MiB) |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
    );
    for (subject, r) in &report.mixed {
        let f = &r.fanout;
        let alone = report.fanout_of(*subject, MIXED_MEMBERS);
        let alone_rate = alone.map_or(0.0, |a| a.saturation.deliveries_per_second);
        let alone_p99 = alone
            .and_then(|a| a.half.as_ref())
            .map_or_else(|| "—".into(), |h| ms(h.p99_us));
        let held = format!(
            "{} ({})",
            with_commas(r.idle_connected as f64),
            with_commas(r.idle_after as f64)
        );
        if let Some(error) = &f.setup_error {
            let _ = writeln!(
                out,
                "| {} | {held} | setup failed: {error} |||||||| {:.1} | {:.1} |",
                subject.label(),
                r.idle_rss_kib as f64 / 1024.0,
                r.peak_rss_kib as f64 / 1024.0,
            );
            continue;
        }
        let (p50, p99, lost) = match &f.half {
            Some(h) => (
                ms(h.p50_us),
                ms(h.p99_us),
                format!("{} / {}", h.lost, h.errors),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {held} | {} | {} | {} | {:.2} | {p50} | {p99} | {alone_p99} | {lost} | {:.1} | {:.1} |",
            subject.label(),
            with_commas(f.saturation.deliveries_per_second),
            if alone_rate > 0.0 {
                with_commas(alone_rate)
            } else {
                "—".into()
            },
            ratio(f.saturation.deliveries_per_second, alone_rate),
            f.saturation.server_cpu_us_per_delivery,
            r.idle_rss_kib as f64 / 1024.0,
            r.peak_rss_kib as f64 / 1024.0,
        );
    }
    let failures: Vec<String> = report
        .mixed
        .iter()
        .filter_map(|(s, r)| {
            r.first_failure.as_ref().map(|f| {
                format!(
                    "{}: {} failed idle connections, first: `{f}`",
                    s.label(),
                    r.idle_failures
                )
            })
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nFailures: {}.", failures.join("; "));
    }
    let _ = writeln!(out, "\nRatios under the idle load:\n");
    let _ = writeln!(
        out,
        "| figure | ECB / Node | ECB / socketioxide |\n|---|---:|---:|"
    );
    let rate = |s| {
        report
            .mixed_of(s)
            .map_or(0.0, |r| r.fanout.saturation.deliveries_per_second)
    };
    let p99 = |s| {
        report
            .mixed_of(s)
            .and_then(|r| r.fanout.half.as_ref())
            .map_or(0.0, |h| f64::from(h.p99_us))
    };
    let _ = writeln!(
        out,
        "| deliveries/s at saturation (higher is better) | {} | {} |",
        ratio(rate(ECB_SIO), rate(NODE)),
        ratio(rate(ECB_SIO), rate(SIOXIDE))
    );
    let _ = writeln!(
        out,
        "| p99 at half load (lower is better) | {} | {} |\n",
        ratio(p99(ECB_SIO), p99(NODE)),
        ratio(p99(ECB_SIO), p99(SIOXIDE))
    );
}

fn lambda_section(lambda: &LambdaResult, out: &mut String) {
    let _ = writeln!(out, "## 4. Lambda functions\n");
    let _ = writeln!(out, "### Binary sizes\n");
    let _ = writeln!(
        out,
        "Built with `cargo build --release` (x86_64, this machine's toolchain), not `cargo lambda build --release --arm64`: the aarch64 standard library cannot be installed offline here (rustup reaches no server), so the arm64 binaries AWS would run could not be built. Release profile: the workspace's `[profile.release]`, which `cargo lambda build --release` uses too: fat LTO, one codegen unit, symbols stripped, panics unwind (the binaries are already stripped, so both columns agree). Before that profile (commit 99d5b0b: no LTO, 16 codegen units) the stripped binaries were 14.5–16.5 MiB and the bare binaries answered their first invocation in 18–33 ms.\n"
    );
    let _ = writeln!(out, "| function | size (MiB) | stripped (MiB) |");
    let _ = writeln!(out, "|---|---:|---:|");
    for size in &lambda.sizes {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} |",
            size.function,
            size.bytes as f64 / 1048576.0,
            size.stripped_bytes
                .map(|b| format!("{:.1}", b as f64 / 1048576.0))
                .unwrap_or_else(|| "—".into())
        );
    }
    let _ = writeln!(out, "\n### Start-up\n");
    let _ = writeln!(
        out,
        "Process start to first answered invocation, two ways. *Bare binary*: the release binary started against a minimal Lambda Runtime API of the generator's, handed one event (`$connect` with a valid token, `$default` with a getThread frame, `$disconnect`, an HTTP API `POST /v1/getThreads`, and for `engineio` a scheduled event, one sweep of the Socket.IO sessions); the time runs from `exec` to the response POST, so it includes building the engine, the AWS SDK configuration and, with a local DynamoDB endpoint only, the `CreateTable` that `ensure_table` sends. *Under `cargo lambda watch --release`* (the build warmed beforehand): from starting the emulator to the first `$connect` answered through `ecb gateway`; the emulator runs each function's first invocation through `cargo run`, so that figure includes cargo's freshness check (and any wait for another cargo holding the target directory's lock).\n"
    );
    let _ = writeln!(
        out,
        "| function | bare binary: start → first answer (ms) | first invocation through the gateway (ms) |"
    );
    let _ = writeln!(out, "|---|---:|---:|");
    for cold in &lambda.cold_starts {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cold.function,
            cold.first_answer_ms
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| format!("failed: {}", cold.error.clone().unwrap_or_default())),
            lambda
                .first_invocations
                .get(&cold.function)
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "—".into()),
        );
    }
    let _ = writeln!(
        out,
        "\n`cargo lambda watch --release`: started → Invoke API listening {} ms; → first answered invocation ($connect through the gateway) {} ms.\n",
        lambda
            .watch_listening_ms
            .map(|m| format!("{m:.0}"))
            .unwrap_or_else(|| "—".into()),
        lambda
            .watch_first_answer_ms
            .map(|m| format!("{m:.0}"))
            .unwrap_or_else(|| "—".into()),
    );
    let _ = writeln!(out, "### DynamoDB and Management API calls per operation\n");
    let _ = writeln!(
        out,
        "Counted by a proxy between the functions and dynalite (by `X-Amz-Target`), which also sets `ReturnConsumedCapacity: TOTAL` so dynalite reports the request units DynamoDB would bill; Management API calls (`PostToConnection` …) by a proxy in front of the gateway's Management API; Lambda invocations by a proxy between the gateway and `cargo lambda watch`'s Invoke API, which times each (its request to its answer: the function's run plus the emulator's own hops, so above what AWS would bill). sendMessage counts, units and invocation times are the mean of 3 messages, its ack and last push their median; latencies are client-observed through the gateway with warm functions (for the Socket.IO rows: the open packet's arrival after the upgrade began, the CONNECT's ack, the ping's arrival after the sweep was invoked, the sweep's own round trip). The Socket.IO rows run with a ping interval of {} s so that a session is due within the scenario; the sweeps are invoked by the scenario, not by the gateway's schedule, so that none lands in another row.\n",
        lambda_socketio::PING_INTERVAL.as_secs()
    );
    let _ = writeln!(
        out,
        "| operation | DynamoDB calls | by operation | RRU | WRU | Management API calls | Lambda invocations | ack (ms) | last push (ms) |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---|---:|---:|");
    for op in &lambda.operations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.1} | {} | {} | {} | {} |",
            op.operation,
            op.dynamodb_calls(),
            op.dynamodb
                .iter()
                .map(|(k, v)| format!("{k} {}", v.calls))
                .collect::<Vec<_>>()
                .join(", "),
            op.read_units(),
            op.write_units(),
            op.management_calls(),
            op.invocations_text(),
            op.latency_ms
                .map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "—".into()),
            op.fanout_ms
                .map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "—".into()),
        );
    }
    if let Some(error) = &lambda.error {
        let _ = writeln!(out, "\nThe Lambda scenario stopped early: `{error}`\n");
    }
    let (a, b) = lambda::duration_model(lambda);
    let costs = lambda::cost_model(lambda, &[100, 1_000, 10_000, 100_000]);
    let _ = writeln!(out, "\n### Cost per million messages\n");
    let _ = writeln!(
        out,
        "Prices: {}. API Gateway WebSocket ${:.2} per million messages (32 KB increments) and ${:.2} per million connection minutes; Lambda arm64 ${} per GB-s and ${:.2} per million requests; DynamoDB on-demand ${:.3} per million RRU and ${:.3} per million WRU.\n",
        Prices::AS_OF,
        Prices::APIGW_PER_MILLION_MESSAGES,
        Prices::APIGW_PER_MILLION_CONNECTION_MINUTES,
        Prices::LAMBDA_ARM64_PER_GB_SECOND,
        Prices::LAMBDA_PER_MILLION_REQUESTS,
        Prices::DYNAMODB_PER_MILLION_RRU,
        Prices::DYNAMODB_PER_MILLION_WRU,
    );
    let _ = writeln!(
        out,
        "Per message: API Gateway messages = 1 in + the Management API posts out (the response and the pushes); one `message` invocation of {} MB (the SAM template's default) lasting the measured send → last push under the emulator (a fitted {a:.1} ms + {b:.3} ms per recipient where not measured; AWS's own latencies differ, so this line is the least certain); DynamoDB = the request units reported above. AWS's [simple-websockets-chat-app](https://github.com/aws-samples/simple-websockets-chat-app) instead Scans its whole connections table (`ProjectionExpression: 'connectionId'`, items of ~{} bytes) for every message and posts to every connection: its read units are ⌈C × {} B / 4 KB⌉ × 0.5 per message for C connections, whatever the room, and it reads only the first 1 MB page (~37,000 connections) because it does not paginate. ECB Queries one thread partition per message, whatever the table holds (and reads a connection's record once per warm instance, then remembers it).\n",
        (lambda::LAMBDA_MEMORY_GB * 1024.0) as u32,
        lambda::SAMPLE_ITEM_BYTES,
        lambda::SAMPLE_ITEM_BYTES,
    );
    let _ = writeln!(
        out,
        "| design | recipients per message | API GW messages | Lambda GB-s | RRU | WRU | API Gateway $ | Lambda $ | DynamoDB $ | total $ per million messages |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for cost in &costs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cost.design,
            with_commas(cost.recipients as f64),
            with_commas(cost.apigw_messages),
            cost_cells(cost),
        );
    }
    let _ = writeln!(
        out,
        "\nThe sample has no rooms: every message goes to every connection, so its rows are a broadcast to C recipients. What differs in kind is the DynamoDB read per message, as a function of the connections C in the table, whatever the number of recipients:\n"
    );
    let ecb_rru: Vec<String> = lambda
        .operations
        .iter()
        .filter(|op| op.operation.starts_with("sendMessage"))
        .map(|op| format!("{:.1}", op.read_units()))
        .collect();
    let _ = writeln!(
        out,
        "| connections in the table (C) | sample: RRU per message (one Scan request, as written) | sample: RRU if it paginated to reach everyone | sample: DynamoDB $ per million messages | ECB: RRU per message (threads of {}) |",
        lambda
            .operations
            .iter()
            .filter_map(|op| op.operation.strip_prefix("sendMessage, thread of "))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---|");
    for c in [100usize, 1_000, 10_000, 37_449, 100_000, 1_000_000] {
        let as_written = lambda::sample_scan_rru(c, true);
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.1} | {:.2} | {} (independent of C) |",
            with_commas(c as f64),
            as_written,
            lambda::sample_scan_rru(c, false),
            as_written * Prices::DYNAMODB_PER_MILLION_RRU,
            ecb_rru.join(" / "),
        );
    }
    let _ = writeln!(
        out,
        "\n(Figures per message; dollars per million messages.) Connections cost the same in both designs: ${:.2} per million connection minutes, i.e. ${:.2} a month per 1,000 connections held around the clock, plus one `$connect` and one `$disconnect` invocation and their DynamoDB writes per connection (above).\n",
        Prices::APIGW_PER_MILLION_CONNECTION_MINUTES,
        1000.0 * 60.0 * 24.0 * 30.0 * Prices::APIGW_PER_MILLION_CONNECTION_MINUTES / 1e6,
    );
    render_socketio_costs(out, lambda);
}

/// A cost row's cells from Lambda GB-s on: the units, then the dollars by
/// service and in all.
fn cost_cells(cost: &lambda::Cost) -> String {
    format!(
        "{:.4} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2}",
        cost.lambda_gb_seconds,
        cost.rru,
        cost.wru,
        cost.dollars_apigw,
        cost.dollars_lambda,
        cost.dollars_dynamodb,
        cost.total(),
    )
}

/// What Socket.IO adds on the serverless deployment (issue 12's open
/// packet and heartbeat), from the measured rows above.
fn render_socketio_costs(out: &mut String, lambda: &LambdaResult) {
    let costs = lambda_socketio::costs(lambda);
    if costs.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Socket.IO on the serverless deployment\n");
    let _ = writeln!(
        out,
        "A Socket.IO client's handshake takes the place of a raw client's connect (it includes the `$connect` invocation and the connection record's writes, which the raw connect row has too), and its heartbeat comes on top; both from the Socket.IO rows of the table above. The handshake is the open packet (`$connect`, which queues it with an asynchronous `engineio` invocation, since API Gateway lets nothing post before `$connect` returned) and the CONNECT; one ping is what the sweep that pinged one session cost beyond the sweep that found none due, plus the client's pong. Lambda GB-s at {} MB from the invocations' measured durations; API Gateway messages = the client frames in + the Management API's posts out. Each row in dollars per million of its unit.\n",
        (lambda::LAMBDA_MEMORY_GB * 1024.0) as u32,
    );
    let _ = writeln!(
        out,
        "| per | API GW messages | Lambda requests | Lambda GB-s | RRU | WRU | API Gateway $ | Lambda $ | DynamoDB $ | total $ per million |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for cost in &costs {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.1} | {} |",
            cost.design,
            cost.apigw_messages,
            cost.lambda_requests,
            cost_cells(cost),
        );
    }
    if let Some(hour) = costs.iter().find(|c| c.design.starts_with("heartbeat")) {
        // A user online 8 hours a day, 22 days a month.
        let hours = 8.0 * 22.0;
        let _ = writeln!(
            out,
            "\nSo a user online 8 hours a day, 22 days a month pays ${:.4} a month in heartbeat (10,000 such users ${:.2}), against ${:.4} in connection minutes; the sweeps are a fixed ${:.2} a month per deployment plus their reads, which grow with the sessions a sweep Queries.\n",
            hour.total() * hours / 1e6,
            hour.total() * hours * 10_000.0 / 1e6,
            hours * 60.0 * Prices::APIGW_PER_MILLION_CONNECTION_MINUTES / 1e6,
            costs
                .iter()
                .find(|c| c.design.starts_with("the sweeps"))
                .map_or(0.0, |c| c.total() * 24.0 * 30.0 / 1e6),
        );
    }
}

/// The analysis of where ECB loses, with the evidence gathered for it (see
/// bench/README.md for the commands).
const ANALYSIS: &str = include_str!("../../ANALYSIS.md");

/// The report's Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let meta = &report.meta;
    let _ = writeln!(out, "# ECB benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by `{}` on {}{}. Every figure below is one this run printed; rerun the command to refresh them (do not edit by hand). The raw figures are in `target/bench/results.json` after a run.\n",
        meta.command,
        meta.date,
        if meta.smoke {
            " (smoke run: tiny load, ECB only — not a measurement)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "## How it was run\n");
    let _ = writeln!(
        out,
        "- Machine: {} CPUs (`nproc`), {}, {} RAM, Linux {}; open files: {}.",
        meta.machine.nproc,
        meta.machine.cpu_model,
        meta.machine.memory,
        meta.machine.kernel,
        meta.machine.open_files_limit
    );
    let _ = writeln!(out, "- Load at the start: {}", meta.load_start);
    let _ = writeln!(out, "- Load at the end: {}", meta.load_end);
    let _ = writeln!(
        out,
        "- CPU steadiness (the same fixed piece of arithmetic timed over and over on each CPU at each end of the run; p90 / p10 is how much longer a piece took at the 90th percentile than at the 10th, 1× on a steady CPU): at the start {}; at the end {}.",
        meta.steadiness_start.summary(),
        meta.steadiness_end.summary()
    );
    let _ = writeln!(
        out,
        "- Durations: builds and installs {}, the measurements {:.0} s.",
        meta.build_seconds
            .map(|s| format!("{s:.0} s"))
            .unwrap_or_else(|| "not timed".into()),
        meta.suite_seconds
    );
    let _ = writeln!(
        out,
        "- Pinning: each server under test runs alone on CPU {} (`taskset`), so Node's one thread and the Rust servers' tokio runtimes get the same single core (ECB, seeing one CPU, runs tokio's current-thread scheduler; the socketioxide peer runs `#[tokio::main]`'s multi-thread scheduler, which sizes itself to one worker); the load generator and the bench backend share CPU {}. The Lambda stack is not pinned.",
        meta.server_cpus, meta.load_cpus
    );
    let _ = writeln!(
        out,
        "- Every server does ECB's job: the RS256 userToken verified on connect with the same public key (Node: `jsonwebtoken` on OpenSSL; socketioxide: the `jsonwebtoken` crate on rust_crypto; ECB: `jsonwebtoken` on ring); per `sendMessage` the threadToken verified and membership checked, `addThreadMessage` POSTed to the same bench backend (HTTP/1.1 keep-alive, `Idempotency-Key`), the backend's threadToken verified, the author acked with the stored message, `message` pushed to the thread's other connections. Heartbeat 25 s / 20 s everywhere. ECB runs with `ECB_RATE_LIMIT=1000000` (the peers have no rate limit; the check still runs) and `RUST_LOG=warn`.",
    );
    let _ = writeln!(
        out,
        "- The bench backend (`ecb-bench backend`) answers at once with a valid threadAndMessages (it echoes the request's threadToken, so it signs nothing per call) and stores nothing."
    );
    let _ = writeln!(
        out,
        "- One RS256 verification of a threadToken (2048-bit key), the same {} tokens for each, on the load CPU: {}. ECB remembers a verified token until its `exp` (the figure for a token seen before); the peers verify every one, two per sendMessage (the client's threadToken and the one the backend returns). The socketioxide peer verifies with the `jsonwebtoken` crate on rust_crypto.",
        crate::token_cost::TOKENS,
        report.tokens.summary(),
    );
    let _ = writeln!(out, "\n| component | version |\n|---|---|");
    for (name, version) in &meta.versions {
        let _ = writeln!(out, "| {name} | {version} |");
    }
    let _ = writeln!(out);

    // Headline.
    let _ = writeln!(out, "## Headline (ratios from this run)\n");
    let _ = writeln!(
        out,
        "| figure | ECB | Node | socketioxide | ECB / Node | ECB / socketioxide | target (issue 6; round two where marked) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    for members in report.sizes() {
        let get = |s| report.fanout_of(s, members);
        let d = |s| {
            get(s)
                .map(|r: &FanoutResult| r.saturation.deliveries_per_second)
                .unwrap_or(0.0)
        };
        let p = |s| {
            get(s)
                .and_then(|r: &FanoutResult| r.half.as_ref())
                .map(|h| f64::from(h.p99_us))
                .unwrap_or(0.0)
        };
        let (rate_target, p99_target) = if members >= LARGE_THREAD {
            ("round two: ≥ 1.5× Node and socketioxide", "none set")
        } else {
            ("≥ 3× Node, ≥ 1.2× socketioxide", "< 5 ms")
        };
        headline_row(
            &mut out,
            &format!("deliveries/s, threads of {members}"),
            [d(ECB_SIO), d(NODE), d(SIOXIDE)],
            with_commas,
            rate_target,
        );
        headline_row(
            &mut out,
            &format!("p99 ms at half load, threads of {members}"),
            [p(ECB_SIO), p(NODE), p(SIOXIDE)],
            |v| ms(v as u32),
            p99_target,
        );
    }
    if let (Some(e), Some(n), Some(s)) = (
        report.idle_of(ECB_SIO),
        report.idle_of(NODE),
        report.idle_of(SIOXIDE),
    ) {
        let [e, n, s] =
            [e, n, s].map(|r| (r.bytes_per_connection_after_hold, r.alive_after_hold as f64));
        headline_row(
            &mut out,
            "KiB RSS per idle Socket.IO connection",
            [e.0, n.0, s.0],
            kib,
            "≤ 8 KB",
        );
        headline_row(
            &mut out,
            "idle connections held",
            [e.1, n.1, s.1],
            with_commas,
            "100,000",
        );
    }
    if !report.storm.is_empty() {
        let target = report
            .storm
            .first()
            .map(|(_, r)| with_commas(r.target as f64))
            .unwrap_or_default();
        let rate = |s| report.storm_of(s).map_or(0.0, |r| r.handshakes_per_second);
        let p99 = |s| report.storm_of(s).map_or(0.0, |r| f64::from(r.p99_us));
        headline_row(
            &mut out,
            &format!("handshakes/s, connect storm of {target} distinct tokens"),
            [rate(ECB_SIO), rate(NODE), rate(SIOXIDE)],
            with_commas,
            "round two: ≥ 2× Node",
        );
        headline_row(
            &mut out,
            "p99 ms per handshake, connect storm",
            [p99(ECB_SIO), p99(NODE), p99(SIOXIDE)],
            |v| ms(v as u32),
            "none set",
        );
    }
    if !report.mixed.is_empty() {
        let idle = report
            .mixed
            .first()
            .map(|(_, r)| with_commas(r.idle_target as f64))
            .unwrap_or_default();
        let mixed = |s| report.mixed_of(s);
        let rate = |s| mixed(s).map_or(0.0, |r| r.fanout.saturation.deliveries_per_second);
        let p99 = |s| {
            mixed(s)
                .and_then(|r| r.fanout.half.as_ref())
                .map_or(0.0, |h| f64::from(h.p99_us))
        };
        let rss = |s| mixed(s).map_or(0.0, |r| r.peak_rss_kib as f64 / 1024.0);
        headline_row(
            &mut out,
            &format!("deliveries/s, threads of {MIXED_MEMBERS} over {idle} idle connections"),
            [rate(ECB_SIO), rate(NODE), rate(SIOXIDE)],
            with_commas,
            &format!("none set (threads of {MIXED_MEMBERS} alone above)"),
        );
        headline_row(
            &mut out,
            &format!(
                "p99 ms at half load, threads of {MIXED_MEMBERS} over {idle} idle connections"
            ),
            [p99(ECB_SIO), p99(NODE), p99(SIOXIDE)],
            |v| ms(v as u32),
            "none set",
        );
        headline_row(
            &mut out,
            &format!("RSS MiB, {idle} idle connections + threads of {MIXED_MEMBERS}"),
            [rss(ECB_SIO), rss(NODE), rss(SIOXIDE)],
            |v| format!("{v:.1}"),
            "none set",
        );
    }
    if let Some(lambda) = &report.lambda {
        let queries: Vec<String> = lambda
            .operations
            .iter()
            .filter(|op| op.operation.starts_with("sendMessage"))
            .map(|op| {
                let calls = op.dynamodb_calls();
                format!(
                    "{}: {} Query, {calls} DynamoDB call{} in all",
                    op.operation.trim_start_matches("sendMessage, "),
                    op.dynamodb.get("Query").map(|c| c.calls).unwrap_or(0),
                    if calls == 1 { "" } else { "s" }
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| DynamoDB per fan-out (Lambda) | {} | | | | | one Query |",
            queries.join("; ")
        );
    }
    let _ = writeln!(out);
    if !report.idle.is_empty() {
        idle_section(report, &mut out);
    }
    if !report.fanout.is_empty() {
        let _ = writeln!(out, "## 2. Fan-out over Socket.IO\n");
        let _ = writeln!(
            out,
            "Threads of N members, each member its own connection and user, all joined with getThread. *Saturation*: a closed loop, each thread keeping one message in flight until it is acked and pushed to all N−1 others (senders rotate among the members); deliveries per second over {} s after a {} s warm-up. *Half load*: an open loop at half the saturation message rate, round robin over threads and senders, each message sent at its own instant by a pacing thread; latency = push received − the message's scheduled send time (so a late generator shows as latency, not as a lower rate), for messages scheduled in the {} s after a {} s warm-up; `lost` = pushes still missing 1.5 s after the last send. CPU figures are shares of one core over the window (from /proc).\n",
            meta.measure_secs, meta.warmup_secs, meta.measure_secs, meta.warmup_secs
        );
        // Threads of 1,000 have section 6 (this method, their own target).
        let small = report.small_sizes();
        if !small.is_empty() {
            fanout_table(report, &small, &[ECB_SIO, NODE, SIOXIDE], &mut out);
            let _ = writeln!(out, "Ratios:\n");
            ratios_table(report, &small, ECB_SIO, &[NODE, SIOXIDE], &mut out);
        }
        let _ = writeln!(out, "## 3. ECB over raw WebSocket\n");
        let _ = writeln!(
            out,
            "The same scenario against ECB's `/ws?token=` (JSON frames `{{action, requestId, …}}`), beside ECB's Socket.IO figures from the same run.\n"
        );
        let sizes = report.sizes();
        fanout_table(report, &sizes, &[ECB_RAW, ECB_SIO], &mut out);
        ratios_table(report, &sizes, ECB_RAW, &[ECB_SIO], &mut out);
        let _ = writeln!(
            out,
            "### Where the time went at half load
"
        );
        let _ = writeln!(
            out,
            "Each message of the window is traced by the generator: *write late* = when its connection task wrote it − its scheduled time (the load side's own delay), *ack* = ack received − written (the server's work, the backend call and loopback both ways), *fan-out* = last push read − ack (its other members' pushes after the author's ack). ECB also measures itself: the `/metrics` histograms `ecb_operation_duration_seconds{{action=\"sendMessage\"}}` (frame in to reply out) and `ecb_backend_call_duration_seconds{{operation=\"addThreadMessage\"}}`, read before and after the window, as bucket bounds (1, 2.5, 5, 10, 25 ms …); the peers have no such measure.\n"
        );
        legs_table(report, &sizes, &[ECB_SIO, ECB_RAW, NODE, SIOXIDE], &mut out);
    }
    if let Some(lambda) = &report.lambda {
        lambda_section(lambda, &mut out);
    }
    if !report.storm.is_empty() {
        storm_section(report, &mut out);
    }
    if !report.large_sizes().is_empty() {
        large_section(report, &mut out);
    }
    if !report.mixed.is_empty() {
        mixed_section(report, &mut out);
    }
    let _ = writeln!(out, "{ANALYSIS}");
    out
}
