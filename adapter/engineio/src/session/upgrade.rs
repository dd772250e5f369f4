//! The upgrade from long-polling to WebSocket: a second connection arrives
//! for the sid, the client probes it (`2probe` → `3probe`), then switches
//! (`5`). Anything else on the probe cancels the upgrade.

use ecb_engineio_codec::Packet;

/// Where an upgrade stands; `S` is the probe's socket.
#[derive(Debug, Default)]
pub(super) enum Upgrade<S> {
    /// No upgrade in progress.
    #[default]
    Idle,
    /// A WebSocket arrived; its probe ping is awaited.
    Probing(S),
    /// The probe was answered: polls get noops until the client sends `5`.
    Probed(S),
}

/// What a packet on the probe's socket asks of the session.
#[derive(Debug, PartialEq)]
pub(super) enum ProbeStep<S> {
    /// Answer `3probe` on the probe, then report with [`Upgrade::answered`].
    AnswerPing,
    /// The client switched: the socket becomes the session's transport.
    Complete(S),
    /// The upgrade is off: close the socket.
    Cancel(S),
    /// Nothing to do.
    Ignore,
}

impl<S> Upgrade<S> {
    /// A WebSocket arrived for the session. Only one upgrade at a time: a
    /// second socket is handed back (to be closed, as the reference server does).
    pub(super) fn offer(&mut self, socket: S) -> Result<(), S> {
        match self {
            Self::Idle => {
                *self = Self::Probing(socket);
                Ok(())
            }
            Self::Probing(_) | Self::Probed(_) => Err(socket),
        }
    }

    /// The probe's socket, while there is one.
    pub(super) fn socket_mut(&mut self) -> Option<&mut S> {
        match self {
            Self::Idle => None,
            Self::Probing(socket) | Self::Probed(socket) => Some(socket),
        }
    }

    /// Whether polls are held back (answered with noops): the client is
    /// about to move to the WebSocket.
    pub(super) fn holds_polls(&self) -> bool {
        matches!(self, Self::Probed(_))
    }

    /// A packet arrived on the probe (`None`: not a packet, or the socket ended).
    pub(super) fn on_packet(&mut self, packet: Option<&Packet>) -> ProbeStep<S> {
        match (std::mem::take(self), packet) {
            (Self::Probing(socket), Some(packet)) if packet.is_probe_ping() => {
                *self = Self::Probing(socket);
                ProbeStep::AnswerPing
            }
            (Self::Probed(socket), Some(Packet::Upgrade)) => ProbeStep::Complete(socket),
            (Self::Idle, _) => ProbeStep::Ignore,
            (Self::Probing(socket) | Self::Probed(socket), _) => ProbeStep::Cancel(socket),
        }
    }

    /// The probe pong went out (`sent`) or the socket failed (dropped).
    pub(super) fn answered(&mut self, sent: bool) {
        *self = match std::mem::take(self) {
            Self::Probing(socket) if sent => Self::Probed(socket),
            Self::Probing(_) => Self::Idle,
            other => other,
        };
    }

    /// Ends the upgrade, handing back its socket if there was one.
    pub(super) fn take(&mut self) -> Option<S> {
        match std::mem::take(self) {
            Self::Idle => None,
            Self::Probing(socket) | Self::Probed(socket) => Some(socket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_ping() -> Packet {
        Packet::decode_text("2probe").unwrap()
    }

    #[test]
    fn probe_then_upgrade_completes_with_the_socket() {
        let mut upgrade = Upgrade::default();
        assert!(upgrade.offer("ws").is_ok());
        assert!(!upgrade.holds_polls());
        assert_eq!(
            upgrade.on_packet(Some(&probe_ping())),
            ProbeStep::AnswerPing
        );
        upgrade.answered(true);
        assert!(upgrade.holds_polls());
        assert_eq!(
            upgrade.on_packet(Some(&Packet::Upgrade)),
            ProbeStep::Complete("ws")
        );
        assert!(matches!(upgrade, Upgrade::Idle));
    }

    #[test]
    fn one_upgrade_at_a_time() {
        let mut upgrade = Upgrade::default();
        upgrade.offer("first").unwrap();
        assert_eq!(upgrade.offer("second"), Err("second"));
        assert_eq!(upgrade.socket_mut(), Some(&mut "first"));
    }

    #[test]
    fn anything_out_of_order_cancels() {
        // An upgrade before the probe.
        let mut upgrade = Upgrade::default();
        upgrade.offer("ws").unwrap();
        assert_eq!(
            upgrade.on_packet(Some(&Packet::Upgrade)),
            ProbeStep::Cancel("ws")
        );
        // A second probe ping once probed.
        let mut upgrade = Upgrade::default();
        upgrade.offer("ws").unwrap();
        upgrade.on_packet(Some(&probe_ping()));
        upgrade.answered(true);
        assert_eq!(
            upgrade.on_packet(Some(&probe_ping())),
            ProbeStep::Cancel("ws")
        );
        assert!(!upgrade.holds_polls());
        // A message, or the socket ending.
        let mut upgrade = Upgrade::default();
        upgrade.offer("ws").unwrap();
        let message = Packet::Message("hi".into());
        assert_eq!(upgrade.on_packet(Some(&message)), ProbeStep::Cancel("ws"));
        upgrade.offer("ws").unwrap();
        assert_eq!(upgrade.on_packet(None), ProbeStep::Cancel("ws"));
        assert_eq!(upgrade.on_packet(None), ProbeStep::Ignore);
    }

    #[test]
    fn a_failed_probe_pong_drops_the_socket() {
        let mut upgrade = Upgrade::default();
        upgrade.offer("ws").unwrap();
        upgrade.on_packet(Some(&probe_ping()));
        upgrade.answered(false);
        assert_eq!(upgrade.take(), None);
    }
}
