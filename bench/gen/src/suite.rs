//! The whole comparison in one run: the bench backend, then every scenario
//! against ECB, the Node Socket.IO server and the socketioxide server (idle
//! connections, the connect storm, fan-out, mixed load), then the Lambda
//! scenario, then the report.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::conn::Endpoint;
use crate::fanout::{self, FanoutPlan, FanoutResult, Watched};
use crate::idle::{self, IdlePlan, IdleResult};
use crate::lambda::{self, LambdaPlan, LambdaResult};
use crate::mixed::{self, MixedPlan, MixedResult};
use crate::procs::{self, Proc, Spawn};
use crate::report::{self, Meta, Report};
use crate::steadiness::RunSteadiness;
use crate::storm::{self, StormPlan, StormResult};
use crate::tokens::Signer;
use crate::wire::Proto;

/// The suite's settings (`ecb-bench suite --help`).
#[derive(Debug, Clone, clap::Args)]
pub struct SuiteConfig {
    /// The repository root.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// The `ecb` binary (release).
    #[arg(long)]
    pub ecb_bin: Option<PathBuf>,
    /// The socketioxide peer binary.
    #[arg(long)]
    pub sio_peer_bin: Option<PathBuf>,
    /// The Node peer's script.
    #[arg(long)]
    pub node_peer: Option<PathBuf>,
    /// Where the report goes.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CPUs the servers under test are pinned to (`taskset -c`); "none" to not pin.
    #[arg(long, default_value = "0")]
    pub server_cpus: String,
    /// CPUs the generator, the backend and the Lambda stack are pinned to.
    #[arg(long, default_value = "1")]
    pub load_cpus: String,
    /// The most idle connections to try for.
    #[arg(long, default_value_t = 100_000)]
    pub idle_max: usize,
    /// How long the idle connections are held (past one 25 s ping interval).
    #[arg(long, default_value_t = 27)]
    pub idle_hold_secs: u64,
    /// How long each idle ramp may take.
    #[arg(long, default_value_t = 40)]
    pub idle_ramp_secs: u64,
    /// Warm-up before each fan-out measurement, seconds.
    #[arg(long, default_value_t = 1)]
    pub warmup_secs: u64,
    /// Each fan-out measurement, seconds.
    #[arg(long, default_value_t = 5)]
    pub measure_secs: u64,
    /// Tiny load against ECB only, a few seconds, no report in docs/.
    #[arg(long)]
    pub smoke: bool,
    /// Only these servers, comma-separated: ecb, node, socketioxide, ecb-raw (default: all).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Thread sizes of the fan-out scenarios (default 2,10,100,1000; smoke 2,10).
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<usize>,
    /// Skip the idle scenario.
    #[arg(long)]
    pub skip_idle: bool,
    /// Skip the fan-out scenarios (threads of 1,000 included).
    #[arg(long)]
    pub skip_fanout: bool,
    /// Skip the fan-out's threads of 1,000 members and more (scenario 6).
    #[arg(long)]
    pub skip_large_threads: bool,
    /// Skip the connect storm.
    #[arg(long)]
    pub skip_storm: bool,
    /// Connections of the connect storm, each with its own user and token.
    #[arg(long, default_value_t = 5_000)]
    pub storm_connections: usize,
    /// Skip the mixed load (idle connections under the fan-out at threads of 10).
    #[arg(long)]
    pub skip_mixed: bool,
    /// Idle connections the mixed load holds under the fan-out.
    #[arg(long, default_value_t = 10_000)]
    pub mixed_idle: usize,
    /// Skip the Lambda scenario.
    #[arg(long)]
    pub skip_lambda: bool,
    /// The command line to print in the report.
    #[arg(long, default_value = "bench/run.sh")]
    pub command: String,
    /// How long bench/run.sh's builds and installs took, seconds (for the report).
    #[arg(long)]
    pub build_seconds: Option<f64>,
}

/// The servers under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Server {
    Ecb,
    Node,
    Socketioxide,
}

impl Server {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ecb => "ECB",
            Self::Node => "Socket.IO 4.8 (Node)",
            Self::Socketioxide => "socketioxide 0.18",
        }
    }
}

/// A server under test with the protocol the generator speaks to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Subject {
    pub server: Server,
    pub proto: Proto,
}

impl Subject {
    /// The name `--only` takes.
    pub fn key(self) -> &'static str {
        match (self.server, self.proto) {
            (Server::Ecb, Proto::RawWs) => "ecb-raw",
            (Server::Ecb, _) => "ecb",
            (Server::Node, _) => "node",
            (Server::Socketioxide, _) => "socketioxide",
        }
    }

    pub fn label(self) -> String {
        match (self.server, self.proto) {
            (Server::Ecb, Proto::RawWs) => "ECB (raw WebSocket)".into(),
            (server, _) => server.label().into(),
        }
    }
}

pub(crate) struct Paths {
    pub(crate) root: PathBuf,
    pub(crate) ecb: PathBuf,
    pub(crate) sio_peer: PathBuf,
    pub(crate) node_peer: PathBuf,
    pub(crate) public_key: PathBuf,
    pub(crate) private_key: PathBuf,
    pub(crate) logs: PathBuf,
}

/// How long the CPU's steadiness is measured at each end of a run: long
/// enough to catch a slow second on a shared host, a blink in a smoke.
fn steadiness_window(smoke: bool) -> Duration {
    Duration::from_secs(if smoke { 0 } else { 5 })
}

/// The fan-out size from which threads are scenario 6's (threads of 1,000).
pub const LARGE_THREAD: usize = 1000;

/// The mixed load's fan-out: threads of 10, beside scenario 2's.
pub const MIXED_MEMBERS: usize = 10;

/// The open-file limits of a server and of the generator: the most
/// connections either can hold.
fn open_file_limits(server: &Proc) -> (usize, usize) {
    let server_limit = server.open_files_limit().unwrap_or(1024) as usize;
    let own_limit = procs::command_output("sh", &["-c", "ulimit -n"])
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(1024);
    (server_limit, own_limit)
}

pub(crate) fn cpus(list: &str) -> Option<&str> {
    (list != "none" && !list.is_empty()).then_some(list)
}

/// Starts a server under test (pinned to `server_cpus`) and waits for its port.
pub(crate) async fn start_server(
    server: Server,
    paths: &Paths,
    backend_url: &str,
    server_cpus: Option<&str>,
    tag: &str,
) -> anyhow::Result<(Proc, u16)> {
    let port = crate::free_port();
    let listen = format!("127.0.0.1:{port}");
    let key = paths.public_key.display().to_string();
    let common = vec![
        "--listen".to_owned(),
        listen,
        "--backend-url".into(),
        backend_url.to_owned(),
        "--public-key-file".into(),
        key,
    ];
    let (program, args, env) = match server {
        Server::Ecb => {
            let mut args = vec!["serve".to_owned()];
            args.extend(common);
            (
                paths.ecb.display().to_string(),
                args,
                // The peers have no rate limit: ECB's check still runs, at a
                // limit no scenario reaches; nor a cap on connections, and
                // every load client comes from one address. Logs at warn, as
                // the peers log nothing.
                vec![
                    ("ECB_RATE_LIMIT".to_owned(), "1000000".to_owned()),
                    ("ECB_MAX_CONNECTIONS_PER_IP".to_owned(), "0".to_owned()),
                    ("ECB_MAX_CONNECTIONS_PER_USER".to_owned(), "0".to_owned()),
                    ("RUST_LOG".to_owned(), "warn".to_owned()),
                ],
            )
        }
        Server::Node => {
            let mut args = vec![paths.node_peer.display().to_string()];
            args.extend(common);
            ("node".to_owned(), args, vec![])
        }
        Server::Socketioxide => (paths.sio_peer.display().to_string(), common, vec![]),
    };
    let mut process = Spawn {
        name: &format!(
            "{}-{tag}",
            server.label().split(' ').next().unwrap_or("server")
        ),
        program: &program,
        args,
        env,
        cpus: server_cpus,
        cwd: Some(&paths.root),
        logs: &paths.logs,
        group: false,
    }
    .start()?;
    process.wait_for_port(port, Duration::from_secs(30)).await?;
    // Let start-up allocations settle before the baseline RSS is read.
    tokio::time::sleep(Duration::from_millis(700)).await;
    Ok((process, port))
}

/// Runs the suite and writes the report.
pub async fn run(config: SuiteConfig) -> anyhow::Result<Report> {
    crate::install_crypto_provider();
    let started = Instant::now();
    let root = std::fs::canonicalize(&config.root).context("--root")?;
    let paths = Paths {
        ecb: config
            .ecb_bin
            .clone()
            .unwrap_or_else(|| root.join("target/release/ecb")),
        sio_peer: config
            .sio_peer_bin
            .clone()
            .unwrap_or_else(|| root.join("target/release/ecb-bench-peer-socketioxide")),
        node_peer: config
            .node_peer
            .clone()
            .unwrap_or_else(|| root.join("bench/peers/node/server.mjs")),
        public_key: root.join("demo/backend/keys/public/demo.pem"),
        private_key: root.join("demo/backend/keys/demo.private.pem"),
        logs: root.join(if config.smoke {
            "target/bench/smoke-logs"
        } else {
            "target/bench/logs"
        }),
        root: root.clone(),
    };
    let load_cpus = cpus(&config.load_cpus);
    let mut meta = Meta::gather(&config, &root, &paths.sio_peer);
    println!("ECB benchmarks — {}", meta.date);
    println!(
        "machine: {} CPUs, {}, {}",
        meta.machine.nproc, meta.machine.cpu_model, meta.machine.memory
    );
    println!("load at start: {}", meta.load_start);
    meta.steadiness_start = RunSteadiness::measure(
        &config.server_cpus,
        &config.load_cpus,
        steadiness_window(config.smoke),
    );
    println!(
        "CPU steadiness at start: {}",
        meta.steadiness_start.summary()
    );

    let signer = Signer::from_file(&paths.private_key, "demo")?;
    let mut sizes: Vec<usize> = if !config.sizes.is_empty() {
        config.sizes.clone()
    } else if config.smoke {
        vec![2, 10]
    } else {
        vec![2, 10, 100, LARGE_THREAD]
    };
    if config.skip_large_threads {
        sizes.retain(|&n| n < LARGE_THREAD);
    }
    // The mixed load's fan-out is at threads of 10.
    let users = sizes
        .iter()
        .copied()
        .chain([MIXED_MEMBERS])
        .max()
        .unwrap_or(2);
    let user_tokens: Vec<String> = (0..users)
        .map(|i| signer.user_token(&format!("u{i}")))
        .collect();
    let threads_for = |n: usize| -> usize {
        if config.smoke {
            2
        } else {
            match n {
                2 => 64,
                10 => 32,
                // Few threads: one message is 999 pushes the generator
                // reads on its one CPU, and ECB's presence makes a join
                // cost a push to every member already in.
                n if n >= LARGE_THREAD => 4,
                _ => 8,
            }
        }
    };
    let thread_tokens: Vec<(usize, Vec<String>)> = sizes
        .iter()
        .map(|&n| {
            let members: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
            let tokens = (0..threads_for(n))
                .map(|t| signer.thread_token(&format!("f{n}-{t}"), &members))
                .collect();
            (n, tokens)
        })
        .collect();
    let run_storm = !config.skip_storm;
    let run_mixed = !config.skip_mixed;
    let storm_connections = if config.smoke {
        50
    } else {
        config.storm_connections
    };
    let mixed_idle = if config.smoke { 50 } else { config.mixed_idle };
    // One token per connection of the storm, signed before anything is
    // timed; the mixed load's idle crowd takes them in turn (users in no thread).
    let crowd_tokens: Vec<String> = if run_storm || run_mixed {
        let signing = Instant::now();
        let tokens: Vec<String> = (0..storm_connections.max(1))
            .map(|i| signer.user_token(&format!("c{i}")))
            .collect();
        println!(
            "signed {} distinct userTokens for the connect storm in {:.1} s",
            tokens.len(),
            signing.elapsed().as_secs_f64()
        );
        tokens
    } else {
        Vec::new()
    };
    let mixed_threads: Vec<String> = if run_mixed {
        let members: Vec<String> = (0..MIXED_MEMBERS).map(|i| format!("u{i}")).collect();
        (0..threads_for(MIXED_MEMBERS))
            .map(|t| signer.thread_token(&format!("x{MIXED_MEMBERS}-{t}"), &members))
            .collect()
    } else {
        Vec::new()
    };

    let tokens_cost = crate::token_cost::measure(
        &signer,
        &paths.public_key,
        &paths.logs,
        load_cpus,
        &paths.root.join("bench/peers/node"),
    );
    println!("RS256 verification: {}", tokens_cost.summary());

    // The bench backend, a process of its own next to the generator.
    let backend_port = crate::free_port();
    let exe = std::env::current_exe()?;
    let mut backend = Spawn {
        name: "bench-backend",
        program: &exe.display().to_string(),
        args: vec![
            "backend".into(),
            "--listen".into(),
            format!("127.0.0.1:{backend_port}"),
        ],
        env: vec![],
        cpus: load_cpus,
        cwd: None,
        logs: &paths.logs,
        group: false,
    }
    .start()?;
    backend
        .wait_for_port(backend_port, Duration::from_secs(10))
        .await?;
    let backend_url = format!("http://127.0.0.1:{backend_port}");

    let subjects: Vec<Subject> = if config.smoke {
        vec![
            Subject {
                server: Server::Ecb,
                proto: Proto::SocketIo,
            },
            Subject {
                server: Server::Ecb,
                proto: Proto::RawWs,
            },
        ]
    } else {
        vec![
            Subject {
                server: Server::Ecb,
                proto: Proto::SocketIo,
            },
            Subject {
                server: Server::Node,
                proto: Proto::SocketIo,
            },
            Subject {
                server: Server::Socketioxide,
                proto: Proto::SocketIo,
            },
            Subject {
                server: Server::Ecb,
                proto: Proto::RawWs,
            },
        ]
    };

    let subjects: Vec<Subject> = subjects
        .into_iter()
        .filter(|s| config.only.is_empty() || config.only.iter().any(|o| *o == s.key()))
        .collect();

    // 1. Idle connections.
    let mut idle_results: Vec<(Subject, IdleResult)> = Vec::new();
    if !config.skip_idle {
        println!("\n== 1. idle connections");
        for &subject in &subjects {
            let (server, port) = start_server(
                subject.server,
                &paths,
                &backend_url,
                cpus(&config.server_cpus),
                "idle",
            )
            .await?;
            let (fd_limit, own_limit) = open_file_limits(&server);
            let most = config
                .idle_max
                .min(fd_limit.saturating_sub(100))
                .min(own_limit.saturating_sub(100));
            let checkpoints: Vec<usize> = if config.smoke {
                vec![20]
            } else {
                let mut points: Vec<usize> =
                    [1_000, 10_000].into_iter().filter(|&c| c < most).collect();
                points.push(most);
                points
            };
            println!(
                "  {} — up to {most} connections (server's open-file limit {fd_limit}, the generator's {own_limit}):",
                subject.label()
            );
            let plan = IdlePlan {
                checkpoints,
                hold: Duration::from_secs(if config.smoke {
                    1
                } else {
                    config.idle_hold_secs
                }),
                ramp_budget: Duration::from_secs(config.idle_ramp_secs),
                sources: 8,
                concurrency: 128,
            };
            let endpoint = Endpoint::new(subject.proto, ([127, 0, 0, 1], port).into());
            let result = idle::run(endpoint, &server, &user_tokens, &plan).await;
            println!(
                "    held {} of {} for {:.0} s ({:.0} connections/s while dialing), RSS after the hold {:.1} KiB per connection, server CPU while idle {:.1}%{}",
                result.alive_after_hold,
                result.reached,
                result.hold_seconds,
                result.connect_rate,
                result.bytes_per_connection_after_hold / 1024.0,
                result.hold_cpu_share * 100.0,
                result
                    .first_failure
                    .as_ref()
                    .map(|f| format!(", {} failures (first: {f})", result.failures))
                    .unwrap_or_default()
            );
            server.stop().await;
            idle_results.push((subject, result));
            // Let the kernel reap the closed sockets' TIME_WAIT state a little.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    // 5. Connect storm.
    let mut storm_results: Vec<(Subject, StormResult)> = Vec::new();
    if run_storm {
        println!("\n== 5. connect storm");
        for &subject in &subjects {
            let (server, port) = start_server(
                subject.server,
                &paths,
                &backend_url,
                cpus(&config.server_cpus),
                "storm",
            )
            .await?;
            let (fd_limit, own_limit) = open_file_limits(&server);
            let connections = crowd_tokens
                .len()
                .min(fd_limit.saturating_sub(100))
                .min(own_limit.saturating_sub(100));
            println!(
                "  {} — {connections} connections, each its own user and token, 128 handshakes at a time:",
                subject.label()
            );
            let plan = StormPlan {
                connections,
                sources: 8,
                concurrency: 128,
                budget: Duration::from_secs(60),
            };
            let endpoint = Endpoint::new(subject.proto, ([127, 0, 0, 1], port).into());
            let result = storm::run(endpoint, server.pid, &crowd_tokens, &plan).await;
            server.stop().await;
            storm_results.push((subject, result));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    let fanout_plan = |members: usize, threads: usize| FanoutPlan {
        members,
        threads,
        warmup: Duration::from_secs(config.warmup_secs),
        measure: Duration::from_secs(if config.smoke { 1 } else { config.measure_secs }),
        drain: Duration::from_millis(1500),
        completion_timeout: Duration::from_secs(2),
        sources: 4,
    };

    // 2 and 3 (and 6, threads of 1,000). Fan-out.
    let mut fanout_results: Vec<(Subject, Vec<FanoutResult>)> = Vec::new();
    if !config.skip_fanout {
        println!("\n== 2./3. fan-out");
        for &subject in &subjects {
            let (server, port) = start_server(
                subject.server,
                &paths,
                &backend_url,
                cpus(&config.server_cpus),
                "fanout",
            )
            .await?;
            let endpoint = Endpoint::new(subject.proto, ([127, 0, 0, 1], port).into());
            let watched = Watched {
                server: server.pid,
                backend: backend.pid,
            };
            let mut results = Vec::new();
            for (n, tokens) in &thread_tokens {
                println!(
                    "  {} — threads of {n} ({} threads, {} connections):",
                    subject.label(),
                    tokens.len(),
                    tokens.len() * n
                );
                let plan = fanout_plan(*n, tokens.len());
                let result = fanout::run(endpoint, watched, &user_tokens, tokens, &plan).await;
                if let Some(error) = &result.first_error {
                    println!("    first error answer: {error}");
                }
                results.push(result);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            server.stop().await;
            fanout_results.push((subject, results));
        }
    }

    // 7. Mixed load: idle Socket.IO connections under the fan-out at threads of 10.
    let mut mixed_results: Vec<(Subject, MixedResult)> = Vec::new();
    if run_mixed {
        println!("\n== 7. mixed load");
        for &subject in subjects.iter().filter(|s| s.proto == Proto::SocketIo) {
            let (server, port) = start_server(
                subject.server,
                &paths,
                &backend_url,
                cpus(&config.server_cpus),
                "mixed",
            )
            .await?;
            let on_top = fanout_plan(MIXED_MEMBERS, mixed_threads.len());
            let active = on_top.members * on_top.threads;
            let (fd_limit, own_limit) = open_file_limits(&server);
            let crowd = mixed_idle
                .min(fd_limit.saturating_sub(100 + active))
                .min(own_limit.saturating_sub(100 + active));
            println!(
                "  {} — {crowd} idle connections, then threads of {MIXED_MEMBERS} ({} threads, {active} connections) on top:",
                subject.label(),
                on_top.threads,
            );
            let plan = MixedPlan {
                idle: crowd,
                sources: 8,
                concurrency: 128,
                idle_budget: Duration::from_secs(config.idle_ramp_secs),
                fanout: on_top,
            };
            let endpoint = Endpoint::new(subject.proto, ([127, 0, 0, 1], port).into());
            let watched = Watched {
                server: server.pid,
                backend: backend.pid,
            };
            let result = mixed::run(
                endpoint,
                watched,
                &crowd_tokens,
                &user_tokens,
                &mixed_threads,
                &plan,
            )
            .await;
            server.stop().await;
            mixed_results.push((subject, result));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    // 4. Lambda.
    let mut lambda_result: Option<LambdaResult> = None;
    if !config.skip_lambda && !config.smoke {
        println!("\n== 4. Lambda");
        let (functions_dir, release_dir, dynalite_cli) = lambda::default_paths(&root);
        let plan = LambdaPlan {
            functions_dir: &functions_dir,
            release_dir: &release_dir,
            ecb_bin: &paths.ecb.display().to_string(),
            dynalite_cli: &dynalite_cli,
            // Labelled with the signer's kid, as ECB_PUBLIC_KEY text keys are.
            public_key_pem: format!("demo: {}", std::fs::read_to_string(&paths.public_key)?),
            backend_url: backend_url.clone(),
            logs: &paths.logs,
            load_cpus: None,
            thread_sizes: vec![2, 10, 100],
        };
        lambda_result = Some(lambda::run(&plan, &signer).await);
    }
    backend.stop().await;

    meta.load_end = procs::load_snapshot();
    meta.steadiness_end = RunSteadiness::measure(
        &config.server_cpus,
        &config.load_cpus,
        steadiness_window(config.smoke),
    );
    println!("CPU steadiness at end: {}", meta.steadiness_end.summary());
    meta.suite_seconds = started.elapsed().as_secs_f64();
    let report = Report {
        meta,
        tokens: tokens_cost,
        idle: idle_results,
        storm: storm_results,
        fanout: fanout_results,
        mixed: mixed_results,
        lambda: lambda_result,
    };
    let markdown = report::render(&report);
    println!("\n================ report ================\n{markdown}");
    let out = config.out.clone().unwrap_or_else(|| {
        root.join(if config.smoke {
            "target/bench/smoke.md"
        } else {
            "docs/BENCHMARKS.md"
        })
    });
    let previous = std::fs::read_to_string(&out).unwrap_or_default();
    write(&out, &crate::soak::keep_section(markdown, &previous))?;
    let json = root.join(if config.smoke {
        "target/bench/smoke.json"
    } else {
        "target/bench/results.json"
    });
    write(&json, &serde_json::to_string_pretty(&report)?)?;
    println!(
        "report written to {} (raw figures: {})",
        out.display(),
        json.display()
    );
    Ok(report)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
