//! Per-socket memory. tungstenite's defaults reserve 128 KiB of read buffer
//! per WebSocket, which made an idle connection cost ~145 KiB; chat frames
//! are small, so every WebSocket this server accepts starts with small
//! buffers that grow only when a large frame arrives.

use axum::extract::ws::WebSocketUpgrade;

/// The read buffer a socket starts with; it grows for a larger frame.
const READ_BUFFER: usize = 1024;

/// Applies the small-buffer policy and the largest message accepted.
pub(crate) fn frugal<F>(upgrade: WebSocketUpgrade<F>, max_message: usize) -> WebSocketUpgrade<F> {
    upgrade
        .read_buffer_size(READ_BUFFER)
        // Write each frame as it is sent: no buffer held between frames.
        .write_buffer_size(0)
        .max_message_size(max_message)
}
