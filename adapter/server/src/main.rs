//! `ecb`: the ECB local server.

use clap::{Parser, Subcommand};
use ecb_engine::Settings;
use ecb_server::logging::{self, LogFormat};
use ecb_server::{OperatorSettings, RunningServer};

/// The exit status of a second signal cutting a drain short (128 + SIGINT,
/// as shells report an interrupted program).
const EXIT_INTERRUPTED: i32 = 130;

/// ECB, the Enterprise Chat Bridge: pushes chat messages between your backend
/// and your web clients (Socket.IO, WebSocket, REST).
#[derive(Parser)]
#[command(name = "ecb", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve ECB in front of your backend (settings from ECB_* variables; flags override).
    Serve {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        operator: OperatorSettings,
    },
    /// Run ECB with a built-in demo backend, users and threads: no setup needed.
    Demo {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        operator: OperatorSettings,
        /// Where the demo backend listens.
        #[arg(long, default_value = "127.0.0.1:8081")]
        backend_listen: String,
        /// Run only the demo backend (e.g. behind the Lambda functions).
        #[arg(long)]
        backend_only: bool,
    },
    /// Play API Gateway WebSockets (and the HTTP API) in front of `cargo lambda watch`.
    Gateway {
        #[command(flatten)]
        config: ecb_server::gateway::GatewayConfig,
    },
    /// Serve what an official Engine.IO or Socket.IO protocol test suite expects.
    Conformance {
        /// The suite: `engine.io` or `socket.io`.
        suite: ecb_server::conformance::Suite,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: String,
    },
}

fn main() {
    let cli = Cli::parse();
    match LogFormat::from_env() {
        Ok(format) => logging::init(format),
        Err(error) => {
            eprintln!("ecb: {error}");
            std::process::exit(2);
        }
    }
    let runtime = match build_runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ecb: starting the runtime: {error}");
            std::process::exit(2);
        }
    };
    if let Err(error) = runtime.block_on(run(cli)) {
        eprintln!("ecb: {error:#}");
        std::process::exit(2);
    }
}

/// One CPU to run on gets the current-thread scheduler: with a single
/// worker the multi-thread one only adds its hand-offs (a wake-up from the
/// I/O driver goes through its shared queue and parks and unparks the
/// worker), which at half load cost more CPU per message than the message's
/// own work. With more CPUs, the multi-thread scheduler, one worker each.
fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let mut builder = if cpus == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build()
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { settings, operator } => {
            let server = ecb_server::start_operated(&settings, &operator).await?;
            println!("ECB listening on {}", server.url());
            if let Some(metrics) = server.metrics_addr {
                println!("Metrics on http://{metrics}");
            }
            shutdown_signal().await;
            drain_unless_signalled_again(server).await;
        }
        Command::Demo {
            backend_listen,
            backend_only: true,
            ..
        } => {
            let backend = ecb_demo_backend::DemoBackend::new(None);
            let addr = backend.spawn(&backend_listen).await?;
            println!(
                "Demo backend on http://{addr} (users alice, bob, carol, dave; accessToken = user id)"
            );
            shutdown_signal().await;
        }
        Command::Demo {
            settings,
            operator,
            backend_listen,
            ..
        } => {
            let demo = ecb_server::demo::start(settings, &operator, &backend_listen).await?;
            println!("{}", demo.banner());
            shutdown_signal().await;
            drain_unless_signalled_again(demo.server).await;
        }
        Command::Gateway { config } => {
            let gateway = ecb_server::gateway::start(config).await?;
            println!("API Gateway emulator on {}", gateway.url());
            shutdown_signal().await;
            gateway.stop().await;
        }
        Command::Conformance { suite, listen } => {
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            let shutdown = tokio_util::sync::CancellationToken::new();
            let tasks = tokio_util::task::TaskTracker::new();
            let app = ecb_server::conformance::router(suite, shutdown.clone(), tasks);
            let serving = ecb_server::serve(listener, app, shutdown.clone());
            println!("{suite:?} conformance server on http://{listen}");
            shutdown_signal().await;
            shutdown.cancel();
            let _ = serving.await;
        }
    }
    Ok(())
}

/// Drains the server (bounded by `ECB_DRAIN_TIMEOUT_MS`); a second Ctrl-C
/// or SIGTERM while it drains exits at once.
async fn drain_unless_signalled_again(server: RunningServer) {
    tokio::select! {
        _ = server.drain() => {}
        _ = shutdown_signal() => {
            eprintln!("ecb: second signal, exiting without draining");
            std::process::exit(EXIT_INTERRUPTED);
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
}
