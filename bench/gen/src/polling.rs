//! A Socket.IO client over Engine.IO's HTTP long-polling only (no upgrade),
//! as a browser behind a proxy that forbids WebSocket is: the handshake,
//! namespace CONNECT with `auth: {token}`, one long-poll GET at a time, and
//! POSTs of queued packets, one at a time, as the protocol requires.
//! Pings are answered here; every other packet goes to the caller.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::wire;

/// Engine.IO's packet separator in a polling payload.
const SEPARATOR: char = '\u{1e}';

/// How long the handshake and CONNECT may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// One HTTP client for every polling session: its pool holds one
/// connection per waiting GET plus a few for POSTs. Idle connections go
/// before the server's keep-alive timeout closes them under a request.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .build()
        .expect("an HTTP client")
}

/// A joined polling session.
pub struct PollingSession {
    http: reqwest::Client,
    url: String,
}

impl PollingSession {
    /// Handshake and namespace CONNECT; the packets that came with the
    /// CONNECT's answer (none, usually) are returned beside the session.
    pub async fn open(
        http: &reqwest::Client,
        addr: SocketAddr,
        token: &str,
    ) -> anyhow::Result<(Self, Vec<String>)> {
        tokio::time::timeout(STEP_TIMEOUT, Self::open_inner(http, addr, token))
            .await
            .context("polling handshake timed out")?
    }

    async fn open_inner(
        http: &reqwest::Client,
        addr: SocketAddr,
        token: &str,
    ) -> anyhow::Result<(Self, Vec<String>)> {
        let base = format!("http://{addr}/socket.io/?EIO=4&transport=polling");
        let open = http
            .get(&base)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let sid = open
            .strip_prefix('0')
            .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
            .and_then(|handshake| handshake["sid"].as_str().map(str::to_owned))
            .with_context(|| format!("expected the Engine.IO open packet, got {open:?}"))?;
        let session = Self {
            http: http.clone(),
            url: format!("{base}&sid={sid}"),
        };
        session.post(&[wire::sio_connect(token)]).await?;
        loop {
            let packets = session.poll().await?;
            if let Some(at) = packets.iter().position(|p| p.starts_with("40")) {
                return Ok((session, packets[at + 1..].to_vec()));
            }
            if let Some(refused) = packets.iter().find(|p| p.starts_with("44")) {
                bail!("CONNECT_ERROR {refused}");
            }
        }
    }

    /// getThread, waiting for its ack (answering pings); the packets that
    /// came after the ack.
    pub async fn join(&self, thread_token: &str) -> anyhow::Result<Vec<String>> {
        let step = async {
            self.post(&[wire::get_thread(wire::Proto::SocketIo, 0, thread_token)])
                .await?;
            loop {
                let packets = self.poll().await?;
                for (at, packet) in packets.iter().enumerate() {
                    match wire::classify(wire::Proto::SocketIo, packet) {
                        wire::Incoming::Ack { id: 0, ok: true } => {
                            return Ok(packets[at + 1..].to_vec());
                        }
                        wire::Incoming::Ack { id: 0, ok: false } => {
                            bail!("getThread refused: {packet}")
                        }
                        wire::Incoming::Ping => self.post(&["3".to_owned()]).await?,
                        _ => {}
                    }
                }
            }
        };
        tokio::time::timeout(STEP_TIMEOUT, step)
            .await
            .context("getThread timed out")?
    }

    /// One long-poll GET: the packets it brought.
    async fn poll(&self) -> anyhow::Result<Vec<String>> {
        let response = self.http.get(&self.url).send().await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("poll answered {status}: {body}");
        }
        Ok(body.split(SEPARATOR).map(str::to_owned).collect())
    }

    /// One POST of `packets`.
    async fn post(&self, packets: &[String]) -> anyhow::Result<()> {
        let body = packets.join(&SEPARATOR.to_string());
        let response = self.http.post(&self.url).body(body).send().await?;
        if !response.status().is_success() {
            bail!("post answered {}", response.status());
        }
        Ok(())
    }

    /// Runs the session until `stop`, the server ends it, or `outgoing`
    /// closes: every packet but a ping goes to `on_packet`; what `outgoing`
    /// yields is POSTed (queued packets together, one POST at a time).
    pub async fn run(
        self,
        mut outgoing: mpsc::UnboundedReceiver<String>,
        stop: CancellationToken,
        mut on_packet: impl FnMut(&str),
    ) -> anyhow::Result<()> {
        let (pong, mut pongs) = mpsc::unbounded_channel::<String>();
        let reader = async {
            loop {
                for packet in self.poll().await? {
                    match packet.as_str() {
                        "2" => {
                            let _ = pong.send("3".to_owned());
                        }
                        "1" => bail!("the server closed the session"),
                        _ => on_packet(&packet),
                    }
                }
            }
        };
        let writer = async {
            loop {
                let first = tokio::select! {
                    Some(packet) = outgoing.recv() => packet,
                    Some(packet) = pongs.recv() => packet,
                    else => return Ok::<(), anyhow::Error>(()),
                };
                let mut batch = vec![first];
                while let Ok(packet) = pongs.try_recv().or_else(|_| outgoing.try_recv()) {
                    batch.push(packet);
                }
                self.post(&batch).await?;
            }
        };
        tokio::select! {
            _ = stop.cancelled() => Ok(()),
            ended = reader => ended,
            ended = writer => ended,
        }
    }
}
