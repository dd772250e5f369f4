//! Which framing a connection's pushes are posted in.
//!
//! A local server's Management API takes ECB's JSON push frames and frames
//! each one for the socket it reaches, so its connections are all
//! [`Wire::Ecb`] in the store. API Gateway passes a posted frame to the
//! client byte for byte, so a Socket.IO client behind it needs Socket.IO
//! packets: its record says [`Wire::SocketIo`], and a fan-out encodes each
//! push once per wire it reaches.

use serde::{Deserialize, Serialize};

use super::{frame, socketio};
use crate::PushEvent;

/// The framing of what is posted to a connection's endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Wire {
    /// ECB's JSON frames (PROTOCOL.md transport 2); records written before
    /// wires existed are this.
    #[default]
    Ecb,
    /// Engine.IO v4 text packets carrying Socket.IO (transport 1).
    SocketIo,
}

impl Wire {
    /// Every wire, for encoders that keep one frame per wire.
    pub const ALL: [Wire; 2] = [Wire::Ecb, Wire::SocketIo];

    /// The text frame a push becomes on this wire.
    pub fn push_frame(self, event: &PushEvent) -> String {
        match self {
            Self::Ecb => frame::push(event),
            Self::SocketIo => socketio::push_packet(event),
        }
    }

    /// The name stored with a connection (`ecb`, `socketIo`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ecb => "ecb",
            Self::SocketIo => "socketIo",
        }
    }

    /// The wire a stored name means; an absent or unknown name is ECB's own.
    pub fn from_stored(name: Option<&str>) -> Self {
        match name {
            Some("socketIo") => Self::SocketIo,
            _ => Self::Ecb,
        }
    }
}
