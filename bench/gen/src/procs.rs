//! Server processes: started pinned to their CPUs, waited for, measured
//! (RSS, CPU time, open-file limit) through /proc, and stopped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Clock ticks per second of /proc/*/stat times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// A process the suite started.
pub struct Proc {
    pub name: String,
    child: tokio::process::Child,
    pub pid: u32,
    pub log: PathBuf,
    group: bool,
}

/// How to start one process.
pub struct Spawn<'a> {
    pub name: &'a str,
    pub program: &'a str,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `taskset -c` list, or none.
    pub cpus: Option<&'a str>,
    pub cwd: Option<&'a Path>,
    pub logs: &'a Path,
    /// Its own process group, ended as a whole (cargo lambda's children).
    pub group: bool,
}

impl Spawn<'_> {
    pub fn start(self) -> anyhow::Result<Proc> {
        std::fs::create_dir_all(self.logs)?;
        let log = self.logs.join(format!("{}.log", self.name));
        let file = std::fs::File::create(&log)?;
        let (program, args) = match self.cpus {
            Some(cpus) => {
                let mut args = vec!["-c".to_owned(), cpus.to_owned(), self.program.to_owned()];
                args.extend(self.args);
                ("taskset".to_owned(), args)
            }
            None => (self.program.to_owned(), self.args),
        };
        let mut command = tokio::process::Command::new(&program);
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .kill_on_drop(true);
        if let Some(cwd) = self.cwd {
            command.current_dir(cwd);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        if self.group {
            command.process_group(0);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {} ({program})", self.name))?;
        let pid = child.id().context("child pid")?;
        Ok(Proc {
            name: self.name.to_owned(),
            child,
            pid,
            log,
            group: self.group,
        })
    }
}

impl Proc {
    /// Resident set size, KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid)
    }

    /// User + system CPU seconds so far (all threads).
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid).unwrap_or(0.0)
    }

    /// File descriptors it holds open now.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid)).map_or(0, |dir| dir.count())
    }

    /// The soft limit on open files.
    pub fn open_files_limit(&self) -> Option<u64> {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid)).ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of its log, for an error message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Waits until it accepts connections on `port`.
    pub async fn wait_for_port(&mut self, port: u16, timeout: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if !self.running() {
                bail!("{} exited:\n{}", self.name, self.log_tail());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "{} does not listen on {port} after {timeout:?}:\n{}",
            self.name,
            self.log_tail()
        )
    }

    /// SIGTERM (to the group, when it has one), then SIGKILL after 3 s.
    pub async fn stop(mut self) {
        let target = if self.group {
            format!("-{}", self.pid)
        } else {
            self.pid.to_string()
        };
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", "--", &target])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(3), self.child.wait())
            .await
            .is_err()
        {
            let _ = tokio::process::Command::new("kill")
                .args(["-KILL", "--", &target])
                .status()
                .await;
            let _ = self.child.wait().await;
        }
    }
}

/// A process's resident set size, KiB (0 once it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:").unwrap_or(0)
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU seconds of a process (all its threads).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which ends with the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// This process's CPU seconds.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// A CPU meter over a window: CPU seconds of a process per wall second.
pub struct CpuMeter {
    pid: u32,
    cpu: f64,
    wall: Instant,
}

impl CpuMeter {
    pub fn start(pid: u32) -> Self {
        Self {
            pid,
            cpu: cpu_seconds(pid).unwrap_or(0.0),
            wall: Instant::now(),
        }
    }

    /// CPU seconds used since start, and that as a share of one core.
    pub fn read(&self) -> (f64, f64) {
        let used = cpu_seconds(self.pid).unwrap_or(0.0) - self.cpu;
        let wall = self.wall.elapsed().as_secs_f64();
        (used, if wall > 0.0 { used / wall } else { 0.0 })
    }
}

/// One command's output, trimmed, or `None`.
pub fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    let mut text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if text.is_empty() {
        text = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    }
    (!text.is_empty()).then_some(text)
}

/// The machine, as the report describes it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub nproc: String,
    pub cpu_model: String,
    pub memory: String,
    pub kernel: String,
    pub open_files_limit: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpu_model = command_output("lscpu", &[])
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("Model name:"))
                    .map(|l| l["Model name:".len()..].trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let kib: f64 = m
                    .lines()
                    .find(|l| l.starts_with("MemTotal:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()?;
                Some(format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            })
            .unwrap_or_else(|| "unknown".into());
        Self {
            // `--all`: the suite itself runs pinned to the load CPUs.
            nproc: command_output("nproc", &["--all"]).unwrap_or_else(|| "?".into()),
            cpu_model,
            memory,
            kernel: command_output("uname", &["-r"]).unwrap_or_default(),
            open_files_limit: command_output("sh", &["-c", "ulimit -Sn; ulimit -Hn"])
                .map(|t| t.replace('\n', " soft / ") + " hard")
                .unwrap_or_default(),
        }
    }
}

/// `uptime`'s load averages, and the busiest processes over the last second
/// (`top`'s second sample), so a machine shared with other work shows.
pub fn load_snapshot() -> String {
    let uptime = command_output("uptime", &[]).unwrap_or_default();
    let top = command_output(
        "sh",
        &[
            "-c",
            "top -b -n 2 -d 1 -w 200 | awk '/^ *PID/{n++; next} n==2 && NF>=12 && c<5 {printf \"%s %s%%; \", $12, $9; c++}'",
        ],
    )
    .unwrap_or_default();
    format!("{} — busiest over 1 s: {}", uptime.trim(), top.trim())
}
