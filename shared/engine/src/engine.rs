//! The engine: one value holding the configuration and the three ports, with
//! the entry points every transport calls.

use std::sync::Arc;

use serde_json::Value;

use crate::fanout::Pushes;
use crate::limits::RateLimiter;
use crate::ports::{Backend, ConnectionRecord, Member, Pusher, Store};
use crate::protocol::envelope::OpResult;
use crate::protocol::frame;
use crate::tokens::{TokenVerifier, UserClaims};
use crate::{Action, EcbError, EngineConfig, ErrorCode, ops};

/// Who is asking: a verified user, on a connection (WebSocket, Socket.IO, API
/// Gateway) or on none (REST).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserClaims,
    /// Forwarded to the backend as the bearer, so it can check its own
    /// signature. Shared with the connection's record: it is half a
    /// kilobyte per open connection.
    pub user_token: Arc<str>,
    /// The connection that asked; channels belong to connections, so REST
    /// callers join nothing.
    pub connection: Option<Member>,
}

impl Caller {
    /// The connection id, if the caller has one.
    pub fn connection_id(&self) -> Option<&str> {
        self.connection.as_ref().map(|c| c.connection_id.as_str())
    }

    fn rate_key(&self) -> String {
        match &self.connection {
            Some(connection) => connection.connection_id.clone(),
            None => format!("user:{}", self.user.user_id),
        }
    }
}

/// What an operation produced: the result for the caller, and the pushes to
/// deliver once the caller has it (the author is acked before anyone else is
/// pushed, per PROTOCOL.md).
#[must_use = "a reply's pushes must be delivered"]
pub struct Reply {
    pub result: OpResult,
    pub pushes: Pushes,
}

impl Reply {
    fn failed(error: EcbError) -> Self {
        Self {
            result: Err(error),
            pushes: Pushes::none(),
        }
    }
}

impl From<Result<(Value, Pushes), EcbError>> for Reply {
    fn from(outcome: Result<(Value, Pushes), EcbError>) -> Self {
        match outcome {
            Ok((value, pushes)) => Self {
                result: Ok(value),
                pushes,
            },
            Err(error) => Self::failed(error),
        }
    }
}

/// The chat engine. Cheap to share behind an `Arc`; holds no per-connection
/// state but rate buckets.
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) tokens: TokenVerifier,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) pusher: Arc<dyn Pusher>,
    pub(crate) backend: Arc<dyn Backend>,
    rate: RateLimiter,
}

impl Engine {
    /// An engine over the given ports.
    pub fn new(
        config: EngineConfig,
        store: Arc<dyn Store>,
        pusher: Arc<dyn Pusher>,
        backend: Arc<dyn Backend>,
    ) -> Self {
        Self {
            tokens: TokenVerifier::new(&config),
            rate: RateLimiter::new(config.rate_limit),
            config,
            store,
            pusher,
            backend,
        }
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Refuses a frame or body over `ECB_MAX_PAYLOAD`.
    pub fn check_payload_size(&self, len: usize) -> Result<(), EcbError> {
        if len > self.config.max_payload {
            return Err(EcbError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "payload of {len} bytes is over the limit of {} bytes",
                    self.config.max_payload
                ),
            ));
        }
        Ok(())
    }

    /// Opens a connection: verifies the userToken and records the connection
    /// with the endpoint its pushes go to.
    pub async fn connect(
        &self,
        user_token: &str,
        connection_id: String,
        endpoint: String,
    ) -> Result<Caller, EcbError> {
        let user = self.tokens.user(user_token)?;
        let user_token: Arc<str> = Arc::from(user_token);
        let record = ConnectionRecord {
            connection_id,
            user: user.to_user(),
            user_token: user_token.clone(),
            token_expires_at: user.exp,
            endpoint,
            connected_at: crate::unix_now(),
        };
        self.store
            .put_connection(&record)
            .await
            .map_err(|e| store_failure(&e))?;
        tracing::debug!(connection = %record.connection_id, user = %user.user_id, "connected");
        Ok(Caller {
            connection: Some(record.member()),
            user,
            user_token,
        })
    }

    /// Finds the caller of a connection opened earlier, possibly by another
    /// process (a Lambda invocation after `$connect`).
    pub async fn resume(&self, connection_id: &str) -> Result<Caller, EcbError> {
        let record = self
            .store
            .get_connection(connection_id)
            .await
            .map_err(|e| store_failure(&e))?
            .ok_or_else(|| EcbError::unauthorized("unknown connection"))?;
        let user = UserClaims {
            user_id: record.user.user_id.clone(),
            display_name: record.user.display_name.clone(),
            data: record.user.data.clone(),
            exp: record.token_expires_at,
        };
        Ok(Caller {
            connection: Some(record.member()),
            user,
            user_token: record.user_token,
        })
    }

    /// A REST caller, from its bearer token.
    pub fn authenticate(&self, bearer: Option<&str>) -> Result<Caller, EcbError> {
        let token = bearer.ok_or_else(|| EcbError::unauthorized("missing bearer userToken"))?;
        Ok(Caller {
            user: self.tokens.user(token)?,
            user_token: Arc::from(token),
            connection: None,
        })
    }

    /// Closes a connection's books: leaves every channel and tells the threads
    /// where its user is now offline. Idempotent.
    pub async fn disconnect(&self, connection_id: &str) {
        self.rate.forget(connection_id);
        self.forget_connections(std::slice::from_ref(&connection_id.to_owned()))
            .await;
    }

    /// Runs one client operation by its wire name.
    pub async fn execute(&self, caller: Option<&Caller>, action: &str, payload: Value) -> Reply {
        if let Some(caller) = caller
            && let Err(error) = self.rate.check(&caller.rate_key())
        {
            return Reply::failed(error);
        }
        let action = match Action::parse(action) {
            Ok(action) => action,
            Err(error) => return Reply::failed(error),
        };
        if !payload.is_object() {
            return Reply::failed(EcbError::bad_request("payload must be a JSON object"));
        }
        if action.is_anonymous() {
            return ops::get_user_token::run(self, payload).await.into();
        }
        let Some(caller) = caller else {
            return Reply::failed(EcbError::unauthorized("missing userToken"));
        };
        if let Err(error) = self.ensure_fresh(caller) {
            return Reply::failed(error);
        }
        let outcome = ops::dispatch(self, caller, action, payload).await;
        if let Err(error) = &outcome {
            log_failure(action.as_str(), error);
        }
        outcome.into()
    }

    /// Runs one raw WebSocket frame (PROTOCOL.md transport 2) and returns the
    /// response frame; the caller sends it, then delivers the pushes.
    pub async fn handle_frame(&self, caller: &Caller, text: &str) -> (String, Pushes) {
        if let Err(error) = self.check_payload_size(text.len()) {
            let id = frame::sniff_request_id(text);
            return (frame::response(id.as_ref(), &Err(error)), Pushes::none());
        }
        match frame::parse_request(text) {
            Ok(request) => {
                let reply = self
                    .execute(Some(caller), &request.action, request.payload)
                    .await;
                (
                    frame::response(request.request_id.as_ref(), &reply.result),
                    reply.pushes,
                )
            }
            Err(bad) => (
                frame::response(bad.request_id.as_ref(), &Err(bad.error)),
                Pushes::none(),
            ),
        }
    }

    /// A long-lived connection outlives its token's checks at connect time;
    /// every operation re-checks the expiry.
    fn ensure_fresh(&self, caller: &Caller) -> Result<(), EcbError> {
        if caller.user.exp + self.tokens.leeway_s() < crate::unix_now() {
            return Err(EcbError::unauthorized("userToken has expired; reconnect"));
        }
        Ok(())
    }
}

/// Store failures are ECB's own: logged in full, reported as `internal`.
pub(crate) fn store_failure(error: &crate::ports::StoreError) -> EcbError {
    tracing::error!(%error, "store failure");
    EcbError::internal("ECB could not reach its connection store")
}

fn log_failure(action: &str, error: &EcbError) {
    match error.code {
        ErrorCode::Internal | ErrorCode::BackendUnavailable | ErrorCode::BackendInvalidResponse => {
            tracing::warn!(action, code = %error.code, message = %error.message, "operation failed")
        }
        _ => {
            tracing::debug!(action, code = %error.code, message = %error.message, "operation refused")
        }
    }
}
