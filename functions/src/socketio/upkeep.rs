//! What a sweep does to one Socket.IO session. Engine.IO v4 servers ping
//! their clients; on API Gateway no process lives between frames, so a
//! scheduled sweep looks at every session and decides here: ping it, close
//! it, or leave it. Pure, so the rule is tested without a clock or a table.

use ecb_aws::{EngineIoSession, SessionState};

use crate::settings::SocketIoSettings;

/// One session's fate at a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upkeep {
    /// Nothing is due.
    Keep,
    /// A ping is due (a ping interval since the last, or since the open).
    Ping,
    /// Close the connection: the client is gone or never joined.
    Close(CloseReason),
}

/// Why a sweep closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// No Socket.IO CONNECT within the connect timeout.
    NeverJoined,
    /// The last ping went unanswered for the ping timeout.
    PingTimeout,
}

impl CloseReason {
    /// For the log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeverJoined => "no CONNECT within the connect timeout",
            Self::PingTimeout => "ping timeout",
        }
    }
}

/// The rule, at `now` (epoch ms).
pub fn upkeep(session: &EngineIoSession, now: u64, settings: &SocketIoSettings) -> Upkeep {
    let since = |at: u64| now.saturating_sub(at);
    if session.state == SessionState::Opened
        && since(session.opened_at) >= settings.connect_timeout_ms
    {
        return Upkeep::Close(CloseReason::NeverJoined);
    }
    if let Some(pinged) = session.pinged_at {
        let answered = session.ponged_at.is_some_and(|ponged| ponged >= pinged);
        if !answered && since(pinged) >= settings.ping_timeout_ms {
            return Upkeep::Close(CloseReason::PingTimeout);
        }
        if !answered {
            return Upkeep::Keep;
        }
    }
    let last = session.pinged_at.unwrap_or(session.opened_at);
    if since(last) >= settings.ping_interval_ms {
        Upkeep::Ping
    } else {
        Upkeep::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SocketIoSettings {
        SocketIoSettings {
            ping_interval_ms: 300,
            ping_timeout_ms: 120,
            connect_timeout_ms: 45,
            engineio_function: "engineio".into(),
            lambda_endpoint: None,
        }
    }

    fn session(
        state: SessionState,
        pinged_at: Option<u64>,
        ponged_at: Option<u64>,
    ) -> EngineIoSession {
        EngineIoSession {
            connection_id: "c".into(),
            endpoint: "e".into(),
            state,
            opened_at: 1_000,
            pinged_at,
            ponged_at,
            query_token: None,
        }
    }

    #[test]
    fn a_client_that_never_joins_is_closed_after_the_connect_timeout() {
        let opened = session(SessionState::Opened, None, None);
        assert_eq!(upkeep(&opened, 1_044, &settings()), Upkeep::Keep);
        assert_eq!(
            upkeep(&opened, 1_045, &settings()),
            Upkeep::Close(CloseReason::NeverJoined)
        );
        let joined = session(SessionState::Connected, None, None);
        assert_eq!(upkeep(&joined, 1_045, &settings()), Upkeep::Keep);
    }

    #[test]
    fn pings_are_due_an_interval_after_the_open_and_after_each_answered_ping() {
        let fresh = session(SessionState::Connected, None, None);
        assert_eq!(upkeep(&fresh, 1_299, &settings()), Upkeep::Keep);
        assert_eq!(upkeep(&fresh, 1_300, &settings()), Upkeep::Ping);
        let answered = session(SessionState::Connected, Some(1_300), Some(1_310));
        assert_eq!(upkeep(&answered, 1_599, &settings()), Upkeep::Keep);
        assert_eq!(upkeep(&answered, 1_600, &settings()), Upkeep::Ping);
    }

    #[test]
    fn an_unanswered_ping_closes_the_connection_after_the_ping_timeout() {
        let waiting = session(SessionState::Connected, Some(1_300), Some(1_000));
        assert_eq!(upkeep(&waiting, 1_419, &settings()), Upkeep::Keep);
        assert_eq!(
            upkeep(&waiting, 1_420, &settings()),
            Upkeep::Close(CloseReason::PingTimeout)
        );
        let never_answered = session(SessionState::Connected, Some(1_300), None);
        assert_eq!(
            upkeep(&never_answered, 1_420, &settings()),
            Upkeep::Close(CloseReason::PingTimeout)
        );
    }
}
