//! The real Lambda runtime emulator, `cargo lambda watch`, running the real
//! function binaries of `functions/`, started for a test.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::dynalite::{free_port, wait_for_port};

/// `cargo lambda watch` on a free loopback port; its process group is killed on drop.
pub struct LambdaWatch {
    /// The Lambda Invoke API base URL.
    pub invoke_url: String,
    child: Child,
}

impl LambdaWatch {
    /// A free port for the Invoke API, known before the gateway that calls it starts.
    pub fn reserve_port() -> u16 {
        free_port()
    }

    /// Starts `cargo lambda watch` for the functions with `env` (ECB_* settings).
    pub async fn start(port: u16, env: &[(&str, String)]) -> Self {
        let functions = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../functions");
        // Up-to-date binaries first, so each function's first invocation does
        // not wait on a build (cargo lambda runs them with `cargo run`).
        let mut build = Command::new("cargo");
        build
            .args(["build", "--quiet", "--package", "ecb-functions", "--bins"])
            .current_dir(&functions);
        without_test_env(&mut build);
        let built = tokio::process::Command::from(build)
            .status()
            .await
            .expect("cargo runs");
        assert!(built.success(), "the functions build");
        let mut command = Command::new("cargo");
        without_test_env(&mut command);
        command
            .args(["lambda", "watch", "--ignore-changes"])
            .args([
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
            ])
            .current_dir(functions)
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_REGION", "us-east-1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("ECB_TEST_LAMBDA_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .process_group(0);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("cargo runs");
        for _ in 0..600 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "cargo lambda watch exited ({status}): is cargo-lambda installed? (./test.sh installs it)"
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        wait_for_port(port).await;
        Self {
            invoke_url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

/// Drops the variables cargo sets for this test binary (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, …): a nested cargo that inherits them sees a changed
/// environment and rebuilds crates whose build scripts watch it (ring).
fn without_test_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo {
            command.env_remove(name.as_ref());
        }
    }
}

impl Drop for LambdaWatch {
    fn drop(&mut self) {
        // cargo lambda runs each function as a child: end the whole group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}
