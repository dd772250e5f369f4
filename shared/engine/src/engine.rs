//! The engine: one value holding the configuration and the three ports, with
//! the entry points every transport calls.

use std::sync::Arc;

use serde_json::Value;

use crate::fanout::Pushes;
use crate::limits::RateLimiter;
use crate::ports::{Backend, ConnectionRecord, Member, Pusher, Store};
use crate::protocol::action::Access;
use crate::protocol::envelope::OpResult;
use crate::protocol::frame;
use crate::protocol::wire::Wire;
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

/// How a request proves who it comes from.
#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    /// An open connection's caller (WebSocket, Socket.IO, API Gateway).
    Connection(&'a Caller),
    /// The bearer token of a request of its own (REST, the server API): a
    /// userToken or a serverToken, as the action needs; `None` if absent.
    Bearer(Option<&'a str>),
}

/// Who an operation runs for, once the credentials its action needs are checked.
pub(crate) enum Principal<'a> {
    /// getUserToken: nobody yet.
    Anonymous,
    /// A verified user, on a connection or on none (REST).
    User(&'a Caller),
    /// The backend, by a verified serverToken.
    Server,
}

/// One request as a transport read it.
pub struct Request<'a> {
    /// The action's wire name.
    pub action: &'a str,
    pub payload: Payload<'a>,
}

/// A request's payload, and the bytes it took on the wire (what the payload
/// limit is checked against, once, in [`Engine::execute`]).
pub enum Payload<'a> {
    /// A body not parsed yet (REST): JSON, and `{}` when empty.
    Body(&'a [u8]),
    /// A payload the transport had to parse to find the action (a raw
    /// WebSocket frame, a Socket.IO event), and the size of what it parsed.
    Parsed { value: Value, wire_size: usize },
    /// A body the transport stopped reading past the largest payload (see
    /// [`Engine::max_body`]), so as not to buffer what will be refused;
    /// `length` is at least its size.
    Unread { length: usize },
}

impl Payload<'_> {
    fn wire_size(&self) -> usize {
        match self {
            Self::Body(bytes) => bytes.len(),
            Self::Parsed { wire_size, .. } => *wire_size,
            Self::Unread { length } => *length,
        }
    }

    fn into_value(self) -> Result<Value, EcbError> {
        match self {
            Self::Parsed { value, .. } => Ok(value),
            Self::Unread { length } => Err(EcbError::new(
                ErrorCode::PayloadTooLarge,
                format!("a body of {length} bytes or more"),
            )),
            Self::Body(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
                Ok(Value::Object(Default::default()))
            }
            Self::Body(bytes) => serde_json::from_slice(bytes)
                .map_err(|_| EcbError::bad_request("body is not valid JSON")),
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
    /// The connection's caller from now on, when the operation replaced it
    /// (refreshToken): the transport keeps it for the connection's next
    /// requests. The store's record is already updated.
    pub refreshed: Option<Caller>,
}

impl Reply {
    /// A refusal: the error, nothing to push.
    pub fn error(error: EcbError) -> Self {
        Self {
            result: Err(error),
            pushes: Pushes::none(),
            refreshed: None,
        }
    }
}

/// A raw WebSocket frame's answer: the response frame to send, then the
/// pushes to deliver, and the caller to keep if the frame refreshed it.
#[must_use = "a reply's pushes must be delivered"]
pub struct FrameReply {
    pub frame: String,
    pub pushes: Pushes,
    pub refreshed: Option<Caller>,
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
            backend: Arc::new(crate::backend::MeteredBackend(backend)),
        }
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// How much of a body a transport needs to read: one byte past the
    /// largest payload tells a body too large from one that fits. Past it,
    /// the transport hands over [`Payload::Unread`] instead of buffering more.
    pub fn max_body(&self) -> usize {
        self.config.max_payload + 1
    }

    /// The connections in a thread's channel: the store's answer, with a
    /// store failure reported as every operation reports it.
    pub(crate) async fn channel(&self, thread_id: &str) -> Result<Vec<Member>, EcbError> {
        self.store
            .members(thread_id)
            .await
            .map_err(|e| store_failure(&e))
    }

    /// Opens a connection: verifies the userToken and records the connection
    /// with the endpoint its pushes go to and the wire they are framed for.
    pub async fn connect(
        &self,
        user_token: &str,
        connection_id: String,
        endpoint: String,
        wire: Wire,
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
            wire,
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

    /// Closes a connection's books: leaves every channel and tells the threads
    /// where its user is now offline. Idempotent.
    pub async fn disconnect(&self, connection_id: &str) {
        self.rate.forget(connection_id);
        crate::fanout::forget_connections(self, std::slice::from_ref(&connection_id.to_owned()))
            .await;
    }

    /// Runs one request, whatever the transport: checks its size, names
    /// its action, checks the credentials that action needs (a connection's
    /// caller, a bearer userToken or serverToken, or none), reads its
    /// payload and runs the operation.
    pub async fn execute(&self, credentials: Credentials<'_>, request: Request<'_>) -> Reply {
        let started = std::time::Instant::now();
        let action = Action::parse(request.action).map_or("unknown", Action::as_str);
        let outcome = self.run(credentials, request).await;
        let reply = match outcome {
            Ok((action, Err(error))) => {
                log_failure(action.as_str(), &error);
                Reply::error(error)
            }
            Ok((_, Ok(done))) => Reply {
                result: Ok(done.value),
                pushes: done.pushes,
                refreshed: done.refreshed,
            },
            Err(error) => Reply::error(error),
        };
        let failure = reply.result.as_ref().err().map(|error| error.code);
        crate::instruments::operation_finished(action, failure, started.elapsed());
        reply
    }

    /// The checks before an operation; the operation's own outcome comes
    /// back beside its action, for the log.
    async fn run(
        &self,
        credentials: Credentials<'_>,
        request: Request<'_>,
    ) -> Result<(Action, Result<ops::Done, EcbError>), EcbError> {
        self.check_payload_size(request.payload.wire_size())?;
        if let Credentials::Connection(caller) = credentials {
            self.rate.check(&caller.rate_key())?;
        }
        let action = Action::parse(request.action)?;
        let bearer_caller;
        let principal = match (action.access(), credentials) {
            (Access::Anonymous, _) => Principal::Anonymous,
            (Access::User, Credentials::Connection(caller)) => {
                self.ensure_fresh(caller)?;
                Principal::User(caller)
            }
            // A refresh carries its own proof: it works for a connection
            // whose token just ran out.
            (Access::Connection, Credentials::Connection(caller)) => Principal::User(caller),
            (Access::Connection, Credentials::Bearer(_)) => {
                return Err(EcbError::bad_request(format!(
                    "{} is for connections: a REST request carries its token each time",
                    action.as_str()
                )));
            }
            (Access::User, Credentials::Bearer(token)) => {
                bearer_caller = self.authenticate(token)?;
                self.rate.check(&bearer_caller.rate_key())?;
                Principal::User(&bearer_caller)
            }
            (Access::Server, Credentials::Bearer(token)) => {
                let token =
                    token.ok_or_else(|| EcbError::unauthorized("missing bearer serverToken"))?;
                self.tokens.server(token)?;
                Principal::Server
            }
            // The server API is not spoken over a client's connection.
            (Access::Server, Credentials::Connection(_)) => {
                return Err(EcbError::new(
                    ErrorCode::UnknownAction,
                    format!("unknown action `{}`", action.as_str()),
                ));
            }
        };
        let payload = request.payload.into_value()?;
        if !payload.is_object() {
            return Err(EcbError::bad_request("payload must be a JSON object"));
        }
        Ok((
            action,
            ops::dispatch(self, &principal, action, payload).await,
        ))
    }

    /// Runs one raw WebSocket frame (PROTOCOL.md transport 2) and returns the
    /// response frame; the caller sends it, then delivers the pushes.
    pub async fn handle_frame(&self, caller: &Caller, text: &str) -> FrameReply {
        // Refused before parsing, so even an oversized frame's error can be
        // matched: its requestId is sniffed, not the whole frame parsed.
        if let Err(error) = self.check_payload_size(text.len()) {
            let id = frame::sniff_request_id(text);
            return FrameReply::error(frame::response(id.as_ref(), &Err(error)));
        }
        match frame::parse_request(text) {
            Ok(frame) => {
                let request = Request {
                    action: &frame.action,
                    payload: Payload::Parsed {
                        value: frame.payload,
                        wire_size: text.len(),
                    },
                };
                let reply = self.execute(Credentials::Connection(caller), request).await;
                FrameReply {
                    frame: frame::response(frame.request_id.as_ref(), &reply.result),
                    pushes: reply.pushes,
                    refreshed: reply.refreshed,
                }
            }
            Err(bad) => {
                FrameReply::error(frame::response(bad.request_id.as_ref(), &Err(bad.error)))
            }
        }
    }

    /// A REST caller, from its bearer token.
    fn authenticate(&self, bearer: Option<&str>) -> Result<Caller, EcbError> {
        let token = bearer.ok_or_else(|| EcbError::unauthorized("missing bearer userToken"))?;
        Ok(Caller {
            user: self.tokens.user(token)?,
            user_token: Arc::from(token),
            connection: None,
        })
    }

    /// Refuses a frame or body over `ECB_MAX_PAYLOAD`.
    fn check_payload_size(&self, len: usize) -> Result<(), EcbError> {
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

    /// A long-lived connection outlives its token's checks at connect time;
    /// every operation re-checks the expiry.
    fn ensure_fresh(&self, caller: &Caller) -> Result<(), EcbError> {
        if caller.user.exp + self.tokens.leeway_s() < crate::unix_now() {
            return Err(EcbError::unauthorized("userToken has expired; reconnect"));
        }
        Ok(())
    }
}

impl FrameReply {
    /// A response frame carrying an error: nothing to push.
    pub fn error(frame: String) -> Self {
        Self {
            frame,
            pushes: Pushes::none(),
            refreshed: None,
        }
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
