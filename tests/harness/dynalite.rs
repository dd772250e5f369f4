//! dynalite, a DynamoDB-compatible server on Node, started for a test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ecb_aws::DynamoStore;

/// A dynalite server on a free loopback port; killed on drop.
pub struct Dynalite {
    pub url: String,
    child: Child,
}

/// Where `npm ci` in tests/node put dynalite.
fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node/node_modules/dynalite/cli.js")
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Dynalite {
    /// Starts dynalite and waits until it accepts connections.
    pub async fn start() -> Self {
        let cli = cli();
        assert!(
            cli.exists(),
            "dynalite missing: run `npm ci` in tests/node (./test.sh does)"
        );
        let port = free_port();
        let child = Command::new("node")
            .arg(&cli)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--createTableMs",
                "0",
                "--deleteTableMs",
                "0",
                "--updateTableMs",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs dynalite");
        let url = format!("http://127.0.0.1:{port}");
        wait_for_port(port).await;
        Self { url, child }
    }

    /// A `DynamoStore` on this server, its table created.
    pub async fn store(&self, table: &str) -> DynamoStore {
        let store = DynamoStore::connect(table, Some(&self.url)).await;
        store.ensure_table().await.expect("table");
        store
    }
}

/// Waits until something accepts connections on a loopback port.
pub async fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on port {port}");
}

impl Drop for Dynalite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
