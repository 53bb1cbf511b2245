//! The `[auth]` section: who may call, for which tenants, in which roles. Parsed once into a
//! [`Keyring`]; `grpc::auth` checks every call against it.
//!
//! ```toml
//! [auth]
//! mode = "keys"          # or "none" (loopback only)
//! [[auth.principals]]
//! name = "acme-bot"
//! key_sha256 = "9f86…"   # hex SHA-256 of the API key
//! tenants = ["acme"]     # or ["*"]
//! roles = ["bot"]        # bot | router | admin
//! ```

use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// `keys` checks every call against `principals`; `none` lets everyone do everything (only
    /// allowed on a loopback address).
    #[serde(default)]
    pub mode: AuthMode,
    #[serde(default)]
    pub principals: Vec<PrincipalConfig>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    #[default]
    Keys,
    None,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrincipalConfig {
    /// In logs; with mTLS also the client certificate's CN or a DNS SAN.
    pub name: String,
    /// Hex SHA-256 of the API key. Optional only for principals that authenticate by certificate.
    #[serde(default)]
    pub key_sha256: Option<String>,
    /// Tenant ids, or `["*"]` for every tenant.
    pub tenants: Vec<String>,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sends turns: ProcessTurn, StreamTurns, GetConversation.
    Bot,
    /// Consumes the feed and reports back: Subscribe, Ack, ReportHandoffStatus, ReportOutcome,
    /// UpdateQueueStatus, GetConversation, GetDecisionQuality.
    Router,
    /// Everything, including ForgetConversation.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bot => "bot",
            Role::Router => "router",
            Role::Admin => "admin",
        }
    }
}

/// Which tenants a principal may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenants {
    /// `["*"]`: every tenant, and calls that span tenants (an all-tenant Subscribe or quality query).
    All,
    Only(BTreeSet<String>),
}

impl Tenants {
    pub fn contains(&self, tenant: &str) -> bool {
        match self {
            Tenants::All => true,
            Tenants::Only(set) => set.contains(tenant),
        }
    }
}

/// One caller the service knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub tenants: Tenants,
    pub roles: BTreeSet<Role>,
    /// SHA-256 of the API key; `None` for certificate-only principals.
    pub key_sha256: Option<[u8; 32]>,
    /// Consumer names are qualified with the principal's name so that groups belong to it. Off for
    /// the anonymous principal of mode "none", whose consumer names stay as sent.
    pub owns_consumers: bool,
}

impl Principal {
    /// Everyone, everything: the caller when `auth.mode = "none"`.
    pub fn anonymous() -> Principal {
        Principal {
            name: "anonymous".into(),
            tenants: Tenants::All,
            roles: [Role::Bot, Role::Router, Role::Admin].into(),
            key_sha256: None,
            owns_consumers: false,
        }
    }

    /// The consumer group a consumer name stands for: the principal's own (`name/consumer`).
    /// Principal names cannot contain `/`, so two principals never share a group.
    pub fn consumer_group(&self, consumer: &str) -> String {
        if self.owns_consumers {
            format!("{}/{consumer}", self.name)
        } else {
            consumer.to_string()
        }
    }
}

/// The running keyring; reloads swap it.
pub type KeyringHandle = Arc<arc_swap::ArcSwap<Keyring>>;

/// The compiled `[auth]` section; swapped whole on reload.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyring {
    pub mode: AuthMode,
    pub principals: Vec<Arc<Principal>>,
}

impl Keyring {
    /// Mode "none": one anonymous principal.
    pub fn open() -> Keyring {
        Keyring {
            mode: AuthMode::None,
            principals: vec![Arc::new(Principal::anonymous())],
        }
    }
}

impl AuthConfig {
    /// Checks and compiles the section. Errors name the key (`auth.principals[1].key_sha256: ...`).
    /// `certificates` says whether client certificates can identify principals (mTLS), so a
    /// principal without a key is reachable.
    pub fn compile(&self, certificates: bool) -> Result<Keyring, String> {
        if self.mode == AuthMode::None {
            return Ok(Keyring::open());
        }
        if self.principals.is_empty() {
            return Err("auth.principals: mode \"keys\" needs at least one principal".into());
        }
        let mut names = HashSet::new();
        let mut digests = HashSet::new();
        let mut principals = Vec::with_capacity(self.principals.len());
        for (i, p) in self.principals.iter().enumerate() {
            let at = |field: &str| format!("auth.principals[{i}].{field}");
            if p.name.is_empty() || p.name.contains('/') || p.name.chars().any(char::is_control) {
                return Err(format!(
                    "{}: must be non-empty, without `/` or control characters",
                    at("name")
                ));
            }
            if !names.insert(p.name.as_str()) {
                return Err(format!("{}: `{}` is named twice", at("name"), p.name));
            }
            let key_sha256 = match &p.key_sha256 {
                Some(hex) => {
                    let digest = parse_digest(hex).ok_or_else(|| {
                        format!(
                            "{}: must be 64 hex digits (SHA-256 of the key)",
                            at("key_sha256")
                        )
                    })?;
                    if !digests.insert(digest) {
                        return Err(format!(
                            "{}: the same key is given to two principals",
                            at("key_sha256")
                        ));
                    }
                    Some(digest)
                }
                None if certificates => None,
                None => {
                    return Err(format!(
                        "{}: required unless server.tls.client_ca_file identifies clients",
                        at("key_sha256")
                    ));
                }
            };
            let tenants = if p.tenants.iter().any(|t| t == "*") {
                if p.tenants.len() > 1 {
                    return Err(format!("{}: `*` stands alone", at("tenants")));
                }
                Tenants::All
            } else if p.tenants.is_empty() || p.tenants.iter().any(String::is_empty) {
                return Err(format!(
                    "{}: list tenant ids, or [\"*\"] for all",
                    at("tenants")
                ));
            } else {
                Tenants::Only(p.tenants.iter().cloned().collect())
            };
            if p.roles.is_empty() {
                return Err(format!(
                    "{}: at least one of bot, router, admin",
                    at("roles")
                ));
            }
            principals.push(Arc::new(Principal {
                name: p.name.clone(),
                tenants,
                roles: p.roles.iter().copied().collect(),
                key_sha256,
                owns_consumers: true,
            }));
        }
        Ok(Keyring {
            mode: AuthMode::Keys,
            principals,
        })
    }
}

/// 64 hex digits -> 32 bytes.
fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim().as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}
