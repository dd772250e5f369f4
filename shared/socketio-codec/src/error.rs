//! Why a Socket.IO packet was refused.

use thiserror::Error;

use super::PacketType;

/// A malformed Socket.IO packet, or one that breaks the protocol's rules.
/// The spec's answer to all of them is to close the connection, so the
/// variants exist for logs and tests rather than for recovery.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// An empty Engine.IO message where a Socket.IO packet was expected.
    #[error("empty packet")]
    EmptyPacket,
    /// The first character is not a packet type digit `0`-`6`.
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    /// A binary packet whose attachment count is not digits followed by `-`.
    #[error("illegal attachment count")]
    IllegalAttachments,
    /// A binary packet announcing more attachments than the decoder accepts;
    /// the limit keeps one packet from pinning unbounded memory.
    #[error("too many attachments (at most {max} allowed)")]
    TooManyAttachments {
        /// The decoder's limit.
        max: usize,
    },
    /// An ack id too large for `u64`.
    #[error("ack id out of range")]
    InvalidAckId,
    /// An ack id on a packet type that cannot carry one (only EVENT and ACK do).
    #[error("{0:?} packet cannot carry an ack id")]
    UnexpectedAckId(PacketType),
    /// An ACK without the id of the event it answers.
    #[error("ACK packet without an ack id")]
    MissingAckId,
    /// The data part is not JSON.
    #[error("payload is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The data is JSON but not of the shape this packet type requires (or
    /// is missing where it is mandatory, or present where it is forbidden).
    #[error("invalid payload for a {0:?} packet")]
    InvalidPayload(PacketType),
    /// An event named like one the server emits itself (`connect`,
    /// `disconnect`, …); a client must not be able to fake those.
    #[error("reserved event name {0:?}")]
    ReservedEventName(String),
    /// A binary placeholder whose `num` is not an index of a received
    /// attachment.
    #[error("binary placeholder does not match any attachment")]
    InvalidPlaceholder,
    /// A text packet arrived while attachments of the previous binary packet
    /// were still expected.
    #[error("text packet received while waiting for binary attachments")]
    UnexpectedText,
    /// A binary message arrived with no binary packet waiting for it.
    #[error("binary message received while no attachment was expected")]
    UnexpectedBinary,
}
