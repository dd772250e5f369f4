//! The server's side of the Engine.IO heartbeat: ping every `pingInterval`,
//! and give up on a client that has not answered within `pingTimeout`.

use std::time::Duration;

use tokio::time::Instant;

/// Where the heartbeat stands: one deadline at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Heartbeat {
    /// The next ping is due then.
    PingDue(Instant),
    /// A ping is out; the client must answer by then.
    AwaitingPong(Instant),
}

/// What the heartbeat's deadline means when it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Beat {
    /// Send a ping.
    Ping,
    /// The client did not answer: the session is dead.
    PongMissed,
}

impl Heartbeat {
    /// A session opened at `now` pings first after one interval.
    pub(super) fn start(now: Instant, interval: Duration) -> Self {
        Self::PingDue(now + interval)
    }

    /// The next deadline and what it means.
    pub(super) fn deadline(&self) -> (Instant, Beat) {
        match *self {
            Self::PingDue(at) => (at, Beat::Ping),
            Self::AwaitingPong(by) => (by, Beat::PongMissed),
        }
    }

    /// The due ping is being sent. The answer is awaited from when the ping
    /// was due, not from when the timer got round to it: a client that waits
    /// pingInterval + pingTimeout must find the session closed.
    pub(super) fn pinged(&mut self, timeout: Duration) {
        if let Self::PingDue(at) = *self {
            *self = Self::AwaitingPong(at + timeout);
        }
    }

    /// The client answered (or sent an unsolicited pong): the next ping is
    /// one interval from now.
    pub(super) fn ponged(&mut self, now: Instant, interval: Duration) {
        *self = Self::PingDue(now + interval);
    }

    /// Whether the client has missed its answer by `now`.
    pub(super) fn missed(&self, now: Instant) -> bool {
        matches!(*self, Self::AwaitingPong(by) if by <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(300);
    const TIMEOUT: Duration = Duration::from_millis(200);

    #[test]
    fn pings_after_an_interval_and_waits_a_timeout_for_the_pong() {
        let opened = Instant::now();
        let mut heartbeat = Heartbeat::start(opened, INTERVAL);
        assert_eq!(heartbeat.deadline(), (opened + INTERVAL, Beat::Ping));
        assert!(!heartbeat.missed(opened + INTERVAL * 10), "no ping out yet");
        heartbeat.pinged(TIMEOUT);
        assert_eq!(
            heartbeat.deadline(),
            (opened + INTERVAL + TIMEOUT, Beat::PongMissed),
            "counted from when the ping was due"
        );
        assert!(!heartbeat.missed(opened + INTERVAL));
        assert!(heartbeat.missed(opened + INTERVAL + TIMEOUT));
    }

    #[test]
    fn a_pong_schedules_the_next_ping_from_now() {
        let opened = Instant::now();
        let mut heartbeat = Heartbeat::start(opened, INTERVAL);
        heartbeat.pinged(TIMEOUT);
        let answered = opened + INTERVAL + TIMEOUT / 2;
        heartbeat.ponged(answered, INTERVAL);
        assert_eq!(heartbeat.deadline(), (answered + INTERVAL, Beat::Ping));
        assert!(!heartbeat.missed(answered + INTERVAL * 10));
    }

    #[test]
    fn a_second_ping_notice_keeps_the_first_deadline() {
        let opened = Instant::now();
        let mut heartbeat = Heartbeat::start(opened, INTERVAL);
        heartbeat.pinged(TIMEOUT);
        heartbeat.pinged(TIMEOUT * 5);
        assert_eq!(heartbeat.deadline().0, opened + INTERVAL + TIMEOUT);
    }
}
