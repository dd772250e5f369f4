//! Configuration: PROTOCOL.md's table, read the same way by every binary.
//!
//! [`Settings`] is the raw form (environment variables, which `ecb serve` flags
//! may override); [`Settings::resolve`] checks it once at start-up and yields
//! an [`EngineConfig`], or one line naming the setting that is wrong.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use clap::{ArgAction, Args, Parser};

use crate::tokens::KeySet;

/// The settings of PROTOCOL.md, by their environment variable names.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Local server address.
    #[arg(long, env = "ECB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The backend's base URL (required).
    #[arg(long, env = "ECB_BACKEND_URL")]
    pub backend_url: Option<String>,
    /// PEM public key file(s), comma-separated; a key's id is its file name without `.pem`.
    #[arg(long, env = "ECB_PUBLIC_KEY_FILE", value_delimiter = ',')]
    pub public_key_file: Vec<PathBuf>,
    /// PEM public key text (one or more keys), for Lambda.
    #[arg(long, env = "ECB_PUBLIC_KEY", hide_env_values = true)]
    pub public_key: Option<String>,
    /// Refuse thread operations to callers not in the threadToken's memberIds.
    #[arg(long, env = "ECB_BLOCK_NON_MEMBERS", default_value_t = true, action = ArgAction::Set)]
    pub block_non_members: bool,
    /// After each message's fan-out, tell the backend (notifyUndelivered)
    /// which members it did not reach, for mobile push or email.
    #[arg(long, env = "ECB_NOTIFY_UNDELIVERED", default_value_t = false, action = ArgAction::Set)]
    pub notify_undelivered: bool,
    /// Standard Webhooks signing secret for backend calls, `whsec_<base64>`.
    #[arg(long, env = "ECB_BACKEND_SECRET", hide_env_values = true)]
    pub backend_secret: Option<String>,
    /// Required `iss` claim.
    #[arg(long, env = "ECB_ISSUER")]
    pub issuer: Option<String>,
    /// Required `aud` claim.
    #[arg(long, env = "ECB_AUDIENCE")]
    pub audience: Option<String>,
    /// Allowed browser origins for CORS and WebSocket, comma-separated (default: any).
    #[arg(long, env = "ECB_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Largest frame or request body, in bytes.
    #[arg(long, env = "ECB_MAX_PAYLOAD", default_value_t = 32768)]
    pub max_payload: usize,
    /// Operations per second per connection.
    #[arg(long, env = "ECB_RATE_LIMIT", default_value_t = 20)]
    pub rate_limit: u32,
    /// Backend call timeout, in milliseconds.
    #[arg(long, env = "ECB_BACKEND_TIMEOUT_MS", default_value_t = 10_000)]
    pub backend_timeout_ms: u64,
    /// Clock leeway for token `exp`/`nbf`, in seconds.
    #[arg(long, env = "ECB_TOKEN_LEEWAY_S", default_value_t = 30)]
    pub token_leeway_s: u64,
    /// DynamoDB table (serverless and shared local servers).
    #[arg(long, env = "ECB_TABLE")]
    pub table: Option<String>,
    /// DynamoDB endpoint override (local use).
    #[arg(long, env = "ECB_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// Management API endpoint override (default: from the event).
    #[arg(long, env = "ECB_MANAGEMENT_ENDPOINT")]
    pub management_endpoint: Option<String>,
    /// This server's Management API URL as other servers reach it, when
    /// threads are shared through ECB_TABLE (default: http:// +
    /// ECB_MANAGEMENT_LISTEN, else ECB_LISTEN).
    #[arg(long, env = "ECB_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The shared secret (at least 32 characters) that signs Management API
    /// requests between ECB's parts: required to serve it (`ecb serve` with
    /// ECB_TABLE, `ecb gateway`); the functions sign with it when set.
    #[arg(long, env = "ECB_MANAGEMENT_SECRET", hide_env_values = true)]
    pub management_secret: Option<String>,
    /// Serve the Management API on this address instead of ECB_LISTEN, so
    /// clients' port never answers it (needs ECB_TABLE).
    #[arg(long, env = "ECB_MANAGEMENT_LISTEN")]
    pub management_listen: Option<String>,
    /// How long a client has to send a request's line and headers, in
    /// milliseconds; a keep-alive connection waits as long for its next one.
    #[arg(long, env = "ECB_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Closes a connection (HTTP or WebSocket) on which no byte moved either
    /// way for this long, in seconds; 0: never.
    #[arg(long, env = "ECB_IDLE_TIMEOUT_S", default_value_t = 600)]
    pub idle_timeout_s: u64,
    /// Connections one client address may hold open, and as many Engine.IO
    /// sessions; 0: no limit.
    #[arg(long, env = "ECB_MAX_CONNECTIONS_PER_IP", default_value_t = 1000)]
    pub max_connections_per_ip: usize,
    /// WebSocket and Socket.IO connections one user may hold on a server; 0: no limit.
    #[arg(long, env = "ECB_MAX_CONNECTIONS_PER_USER", default_value_t = 100)]
    pub max_connections_per_user: usize,
}

/// A limit where 0 means none.
pub fn limit(value: usize) -> Option<usize> {
    (value > 0).then_some(value)
}

/// Why start-up stops: one line naming the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl ConfigError {
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            name,
            reason: reason.into(),
        }
    }
}

/// The engine's checked configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub backend_url: String,
    pub keys: KeySet,
    pub block_non_members: bool,
    /// Call notifyUndelivered after each message's fan-out.
    pub notify_undelivered: bool,
    /// The decoded Standard Webhooks key, when backend calls are signed.
    pub backend_secret: Option<Vec<u8>>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub allowed_origins: Vec<String>,
    pub max_payload: usize,
    pub rate_limit: u32,
    pub backend_timeout: Duration,
    pub token_leeway: Duration,
}

impl EngineConfig {
    /// Whether a request with this `Origin` may proceed: one without `Origin`
    /// (a server, a native app) always may; a browser's only from an allowed
    /// origin, when origins are configured. One rule for every transport,
    /// including API Gateway's `$connect`.
    pub fn origin_allowed(&self, origin: Option<&[u8]>) -> bool {
        let Some(origin) = origin else { return true };
        self.allowed_origins.is_empty()
            || self
                .allowed_origins
                .iter()
                .any(|allowed| allowed == "*" || allowed.as_bytes() == origin)
    }
}

#[derive(Parser)]
struct FromEnvironment {
    #[command(flatten)]
    settings: Settings,
}

impl Settings {
    /// Reads the settings from the environment alone (the Lambda functions).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_args(std::iter::empty::<std::ffi::OsString>())
    }

    /// Reads settings from command-line style arguments over the environment
    /// (what embedders and tests use instead of a CLI of their own).
    pub fn from_args<I, T>(args: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = std::iter::once(std::ffi::OsString::from("ecb"))
            .chain(args.into_iter().map(Into::into));
        FromEnvironment::try_parse_from(args)
            .map(|parsed| parsed.settings.without_empty_values())
            .map_err(|error| ConfigError::invalid("arguments", first_line(&error.to_string())))
    }

    /// An empty variable means "unset" (a template that cannot omit one sets
    /// it to ""), never an empty table name or endpoint.
    fn without_empty_values(mut self) -> Self {
        for value in [
            &mut self.backend_url,
            &mut self.public_key,
            &mut self.backend_secret,
            &mut self.issuer,
            &mut self.audience,
            &mut self.table,
            &mut self.dynamodb_endpoint,
            &mut self.management_endpoint,
            &mut self.public_url,
            &mut self.management_secret,
            &mut self.management_listen,
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        self
    }

    /// Checks every setting the engine needs and loads the public keys.
    pub fn resolve(&self) -> Result<EngineConfig, ConfigError> {
        let backend_url = self
            .backend_url
            .clone()
            .filter(|url| !url.trim().is_empty())
            .ok_or(ConfigError::Missing("ECB_BACKEND_URL"))?;
        if !(backend_url.starts_with("http://") || backend_url.starts_with("https://")) {
            return Err(ConfigError::invalid(
                "ECB_BACKEND_URL",
                "must start with http:// or https://",
            ));
        }
        let keys = KeySet::load(&self.public_key_file, self.public_key.as_deref())?;
        let backend_secret = self
            .backend_secret
            .as_deref()
            .filter(|secret| !secret.is_empty())
            .map(decode_webhook_secret)
            .transpose()?;
        if self.max_payload == 0 {
            return Err(ConfigError::invalid("ECB_MAX_PAYLOAD", "must be positive"));
        }
        if self.rate_limit == 0 {
            return Err(ConfigError::invalid("ECB_RATE_LIMIT", "must be positive"));
        }
        if self.header_timeout_ms == 0 {
            return Err(ConfigError::invalid(
                "ECB_HEADER_TIMEOUT_MS",
                "must be positive",
            ));
        }
        Ok(EngineConfig {
            backend_url: backend_url.trim_end_matches('/').to_owned(),
            keys,
            block_non_members: self.block_non_members,
            notify_undelivered: self.notify_undelivered,
            backend_secret,
            issuer: self.issuer.clone().filter(|s| !s.is_empty()),
            audience: self.audience.clone().filter(|s| !s.is_empty()),
            allowed_origins: self
                .allowed_origins
                .iter()
                .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            max_payload: self.max_payload,
            rate_limit: self.rate_limit,
            backend_timeout: Duration::from_millis(self.backend_timeout_ms),
            token_leeway: Duration::from_secs(self.token_leeway_s),
        })
    }
}

/// `whsec_<base64>` → the HMAC key, as Standard Webhooks defines it.
fn decode_webhook_secret(secret: &str) -> Result<Vec<u8>, ConfigError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| ConfigError::invalid("ECB_BACKEND_SECRET", "expected whsec_<base64>"))
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(extra: &[&str]) -> Settings {
        let key = format!(
            "--public-key={}",
            include_str!("../../../demo/backend/keys/public/demo.pem")
        );
        let mut args = vec!["--backend-url", "http://127.0.0.1:1", key.as_str()];
        args.extend_from_slice(extra);
        Settings::from_args(args).unwrap()
    }

    #[test]
    fn empty_values_count_as_unset() {
        let parsed = settings(&["--management-endpoint", "", "--table", " ", "--issuer", ""]);
        assert_eq!(parsed.management_endpoint, None);
        assert_eq!(parsed.table, None);
        assert_eq!(parsed.issuer, None);
    }

    #[test]
    fn origins_are_checked_only_when_configured() {
        let open = settings(&[]).resolve().unwrap();
        assert!(open.origin_allowed(Some(b"https://anywhere.example")));
        let closed = settings(&["--allowed-origins", "https://app.example"])
            .resolve()
            .unwrap();
        assert!(closed.origin_allowed(None));
        assert!(closed.origin_allowed(Some(b"https://app.example")));
        assert!(!closed.origin_allowed(Some(b"https://evil.example")));
    }
}
