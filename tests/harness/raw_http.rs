//! HTTP and WebSocket bytes no well-behaved client sends: half a request,
//! a body shorter than its length, frames that break RFC 6455. Written
//! straight onto TCP, read back as bytes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::PATIENCE;

/// A TCP connection to `base` (`http://addr`).
pub async fn connect(base: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connects")
}

/// Writes bytes, failing the test if the server already closed.
pub async fn write(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).await.expect("written");
}

/// Whether the server closes the connection within `wait` (reading what it
/// sends meanwhile).
pub async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// Reads an HTTP response's head and as much body as arrives with it.
pub async fn read_response(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("readable");
        response.extend_from_slice(&buf[..read]);
        let text = String::from_utf8_lossy(&response);
        if read == 0 || text.contains("\r\n\r\n") && text.ends_with('}') {
            return text.into_owned();
        }
    }
}

/// Upgrades a new connection to a WebSocket at `path_and_query`; returns the
/// stream after the server's 101.
pub async fn websocket(base: &str, path_and_query: &str) -> TcpStream {
    let mut stream = connect(base).await;
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    write(&mut stream, request.as_bytes()).await;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut byte))
            .await
            .expect("an upgrade in time")
            .expect("readable");
        assert_eq!(
            read,
            1,
            "closed during the upgrade: {}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "not upgraded: {head}");
    stream
}

/// A WebSocket frame: `opcode` (1 text, 2 binary, …), final, masked with a
/// zero key (so the payload goes as it is) unless `masked` is false.
pub fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => frame.push(mask_bit | len as u8),
        len @ 126..=65535 => {
            frame.push(mask_bit | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(mask_bit | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if masked {
        frame.extend_from_slice(&[0, 0, 0, 0]);
    }
    frame.extend_from_slice(payload);
    frame
}

/// Reads server frames until a close frame; its status code (`None` if the
/// connection ends without one).
pub async fn close_code(stream: &mut TcpStream) -> Option<u16> {
    loop {
        let mut head = [0u8; 2];
        let read = tokio::time::timeout(PATIENCE, stream.read_exact(&mut head)).await;
        if !matches!(read, Ok(Ok(_))) {
            return None;
        }
        let length = match head[1] & 0x7f {
            126 => u64::from(stream.read_u16().await.ok()?),
            127 => stream.read_u64().await.ok()?,
            len => u64::from(len),
        };
        let mut payload = vec![0u8; usize::try_from(length).ok()?];
        stream.read_exact(&mut payload).await.ok()?;
        if head[0] & 0x0f == 0x8 {
            return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        }
    }
}
