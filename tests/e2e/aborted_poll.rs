//! A long-poll that dies takes its session with it (as the reference
//! server does: "poll connection closed prematurely"), so what it would
//! have carried is not lost silently: the client reconnects and resyncs.

use std::time::Duration;

use ecb_tests::conformance::ConformanceServer;
use reqwest::Method;

#[tokio::test]
async fn an_aborted_poll_does_not_swallow_the_next_payload() {
    let server = ConformanceServer::engine_io().await;
    let polling = server.polling();
    let sid = polling.open().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    // A client whose poll times out and goes away.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let aborted = impatient
        .get(format!("http://{}/engine.io/?{query}", server.addr))
        .send()
        .await;
    assert!(aborted.is_err(), "the poll was meant to time out");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The echo server answers this message on the session's next poll, if
    // the session is still there to take it.
    let (status, _) = polling.request(Method::POST, &query, "4hello").await;
    match status {
        200 => assert_eq!(polling.poll(&sid).await, (200, "4hello".into())),
        400 => {
            // Closed: the client starts a new session, which works.
            let fresh = polling.open().await;
            assert_eq!(polling.send(&fresh, "4again").await, (200, "ok".into()));
            assert_eq!(polling.poll(&fresh).await, (200, "4again".into()));
        }
        other => panic!("unexpected status {other}"),
    }
}
