//! Who is calling, and may they: an interceptor finds the caller's [`Principal`] (API key or client
//! certificate) before the message is decoded; each handler then checks the RPC and the tenant with
//! [`allow`]. Missing or unknown credentials are `UNAUTHENTICATED`; a known principal outside its
//! roles or tenants is `PERMISSION_DENIED`, before anything changes.

use crate::config::auth::{AuthMode, Keyring, Principal, Role, Tenants};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tonic::{Request, Status};

pub use crate::config::auth::KeyringHandle;

/// The authenticated caller, put into the request's extensions by [`Authenticate`].
#[derive(Clone, Debug)]
pub struct Caller(pub Arc<Principal>);

/// The RPCs, for the role table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rpc {
    ProcessTurn,
    StreamTurns,
    GetConversation,
    ReportHandoffStatus,
    ReportOutcome,
    UpdateQueueStatus,
    GetDecisionQuality,
    ForgetConversation,
    Subscribe,
    Ack,
}

impl Rpc {
    /// The role table of the README's Security section.
    fn allowed_for(self, role: Role) -> bool {
        use Rpc::*;
        match role {
            Role::Admin => true,
            Role::Bot => matches!(self, ProcessTurn | StreamTurns | GetConversation),
            Role::Router => matches!(
                self,
                Subscribe
                    | Ack
                    | ReportHandoffStatus
                    | ReportOutcome
                    | UpdateQueueStatus
                    | GetConversation
                    | GetDecisionQuality
            ),
        }
    }
}

/// Checks `rpc` for `tenant` (`None`: a call spanning every tenant, allowed only to `["*"]`).
pub fn allow(principal: &Principal, rpc: Rpc, tenant: Option<&str>) -> Result<(), Status> {
    allow_role(principal, rpc)?;
    let allowed = match tenant {
        Some(t) => principal.tenants.contains(t),
        None => principal.tenants == Tenants::All,
    };
    if !allowed {
        let what = match tenant {
            Some(t) => format!("tenant `{t}`"),
            None => "every tenant (name a tenant_id)".to_string(),
        };
        return Err(Status::permission_denied(format!(
            "principal `{}` may not act for {what}",
            principal.name
        )));
    }
    Ok(())
}

/// Checks only that one of the principal's roles may call `rpc`.
pub fn allow_role(principal: &Principal, rpc: Rpc) -> Result<(), Status> {
    if !principal.roles.iter().any(|r| rpc.allowed_for(*r)) {
        let roles: Vec<&str> = principal.roles.iter().map(|r| r.as_str()).collect();
        return Err(Status::permission_denied(format!(
            "principal `{}` (roles: {}) may not call {rpc:?}",
            principal.name,
            roles.join(", ")
        )));
    }
    Ok(())
}

/// The caller of a request that went through [`Authenticate`].
pub fn caller<T>(request: &Request<T>) -> Result<Arc<Principal>, Status> {
    request
        .extensions()
        .get::<Caller>()
        .map(|c| c.0.clone())
        .ok_or_else(|| Status::unauthenticated("no credentials were checked"))
}

/// The interceptor in front of both services.
#[derive(Clone)]
pub struct Authenticate {
    keys: KeyringHandle,
}

impl Authenticate {
    pub fn new(keys: KeyringHandle) -> Self {
        Authenticate { keys }
    }

    fn principal<T>(&self, request: &Request<T>) -> Result<Arc<Principal>, Status> {
        let ring = self.keys.load();
        if ring.mode == AuthMode::None {
            return ring
                .principals
                .first()
                .cloned()
                .ok_or_else(|| Status::internal("no anonymous principal"));
        }
        if let Some(value) = request.metadata().get("authorization") {
            let key = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| Status::unauthenticated("authorization: expected `Bearer <key>`"))?;
            return by_key(&ring, key).ok_or_else(|| Status::unauthenticated("unknown API key"));
        }
        if let Some(names) = certificate_names(request) {
            return ring
                .principals
                .iter()
                .find(|p| names.iter().any(|n| *n == p.name))
                .cloned()
                .ok_or_else(|| {
                    Status::unauthenticated("the client certificate names no known principal")
                });
        }
        Err(Status::unauthenticated(
            "missing credentials: send `authorization: Bearer <key>`",
        ))
    }
}

impl tonic::service::Interceptor for Authenticate {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let principal = self.principal(&request).inspect_err(|s| {
            tracing::info!(reason = s.message(), "call refused: not authenticated");
        })?;
        request.extensions_mut().insert(Caller(principal));
        Ok(request)
    }
}

/// The principal whose key digest matches, compared in constant time against every principal.
fn by_key(ring: &Keyring, key: &str) -> Option<Arc<Principal>> {
    let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    let mut found = None;
    for p in &ring.principals {
        let Some(stored) = &p.key_sha256 else {
            continue;
        };
        if bool::from(stored.ct_eq(&digest)) {
            found = Some(p.clone());
        }
    }
    found
}

/// The CN and DNS SANs of the client's end-entity certificate (mTLS), if it sent one.
fn certificate_names<T>(request: &Request<T>) -> Option<Vec<String>> {
    let certs = request.peer_certs()?;
    let leaf = certs.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let mut names: Vec<String> = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_string))
        .collect();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(dns) = name {
                names.push(dns.to_string());
            }
        }
    }
    Some(names)
}
