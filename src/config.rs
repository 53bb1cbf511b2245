//! Typed settings: built-in defaults, then a TOML file, then `ESCALATION__SECTION__KEY` environment
//! variables. Invalid configuration fails before the server binds, with a message naming the key.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub mod auth;
pub mod operations;
pub mod reload;

pub use auth::{AuthConfig, AuthMode, Keyring};
pub use operations::{LogConfig, LogFormat, MetricsConfig, OtlpEndpoint, TracingConfig};

pub use crate::policy::PolicyConfig;

/// Everything `serve` can be told.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub limits: LimitsConfig,
    pub store: StoreConfig,
    pub feed: FeedConfig,
    pub retention: RetentionConfig,
    pub policy: PolicyConfig,
    pub detection: DetectionConfig,
    /// Who may call. Absent: mode "none", allowed only on a loopback address.
    pub auth: Option<AuthConfig>,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
    pub tracing: TracingConfig,
    /// The file this configuration was read from, if any: the policy is reloaded from it.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Seconds in-flight calls get to finish after the drain.
    pub grace_seconds: u64,
    /// Seconds between SIGTERM/SIGINT (health NOT_SERVING at once) and refusing new calls, so
    /// load balancers notice before connections are refused.
    pub drain_seconds: u64,
    /// Largest gRPC message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED.
    pub max_message_bytes: usize,
    /// Calls to the router and feed services one connection may have running; more are refused
    /// at once with UNAVAILABLE, like calls over `max_in_flight`.
    pub concurrency_per_connection: usize,
    /// Calls to the router and feed services running at once over all connections; more are
    /// refused at once with UNAVAILABLE (the process-wide admission limit).
    pub max_in_flight: usize,
    /// HTTP/2 streams one connection may have open.
    pub max_concurrent_streams: u32,
    /// Seconds between HTTP/2 keepalive pings (a peer that does not answer within 20 s is dropped).
    pub keepalive_seconds: u64,
    /// Connections older than this are closed gracefully (clients reconnect); 0: never.
    pub max_connection_age_seconds: u64,
    /// Per-request timeout in milliseconds (0: none), on top of the client's deadline.
    pub request_timeout_ms: u64,
    /// Serve the do-nothing `ProcessTurn` baseline (for the load generator), not the real engine.
    pub baseline: bool,
    /// Offer gRPC server reflection (v1 and v1alpha), so grpcurl and friends need no proto file.
    pub reflection: bool,
    /// TLS towards clients; absent: plaintext.
    pub tls: Option<TlsConfig>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain the server presents.
    pub cert_file: PathBuf,
    /// PEM private key of that certificate.
    pub key_file: PathBuf,
    /// PEM CA certificates; when set, clients must present a certificate signed by one of them,
    /// and its CN or a DNS SAN names the principal.
    #[serde(default)]
    pub client_ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest turn text in bytes; larger gets INVALID_ARGUMENT.
    pub max_text_bytes: usize,
    /// Largest tenant, conversation and turn id in bytes.
    pub max_id_bytes: usize,
    /// Turns of history kept per conversation (loops, repeats, the handoff transcript).
    pub history_turns: usize,
    /// Turn receipts kept per conversation for dedupe (every store).
    pub receipt_window: usize,
    /// Largest short string: NLU intent, language, bot action, customer id, entity names, keys of
    /// metadata and customer attributes.
    pub max_field_bytes: usize,
    /// Largest value of an NLU entity, a metadata entry or a customer attribute.
    pub max_value_bytes: usize,
    /// Most NLU entities, metadata entries or customer attributes on one turn.
    pub max_entries: usize,
    /// A turn's `time` further than this from the server's clock is refused (0: no check, for
    /// replaying recorded conversations through the API).
    pub max_clock_skew_seconds: u64,
    /// `StreamTurns` stops reading while this many of its turns are unanswered.
    pub max_pending_turns_per_stream: usize,
    /// Open `StreamTurns` and `Subscribe` streams per principal.
    pub max_streams_per_principal: usize,
    /// Turns per second one tenant may send (`ProcessTurn` and `StreamTurns` together; a token
    /// bucket); more get RESOURCE_EXHAUSTED with the delay until the next one may pass. 0: no
    /// limit. `[policy.tenants.NAME.rate]` overrides it per tenant.
    pub tenant_turns_per_second: f64,
    /// Turns a tenant may send at once above its rate (the bucket's size).
    pub tenant_burst: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectionConfig {
    /// The learned turn model: `builtin` (shipped, trained on the dev conversations), `none` (the
    /// rules alone), or the path of a file written by `escalation-router train`.
    pub model: ModelSource,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            model: ModelSource::Builtin,
        }
    }
}

impl DetectionConfig {
    /// The detector this section asks for; an unreadable or invalid model file is an error naming it.
    pub fn detector(&self) -> Result<crate::detect::Detector, ConfigError> {
        let bytes = self.model.bytes()?;
        crate::detect::Detector::with_model_bytes(bytes.as_deref())
            .map_err(|e| ConfigError::Invalid(format!("detection.model {}: {e}", self.model)))
    }
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::Builtin => f.write_str("builtin"),
            ModelSource::None => f.write_str("none"),
            ModelSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Where the learned turn model comes from, parsed once from `detection.model`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum ModelSource {
    /// The model shipped in the binary.
    Builtin,
    /// No model: the rules decide alone.
    None,
    /// A model file written by `escalation-router train`.
    File(PathBuf),
}

impl From<String> for ModelSource {
    fn from(s: String) -> Self {
        match s.as_str() {
            "builtin" => ModelSource::Builtin,
            "none" => ModelSource::None,
            _ => ModelSource::File(PathBuf::from(s)),
        }
    }
}

impl ModelSource {
    /// The model's bytes (None: no model); the file is read here, so detection does no I/O.
    pub fn bytes(&self) -> Result<Option<std::borrow::Cow<'static, [u8]>>, ConfigError> {
        match self {
            ModelSource::Builtin => Ok(Some(crate::detect::model::BUILTIN.into())),
            ModelSource::None => Ok(None),
            ModelSource::File(path) => std::fs::read(path).map(|b| Some(b.into())).map_err(|e| {
                ConfigError::Invalid(format!("detection.model {}: {e}", path.display()))
            }),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `memory`, `sqlite://PATH` (default `sqlite://./data/escalation.db`) or `postgres://...`.
    pub url: String,
    /// A file holding a 32-byte key (raw, 64 hex digits or base64): SQLite and PostgreSQL then
    /// keep every record (turn text, handoff contexts, states, receipts) AES-256-GCM encrypted.
    pub encryption_key_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FeedConfig {
    /// Seconds an event handed to a subscriber stays leased before it is redelivered.
    pub lease_seconds: u64,
    /// Only for a store shared by replicas (PostgreSQL): milliseconds between looks of an idle
    /// subscriber for what no notification announces (another replica's release or ack).
    /// Appends, and everything this process does, wake subscribers by notification.
    pub poll_ms: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Conversations idle this long are deleted.
    pub idle_conversation_seconds: u64,
    /// Acknowledged events older than this are purged.
    pub delivered_event_seconds: u64,
    /// Seconds between expiry sweeps.
    pub sweep_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:50051".parse().expect("valid default address"),
            grace_seconds: 10,
            drain_seconds: 5,
            max_message_bytes: 4 * 1024 * 1024,
            concurrency_per_connection: 1024,
            request_timeout_ms: 10_000,
            max_in_flight: 2048,
            max_concurrent_streams: 1024,
            keepalive_seconds: 60,
            max_connection_age_seconds: 0,
            baseline: false,
            tls: None,
            reflection: true,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_text_bytes: 16 * 1024,
            max_id_bytes: 128,
            history_turns: 50,
            receipt_window: 256,
            max_field_bytes: 256,
            max_value_bytes: 1024,
            max_entries: 32,
            max_clock_skew_seconds: 86_400,
            max_pending_turns_per_stream: 64,
            max_streams_per_principal: 256,
            tenant_turns_per_second: 0.0,
            tenant_burst: 100,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: "sqlite://./data/escalation.db".into(),
            encryption_key_file: None,
        }
    }
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            lease_seconds: 30,
            poll_ms: 2000,
        }
    }
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            idle_conversation_seconds: 7 * 24 * 3600,
            delivered_event_seconds: 7 * 24 * 3600,
            sweep_seconds: 60,
        }
    }
}

/// Why configuration was refused. Always names the file or key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The reason is in the message, not a `source` (the binary prints a source chain too, and
    /// the reason would appear twice).
    #[error("cannot read config file {path}: {reason}")]
    Read {
        path: String,
        reason: std::io::Error,
    },
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, then `file` if given, then `ESCALATION__*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|reason| ConfigError::Read {
                    path: path.display().to_string(),
                    reason,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("ESCALATION__") else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, scalar(&value))
                .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
        }
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        config.file = file.map(Path::to_path_buf);
        Ok(config)
    }

    /// Checks the values serde cannot, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError::Invalid(format!("{key}: {why}")));
        if let ModelSource::File(path) = &self.detection.model
            && !path.is_file()
        {
            return bad(
                "detection.model",
                "must be \"builtin\", \"none\" or the path of a model file written by `train`",
            );
        }
        if self.server.max_in_flight == 0 {
            return bad("server.max_in_flight", "must be greater than 0");
        }
        let rate = self.limits.tenant_turns_per_second;
        if !rate.is_finite() || rate < 0.0 {
            return bad(
                "limits.tenant_turns_per_second",
                "must be 0 (no limit) or more",
            );
        }
        if self.limits.tenant_burst == 0 {
            return bad("limits.tenant_burst", "must be greater than 0");
        }
        if self.server.concurrency_per_connection == 0 {
            return bad(
                "server.concurrency_per_connection",
                "must be greater than 0",
            );
        }
        if self.limits.max_text_bytes == 0 {
            return bad("limits.max_text_bytes", "must be greater than 0");
        }
        if self.limits.max_text_bytes >= self.server.max_message_bytes {
            return bad(
                "limits.max_text_bytes",
                "must be smaller than server.max_message_bytes",
            );
        }
        if self.limits.history_turns == 0 {
            return bad("limits.history_turns", "must be greater than 0");
        }
        if self.limits.max_id_bytes == 0 {
            return bad("limits.max_id_bytes", "must be greater than 0");
        }
        for (key, value) in [
            ("limits.max_field_bytes", self.limits.max_field_bytes),
            ("limits.max_value_bytes", self.limits.max_value_bytes),
            (
                "limits.max_pending_turns_per_stream",
                self.limits.max_pending_turns_per_stream,
            ),
            (
                "limits.max_streams_per_principal",
                self.limits.max_streams_per_principal,
            ),
        ] {
            if value == 0 {
                return bad(key, "must be greater than 0");
            }
        }
        // A handoff context is at most MAX_CONTEXT_BYTES (the transcript shortened in the middle
        // beyond that); a feed message must hold one, so a committed handoff can be delivered.
        let context = crate::handoff::bound::MAX_CONTEXT_BYTES;
        if self.server.max_message_bytes < 2 * context {
            return bad(
                "server.max_message_bytes",
                &format!(
                    "must be at least {} bytes, twice the largest handoff context",
                    2 * context
                ),
            );
        }
        if self.feed.lease_seconds == 0 {
            return bad("feed.lease_seconds", "must be greater than 0");
        }
        if let Err(why) = self.store.url.parse::<crate::state::StoreUrl>() {
            return bad("store.url", &why);
        }
        if let Some(tls) = &self.server.tls {
            let files = [
                ("server.tls.cert_file", Some(&tls.cert_file)),
                ("server.tls.key_file", Some(&tls.key_file)),
                ("server.tls.client_ca_file", tls.client_ca_file.as_ref()),
            ];
            for (key, file) in files {
                if let Some(file) = file
                    && !file.is_file()
                {
                    return bad(key, &format!("{} is not a readable file", file.display()));
                }
            }
        }
        self.keyring().map_err(ConfigError::Invalid)?;
        self.policy
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// The compiled `[auth]` section. Without one, or with mode "none", everyone may do everything,
    /// which is refused unless `server.listen` is a loopback address.
    pub fn keyring(&self) -> Result<Keyring, String> {
        let certificates = self
            .server
            .tls
            .as_ref()
            .is_some_and(|t| t.client_ca_file.is_some());
        let keyring = match &self.auth {
            Some(auth) => auth.compile(certificates)?,
            None => Keyring::open(),
        };
        if keyring.mode == AuthMode::None {
            open_only_on_loopback(self.auth.is_some(), self.server.listen)?;
        }
        Ok(keyring)
    }
}

/// Mode "none" is refused on an address other hosts can reach.
pub fn open_only_on_loopback(configured: bool, listen: SocketAddr) -> Result<(), String> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    Err(if configured {
        format!("auth.mode: \"none\" is allowed only on a loopback address, not {listen}")
    } else {
        format!(
            "auth: server.listen {listen} is not a loopback address, so an [auth] section with \
             mode = \"keys\" and principals is required"
        )
    })
}

/// Parses an environment value as a TOML scalar (number, boolean), else keeps it a string.
fn scalar(value: &str) -> toml::Value {
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("empty key".into()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("`{first}` is not a section")),
            }
        }
    }
}

#[cfg(test)]
mod tests;
