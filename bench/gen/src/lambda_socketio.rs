//! Scenario 4's Socket.IO part: what a Socket.IO client costs on the
//! serverless deployment beyond what a raw WebSocket one does. Its handshake
//! (the open packet, which `$connect` queues with the `engineio` function
//! because API Gateway lets no function post before `$connect` returned,
//! then the namespace CONNECT) and its heartbeat (the sweep's ping and the
//! client's pong), counted by the same proxies as the raw operations, and
//! what they come to per connect and per connection-hour.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, Ws};
use crate::lambda::{self, Cost, LambdaResult, OperationCalls, Stack};
use crate::tokens::Signer;

/// The functions' ping interval in this scenario: short, so that a session
/// is due a ping seconds after it opened, and longer than a sweep and its
/// settling take, so that the sweep after it finds nothing due (checked).
pub const PING_INTERVAL: Duration = Duration::from_secs(10);

/// The deployment's default ping interval (`ECB_SOCKETIO_PING_INTERVAL_MS`
/// in functions/src/settings.rs), which the cost per hour assumes.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(300);

/// The sweep's period on AWS (the template's `Schedule`).
pub const SWEEP_PERIOD: Duration = Duration::from_secs(60);

/// How long one step of a Socket.IO flow may take.
const STEP: Duration = Duration::from_secs(60);

/// The operations' names, for the cost model to find them by.
pub const OPEN_COLD: &str = "Socket.IO open packet ($connect, then the engineio function; cold)";
pub const OPEN: &str = "Socket.IO open packet ($connect, then the engineio function)";
pub const CONNECT: &str = "Socket.IO CONNECT (namespace join)";
pub const HEARTBEAT: &str = "Socket.IO heartbeat: a sweep that pings one session, and its pong";
pub const IDLE_SWEEP: &str = "Socket.IO sweep, no session due";
pub const DISCONNECT: &str = "Socket.IO disconnect (no thread joined)";

/// Runs the Socket.IO flows on a stack whose raw flows have run (the
/// `message` function warm).
pub(crate) async fn flows(
    signer: &Signer,
    result: &mut LambdaResult,
    stack: &Stack,
) -> anyhow::Result<()> {
    let token = signer.user_token("ls0");
    // The first open meets a cold `engineio` function; the second is warm.
    let first = handshake(stack, &token, OPEN_COLD).await?;
    let warm = handshake(stack, &token, OPEN).await?;
    result
        .operations
        .extend([first.open, warm.open, warm.connect]);
    let (mut socket, opened_at) = (warm.socket, warm.opened_at);

    let before = stack.snapshot();
    drop(first.socket);
    result
        .operations
        .push(stack.measure(DISCONNECT, before, None).await);

    // The heartbeat: once the session is due, one sweep pings it and the
    // client answers.
    tokio::time::sleep_until((opened_at + PING_INTERVAL + Duration::from_millis(500)).into()).await;
    let before = stack.snapshot();
    let started = Instant::now();
    let http = reqwest::Client::new();
    let swept = sweep(&http, stack);
    let ping = async {
        loop {
            if within_a_step(conn::next_text(&mut socket)).await? == "2" {
                socket.send(Message::text("3")).await?;
                return anyhow::Ok(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    };
    let (swept, ping_ms) = tokio::join!(swept, ping);
    swept?;
    let ping_ms = ping_ms.context("the sweep's ping")?;
    let heartbeat = stack.measure(HEARTBEAT, before, Some(ping_ms)).await;
    // The cost of a ping is this sweep's less the next one's: each must
    // have done what that difference assumes.
    anyhow::ensure!(
        heartbeat.management_calls() == 1,
        "the sweep that pinged made {} Management API posts, not 1",
        heartbeat.management_calls()
    );
    result.operations.push(heartbeat);

    let before = stack.snapshot();
    let started = Instant::now();
    sweep(&http, stack).await?;
    let sweep_ms = started.elapsed().as_secs_f64() * 1000.0;
    let idle = stack.measure(IDLE_SWEEP, before, Some(sweep_ms)).await;
    anyhow::ensure!(
        idle.management_calls() == 0,
        "the sweep with no session due posted {} times (a ping interval shorter than a sweep and its settling?)",
        idle.management_calls()
    );
    result.operations.push(idle);
    drop(socket);
    stack.settle().await;
    Ok(())
}

/// A Socket.IO connection opened through the gateway, with what its two
/// steps cost.
struct Handshake {
    socket: Ws,
    /// When its open packet arrived.
    opened_at: Instant,
    open: OperationCalls,
    connect: OperationCalls,
}

/// Opens a Socket.IO connection through the gateway and joins namespace `/`,
/// measuring the open packet (as `open_label`) and the CONNECT apart.
async fn handshake(stack: &Stack, token: &str, open_label: &str) -> anyhow::Result<Handshake> {
    let before = stack.snapshot();
    let started = Instant::now();
    let tcp = TcpStream::connect(stack.gateway).await?;
    tcp.set_nodelay(true)?;
    let url = format!("ws://{}/local/?EIO=4&transport=websocket", stack.gateway);
    let (mut socket, _) = tokio_tungstenite::client_async(url, tcp)
        .await
        .context("the Socket.IO upgrade through the gateway")?;
    within_a_step(conn::expect_open(&mut socket)).await?;
    let opened_at = Instant::now();
    let open_ms = (opened_at - started).as_secs_f64() * 1000.0;
    println!("    {open_label}: {open_ms:.0} ms");
    let open = stack.measure(open_label, before, Some(open_ms)).await;

    let before = stack.snapshot();
    let started = Instant::now();
    within_a_step(conn::join_namespace(&mut socket, token)).await?;
    let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
    let connect = stack.measure(CONNECT, before, Some(connect_ms)).await;
    Ok(Handshake {
        socket,
        opened_at,
        open,
        connect,
    })
}

/// Invokes the `engineio` function with the schedule's event, through the
/// counting proxy, as EventBridge would.
async fn sweep(http: &reqwest::Client, stack: &Stack) -> anyhow::Result<()> {
    let answer = http
        .post(format!(
            "{}/2015-03-31/functions/engineio/invocations",
            stack.invoke_url
        ))
        .json(&lambda::scheduled_event())
        .timeout(STEP)
        .send()
        .await
        .context("invoking the sweep")?;
    if !answer.status().is_success() {
        bail!("the sweep: {}", answer.status());
    }
    Ok(())
}

/// `step`, or an error once it has taken a minute.
async fn within_a_step<T>(
    step: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(STEP, step)
        .await
        .context("no answer within a minute")?
}

/// What Socket.IO adds on the serverless deployment, per connect and per
/// connection-hour, from the measured operations: dollars per million of
/// each row's unit.
pub fn costs(result: &LambdaResult) -> Vec<Cost> {
    let find = |name: &str| result.operations.iter().find(|op| op.operation == name);
    let mut costs = Vec::new();
    if let (Some(open), Some(connect)) = (find(OPEN), find(CONNECT)) {
        // The CONNECT frame in; the open packet and the CONNECT ack out.
        costs.push(cost_of(
            "handshake, per connect (open packet + CONNECT)",
            &[open, connect],
            1.0,
            1.0,
        ));
    }
    if let (Some(heartbeat), Some(idle)) = (find(HEARTBEAT), find(IDLE_SWEEP)) {
        // One ping of a sweep: the sweep that pinged less the one that did not.
        let ping = difference(heartbeat, idle);
        // The pong in; the ping out.
        costs.push(cost_of("one ping and its pong", &[&ping], 1.0, 1.0));
        let per_hour = 3600.0 / DEFAULT_PING_INTERVAL.as_secs_f64();
        costs.push(cost_of(
            &format!(
                "heartbeat, per connection-hour (a ping due every {} s, sent at the next sweep: {per_hour:.0} pings at most)",
                DEFAULT_PING_INTERVAL.as_secs()
            ),
            &[&ping],
            1.0,
            per_hour,
        ));
        let sweeps = 3600.0 / SWEEP_PERIOD.as_secs_f64();
        costs.push(cost_of(
            &format!(
                "the sweeps, per deployment-hour ({sweeps:.0} with none due; their reads grow with the sessions)"
            ),
            &[idle],
            0.0,
            sweeps,
        ));
    }
    costs
}

/// The calls of `with` less those of `without`, function by function and
/// table operation by table operation (none below zero).
fn difference(with: &OperationCalls, without: &OperationCalls) -> OperationCalls {
    OperationCalls {
        operation: format!("{} less {}", with.operation, without.operation),
        dynamodb: lambda::delta(&without.dynamodb, &with.dynamodb),
        management: lambda::delta(&without.management, &with.management),
        invocations: lambda::delta(&without.invocations, &with.invocations),
        latency_ms: None,
        fanout_ms: None,
    }
}

/// One row: `ops` summed with the `inbound` client frames they answer
/// (API Gateway bills those beside the Management API's posts), all
/// `times` over.
fn cost_of(design: &str, ops: &[&OperationCalls], inbound: f64, times: f64) -> Cost {
    let sum = |f: fn(&OperationCalls) -> f64| ops.iter().map(|op| f(op)).sum::<f64>() * times;
    Cost::per_message(
        design.to_owned(),
        0,
        inbound * times + sum(|op| op.management_calls() as f64),
        sum(|op| op.invocation_count() as f64),
        sum(OperationCalls::gb_seconds),
        sum(OperationCalls::read_units),
        sum(OperationCalls::write_units),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::lambda::OpCount;

    fn count(calls: u64, read_units: f64, write_units: f64, millis: f64) -> OpCount {
        OpCount {
            calls,
            read_units,
            write_units,
            millis,
        }
    }

    fn op(
        operation: &str,
        dynamodb: &[(&str, OpCount)],
        posts: u64,
        invocations: &[(&str, OpCount)],
    ) -> OperationCalls {
        let map = |pairs: &[(&str, OpCount)]| -> BTreeMap<String, OpCount> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        OperationCalls {
            operation: operation.to_owned(),
            dynamodb: map(dynamodb),
            management: map(&[("PostToConnection", count(posts, 0.0, 0.0, 1.0))]),
            invocations: map(invocations),
            latency_ms: None,
            fanout_ms: None,
        }
    }

    #[test]
    fn a_ping_costs_what_the_pinging_sweep_has_beyond_the_idle_one() {
        let result = LambdaResult {
            operations: vec![
                op(
                    HEARTBEAT,
                    &[
                        ("Query", count(1, 0.5, 0.0, 2.0)),
                        ("UpdateItem", count(2, 0.0, 2.0, 2.0)),
                    ],
                    1,
                    &[
                        ("engineio", count(1, 0.0, 0.0, 10.0)),
                        ("message", count(1, 0.0, 0.0, 12.0)),
                    ],
                ),
                op(
                    IDLE_SWEEP,
                    &[("Query", count(1, 0.5, 0.0, 1.0))],
                    0,
                    &[("engineio", count(1, 0.0, 0.0, 4.0))],
                ),
            ],
            ..Default::default()
        };
        let costs = costs(&result);
        let ping = costs
            .iter()
            .find(|c| c.design == "one ping and its pong")
            .expect("a ping row");
        // The ping out and the pong in; the pong's invocation; two writes
        // (the ping's time and the pong's); the sweep's Query is not the ping's.
        assert_eq!(ping.apigw_messages, 2.0);
        assert_eq!(ping.lambda_requests, 1.0);
        assert_eq!(ping.wru, 2.0);
        assert_eq!(ping.rru, 0.0);
        // 12 ms of the pong and the 6 ms more the sweep ran, at 256 MB.
        assert!((ping.lambda_gb_seconds - 0.018 * lambda::LAMBDA_MEMORY_GB).abs() < 1e-9);
        let hour = costs
            .iter()
            .find(|c| c.design.starts_with("heartbeat"))
            .expect("an hourly row");
        assert!((hour.total() - 12.0 * ping.total()).abs() < 1e-9);
    }

    #[test]
    fn a_handshake_is_the_open_packet_and_the_connect_with_the_connect_frame_in() {
        let result = LambdaResult {
            operations: vec![
                op(
                    OPEN,
                    &[("PutItem", count(1, 0.0, 1.0, 1.0))],
                    1,
                    &[
                        ("connect", count(1, 0.0, 0.0, 5.0)),
                        ("engineio", count(1, 0.0, 0.0, 3.0)),
                    ],
                ),
                op(
                    CONNECT,
                    &[("GetItem", count(1, 1.0, 0.0, 1.0))],
                    1,
                    &[("message", count(1, 0.0, 0.0, 9.0))],
                ),
            ],
            ..Default::default()
        };
        let costs = costs(&result);
        assert_eq!(costs.len(), 1, "no heartbeat rows without the sweeps");
        let handshake = &costs[0];
        assert_eq!(handshake.apigw_messages, 3.0);
        assert_eq!(handshake.lambda_requests, 3.0);
        assert_eq!((handshake.rru, handshake.wru), (1.0, 1.0));
    }
}
