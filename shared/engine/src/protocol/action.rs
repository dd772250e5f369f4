//! The operations ECB runs, by their wire names, and who may ask for each.

use crate::{EcbError, ErrorCode};

/// An operation of PROTOCOL.md: the client operations by their wire names,
/// and the server API's (named by their REST routes, never sent by clients).
/// Parsing a name is the single place an unknown action is recognised,
/// whatever the transport.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "camelCase")]
pub enum Action {
    GetUserToken,
    GetContacts,
    GetThreads,
    CreateThread,
    GetThread,
    SendMessage,
    LeaveThread,
    GetPresence,
    GetMessages,
    MarkRead,
    /// Swaps a connection's userToken for a fresher one of the same user.
    RefreshToken,
    /// `POST /v1/server/publish`.
    #[strum(serialize = "server/publish")]
    ServerPublish,
    /// `GET /v1/server/threads/{threadId}/presence`.
    #[strum(serialize = "server/presence")]
    ServerPresence,
    /// `POST /v1/server/disconnectUser`.
    #[strum(serialize = "server/disconnectUser")]
    ServerDisconnectUser,
}

/// What an action needs to be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nothing: it is how a client gets a userToken.
    Anonymous,
    /// A userToken: a connection's, or a REST bearer.
    User,
    /// An open connection's caller, whose token may have run out: the
    /// action renews it (refreshToken). A REST request has no connection.
    Connection,
    /// A serverToken, as the bearer of a request of its own.
    Server,
}

impl Action {
    /// The wire name (`sendMessage`, `server/publish`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Looks a wire name up; anything else is `unknown_action`.
    pub fn parse(name: &str) -> Result<Self, EcbError> {
        name.parse().map_err(|_| {
            let shown: String = name.chars().take(64).collect();
            EcbError::new(
                ErrorCode::UnknownAction,
                format!("unknown action `{shown}`"),
            )
        })
    }

    /// Who may ask for it.
    pub fn access(self) -> Access {
        match self {
            Self::GetUserToken => Access::Anonymous,
            Self::RefreshToken => Access::Connection,
            Self::ServerPublish | Self::ServerPresence | Self::ServerDisconnectUser => {
                Access::Server
            }
            _ => Access::User,
        }
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for action in Action::VARIANTS {
            assert_eq!(Action::parse(action.as_str()).unwrap(), *action);
        }
        assert_eq!(Action::SendMessage.as_str(), "sendMessage");
        assert_eq!(Action::ServerPublish.as_str(), "server/publish");
        assert_eq!(
            Action::parse("fly").unwrap_err().code,
            ErrorCode::UnknownAction
        );
        assert!(Action::parse("SendMessage").is_err(), "names are exact");
    }
}
