//! The real `ecb serve` binary as an operator runs it: a process of its own
//! (so its logs, its metrics recorder and its signals are its own), in
//! front of a backend, with its stderr kept in a file to read back.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{PATIENCE, ecb_binary};

/// A running `ecb serve`.
pub struct EcbProcess {
    pub child: Child,
    /// `http://addr` of its main listener.
    pub url: String,
    /// Lines it printed on stdout after the one naming its URL.
    pub stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    log_file: PathBuf,
}

impl EcbProcess {
    /// Starts `ecb serve --listen 127.0.0.1:0` in front of `backend_url`,
    /// trusting the demo key, with extra flags and environment.
    pub async fn serve(backend_url: &str, flags: &[&str], env: &[(&str, &str)]) -> Self {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log_file =
            std::env::temp_dir().join(format!("ecb-test-{}-{n}.log", std::process::id()));
        let stderr = std::fs::File::create(&log_file).expect("log file");
        let mut command = Command::new(ecb_binary());
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--backend-url",
                backend_url,
            ])
            .args(flags)
            .env("ECB_PUBLIC_KEY", ecb_demo_backend::DEMO_PUBLIC_KEY_TEXT)
            .env_remove("ECB_PUBLIC_KEY_FILE")
            .env_remove("ECB_LOG_FORMAT")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("ecb serve starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(PATIENCE, stdout.next_line())
            .await
            .expect("ecb serve prints its URL in time")
            .expect("stdout readable")
            .expect("a line");
        let url = line
            .strip_prefix("ECB listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        Self {
            child,
            url,
            stdout,
            log_file,
        }
    }

    /// What it logged so far, line by line.
    pub fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log_file)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits for the process to exit; its status and how long it took.
    pub async fn exited(&mut self, within: Duration) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .expect("exited in time")
            .expect("waitable");
        (status, started.elapsed())
    }

    /// `GET {url}{path}`: its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        get(&format!("{}{path}", self.url)).await
    }
}

/// `GET url`: its status and body.
pub async fn get(url: &str) -> (u16, String) {
    ecb_engine::install_crypto_provider();
    let response = reqwest::get(url).await.expect("GET answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

impl Drop for EcbProcess {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log_file);
    }
}
