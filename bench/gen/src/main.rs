//! `ecb-bench`: the benchmark suite's one binary.
//!
//! - `ecb-bench suite` runs every scenario against ECB and its peers and
//!   writes docs/BENCHMARKS.md (bench/run.sh builds everything, then runs it);
//! - `ecb-bench suite --smoke` runs a few seconds of tiny load against ECB only;
//! - `ecb-bench backend --listen ADDR` is the bench backend the suite starts;
//! - `ecb-bench steadiness` times a fixed piece of work on its CPU (the
//!   suite runs it under `taskset` on the servers' CPU);
//! - `ecb-bench soak` holds many connections of mixed transports against
//!   `ecb serve` while messages flow, and counts what was lost (issue 16).

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ecb-bench", about = "ECB's benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scenarios and write the report.
    Suite {
        #[command(flatten)]
        config: Box<ecb_bench::suite::SuiteConfig>,
    },
    /// Hold connections of mixed transports while messages flow; report
    /// lost, duplicated and reordered pushes, RSS and descriptors.
    Soak {
        #[command(flatten)]
        config: Box<ecb_bench::soak::SoakConfig>,
    },
    /// Time the steadiness's fixed piece of work for `millis` on this
    /// process's CPU and print the figures as JSON (the suite runs it under
    /// `taskset` on the servers' CPU).
    Steadiness {
        #[arg(long, default_value_t = 5000)]
        millis: u64,
    },
    /// Serve the bench backend.
    Backend {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Suite { config } => {
                ecb_bench::suite::run(*config).await?;
            }
            Command::Soak { config } => {
                ecb_bench::soak::run(*config).await?;
            }
            Command::Steadiness { millis } => {
                let measured = ecb_bench::steadiness::Steadiness::measure(
                    std::time::Duration::from_millis(millis),
                );
                println!("{}", serde_json::to_string(&measured)?);
            }
            Command::Backend { listen } => {
                let listener = tokio::net::TcpListener::bind(&listen).await?;
                println!("bench backend on http://{}", listener.local_addr()?);
                ecb_bench::backend::serve(listener).await?;
            }
        }
        Ok(())
    })
}
