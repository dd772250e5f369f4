//! The server's own view of a message's time, read from its `/metrics`
//! (ECB's Prometheus histograms; the peers have none): how long
//! sendMessage took from its frame's arrival to its reply, and how much of
//! that was the backend call. Set beside the generator's legs, it tells the
//! server's share of a latency from the load side's.

use std::net::SocketAddr;

use std::time::Duration;

use ecb_engine::instruments;

/// How long a server may take to answer `/metrics` before it counts as having none.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(1);

/// A Prometheus histogram's cumulative buckets: (upper bound in seconds, count).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    buckets: Vec<(f64, u64)>,
}

impl Histogram {
    /// The series of `metric` whose labels include `label="value"`, from
    /// Prometheus text; `None` when it has no buckets there.
    pub fn parse(text: &str, metric: &str, label: (&str, &str)) -> Option<Self> {
        let prefix = format!("{metric}_bucket{{");
        let wanted = format!("{}=\"{}\"", label.0, label.1);
        let mut buckets: Vec<(f64, u64)> = text
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .filter_map(|rest| {
                let (labels, count) = rest.split_once("} ")?;
                if !labels.split(',').any(|l| l == wanted) {
                    return None;
                }
                let le = labels.split(',').find_map(|l| l.strip_prefix("le=\""))?;
                let le = le.trim_end_matches('"');
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((bound, count.trim().parse().ok()?))
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        (!buckets.is_empty()).then_some(Self { buckets })
    }

    /// What was recorded after `earlier` (a scrape of the same series).
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let buckets = self
            .buckets
            .iter()
            .map(|&(bound, count)| {
                let before = earlier
                    .buckets
                    .iter()
                    .find(|(b, _)| *b == bound)
                    .map_or(0, |(_, c)| *c);
                (bound, count.saturating_sub(before))
            })
            .collect();
        Histogram { buckets }
    }

    /// How many were recorded.
    pub fn count(&self) -> u64 {
        self.buckets.last().map_or(0, |(_, c)| *c)
    }

    /// The smallest bucket bound (seconds) at or under which a share `q`
    /// of the records falls: the `q` quantile, rounded up to a bucket.
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let needed = (q * total as f64).ceil() as u64;
        self.buckets
            .iter()
            .find(|(_, count)| *count >= needed)
            .map(|(bound, _)| *bound)
    }

    /// The share of records above `bound` seconds (a bucket bound).
    pub fn share_above(&self, bound: f64) -> f64 {
        let total = self.count();
        let at_or_under = self
            .buckets
            .iter()
            .find(|(b, _)| *b >= bound)
            .map_or(total, |(_, c)| *c);
        if total == 0 {
            0.0
        } else {
            (total - at_or_under) as f64 / total as f64
        }
    }
}

/// sendMessage as the server measured it over a window.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ServerView {
    pub send_messages: u64,
    /// p99 of arrival to reply, as a bucket bound (ms).
    pub send_message_p99_ms: Option<f64>,
    /// p99 of the backend's addThreadMessage call within it (ms).
    pub backend_p99_ms: Option<f64>,
    /// Shares of sendMessages, and of backend calls, over 5 ms.
    pub send_message_over_5ms: f64,
    pub backend_over_5ms: f64,
}

/// The two histograms of one scrape.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    send_message: Histogram,
    backend: Histogram,
}

impl Scrape {
    /// Reads the server's `/metrics`; `None` when it has none (the peers)
    /// or they lack ECB's histograms.
    pub async fn take(addr: SocketAddr) -> Option<Self> {
        let read = async {
            reqwest::get(format!("http://{addr}/metrics"))
                .await
                .ok()?
                .error_for_status()
                .ok()?
                .text()
                .await
                .ok()
        };
        // A peer may hold a request for a path it does not serve (Node's
        // Socket.IO server does) rather than refuse it.
        let text = tokio::time::timeout(SCRAPE_TIMEOUT, read).await.ok()??;
        Some(Self {
            send_message: Histogram::parse(
                &text,
                instruments::OPERATION_SECONDS,
                ("action", "sendMessage"),
            )?,
            backend: Histogram::parse(
                &text,
                instruments::BACKEND_CALL_SECONDS,
                ("operation", "addThreadMessage"),
            )?,
        })
    }

    /// What the server measured between `earlier` and this scrape.
    pub fn since(&self, earlier: &Scrape) -> ServerView {
        let send_message = self.send_message.since(&earlier.send_message);
        let backend = self.backend.since(&earlier.backend);
        ServerView {
            send_messages: send_message.count(),
            send_message_p99_ms: send_message.quantile_bound(0.99).map(|s| s * 1000.0),
            backend_p99_ms: backend.quantile_bound(0.99).map(|s| s * 1000.0),
            send_message_over_5ms: send_message.share_above(0.005),
            backend_over_5ms: backend.share_above(0.005),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE ecb_operation_duration_seconds histogram
ecb_operation_duration_seconds_bucket{action="sendMessage",le="0.001"} 90
ecb_operation_duration_seconds_bucket{action="sendMessage",le="0.005"} 99
ecb_operation_duration_seconds_bucket{action="sendMessage",le="+Inf"} 100
ecb_operation_duration_seconds_bucket{action="getThread",le="0.001"} 7
ecb_operation_duration_seconds_bucket{action="getThread",le="+Inf"} 7
"#;

    #[test]
    fn reads_one_series_and_its_quantiles() {
        let h = Histogram::parse(
            TEXT,
            "ecb_operation_duration_seconds",
            ("action", "sendMessage"),
        )
        .unwrap();
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile_bound(0.5), Some(0.001));
        assert_eq!(h.quantile_bound(0.99), Some(0.005));
        assert_eq!(h.quantile_bound(1.0), Some(f64::INFINITY));
        assert!((h.share_above(0.005) - 0.01).abs() < 1e-9);
        let earlier = Histogram::parse(
            &TEXT
                .replace("} 90", "} 10")
                .replace("} 99", "} 10")
                .replace("} 100", "} 10"),
            "ecb_operation_duration_seconds",
            ("action", "sendMessage"),
        )
        .unwrap();
        let window = h.since(&earlier);
        assert_eq!(window.count(), 90);
        assert_eq!(window.quantile_bound(0.5), Some(0.001));
        assert_eq!(window.quantile_bound(0.95), Some(0.005));
        assert_eq!(
            Histogram::parse(
                TEXT,
                "ecb_operation_duration_seconds",
                ("action", "markRead")
            ),
            None
        );
    }
}
