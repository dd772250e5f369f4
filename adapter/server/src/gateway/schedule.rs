//! EventBridge's schedule: invokes a function every period with a
//! scheduled event, as the template's `Schedule` event does on AWS (there
//! the `engineio` function's sweep runs every minute).

use std::time::Duration;

use serde_json::json;

use super::Gateway;

/// Runs until the gateway shuts down.
pub(crate) async fn run(gateway: Gateway, function: String, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = gateway.shutdown.cancelled() => return,
        }
        let event = json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            "region": "us-east-1",
            "resources": [],
            "detail": {},
        });
        if let Err(error) = gateway.lambda.invoke(&function, &event).await {
            tracing::warn!(%error, %function, "scheduled invocation failed");
        }
    }
}
