//! The generator's smoke run: a few seconds of tiny load against an ECB
//! started in this process (Socket.IO and raw WebSocket: idle connections,
//! fan-out, a connect storm, the fan-out over idle connections), with the
//! bench backend, so the generator cannot rot. `cargo test -p ecb-bench`; the
//! workspace's `cargo test` (./test.sh) runs it too.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ecb_bench::conn::{self, Endpoint};
use ecb_bench::fanout::{self, FanoutPlan, Watched};
use ecb_bench::mixed::{self, MixedPlan};
use ecb_bench::storm::{self, StormPlan};
use ecb_bench::tokens::Signer;
use ecb_bench::wire::Proto;
use tokio_util::sync::CancellationToken;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_drives_ecb_over_socket_io_and_raw_websocket() {
    ecb_bench::install_crypto_provider();
    let backend = ecb_bench::backend::spawn("127.0.0.1:0")
        .await
        .expect("bench backend");
    let key = repo().join("demo/backend/keys/public/demo.pem");
    let settings = ecb_engine::Settings::from_args([
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--backend-url".to_owned(),
        format!("http://{backend}"),
        "--public-key-file".to_owned(),
        key.display().to_string(),
        "--rate-limit".to_owned(),
        "1000000".to_owned(),
    ])
    .expect("settings");
    let ecb = ecb_server::start(&settings).await.expect("ECB starts");
    let signer = Signer::from_file(&repo().join("demo/backend/keys/demo.private.pem"), "demo")
        .expect("demo private key");
    let members = 3;
    let users: Vec<String> = (0..members)
        .map(|i| signer.user_token(&format!("u{i}")))
        .collect();
    let member_ids: Vec<String> = (0..members).map(|i| format!("u{i}")).collect();
    let threads: Vec<String> = (0..2)
        .map(|t| signer.thread_token(&format!("smoke-{t}"), &member_ids))
        .collect();
    let pid = std::process::id();
    // The storm's users, one token each; the mixed load's idle crowd too.
    let crowd: Vec<String> = (0..24)
        .map(|i| signer.user_token(&format!("c{i}")))
        .collect();

    for proto in [Proto::SocketIo, Proto::RawWs] {
        let endpoint = Endpoint::new(proto, ecb.addr);

        // Idle connections from two loopback source addresses, pings answered.
        let stop = CancellationToken::new();
        let alive = Arc::new(AtomicUsize::new(0));
        let mut holders = Vec::new();
        for i in 0..6 {
            let ws = conn::dial(endpoint, conn::source_address(i, 2), &users[i % members])
                .await
                .expect("an idle connection opens");
            alive.fetch_add(1, Ordering::Relaxed);
            holders.push(tokio::spawn(conn::hold(
                ws,
                proto,
                stop.clone(),
                alive.clone(),
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            alive.load(Ordering::Relaxed),
            6,
            "{proto:?}: idle connections held"
        );
        stop.cancel();
        for holder in holders {
            let _ = holder.await;
        }

        // Fan-out: saturation then half load, bounded to about two seconds.
        let plan = FanoutPlan {
            members,
            threads: threads.len(),
            warmup: Duration::from_millis(200),
            measure: Duration::from_millis(600),
            drain: Duration::from_millis(500),
            completion_timeout: Duration::from_secs(2),
            sources: 2,
        };
        let watched = Watched {
            server: pid,
            backend: pid,
        };
        let result = fanout::run(endpoint, watched, &users, &threads, &plan).await;
        assert!(
            result.setup_error.is_none(),
            "{proto:?}: {:?}",
            result.setup_error
        );
        assert!(
            result.saturation.deliveries_per_second > 0.0,
            "{proto:?}: deliveries at saturation: {result:?}"
        );
        assert_eq!(
            result.saturation.errors, 0,
            "{proto:?}: {:?}",
            result.first_error
        );
        let half = result.half.expect("a half-load run");
        assert!(half.samples > 0, "{proto:?}: latencies recorded");
        assert!(half.p50_us <= half.p99_us && half.p99_us <= half.max_us);
        assert_eq!(half.lost, 0, "{proto:?}: every push arrived");
        assert_eq!(half.errors, 0, "{proto:?}: {:?}", result.first_error);
        assert!(
            half.legs.ack_p99_us > 0 && half.legs.ack_p99_us <= half.max_us,
            "{proto:?}: every traced message written, acked and pushed: {:?}",
            half.legs
        );
        let view = half.server.expect("ECB measures itself on /metrics");
        assert!(
            view.send_messages > 0 && view.send_message_p99_ms.is_some(),
            "{proto:?}: ECB's own sendMessage histogram over the window: {view:?}"
        );

        // A connect storm of distinct tokens.
        let storm_plan = StormPlan {
            connections: crowd.len(),
            sources: 2,
            concurrency: 8,
            budget: Duration::from_secs(10),
        };
        let stormed = storm::run(endpoint, pid, &crowd, &storm_plan).await;
        assert_eq!(
            (stormed.connected, stormed.failures),
            (crowd.len(), 0),
            "{proto:?}: {:?}",
            stormed.first_failure
        );
        assert!(stormed.handshakes_per_second > 0.0 && stormed.p50_us <= stormed.p99_us);

        // The fan-out over idle connections.
        let mixed_plan = MixedPlan {
            idle: 12,
            sources: 2,
            concurrency: 8,
            idle_budget: Duration::from_secs(10),
            fanout: plan.clone(),
        };
        let mixed = mixed::run(endpoint, watched, &crowd, &users, &threads, &mixed_plan).await;
        assert_eq!(
            (mixed.idle_connected, mixed.idle_after),
            (12, 12),
            "{proto:?}: idle connections held under the fan-out: {:?}",
            mixed.first_failure
        );
        assert!(
            mixed.fanout.saturation.deliveries_per_second > 0.0,
            "{proto:?}: deliveries over idle connections: {:?}",
            mixed.fanout
        );
    }
    ecb.stop().await;
}

#[test]
fn the_sample_scans_its_whole_table_per_message() {
    use ecb_bench::lambda::sample_scan_rru;
    // 28-byte items: 146 fit in 4 KB; eventually consistent reads cost half a unit.
    assert_eq!(sample_scan_rru(100, true), 0.5);
    assert_eq!(sample_scan_rru(10_000, true), 34.5);
    // One Scan request stops at 1 MB: 256 × 4 KB.
    assert_eq!(sample_scan_rru(1_000_000, true), 128.0);
    assert_eq!(sample_scan_rru(1_000_000, false), 3418.0);
}
