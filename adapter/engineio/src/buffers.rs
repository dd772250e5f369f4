//! Per-socket memory. tungstenite's defaults reserve 128 KiB of read buffer
//! per WebSocket, which made an idle connection cost ~145 KiB; chat frames
//! are small, so every WebSocket this server accepts starts with small
//! buffers that grow only when a large frame arrives.

use axum::extract::ws::WebSocketUpgrade;

/// The read buffer a socket starts with, and the most read per syscall.
/// tungstenite grows the buffer to fit a larger frame (and keeps it), so an
/// idle socket holds about its largest frame so far: ~1 KiB after a
/// Socket.IO CONNECT with its token. With 1 KiB it reserved a frame's length
/// again on top of the bytes already read and doubled to 2 KiB, and with
/// 4 KiB it held 4 KiB; the benchmarks measured no loss of throughput from
/// the smaller reads (docs/BENCHMARKS.md).
const READ_BUFFER: usize = 512;

/// Applies the small-buffer policy and the largest message accepted.
pub fn frugal<F>(upgrade: WebSocketUpgrade<F>, max_message: usize) -> WebSocketUpgrade<F> {
    upgrade
        .read_buffer_size(READ_BUFFER)
        // Write each frame as it is sent: no buffer held between frames.
        .write_buffer_size(0)
        .max_message_size(max_message)
}
