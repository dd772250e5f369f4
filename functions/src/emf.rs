//! The engine's metrics on Lambda, as CloudWatch Embedded Metric Format:
//! what the engine records through the `metrics` facade during one
//! invocation is printed when the invocation ends, one JSON line per label
//! set (EMF carries dimension values as top-level fields, so metrics with
//! different labels cannot share a line). CloudWatch Logs turns the lines
//! into metrics, with no agent and no API call. The names and labels are
//! the local server's `/metrics` ones (`ecb_engine::instruments`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use serde_json::{Map, Value, json};

/// The CloudWatch namespace the metrics are filed under.
pub const NAMESPACE: &str = "ECB";

/// What one metric gathered during the invocation.
#[derive(Debug, Clone, PartialEq)]
enum Gathered {
    Count(u64),
    Level(f64),
    Samples(Vec<f64>),
}

/// Everything recorded since the last flush, by metric and labels.
#[derive(Default)]
struct Invocation {
    gathered: Mutex<HashMap<Key, Gathered>>,
}

impl Invocation {
    fn update(&self, key: &Key, change: impl FnOnce(&mut Gathered), start: Gathered) {
        let mut gathered = self.gathered.lock().unwrap_or_else(|e| e.into_inner());
        change(gathered.entry(key.clone()).or_insert(start));
    }

    fn take(&self) -> HashMap<Key, Gathered> {
        std::mem::take(&mut *self.gathered.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// One metric's handle: the key it records under, and where.
struct Handle {
    key: Key,
    invocation: Arc<Invocation>,
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        let add = |g: &mut Gathered| {
            if let Gathered::Count(count) = g {
                *count += value;
            }
        };
        self.invocation.update(&self.key, add, Gathered::Count(0));
    }

    fn absolute(&self, value: u64) {
        let set = |g: &mut Gathered| *g = Gathered::Count(value);
        self.invocation.update(&self.key, set, Gathered::Count(0));
    }
}

impl GaugeFn for Handle {
    fn increment(&self, value: f64) {
        let add = |g: &mut Gathered| {
            if let Gathered::Level(level) = g {
                *level += value;
            }
        };
        self.invocation.update(&self.key, add, Gathered::Level(0.0));
    }

    fn decrement(&self, value: f64) {
        GaugeFn::increment(self, -value);
    }

    fn set(&self, value: f64) {
        let set = |g: &mut Gathered| *g = Gathered::Level(value);
        self.invocation.update(&self.key, set, Gathered::Level(0.0));
    }
}

impl HistogramFn for Handle {
    fn record(&self, value: f64) {
        let push = |g: &mut Gathered| {
            if let Gathered::Samples(samples) = g {
                samples.push(value);
            }
        };
        self.invocation
            .update(&self.key, push, Gathered::Samples(Vec::new()));
    }
}

/// A `metrics` recorder that gathers one invocation's metrics for [`flush`].
#[derive(Default, Clone)]
pub struct EmfRecorder {
    invocation: Arc<Invocation>,
}

impl EmfRecorder {
    fn handle(&self, key: &Key) -> Arc<Handle> {
        Arc::new(Handle {
            key: key.clone(),
            invocation: self.invocation.clone(),
        })
    }

    /// The EMF lines for what was gathered since the last call, which
    /// starts the next invocation afresh.
    pub fn take_lines(&self, timestamp_ms: u64) -> Vec<String> {
        render(self.invocation.take(), timestamp_ms)
    }
}

impl Recorder for EmfRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}

/// Installs the process's EMF recorder (once; later calls return it).
pub fn install() -> &'static EmfRecorder {
    static RECORDER: OnceLock<EmfRecorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = EmfRecorder::default();
        if metrics::set_global_recorder(recorder.clone()).is_err() {
            tracing::warn!("another metrics recorder is installed: no EMF lines");
        }
        recorder
    })
}

/// Prints what this invocation recorded to stdout, where Lambda sends it to
/// CloudWatch Logs; called as each invocation ends.
pub fn flush() {
    let timestamp_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let lines = install().take_lines(timestamp_ms);
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(stdout, "{line}");
    }
    let _ = stdout.flush();
}

/// CloudWatch's unit for a metric, from its name's convention.
fn unit(name: &str, gathered: &Gathered) -> &'static str {
    match gathered {
        _ if name.ends_with("_seconds") => "Seconds",
        Gathered::Count(_) => "Count",
        _ => "None",
    }
}

/// A metric's labels, sorted: what one EMF document's dimensions are.
type LabelSet = Vec<(String, String)>;

/// One EMF document per label set, metrics in name order.
fn render(gathered: HashMap<Key, Gathered>, timestamp_ms: u64) -> Vec<String> {
    let mut by_labels: BTreeMap<LabelSet, Vec<(String, Gathered)>> = BTreeMap::new();
    for (key, value) in gathered {
        let mut labels: LabelSet = key
            .labels()
            .map(|label| (label.key().to_owned(), label.value().to_owned()))
            .collect();
        labels.sort();
        by_labels
            .entry(labels)
            .or_default()
            .push((key.name().to_owned(), value));
    }
    by_labels
        .into_iter()
        .map(|(labels, mut metrics)| {
            metrics.sort_by(|a, b| a.0.cmp(&b.0));
            let mut document = Map::new();
            let dimensions: Vec<&str> = labels.iter().map(|(name, _)| name.as_str()).collect();
            let definitions: Vec<Value> = metrics
                .iter()
                .map(|(name, value)| json!({ "Name": name, "Unit": unit(name, value) }))
                .collect();
            document.insert(
                "_aws".into(),
                json!({
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [{
                        "Namespace": NAMESPACE,
                        "Dimensions": [dimensions],
                        "Metrics": definitions,
                    }],
                }),
            );
            for (name, value) in &labels {
                document.insert(name.clone(), json!(value));
            }
            for (name, value) in metrics {
                let value = match value {
                    Gathered::Count(count) => json!(count),
                    Gathered::Level(level) => json!(level),
                    Gathered::Samples(samples) => json!(samples),
                };
                document.insert(name, value);
            }
            Value::Object(document).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_label_set_with_its_dimensions_and_values() {
        let recorder = EmfRecorder::default();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("ecb_operations_total", "action" => "sendMessage", "code" => "ok")
                .increment(1);
            metrics::counter!("ecb_operations_total", "action" => "sendMessage", "code" => "ok")
                .increment(1);
            metrics::histogram!("ecb_backend_call_duration_seconds", "operation" => "addThreadMessage", "outcome" => "ok")
                .record(0.25);
            metrics::histogram!("ecb_fanout_size").record(3.0);
        });
        let lines: Vec<Value> = recorder
            .take_lines(1_700_000_000_000)
            .iter()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let operations = lines
            .iter()
            .find(|line| line.get("ecb_operations_total").is_some())
            .unwrap();
        assert_eq!(operations["ecb_operations_total"], 2);
        assert_eq!(operations["action"], "sendMessage");
        assert_eq!(operations["code"], "ok");
        let directive = &operations["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["action", "code"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{ "Name": "ecb_operations_total", "Unit": "Count" }])
        );
        assert_eq!(operations["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let backend = lines
            .iter()
            .find(|line| line.get("ecb_backend_call_duration_seconds").is_some())
            .unwrap();
        assert_eq!(backend["ecb_backend_call_duration_seconds"], json!([0.25]));
        assert_eq!(
            backend["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Seconds"
        );
        let fan_out = lines
            .iter()
            .find(|line| line.get("ecb_fanout_size").is_some())
            .unwrap();
        assert_eq!(
            fan_out["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert!(
            recorder.take_lines(0).is_empty(),
            "the next invocation starts empty"
        );
    }
}
