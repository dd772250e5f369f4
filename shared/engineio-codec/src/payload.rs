//! HTTP long-polling payloads: several packets in one request or response body.

use super::{DecodeError, Packet};

/// The record separator between packets of a polling payload. Protocol v4
/// assumes it never occurs inside a packet, so text messages containing it
/// cannot travel over polling (the reference implementation has the same gap).
pub const SEPARATOR: char = '\x1e';

/// Decodes a polling `POST` body into its packets, in order.
///
/// Any malformed record fails the whole body: the server must then answer
/// HTTP 400 and close the session, so keeping the packets before the bad one
/// would only invite processing half a request.
///
/// # Errors
///
/// [`DecodeError::InvalidUtf8`] for a non-UTF-8 body (an empty body or an
/// empty record is [`DecodeError::EmptyPacket`]), else the first error of
/// [`Packet::decode_text`] over the records.
pub fn decode_payload(body: &[u8]) -> Result<Vec<Packet>, DecodeError> {
    let text = std::str::from_utf8(body)?;
    text.split(SEPARATOR).map(Packet::decode_text).collect()
}

/// Encodes packets as one polling `GET` response body. Binary messages are
/// base64 (`b…`) because a v4 polling body is always text.
pub fn encode_payload(packets: &[Packet]) -> String {
    encode_payload_limited(packets, usize::MAX).0
}

/// Encodes as many leading packets as fit in `max_bytes` (UTF-8 bytes,
/// separators included) and returns the body with the number of packets
/// left out, which stay queued for the next poll.
///
/// At least one packet is always included, even if it alone exceeds the
/// budget: otherwise an oversized packet would block the queue forever.
/// An empty slice gives an empty body and nothing left over.
pub fn encode_payload_limited(packets: &[Packet], max_bytes: usize) -> (String, usize) {
    let mut body = String::new();
    let mut taken = 0;
    for packet in packets {
        let encoded = packet.encode_text();
        let separator_len = if taken == 0 { 0 } else { SEPARATOR.len_utf8() };
        if taken > 0 && body.len() + separator_len + encoded.len() > max_bytes {
            break;
        }
        if taken > 0 {
            body.push(SEPARATOR);
        }
        body.push_str(&encoded);
        taken += 1;
    }
    (body, packets.len() - taken)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn spec_example_with_ping() {
        let packets = decode_payload(b"4hello\x1e2\x1e4world").unwrap();
        assert_eq!(
            packets,
            [
                Packet::Message("hello".into()),
                Packet::Ping(String::new()),
                Packet::Message("world".into()),
            ]
        );
        assert_eq!(encode_payload(&packets), "4hello\x1e2\x1e4world");
    }

    #[test]
    fn spec_example_with_binary() {
        let packets = decode_payload(b"4hello\x1ebAQIDBA==").unwrap();
        assert_eq!(
            packets,
            [
                Packet::Message("hello".into()),
                Packet::BinaryMessage(Bytes::from_static(&[1, 2, 3, 4])),
            ]
        );
        assert_eq!(encode_payload(&packets), "4hello\x1ebAQIDBA==");
    }

    #[test]
    fn single_packet_has_no_separator() {
        assert_eq!(decode_payload(b"3").unwrap(), [Packet::Pong(String::new())]);
        assert_eq!(encode_payload(&[Packet::Noop]), "6");
    }

    #[test]
    fn test_suite_bodies() {
        let packets = decode_payload(b"4test1\x1e4test2\x1e4test3").unwrap();
        assert_eq!(packets.len(), 3);
        assert_eq!(encode_payload(&packets), "4test1\x1e4test2\x1e4test3");
        assert_eq!(decode_payload(b"1").unwrap(), [Packet::Close]);
    }

    #[test]
    fn rejects_malformed_bodies() {
        assert_eq!(decode_payload(b""), Err(DecodeError::EmptyPacket));
        assert_eq!(decode_payload(b"abc"), Err(DecodeError::UnknownType('a')));
        assert_eq!(
            decode_payload(b"4a\x1e\x1e4b"),
            Err(DecodeError::EmptyPacket)
        );
        assert_eq!(decode_payload(b"4a\x1e"), Err(DecodeError::EmptyPacket));
        assert_eq!(decode_payload(b"\x1e4a"), Err(DecodeError::EmptyPacket));
        assert_eq!(
            decode_payload(b"4a\x1e9"),
            Err(DecodeError::UnknownType('9'))
        );
        assert!(matches!(
            decode_payload(b"4a\x1eb@@"),
            Err(DecodeError::InvalidBase64(_))
        ));
        assert!(matches!(
            decode_payload(b"4\xff"),
            Err(DecodeError::InvalidUtf8(_))
        ));
    }

    #[test]
    fn empty_list_encodes_to_empty_body() {
        assert_eq!(encode_payload(&[]), "");
        assert_eq!(encode_payload_limited(&[], 10), (String::new(), 0));
    }

    #[test]
    fn limited_takes_what_fits() {
        let packets = [
            Packet::Message("aaaa".into()), // 5 bytes
            Packet::Message("bbbb".into()), // 1 + 5 bytes
            Packet::Message("cccc".into()), // 1 + 5 bytes
        ];
        assert_eq!(
            encode_payload_limited(&packets, 11),
            ("4aaaa\x1e4bbbb".into(), 1)
        );
        assert_eq!(
            encode_payload_limited(&packets, 16),
            ("4aaaa\x1e4bbbb".into(), 1)
        );
        assert_eq!(
            encode_payload_limited(&packets, 17),
            ("4aaaa\x1e4bbbb\x1e4cccc".into(), 0)
        );
        assert_eq!(encode_payload_limited(&packets, 10), ("4aaaa".into(), 2));
        assert_eq!(encode_payload_limited(&packets, 5), ("4aaaa".into(), 2));
    }

    #[test]
    fn limited_always_includes_one_packet() {
        let packets = [Packet::Message("too long".into()), Packet::Noop];
        assert_eq!(encode_payload_limited(&packets, 0), ("4too long".into(), 1));
    }

    #[test]
    fn limited_counts_utf8_and_base64_bytes() {
        // "4€" is 4 bytes, not 2 characters.
        let packets = [Packet::Message("€".into()), Packet::Message("€".into())];
        assert_eq!(encode_payload_limited(&packets, 8), ("4€".into(), 1));
        assert_eq!(encode_payload_limited(&packets, 9), ("4€\x1e4€".into(), 0));
        // Three raw bytes cost five: the `b` and four base64 characters.
        let binary = [
            Packet::Noop,
            Packet::BinaryMessage(Bytes::from_static(&[1, 2, 3])),
        ];
        assert_eq!(encode_payload_limited(&binary, 6), ("6".into(), 1));
        assert_eq!(encode_payload_limited(&binary, 7), ("6\x1ebAQID".into(), 0));
    }
}
