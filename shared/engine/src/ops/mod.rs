//! One file per operation, as mini-redis keeps one per command. Each parses its
//! payload, checks what it must, calls the backend if it has to, checks the
//! answer, and says what to push.

pub(crate) mod create_thread;
pub(crate) mod get_contacts;
pub(crate) mod get_presence;
pub(crate) mod get_thread;
pub(crate) mod get_threads;
pub(crate) mod get_user_token;
pub(crate) mod leave_thread;
pub(crate) mod send_message;
mod server_auth;
pub(crate) mod server_disconnect_user;
pub(crate) mod server_presence;
pub(crate) mod server_publish;
mod threads;

pub(crate) use threads::presence_change;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::fanout::Pushes;
use crate::{Action, Caller, EcbError, Engine};

/// An operation's result and the pushes it owes.
pub(crate) type Outcome = Result<(Value, Pushes), EcbError>;

/// Routes an authenticated operation to its file.
pub(crate) async fn dispatch(
    engine: &Engine,
    caller: &Caller,
    action: Action,
    payload: Value,
) -> Outcome {
    match action {
        Action::GetUserToken => get_user_token::run(engine, payload).await,
        Action::GetContacts => get_contacts::run(engine, caller, payload).await,
        Action::GetThreads => get_threads::run(engine, caller, payload).await,
        Action::CreateThread => create_thread::run(engine, caller, payload).await,
        Action::GetThread => get_thread::run(engine, caller, payload).await,
        Action::SendMessage => send_message::run(engine, caller, payload).await,
        Action::LeaveThread => leave_thread::run(engine, caller, payload).await,
        Action::GetPresence => get_presence::run(engine, caller, payload).await,
    }
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
