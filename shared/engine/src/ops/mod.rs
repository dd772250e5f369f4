//! One file per operation, as mini-redis keeps one per command. Each parses its
//! payload, checks what it must, calls the backend if it has to, checks the
//! answer, and says what to push.

mod create_thread;
mod get_contacts;
mod get_messages;
mod get_presence;
mod get_thread;
mod get_threads;
mod get_user_token;
mod leave_thread;
mod mark_read;
mod refresh_token;
mod send_message;
mod server_disconnect_user;
mod server_presence;
mod server_publish;
#[cfg(test)]
mod tests;
mod threads;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::engine::Principal;
use crate::fanout::Pushes;
use crate::{Action, Caller, EcbError, Engine};

/// An operation's result and the pushes it owes.
pub(crate) type Outcome = Result<(Value, Pushes), EcbError>;

/// What a finished operation hands back to [`Engine::execute`].
pub(crate) struct Done {
    pub(crate) value: Value,
    pub(crate) pushes: Pushes,
    /// The connection's new caller (refreshToken only).
    pub(crate) refreshed: Option<Caller>,
}

impl From<(Value, Pushes)> for Done {
    fn from((value, pushes): (Value, Pushes)) -> Self {
        Self {
            value,
            pushes,
            refreshed: None,
        }
    }
}

/// Routes an operation to its file, with the principal its access checked.
pub(crate) async fn dispatch(
    engine: &Engine,
    principal: &Principal<'_>,
    action: Action,
    payload: Value,
) -> Result<Done, EcbError> {
    if let (Principal::User(caller), Action::RefreshToken) = (principal, action) {
        return refresh_token::run(engine, caller, payload).await;
    }
    let outcome = match (principal, action) {
        (_, Action::GetUserToken) => get_user_token::run(engine, payload).await,
        (Principal::User(caller), action) => {
            let caller = *caller;
            match action {
                Action::GetContacts => get_contacts::run(engine, caller, payload).await,
                Action::GetThreads => get_threads::run(engine, caller, payload).await,
                Action::CreateThread => create_thread::run(engine, caller, payload).await,
                Action::GetThread => get_thread::run(engine, caller, payload).await,
                Action::SendMessage => send_message::run(engine, caller, payload).await,
                Action::LeaveThread => leave_thread::run(engine, caller, payload).await,
                Action::GetPresence => get_presence::run(engine, caller, payload).await,
                Action::GetMessages => get_messages::run(engine, caller, payload).await,
                Action::MarkRead => mark_read::run(engine, caller, payload).await,
                _ => Err(misrouted(action)),
            }
        }
        (Principal::Server, Action::ServerPublish) => server_publish::run(engine, payload).await,
        (Principal::Server, Action::ServerPresence) => server_presence::run(engine, payload).await,
        (Principal::Server, Action::ServerDisconnectUser) => {
            server_disconnect_user::run(engine, payload).await
        }
        (_, action) => Err(misrouted(action)),
    };
    outcome.map(Done::from)
}

/// An action that reached dispatch with the wrong principal: a bug in
/// [`Engine::execute`]'s access check, never the client's doing.
fn misrouted(action: Action) -> EcbError {
    EcbError::internal(format!(
        "{} reached dispatch with the wrong principal",
        action.as_str()
    ))
}

/// The payload of the operations that name a thread by its token alone.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ThreadTokenPayload {
    pub(crate) thread_token: String,
}

/// Reads a payload into an operation's own type; a mismatch is `bad_request`.
pub(crate) fn parse<T: DeserializeOwned>(payload: &Value) -> Result<T, EcbError> {
    T::deserialize(payload).map_err(|e| EcbError::bad_request(format!("payload: {e}")))
}

/// The backend body: the client's payload plus `user`.
pub(crate) fn with_user(mut payload: Value, caller: &Caller) -> Value {
    if let Some(object) = payload.as_object_mut() {
        object.insert(
            "user".into(),
            serde_json::to_value(caller.user.to_user()).unwrap_or(Value::Null),
        );
    }
    payload
}

/// Serializes a checked model for the caller.
pub(crate) fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, EcbError> {
    serde_json::to_value(value).map_err(|e| EcbError::internal(format!("encoding result: {e}")))
}
