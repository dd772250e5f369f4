//! Reading one text packet: header fields, then the JSON data, then the
//! rules of its type. Stateless; attachments are the [`Decoder`]'s business.
//!
//! [`Decoder`]: super::Decoder

use bytes::Bytes;
use serde_json::Value;

use super::binary::check_placeholders;
use super::validate::{ack_args, connect_data, connect_error_data, disconnect_data, event_args};
use super::{DecodeError, MAIN_NAMESPACE, Packet, PacketType, Payload};

/// The outcome of reading a text packet.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// Nothing more to wait for.
    Complete(Packet),
    /// A binary packet whose attachments must follow.
    Partial(PartialPacket),
}

/// A BINARY_EVENT / BINARY_ACK read up to its attachments.
#[derive(Debug)]
pub(crate) struct PartialPacket {
    nsp: String,
    /// Event (with optional id) or ack (with its id).
    target: Target,
    args: Vec<Value>,
    expected: usize,
}

#[derive(Debug)]
enum Target {
    Event(Option<u64>),
    Ack(u64),
}

impl PartialPacket {
    /// How many attachments the packet announced.
    pub(crate) fn expected(&self) -> usize {
        self.expected
    }

    /// The packet, once `binaries` holds exactly the announced attachments.
    /// Placeholders are checked here so that a complete packet can always be
    /// reconstructed (or forwarded) without a later surprise.
    pub(crate) fn finish(self, binaries: Vec<Bytes>) -> Result<Packet, DecodeError> {
        debug_assert_eq!(binaries.len(), self.expected);
        if !binaries.is_empty() {
            self.args
                .iter()
                .try_for_each(|arg| check_placeholders(arg, binaries.len()))?;
        }
        let payload = Payload {
            args: self.args,
            binaries,
        };
        Ok(match self.target {
            Target::Event(id) => Packet::Event {
                nsp: self.nsp,
                id,
                payload,
            },
            Target::Ack(id) => Packet::Ack {
                nsp: self.nsp,
                id,
                payload,
            },
        })
    }
}

/// Reads `text` as one Socket.IO packet, refusing more than
/// `max_attachments` announced attachments.
///
/// The header is read as the reference parser reads it: a namespace starts
/// with `/` and runs to the first `,` (or the end of the text, so `0/admin`
/// is a CONNECT to `/admin`); the ack id is the run of digits after it;
/// whatever follows is JSON. It is stricter in three places, all of which a
/// conforming client never hits: the attachment count must be plain digits,
/// an ack id only goes on EVENT and ACK (and ACK must have one), and EVENT
/// and ACK must carry data as the spec requires.
pub(crate) fn parse(text: &str, max_attachments: usize) -> Result<Parsed, DecodeError> {
    let first = text.chars().next().ok_or(DecodeError::EmptyPacket)?;
    let kind = PacketType::from_char(first).ok_or(DecodeError::UnknownType(first))?;
    let rest = &text[first.len_utf8()..];

    let (attachments, rest) = if kind.is_binary() {
        read_attachments(rest, max_attachments)?
    } else {
        (0, rest)
    };
    let (nsp, rest) = read_namespace(rest);
    let (id, rest) = read_ack_id(rest)?;
    let data = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str::<Value>(rest).map_err(DecodeError::InvalidJson)?)
    };
    let nsp = nsp.to_owned();

    let no_id = |kind| match id {
        Some(_) => Err(DecodeError::UnexpectedAckId(kind)),
        None => Ok(()),
    };
    let (target, args) = match kind {
        PacketType::Connect => {
            no_id(kind)?;
            let data = connect_data(data)?;
            return Ok(Parsed::Complete(Packet::Connect { nsp, data }));
        }
        PacketType::Disconnect => {
            no_id(kind)?;
            disconnect_data(data)?;
            return Ok(Parsed::Complete(Packet::Disconnect { nsp }));
        }
        PacketType::ConnectError => {
            no_id(kind)?;
            let data = connect_error_data(data)?;
            return Ok(Parsed::Complete(Packet::ConnectError { nsp, data }));
        }
        PacketType::Event | PacketType::BinaryEvent => (Target::Event(id), event_args(kind, data)?),
        PacketType::Ack | PacketType::BinaryAck => {
            let id = id.ok_or(DecodeError::MissingAckId)?;
            (Target::Ack(id), ack_args(kind, data)?)
        }
    };
    let partial = PartialPacket {
        nsp,
        target,
        args,
        expected: attachments,
    };
    // `51-` style headers with a zero count have nothing to wait for; the
    // reference decoder emits them at once, placeholders left as plain JSON.
    if partial.expected == 0 {
        return partial.finish(Vec::new()).map(Parsed::Complete);
    }
    Ok(Parsed::Partial(partial))
}

/// `<digits>-`: the attachment count of a binary packet.
fn read_attachments(rest: &str, max: usize) -> Result<(usize, &str), DecodeError> {
    let dash = rest.find('-').ok_or(DecodeError::IllegalAttachments)?;
    let digits = &rest[..dash];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecodeError::IllegalAttachments);
    }
    // Only digits remain, so a parse failure can only be overflow: too many.
    let count = digits
        .parse::<usize>()
        .ok()
        .filter(|&n| n <= max)
        .ok_or(DecodeError::TooManyAttachments { max })?;
    Ok((count, &rest[dash + 1..]))
}

/// `/<name>,`: an explicit namespace, or the main one when absent.
fn read_namespace(rest: &str) -> (&str, &str) {
    if !rest.starts_with('/') {
        return (MAIN_NAMESPACE, rest);
    }
    match rest.find(',') {
        Some(comma) => (&rest[..comma], &rest[comma + 1..]),
        None => (rest, ""),
    }
}

/// The digits of an ack id, if the next character is one.
fn read_ack_id(rest: &str) -> Result<(Option<u64>, &str), DecodeError> {
    let len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return Ok((None, rest));
    }
    let id = rest[..len].parse().map_err(|_| DecodeError::InvalidAckId)?;
    Ok((Some(id), &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pieces() {
        assert_eq!(read_attachments("2-/a,", 10).unwrap(), (2, "/a,"));
        assert_eq!(read_attachments("10-", 10).unwrap(), (10, ""));
        assert_eq!(read_namespace("/admin,13[]"), ("/admin", "13[]"));
        assert_eq!(read_namespace("/admin"), ("/admin", ""));
        assert_eq!(read_namespace("/admin,"), ("/admin", ""));
        assert_eq!(read_namespace("13[]"), ("/", "13[]"));
        assert_eq!(read_ack_id("13[]").unwrap(), (Some(13), "[]"));
        assert_eq!(read_ack_id("[]").unwrap(), (None, "[]"));
    }

    #[test]
    fn attachment_count_must_be_digits_then_dash() {
        for bad in ["", "[]", "-[]", "a-[]", "1a-", " 1-", "+1-", "1.5-", "0x1-"] {
            assert!(
                matches!(
                    read_attachments(bad, 10),
                    Err(DecodeError::IllegalAttachments)
                ),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn attachment_count_is_capped() {
        assert!(matches!(
            read_attachments("11-", 10),
            Err(DecodeError::TooManyAttachments { max: 10 })
        ));
        assert!(matches!(
            read_attachments("99999999999999999999999-", 10),
            Err(DecodeError::TooManyAttachments { .. })
        ));
    }

    #[test]
    fn ack_id_overflow() {
        assert!(matches!(
            read_ack_id("99999999999999999999999[]"),
            Err(DecodeError::InvalidAckId)
        ));
        assert_eq!(
            read_ack_id(&u64::MAX.to_string()).unwrap(),
            (Some(u64::MAX), "")
        );
    }
}
