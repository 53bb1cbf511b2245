//! Connections to PostgreSQL: what `store.url` says (TLS mode and root certificate included),
//! parsed once, and a deadpool-postgres pool with wait, connect and statement timeouts. Each pooled
//! connection caches its prepared statements.

use super::pg;
use crate::state::StoreError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;
use tracing::warn;

/// A pooled connection.
pub type Conn = deadpool_postgres::Object;

/// How long a caller waits for a free connection, and a new connection for the server.
const WAIT: Duration = Duration::from_secs(5);
const CONNECT: Duration = Duration::from_secs(5);
/// `statement_timeout` of pooled connections (not of migrations, which may take longer).
const STATEMENT_TIMEOUT_MS: u64 = 5_000;

/// TLS towards PostgreSQL, as libpq's `sslmode` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// No `sslmode` or `sslmode=disable`: plaintext.
    Disable,
    /// `prefer`: TLS when the server offers it, unverified.
    Prefer,
    /// `require`: TLS or no connection; the certificate is checked against `sslrootcert` when one
    /// is given (as libpq does), otherwise not at all.
    Require { root: Option<PathBuf> },
    /// `verify-ca`: TLS, the certificate chains to `sslrootcert`; any host name.
    VerifyCa { root: PathBuf },
    /// `verify-full`: TLS, the certificate chains to `sslrootcert` and names the host.
    VerifyFull { root: PathBuf },
}

/// A `postgres://` store URL, parsed once.
#[derive(Clone)]
pub struct PgUrl {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
}

impl std::fmt::Debug for PgUrl {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgUrl")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("tls", &self.tls)
            .finish()
    }
}

impl PgUrl {
    /// Parses `postgres://user:pass@host:port/db?sslmode=verify-full&sslrootcert=/ca.pem&...`.
    /// `sslmode` and `sslrootcert` are read here; every other parameter goes to the driver.
    pub fn parse(url: &str) -> Result<PgUrl, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut mode, mut root) = (None, None);
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", v)) => mode = Some(v.to_string()),
                Some(("sslrootcert", v)) => root = Some(PathBuf::from(v)),
                _ => rest.push(pair),
            }
        }
        let driver_url = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config: tokio_postgres::Config = driver_url
            .parse()
            .map_err(|e| format!("invalid postgres url: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT);
        }
        let needs_root = |m: &str| {
            root.clone()
                .ok_or_else(|| format!("sslmode={m} needs sslrootcert=PATH (the CA certificate)"))
        };
        let tls = match mode.as_deref() {
            None | Some("disable") => Tls::Disable,
            Some("prefer") | Some("allow") => Tls::Prefer,
            Some("require") => Tls::Require { root: root.clone() },
            Some("verify-ca") => Tls::VerifyCa {
                root: needs_root("verify-ca")?,
            },
            Some("verify-full") => Tls::VerifyFull {
                root: needs_root("verify-full")?,
            },
            Some(other) => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        };
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        Ok(PgUrl { config, tls })
    }

    /// The TLS connector for this URL (reads the root certificate file).
    pub fn connector(&self) -> Result<MakeRustlsConnect, StoreError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Unavailable(format!("postgres tls: {e}")))?;
        let verifier: Arc<dyn ServerCertVerifier> = match &self.tls {
            Tls::Disable | Tls::Prefer | Tls::Require { root: None } => {
                Arc::new(Unverified(provider.clone()))
            }
            Tls::Require { root: Some(root) } | Tls::VerifyCa { root } => {
                Arc::new(AnyName(webpki(root, &provider)?))
            }
            Tls::VerifyFull { root } => webpki(root, &provider)?,
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }
}

/// A verifier of chains to the certificates in `root` (PEM).
fn webpki(
    root: &PathBuf,
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    let unreadable = |e: String| {
        StoreError::Unavailable(format!("store.url sslrootcert {}: {e}", root.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(root).map_err(|e| unreadable(e.to_string()))? {
        roots
            .add(cert.map_err(|e| unreadable(e.to_string()))?)
            .map_err(|e| unreadable(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(unreadable("no certificate in the file".into()));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| unreadable(e.to_string()))
}

/// `sslmode=require` without a root certificate: encrypted, not authenticated (libpq's meaning).
/// Handshake signatures are still checked.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to the root; the host name is not checked.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The pool of one store (one replica).
pub struct Pool(deadpool_postgres::Pool);

impl Pool {
    pub fn new(url: &PgUrl, size: usize) -> Result<Self, StoreError> {
        let mut config = url.config.clone();
        let options = config.get_options().unwrap_or("").to_string();
        config.options(format!("{options} -c statement_timeout={STATEMENT_TIMEOUT_MS}").trim());
        let manager = deadpool_postgres::Manager::from_config(
            config,
            url.connector()?,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(size.max(1))
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(CONNECT))
            .recycle_timeout(Some(CONNECT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("postgres pool: {e}")))?;
        Ok(Pool(pool))
    }

    pub async fn get(&self) -> Result<Conn, StoreError> {
        self.0
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("postgres: {e}")))
    }
}

/// Opens one connection outside the pool (migrations) and drives it on a task of its own.
pub async fn connect(url: &PgUrl) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = url.config.connect(url.connector()?).await.map_err(pg)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            warn!(error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}
