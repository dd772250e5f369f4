//! A WebSocket client that reads only when the test asks: with a small
//! receive buffer, the server's queue for it fills after a few frames
//! instead of after megabytes of kernel buffers, as a slow phone would.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::PATIENCE;

/// The receive buffer asked of the kernel (it may round it up).
const RECEIVE_BUFFER: u32 = 4096;

/// A client whose frames wait in the network until it reads them.
pub struct SlowReader {
    socket: WebSocketStream<tokio::net::TcpStream>,
}

/// What reading to the end found.
#[derive(Debug)]
pub struct Drained {
    /// The text frames, in order.
    pub texts: Vec<String>,
    /// The close frame's code; `None` when the connection ended without one.
    pub close_code: Option<u16>,
}

impl SlowReader {
    /// Connects to a `ws://` URL on loopback.
    pub async fn connect(url: &str) -> Self {
        let request = url.into_client_request().expect("valid URL");
        let host = request
            .uri()
            .authority()
            .expect("a host")
            .as_str()
            .to_owned();
        let addr = tokio::net::lookup_host(&host)
            .await
            .expect("resolvable")
            .next()
            .expect("an address");
        let tcp = TcpSocket::new_v4().expect("a socket");
        tcp.set_recv_buffer_size(RECEIVE_BUFFER)
            .expect("a small buffer");
        let stream = tcp.connect(addr).await.expect("connects");
        let (socket, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("websocket upgrade");
        Self { socket }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("sent");
    }

    /// The next text frame; fails the test if none comes in time.
    pub async fn next_text(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a frame in time")
                .expect("connection open")
                .expect("a valid frame");
            if let Message::Text(text) = message {
                return text.to_string();
            }
        }
    }

    /// The next text frame accepted by `wanted`, skipping others.
    pub async fn next_text_where(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let text = self.next_text().await;
            if wanted(&text) {
                return text;
            }
        }
    }

    /// Reads everything until the server closes (or `PATIENCE` passes
    /// without a frame).
    pub async fn drain(mut self) -> Drained {
        let mut texts = Vec::new();
        loop {
            match tokio::time::timeout(PATIENCE, self.socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => texts.push(text.to_string()),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Drained {
                        texts,
                        close_code: frame.map(|f| u16::from(f.code)),
                    };
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) | Err(_) => {
                    return Drained {
                        texts,
                        close_code: None,
                    };
                }
            }
        }
    }
}
