//! The operations a client may ask for, by their wire names.

use crate::EcbError;

/// A client operation of PROTOCOL.md. Parsing the name is the single place an
/// unknown action is recognised, whatever the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    GetUserToken,
    GetContacts,
    GetThreads,
    CreateThread,
    GetThread,
    SendMessage,
    LeaveThread,
    GetPresence,
}

impl Action {
    /// Every action, for listings and tests.
    pub const ALL: [Action; 8] = [
        Self::GetUserToken,
        Self::GetContacts,
        Self::GetThreads,
        Self::CreateThread,
        Self::GetThread,
        Self::SendMessage,
        Self::LeaveThread,
        Self::GetPresence,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GetUserToken => "getUserToken",
            Self::GetContacts => "getContacts",
            Self::GetThreads => "getThreads",
            Self::CreateThread => "createThread",
            Self::GetThread => "getThread",
            Self::SendMessage => "sendMessage",
            Self::LeaveThread => "leaveThread",
            Self::GetPresence => "getPresence",
        }
    }

    /// Looks a wire name up; anything else is `unknown_action`.
    pub fn parse(name: &str) -> Result<Self, EcbError> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| {
                EcbError::new(
                    crate::ErrorCode::UnknownAction,
                    format!("unknown action `{}`", truncate(name, 64)),
                )
            })
    }

    /// Whether the action runs without a userToken (it is how one gets one).
    pub fn is_anonymous(self) -> bool {
        self == Self::GetUserToken
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
