//! Scenario 4: the Lambda functions. Binary sizes; process start to first
//! answered invocation (under `cargo lambda watch`, and of the bare binary
//! against a minimal Lambda Runtime API); DynamoDB calls per operation,
//! counted by a proxy in front of dynalite that also asks DynamoDB for the
//! capacity each call consumed; Management API calls likewise; and a cost
//! model per million messages beside AWS's simple-websockets-chat-app.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, Endpoint, Ws};
use crate::lambda_socketio;
use crate::procs::Spawn;
use crate::tokens::Signer;
use crate::wire::{self, Incoming, Proto};

/// The four function binaries.
pub const FUNCTIONS: [&str; 5] = ["connect", "message", "disconnect", "api", "engineio"];

/// Calls (and capacity) of one operation name.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OpCount {
    pub calls: u64,
    /// Request units DynamoDB reported (ReturnConsumedCapacity), reads and writes.
    pub read_units: f64,
    pub write_units: f64,
    /// How long the calls took, summed, as the proxy saw them (request in →
    /// answer out): for Lambda invocations, the billed duration's stand-in.
    pub millis: f64,
}

/// Counts by operation.
#[derive(Debug, Default)]
pub struct Counts(Mutex<BTreeMap<String, OpCount>>);

impl Counts {
    pub fn snapshot(&self) -> BTreeMap<String, OpCount> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn add(&self, op: &str, read: f64, write: f64, millis: f64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(op.to_owned()).or_default();
        entry.calls += 1;
        entry.read_units += read;
        entry.write_units += write;
        entry.millis += millis;
    }
}

/// What happened between two snapshots (or what one count has beyond
/// another: none below zero).
pub fn delta(
    before: &BTreeMap<String, OpCount>,
    after: &BTreeMap<String, OpCount>,
) -> BTreeMap<String, OpCount> {
    after
        .iter()
        .filter_map(|(op, a)| {
            let b = before.get(op).cloned().unwrap_or_default();
            let d = OpCount {
                calls: a.calls.saturating_sub(b.calls),
                read_units: (a.read_units - b.read_units).max(0.0),
                write_units: (a.write_units - b.write_units).max(0.0),
                millis: (a.millis - b.millis).max(0.0),
            };
            // A difference can keep time or units with no call of its own
            // (a sweep that pinged a session ran longer than one that did not).
            let any = d.calls > 0 || d.millis > 0.0 || d.read_units > 0.0 || d.write_units > 0.0;
            any.then(|| (op.clone(), d))
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum ProxyKind {
    DynamoDb,
    Management,
    /// Lambda's Invoke API, between the gateway and `cargo lambda watch`:
    /// every invocation passes here, the asynchronous ones too (the gateway
    /// queues those and then invokes synchronously), so it counts them by
    /// function and times each.
    Invoke,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    kind: ProxyKind,
    http: reqwest::Client,
    counts: Arc<Counts>,
}

fn capacity(value: &Value) -> (f64, f64, f64) {
    let one = |c: &Value| {
        (
            c.get("CapacityUnits")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            c.get("ReadCapacityUnits")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            c.get("WriteCapacityUnits")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        )
    };
    match value.get("ConsumedCapacity") {
        Some(Value::Array(items)) => items
            .iter()
            .map(one)
            .fold((0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2)),
        Some(c @ Value::Object(_)) => one(c),
        _ => (0.0, 0.0, 0.0),
    }
}

fn is_read(op: &str) -> bool {
    matches!(op, "GetItem" | "Query" | "Scan" | "BatchGetItem")
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let Ok(mut body) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let op = match proxy.kind {
        ProxyKind::DynamoDb => parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_owned(),
        ProxyKind::Management => {
            let first = parts
                .uri
                .path()
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            // `/@connections/{id}` → PostToConnection, GetConnection, DeleteConnection.
            match (parts.method.as_str(), first.as_str()) {
                ("POST", "@connections") => "PostToConnection".to_owned(),
                ("GET", "@connections") => "GetConnection".to_owned(),
                ("DELETE", "@connections") => "DeleteConnection".to_owned(),
                (method, path) => format!("{method} {path}"),
            }
        }
        // `/2015-03-31/functions/{name}/invocations` → the function's name.
        ProxyKind::Invoke => parts
            .uri
            .path()
            .split('/')
            .skip_while(|segment| *segment != "functions")
            .nth(1)
            .unwrap_or("?")
            .to_owned(),
    };
    // Ask DynamoDB what each call consumed (dynalite computes it as DynamoDB does).
    if proxy.kind == ProxyKind::DynamoDb
        && let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&body)
        && !object.contains_key("ReturnConsumedCapacity")
    {
        object.insert("ReturnConsumedCapacity".into(), Value::from("TOTAL"));
        body = Bytes::from(serde_json::to_vec(&Value::Object(object)).unwrap_or_default());
    }
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut outbound = proxy
        .http
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream));
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            outbound = outbound.header(name, value);
        }
    }
    let answer = match outbound.body(body).send().await {
        Ok(answer) => answer,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            headers.append(name.clone(), value.clone());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    let (units, read, write) = match proxy.kind {
        ProxyKind::DynamoDb => serde_json::from_slice::<Value>(&bytes)
            .map(|v| capacity(&v))
            .unwrap_or_default(),
        ProxyKind::Management | ProxyKind::Invoke => (0.0, 0.0, 0.0),
    };
    let (read, write) = if read + write > 0.0 {
        (read, write)
    } else if is_read(&op) {
        (units, 0.0)
    } else {
        (0.0, units)
    };
    proxy
        .counts
        .add(&op, read, write, started.elapsed().as_secs_f64() * 1000.0);
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

async fn spawn_proxy(upstream: &str, kind: ProxyKind) -> anyhow::Result<(String, Arc<Counts>)> {
    let counts = Arc::new(Counts::default());
    let proxy = Proxy {
        upstream: upstream.trim_end_matches('/').to_owned(),
        kind,
        http: reqwest::Client::new(),
        counts: counts.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().fallback(forward).with_state(proxy);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}"), counts))
}

/// One function binary's size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BinarySize {
    pub function: String,
    pub bytes: u64,
    pub stripped_bytes: Option<u64>,
}

/// Cold start of one bare binary against the minimal Runtime API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColdStart {
    pub function: String,
    /// Process start to the first invocation's response, ms.
    pub first_answer_ms: Option<f64>,
    pub error: Option<String>,
}

/// DynamoDB and Management API calls of one operation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OperationCalls {
    pub operation: String,
    pub dynamodb: BTreeMap<String, OpCount>,
    pub management: BTreeMap<String, OpCount>,
    /// Lambda invocations by function, and how long they took.
    pub invocations: BTreeMap<String, OpCount>,
    /// Client-observed latency through the gateway, ms (warm functions).
    pub latency_ms: Option<f64>,
    /// sendMessage: send → the last member's push, ms (about the invocation's duration).
    pub fanout_ms: Option<f64>,
}

impl OperationCalls {
    pub fn dynamodb_calls(&self) -> u64 {
        self.dynamodb.values().map(|c| c.calls).sum()
    }

    pub fn read_units(&self) -> f64 {
        self.dynamodb.values().map(|c| c.read_units).sum()
    }

    pub fn write_units(&self) -> f64 {
        self.dynamodb.values().map(|c| c.write_units).sum()
    }

    pub fn management_calls(&self) -> u64 {
        self.management.values().map(|c| c.calls).sum()
    }

    pub fn invocation_count(&self) -> u64 {
        self.invocations.values().map(|c| c.calls).sum()
    }

    /// Lambda GB-s at the template's memory size, from the invocations'
    /// measured durations.
    pub fn gb_seconds(&self) -> f64 {
        let millis: f64 = self.invocations.values().map(|c| c.millis).sum();
        millis / 1000.0 * LAMBDA_MEMORY_GB
    }

    /// The invocations as `function × count (ms each)`.
    pub fn invocations_text(&self) -> String {
        self.invocations
            .iter()
            .map(|(function, c)| {
                format!(
                    "{function} × {} ({:.0} ms each)",
                    c.calls,
                    c.millis / c.calls.max(1) as f64
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Everything scenario 4 measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LambdaResult {
    pub build: String,
    pub sizes: Vec<BinarySize>,
    pub cold_starts: Vec<ColdStart>,
    /// `cargo lambda watch` started → first answered invocation ($connect through the gateway), ms.
    pub watch_first_answer_ms: Option<f64>,
    /// `cargo lambda watch` started → its Invoke API accepts connections, ms.
    pub watch_listening_ms: Option<f64>,
    /// First (cold) answers of each route through the gateway, ms.
    pub first_invocations: BTreeMap<String, f64>,
    pub operations: Vec<OperationCalls>,
    pub error: Option<String>,
}

/// Where things are.
pub struct LambdaPlan<'a> {
    pub functions_dir: &'a Path,
    pub release_dir: &'a Path,
    pub ecb_bin: &'a str,
    pub dynalite_cli: &'a Path,
    pub public_key_pem: String,
    pub backend_url: String,
    pub logs: &'a Path,
    pub load_cpus: Option<&'a str>,
    /// Thread sizes whose sendMessage is counted.
    pub thread_sizes: Vec<usize>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// ---------- the minimal Lambda Runtime API (one invocation) ----------

type Outcome = Result<String, String>;

#[derive(Clone)]
struct Runtime {
    event: Arc<Mutex<Option<Value>>>,
    done: Arc<Mutex<Option<oneshot::Sender<Outcome>>>>,
}

impl Runtime {
    fn finish(&self, outcome: Outcome) {
        if let Some(done) = self.done.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = done.send(outcome);
        }
    }
}

async fn next_invocation(State(runtime): State<Runtime>) -> Response {
    let event = runtime
        .event
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    match event {
        Some(event) => (
            [
                ("lambda-runtime-aws-request-id", "bench-1".to_owned()),
                (
                    "lambda-runtime-deadline-ms",
                    (now_ms() + 30_000).to_string(),
                ),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:000000000000:function:bench".to_owned(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000".to_owned(),
                ),
                ("content-type", "application/json".to_owned()),
            ],
            event.to_string(),
        )
            .into_response(),
        // One invocation only: the process is ended after it.
        None => std::future::pending().await,
    }
}

async fn invocation_response(State(runtime): State<Runtime>, body: String) -> StatusCode {
    runtime.finish(Ok(body));
    StatusCode::ACCEPTED
}

async fn invocation_error(State(runtime): State<Runtime>, body: String) -> StatusCode {
    runtime.finish(Err(body));
    StatusCode::ACCEPTED
}

/// Starts `binary` against a Runtime API that hands it `event`; returns the
/// time from process start to its answer.
async fn cold_start(
    binary: &Path,
    name: &str,
    event: Value,
    env: &[(String, String)],
    logs: &Path,
) -> ColdStart {
    let run = async {
        let (done_tx, done_rx) = oneshot::channel();
        let runtime = Runtime {
            event: Arc::new(Mutex::new(Some(event))),
            done: Arc::new(Mutex::new(Some(done_tx))),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(invocation_error))
            .with_state(runtime);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut env = env.to_vec();
        env.extend(
            [
                ("AWS_LAMBDA_RUNTIME_API", addr.to_string()),
                ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
                ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".to_owned()),
                ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        let started = Instant::now();
        let process = Spawn {
            name: &format!("cold-{name}"),
            program: &binary.display().to_string(),
            args: vec![],
            env,
            cpus: None,
            cwd: None,
            logs,
            group: false,
        }
        .start()?;
        let outcome = tokio::time::timeout(Duration::from_secs(20), done_rx).await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let log = process.log_tail();
        process.stop().await;
        server.abort();
        match outcome {
            Ok(Ok(Ok(_))) => Ok(elapsed),
            Ok(Ok(Err(error))) => bail!("{name} answered with an error: {error}"),
            _ => bail!("{name} did not answer within 20 s:\n{log}"),
        }
    };
    match run.await {
        Ok(ms) => ColdStart {
            function: name.to_owned(),
            first_answer_ms: Some(ms),
            error: None,
        },
        Err(error) => ColdStart {
            function: name.to_owned(),
            first_answer_ms: None,
            error: Some(format!("{error:#}")),
        },
    }
}

fn websocket_event(
    route: &str,
    connection_id: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Value {
    let (event_type, route_key) = match route {
        "connect" => ("CONNECT", "$connect"),
        "disconnect" => ("DISCONNECT", "$disconnect"),
        _ => ("MESSAGE", "$default"),
    };
    let now = now_ms();
    let mut event = json!({
        "isBase64Encoded": false,
        "headers": { "host": "127.0.0.1" },
        "multiValueHeaders": { "host": ["127.0.0.1"] },
        "requestContext": {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": "bench",
            "requestTime": "25/Nov/2026:00:00:00 +0000",
            "messageDirection": "IN",
            "stage": "local",
            "connectedAt": now,
            "requestTimeEpoch": now,
            "identity": { "sourceIp": "127.0.0.1", "userAgent": "ecb-bench" },
            "requestId": "bench",
            "domainName": "127.0.0.1",
            "connectionId": connection_id,
            "apiId": "local",
        },
    });
    if let Some(token) = token {
        event["queryStringParameters"] = json!({ "token": token });
        event["multiValueQueryStringParameters"] = json!({ "token": [token] });
    }
    if let Some(body) = body {
        event["body"] = json!(body);
        event["requestContext"]["messageId"] = json!("bench");
    }
    if route == "disconnect" {
        event["requestContext"]["disconnectStatusCode"] = json!(1000);
        event["requestContext"]["disconnectReason"] = json!("");
    }
    event
}

/// EventBridge's scheduled event, as the template's `Schedule` sends the
/// `engineio` function every minute: one sweep of the Socket.IO sessions.
pub(crate) fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": "bench",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2026-01-01T00:00:00Z",
        "detail": {}
    })
}

fn http_api_event(path: &str, token: &str, body: &str) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "authorization": format!("Bearer {token}"),
            "content-type": "application/json",
            "host": "127.0.0.1",
        },
        "requestContext": {
            "accountId": "local",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "ecb-bench",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:00:00:00 +0000",
            "timeEpoch": now_ms(),
        },
        "body": body,
        "isBase64Encoded": false,
    })
}

// ---------- requests through the gateway ----------

/// Sends a raw frame and waits for the response with `id` (pushes skipped).
async fn request(ws: &mut Ws, frame: String, id: u64) -> anyhow::Result<f64> {
    let started = Instant::now();
    ws.send(Message::text(frame)).await?;
    let wait = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    if let Incoming::Ack { id: got, ok } =
                        wire::classify(Proto::RawWs, text.as_str())
                        && got == id
                    {
                        if !ok {
                            bail!("refused: {}", text.as_str());
                        }
                        return Ok(started.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                Some(Ok(_)) => {}
                _ => bail!("connection ended"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .context("no response within 30 s")?
}

/// Waits until `ws` received `count` message pushes.
async fn pushes(ws: &mut Ws, count: usize) -> anyhow::Result<()> {
    let mut seen = 0;
    let wait = async {
        while seen < count {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    if matches!(
                        wire::classify(Proto::RawWs, text.as_str()),
                        Incoming::Push { .. }
                    ) {
                        seen += 1;
                    }
                }
                Some(Ok(_)) => {}
                _ => bail!("connection ended"),
            }
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .context("pushes did not arrive within 30 s")?
}

/// Every counter of the stack at one moment.
#[derive(Clone, PartialEq)]
pub(crate) struct Snapshot {
    dynamo: BTreeMap<String, OpCount>,
    management: BTreeMap<String, OpCount>,
    invoke: BTreeMap<String, OpCount>,
}

/// The serverless stack under measurement: its counting proxies and where
/// clients reach the gateway.
pub(crate) struct Stack {
    dynamo: Arc<Counts>,
    management: Arc<Counts>,
    invoke: Arc<Counts>,
    pub(crate) gateway: SocketAddr,
    /// Cargo lambda's Invoke API, behind the counting proxy (what the
    /// gateway invokes through).
    pub(crate) invoke_url: String,
}

impl Stack {
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            dynamo: self.dynamo.snapshot(),
            management: self.management.snapshot(),
            invoke: self.invoke.snapshot(),
        }
    }

    /// Waits until the counters stop moving (the functions run after the
    /// client's answer).
    pub(crate) async fn settle(&self) {
        let mut last = self.snapshot();
        loop {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let now = self.snapshot();
            if now == last {
                return;
            }
            last = now;
        }
    }

    /// What `operation` cost since `before`, once the stack is quiet.
    pub(crate) async fn measure(
        &self,
        operation: &str,
        before: Snapshot,
        latency_ms: Option<f64>,
    ) -> OperationCalls {
        self.settle().await;
        let after = self.snapshot();
        OperationCalls {
            operation: operation.to_owned(),
            dynamodb: delta(&before.dynamo, &after.dynamo),
            management: delta(&before.management, &after.management),
            invocations: delta(&before.invoke, &after.invoke),
            latency_ms,
            fanout_ms: None,
        }
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::with_raw_path(Proto::RawWs, self.gateway, "/local")
    }
}

/// Runs scenario 4.
pub async fn run(plan: &LambdaPlan<'_>, signer: &Signer) -> LambdaResult {
    let mut result = LambdaResult {
        build: "`cargo build --release` of functions/ (x86_64, this machine); see the report's note on cargo lambda build".into(),
        ..Default::default()
    };
    for function in FUNCTIONS {
        let path = plan.release_dir.join(function);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let stripped = plan.logs.join(format!("{function}.stripped"));
        let stripped_bytes = std::process::Command::new("strip")
            .arg("-o")
            .arg(&stripped)
            .arg(&path)
            .status()
            .ok()
            .filter(|s| s.success())
            .and_then(|_| std::fs::metadata(&stripped).ok())
            .map(|m| m.len());
        let _ = std::fs::remove_file(&stripped);
        result.sizes.push(BinarySize {
            function: function.to_owned(),
            bytes,
            stripped_bytes,
        });
    }
    if let Err(error) = run_stack(plan, signer, &mut result).await {
        result.error = Some(format!("{error:#}"));
        println!("    lambda scenario failed: {error:#}");
    }
    result
}

async fn run_stack(
    plan: &LambdaPlan<'_>,
    signer: &Signer,
    result: &mut LambdaResult,
) -> anyhow::Result<()> {
    // dynalite, with the counting proxy in front.
    let dynalite_port = crate::free_port();
    let mut dynalite = Spawn {
        name: "dynalite",
        program: "node",
        args: vec![
            plan.dynalite_cli.display().to_string(),
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            dynalite_port.to_string(),
            "--createTableMs".into(),
            "0".into(),
            "--deleteTableMs".into(),
            "0".into(),
            "--updateTableMs".into(),
            "0".into(),
        ],
        env: vec![],
        cpus: plan.load_cpus,
        cwd: None,
        logs: plan.logs,
        group: false,
    }
    .start()?;
    dynalite
        .wait_for_port(dynalite_port, Duration::from_secs(20))
        .await?;
    let outcome = with_dynalite(plan, signer, result, dynalite_port).await;
    dynalite.stop().await;
    outcome
}

/// What the functions sign their Management API calls with and the
/// gateway checks (any 32 characters or more; the bench's is fixed).
const MANAGEMENT_SECRET: &str = "ecb-bench-management-secret-0123456789";

async fn with_dynalite(
    plan: &LambdaPlan<'_>,
    signer: &Signer,
    result: &mut LambdaResult,
    dynalite_port: u16,
) -> anyhow::Result<()> {
    let (dynamo_url, dynamo) = spawn_proxy(
        &format!("http://127.0.0.1:{dynalite_port}"),
        ProxyKind::DynamoDb,
    )
    .await?;
    // The gateway (API Gateway emulator), the Management API proxy in front
    // of it, and the Invoke API proxy between it and `cargo lambda watch`.
    let gateway_port = crate::free_port();
    let invoke_port = crate::free_port();
    let (invoke_url, invoke) = spawn_proxy(
        &format!("http://127.0.0.1:{invoke_port}"),
        ProxyKind::Invoke,
    )
    .await?;
    let mut gateway = Spawn {
        name: "ecb-gateway",
        program: plan.ecb_bin,
        args: vec![
            "gateway".into(),
            "--listen".into(),
            format!("127.0.0.1:{gateway_port}"),
            "--invoke-url".into(),
            invoke_url.clone(),
            "--stage".into(),
            "local".into(),
            // The Socket.IO sweeps run when the scenario invokes them, so
            // that no sweep lands in another operation's counts.
            "--schedule-function".into(),
            "none".into(),
        ],
        env: vec![
            ("RUST_LOG".into(), "warn".into()),
            ("ECB_MANAGEMENT_SECRET".into(), MANAGEMENT_SECRET.into()),
        ],
        cpus: plan.load_cpus,
        cwd: None,
        logs: plan.logs,
        group: false,
    }
    .start()?;
    gateway
        .wait_for_port(gateway_port, Duration::from_secs(20))
        .await?;
    let (management_url, management) = spawn_proxy(
        &format!("http://127.0.0.1:{gateway_port}"),
        ProxyKind::Management,
    )
    .await?;
    let env: Vec<(String, String)> = [
        ("ECB_BACKEND_URL", plan.backend_url.clone()),
        ("ECB_PUBLIC_KEY", plan.public_key_pem.clone()),
        ("ECB_TABLE", "ecb".to_owned()),
        ("ECB_DYNAMODB_ENDPOINT", dynamo_url.clone()),
        ("ECB_MANAGEMENT_ENDPOINT", management_url.clone()),
        ("ECB_MANAGEMENT_SECRET", MANAGEMENT_SECRET.to_owned()),
        ("ECB_RATE_LIMIT", "1000000".to_owned()),
        // `$connect` queues a Socket.IO client's open packet here (the
        // gateway plays Lambda's asynchronous invocations).
        (
            "ECB_LAMBDA_ENDPOINT",
            format!("http://127.0.0.1:{gateway_port}"),
        ),
        (
            "ECB_SOCKETIO_PING_INTERVAL_MS",
            lambda_socketio::PING_INTERVAL.as_millis().to_string(),
        ),
        ("AWS_ACCESS_KEY_ID", "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec();

    // Cold starts of the bare binaries (each a fresh process, one invocation).
    let user0 = signer.user_token("lu0");
    let members: Vec<String> = vec!["lu0".into()];
    let cold_thread = signer.thread_token("cold", &members);
    let frame = wire::get_thread(Proto::RawWs, 1, &cold_thread);
    let events = [
        (
            "connect",
            websocket_event("connect", "coldconn", Some(&user0), None),
        ),
        (
            "message",
            websocket_event("message", "coldconn", None, Some(&frame)),
        ),
        (
            "disconnect",
            websocket_event("disconnect", "coldconn", None, None),
        ),
        (
            "api",
            http_api_event(
                "/v1/getThreads",
                &user0,
                r#"{"pageStartIndex":0,"pageSize":10}"#,
            ),
        ),
        // EventBridge's scheduled event: one sweep of the Socket.IO sessions.
        ("engineio", scheduled_event()),
    ];
    for (function, event) in events {
        let cold = cold_start(
            &plan.release_dir.join(function),
            function,
            event,
            &env,
            plan.logs,
        )
        .await;
        match (&cold.first_answer_ms, &cold.error) {
            (Some(ms), _) => {
                println!("    {function}: process start → first answer {ms:.0} ms (bare binary)")
            }
            (_, Some(error)) => println!("    {function}: cold start failed: {error}"),
            _ => {}
        }
        result.cold_starts.push(cold);
    }

    // cargo lambda watch, release build (warmed by bench/run.sh beforehand).
    let started = Instant::now();
    let mut watch_args = vec![
        "lambda".to_owned(),
        "watch".into(),
        "--release".into(),
        "--ignore-changes".into(),
        "--invoke-address".into(),
        "127.0.0.1".into(),
        "--invoke-port".into(),
        invoke_port.to_string(),
    ];
    watch_args.shrink_to_fit();
    let mut watch = Spawn {
        name: "cargo-lambda-watch",
        program: "cargo",
        args: watch_args,
        env: env.clone(),
        cpus: plan.load_cpus,
        cwd: Some(plan.functions_dir),
        logs: plan.logs,
        group: true,
    }
    .start()?;
    let outcome = async {
        watch
            .wait_for_port(invoke_port, Duration::from_secs(120))
            .await?;
        result.watch_listening_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        let stack = Stack {
            dynamo: dynamo.clone(),
            management: management.clone(),
            invoke: invoke.clone(),
            gateway: SocketAddr::from(([127, 0, 0, 1], gateway_port)),
            invoke_url: invoke_url.clone(),
        };
        flows(plan, signer, result, &stack, started).await?;
        lambda_socketio::flows(signer, result, &stack).await
    }
    .await;
    watch.stop().await;
    gateway.stop().await;
    outcome
}

async fn flows(
    plan: &LambdaPlan<'_>,
    signer: &Signer,
    result: &mut LambdaResult,
    stack: &Stack,
    watch_started: Instant,
) -> anyhow::Result<()> {
    let source = conn::source_address(0, 1);
    let endpoint = stack.endpoint();
    let users: Vec<String> = (0..plan.thread_sizes.iter().copied().max().unwrap_or(2).max(2))
        .map(|i| format!("lu{i}"))
        .collect();
    let tokens: Vec<String> = users.iter().map(|u| signer.user_token(u)).collect();

    // First answered invocation: a $connect through the gateway.
    let before = stack.snapshot();
    let first = Instant::now();
    // cargo lambda watch may still be building the functions: wait for it.
    let mut a = conn::dial_within(endpoint, source, &tokens[0], Duration::from_secs(300))
        .await
        .context("first $connect")?;
    let first_ms = first.elapsed().as_secs_f64() * 1000.0;
    result.watch_first_answer_ms = Some(watch_started.elapsed().as_secs_f64() * 1000.0);
    result.first_invocations.insert("connect".into(), first_ms);
    println!(
        "    cargo lambda watch: start → Invoke API up {:.0} ms, → first answered $connect {:.0} ms (that $connect took {first_ms:.0} ms)",
        result.watch_listening_ms.unwrap_or(0.0),
        result.watch_first_answer_ms.unwrap_or(0.0)
    );
    let cold_connect = stack
        .measure(
            "connect (cold: includes the local-only CreateTable)",
            before,
            Some(first_ms),
        )
        .await;
    result.operations.push(cold_connect);

    // A warm $connect.
    let before = stack.snapshot();
    let t = Instant::now();
    let mut b = conn::dial(endpoint, source, &tokens[1]).await?;
    let connect_ms = t.elapsed().as_secs_f64() * 1000.0;
    result
        .operations
        .push(stack.measure("connect", before, Some(connect_ms)).await);

    // getThread: the first is the message function's cold start.
    let pair: Vec<String> = users[..2].to_vec();
    let thread2 = signer.thread_token("lt2", &pair);
    let ms = request(&mut a, wire::get_thread(Proto::RawWs, 1, &thread2), 1).await?;
    result.first_invocations.insert("message".into(), ms);
    stack.settle().await;
    let before = stack.snapshot();
    let ms = request(&mut b, wire::get_thread(Proto::RawWs, 1, &thread2), 1).await?;
    result.operations.push(
        stack
            .measure("getThread (joins; one member already in)", before, Some(ms))
            .await,
    );

    // sendMessage in threads of N (the thread of 2 is a and b's).
    let mut seq = 10;
    let mut pair = Some((a, b));
    for &n in &plan.thread_sizes {
        let thread_id = format!("lt{n}");
        let members: Vec<String> = users[..n].to_vec();
        let token = signer.thread_token(&thread_id, &members);
        let (mut sender, mut others) = match pair.take() {
            Some((a, b)) if n == 2 => (a, vec![b]),
            _ => {
                let mut conns = Vec::new();
                for user_token in tokens.iter().take(n) {
                    let mut ws = conn::dial(endpoint, source, user_token).await?;
                    request(&mut ws, wire::get_thread(Proto::RawWs, 1, &token), 1).await?;
                    conns.push(ws);
                }
                let sender = conns.remove(0);
                (sender, conns)
            }
        };
        stack.settle().await;
        // Drain the presence pushes of the joins.
        for ws in &mut others {
            while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(50), ws.next()).await
            {
            }
        }
        let rounds = 3;
        let mut acks = Vec::new();
        let mut fanouts = Vec::new();
        let before = stack.snapshot();
        for _ in 0..rounds {
            seq += 1;
            let t = Instant::now();
            let ms = request(
                &mut sender,
                wire::send_message(Proto::RawWs, seq, 0, &token),
                seq,
            )
            .await?;
            acks.push(ms);
            for ws in &mut others {
                pushes(ws, 1).await?;
            }
            fanouts.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let mut calls = stack
            .measure(&format!("sendMessage, thread of {n}"), before, None)
            .await;
        for count in calls
            .dynamodb
            .values_mut()
            .chain(calls.management.values_mut())
            .chain(calls.invocations.values_mut())
        {
            count.calls /= rounds;
            count.read_units /= rounds as f64;
            count.write_units /= rounds as f64;
            count.millis /= rounds as f64;
        }
        acks.sort_by(f64::total_cmp);
        fanouts.sort_by(f64::total_cmp);
        calls.latency_ms = acks.get(acks.len() / 2).copied();
        calls.fanout_ms = fanouts.get(fanouts.len() / 2).copied();
        println!(
            "    sendMessage, thread of {n}: {} DynamoDB calls ({}), {:.1} RRU, {:.1} WRU, {} Management API calls, ack {:.1} ms, last push {:.1} ms",
            calls.dynamodb_calls(),
            calls
                .dynamodb
                .iter()
                .map(|(k, v)| format!("{k} {}", v.calls))
                .collect::<Vec<_>>()
                .join(", "),
            calls.read_units(),
            calls.write_units(),
            calls.management_calls(),
            calls.latency_ms.unwrap_or(0.0),
            calls.fanout_ms.unwrap_or(0.0),
        );
        result.operations.push(calls);
        // Disconnect: one member leaves (the first is the function's cold start).
        if let Some(mut leaving) = others.pop() {
            let cold = !result
                .operations
                .iter()
                .any(|op| op.operation.starts_with("disconnect"));
            let before = stack.snapshot();
            let _ = leaving.close(None).await;
            drop(leaving);
            let label = if cold {
                "disconnect (cold: includes the local-only CreateTable)".to_owned()
            } else {
                format!("disconnect (member of one thread of {n})")
            };
            result
                .operations
                .push(stack.measure(&label, before, None).await);
        }
        drop(sender);
        drop(others);
        stack.settle().await;
    }
    drop(pair);

    // The HTTP API function, cold.
    let http = reqwest::Client::new();
    let before = stack.snapshot();
    let t = Instant::now();
    let answer = http
        .post(format!("http://{}/v1/getThreads", stack.gateway))
        .bearer_auth(&tokens[0])
        .json(&json!({ "pageStartIndex": 0, "pageSize": 10 }))
        .send()
        .await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if !answer.status().is_success() {
        bail!("REST getThreads through the gateway: {}", answer.status());
    }
    result.first_invocations.insert("api".into(), ms);
    result.operations.push(
        stack
            .measure(
                "REST getThreads (api function, cold: includes the local-only CreateTable)",
                before,
                Some(ms),
            )
            .await,
    );
    Ok(())
}

// ---------- the cost model ----------

/// Prices used by the cost model: us-east-1 list prices.
pub struct Prices;

impl Prices {
    /// When these prices were written down.
    pub const AS_OF: &'static str = "2026-11-25 (AWS us-east-1 list prices as published since the DynamoDB on-demand reduction of November 2024; check current)";
    /// API Gateway WebSocket: per million messages (first billion; 32 KB increments).
    pub const APIGW_PER_MILLION_MESSAGES: f64 = 1.00;
    /// API Gateway WebSocket: per million connection minutes.
    pub const APIGW_PER_MILLION_CONNECTION_MINUTES: f64 = 0.25;
    /// Lambda arm64: per GB-second (first 7.5 billion GB-s a month).
    pub const LAMBDA_ARM64_PER_GB_SECOND: f64 = 0.000_013_333_4;
    /// Lambda: per million requests.
    pub const LAMBDA_PER_MILLION_REQUESTS: f64 = 0.20;
    /// DynamoDB on-demand: per million read request units.
    pub const DYNAMODB_PER_MILLION_RRU: f64 = 0.125;
    /// DynamoDB on-demand: per million write request units.
    pub const DYNAMODB_PER_MILLION_WRU: f64 = 0.625;
}

/// One line of the cost model: dollars per million messages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cost {
    pub design: String,
    pub recipients: usize,
    pub apigw_messages: f64,
    pub lambda_requests: f64,
    pub lambda_gb_seconds: f64,
    pub rru: f64,
    pub wru: f64,
    pub dollars_apigw: f64,
    pub dollars_lambda: f64,
    pub dollars_dynamodb: f64,
}

impl Cost {
    pub fn total(&self) -> f64 {
        self.dollars_apigw + self.dollars_lambda + self.dollars_dynamodb
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn per_message(
        design: String,
        recipients: usize,
        apigw_messages: f64,
        lambda_requests: f64,
        lambda_gb_seconds: f64,
        rru: f64,
        wru: f64,
    ) -> Self {
        // Figures per message × one million messages.
        Self {
            design,
            recipients,
            apigw_messages,
            lambda_requests,
            lambda_gb_seconds,
            rru,
            wru,
            dollars_apigw: apigw_messages * Prices::APIGW_PER_MILLION_MESSAGES,
            dollars_lambda: lambda_requests * Prices::LAMBDA_PER_MILLION_REQUESTS
                + lambda_gb_seconds * 1e6 * Prices::LAMBDA_ARM64_PER_GB_SECOND,
            dollars_dynamodb: rru * Prices::DYNAMODB_PER_MILLION_RRU
                + wru * Prices::DYNAMODB_PER_MILLION_WRU,
        }
    }
}

/// Lambda memory of the SAM template's default (template.yaml `MemorySize`).
pub const LAMBDA_MEMORY_GB: f64 = 0.25;
/// The duration assumed per message invocation, ms, when none was measured.
pub const ASSUMED_MESSAGE_MS: f64 = 30.0;
/// simple-websockets-chat-app's connection item: `connectionId` (12 bytes of
/// name) + a 16-character API Gateway connection id.
pub const SAMPLE_ITEM_BYTES: f64 = 28.0;

/// DynamoDB read units of a Scan of `connections` items (eventually
/// consistent: half a unit per 4 KB read). `first_page_only`: as the sample
/// is written, one request, which stops at 1 MB.
pub fn sample_scan_rru(connections: usize, first_page_only: bool) -> f64 {
    let mut bytes = connections as f64 * SAMPLE_ITEM_BYTES;
    if first_page_only {
        bytes = bytes.min(1024.0 * 1024.0);
    }
    (bytes / 4096.0).ceil() * 0.5
}

/// Invocation duration of a fan-out, ms = a + b × recipients, fitted on the
/// measured sendMessage runs (send → last push, under the emulator).
pub fn duration_model(result: &LambdaResult) -> (f64, f64) {
    let mut points: Vec<(f64, f64)> = result
        .operations
        .iter()
        .filter_map(|op| {
            let n: f64 = op
                .operation
                .strip_prefix("sendMessage, thread of ")?
                .parse()
                .ok()?;
            Some((n - 1.0, op.fanout_ms?))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    match (points.first(), points.last()) {
        (Some(&(x0, y0)), Some(&(x1, y1))) if x1 > x0 => {
            let b = ((y1 - y0) / (x1 - x0)).max(0.0);
            ((y0 - b * x0).max(1.0), b)
        }
        (Some(&(_, y)), _) => (y, 0.0),
        _ => (ASSUMED_MESSAGE_MS, 0.0),
    }
}

/// The cost of a million messages: ECB in a thread of N (from the measured
/// calls, units and durations), and the sample broadcasting to `connections`
/// (its Scan computed, its duration from the same fitted model).
pub fn cost_model(result: &LambdaResult, connection_counts: &[usize]) -> Vec<Cost> {
    let (a, b) = duration_model(result);
    let mut costs = Vec::new();
    for op in &result.operations {
        let Some(n) = op
            .operation
            .strip_prefix("sendMessage, thread of ")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        // One frame in; the response and the N−1 pushes out (PostToConnection each).
        let messages = 1.0 + op.management_calls() as f64;
        let ms = op.fanout_ms.unwrap_or(a + b * (n - 1) as f64).ceil();
        costs.push(Cost::per_message(
            format!("ECB, thread of {n}"),
            n - 1,
            messages,
            1.0,
            ms / 1000.0 * LAMBDA_MEMORY_GB,
            op.read_units(),
            op.write_units(),
        ));
    }
    for &connections in connection_counts {
        let ms = (a + b * connections as f64).ceil();
        costs.push(Cost::per_message(
            format!("simple-websockets-chat-app, {connections} connections"),
            connections,
            1.0 + connections as f64,
            1.0,
            ms / 1000.0 * LAMBDA_MEMORY_GB,
            sample_scan_rru(connections, true),
            0.0,
        ));
    }
    costs
}

/// Where the generator finds things relative to the repository.
pub fn default_paths(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        root.join("functions"),
        root.join("target/release"),
        root.join("bench/peers/node/node_modules/dynalite/cli.js"),
    )
}
