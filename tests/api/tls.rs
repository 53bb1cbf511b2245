//! TLS and mutual TLS with certificates made by the test (rcgen): a trusting client is served, a
//! plaintext client is refused at the handshake, a client certificate's CN or DNS SAN names the
//! principal.

use crate::auth::{BOT, auth_section, with_key};
use crate::helpers::*;
use escalation_router::config::{Config, TlsConfig};
use escalation_router::pb::{self, escalation_router_client::EscalationRouterClient};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::net::SocketAddr;
use std::path::Path;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// A CA, and PEM files for the server ("localhost") and clients it signs.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "escalation-router test CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
            ca,
        };
        std::fs::write(pki.path("ca.pem"), pki.ca.pem()).unwrap();
        pki.issue(
            "server",
            "localhost",
            &["localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        pki
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `{file}.pem` and `{file}.key`.
    fn issue(&self, file: &str, cn: &str, dns: &[&str], usage: ExtendedKeyUsagePurpose) {
        let names: Vec<String> = dns.iter().map(|d| d.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        std::fs::write(self.path(&format!("{file}.pem")), cert.pem()).unwrap();
        std::fs::write(self.path(&format!("{file}.key")), key.serialize_pem()).unwrap();
    }

    fn client(&self, file: &str, cn: &str, dns: &[&str]) -> Identity {
        self.issue(file, cn, dns, ExtendedKeyUsagePurpose::ClientAuth);
        Identity::from_pem(
            read(&self.path(&format!("{file}.pem"))),
            read(&self.path(&format!("{file}.key"))),
        )
    }

    fn server_tls(&self, mutual: bool) -> TlsConfig {
        TlsConfig {
            cert_file: self.path("server.pem"),
            key_file: self.path("server.key"),
            client_ca_file: mutual.then(|| self.path("ca.pem")),
        }
    }

    fn trust(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read(&self.path("ca.pem"))))
            .domain_name("localhost")
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A server on port 0; it stops when the returned sender is dropped.
async fn serve(config: Config) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(escalation_router::server::run(config, listener, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Connects (retrying while the server starts) and returns a client, or the last error.
async fn client(
    addr: SocketAddr,
    tls: Option<ClientTlsConfig>,
) -> Result<EscalationRouterClient<Channel>, String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}")).unwrap();
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).unwrap();
    }
    let mut last = String::new();
    for _ in 0..50 {
        match endpoint.connect().await {
            Ok(channel) => return Ok(EscalationRouterClient::new(channel)),
            Err(e) => last = format!("{e:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Err(last)
}

fn turn(id: &str) -> pb::ProcessTurnRequest {
    pb::ProcessTurnRequest {
        turn: Some(customer(id, "t1", "operator please")),
    }
}

fn quality() -> pb::GetDecisionQualityRequest {
    pb::GetDecisionQualityRequest {
        tenant_id: "acme".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_client_that_trusts_the_certificate_is_served_and_a_plaintext_client_is_refused() {
    let pki = Pki::new();
    let mut config = test_config();
    config.server.tls = Some(pki.server_tls(false));
    let (addr, _stop) = serve(config).await;

    let mut tls = client(addr, Some(pki.trust())).await.expect("TLS connects");
    let d = tls.process_turn(turn("tls1")).await.unwrap().into_inner();
    assert_eq!(action(&d.decision.unwrap()), pb::Action::Handoff);

    // A plaintext client fails the handshake: no connection, or the call fails.
    match client(addr, None).await {
        Err(_) => {}
        Ok(mut plain) => {
            let r = plain.process_turn(turn("tls2")).await;
            assert!(r.is_err(), "plaintext was served: {r:?}");
        }
    }
    // So does a TLS client that does not trust the server's CA.
    let other = Pki::new();
    match client(addr, Some(other.trust())).await {
        Err(_) => {}
        Ok(mut untrusting) => assert!(untrusting.process_turn(turn("tls3")).await.is_err()),
    }
}

/// mTLS with `[auth]`: "acme-router" authenticates by certificate only (no key), the others by key.
fn mutual_config(pki: &Pki) -> Config {
    let path = pki.path("config.toml");
    let tls = format!(
        "[server.tls]\ncert_file = {:?}\nkey_file = {:?}\nclient_ca_file = {:?}\n",
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem")
    );
    let keys = auth_section().replace("name = \"acme-router\"", "name = \"acme-router-by-key\"");
    let cert_only =
        "[[auth.principals]]\nname = \"acme-router\"\ntenants = [\"acme\"]\nroles = [\"router\"]\n";
    std::fs::write(&path, format!("{tls}{keys}{cert_only}")).unwrap();
    let mut config = Config::load(Some(&path), Vec::new()).expect("mTLS config loads");
    config.file = None;
    config.store.url = "memory".into();
    config.server.grace_seconds = 2;
    config
}

#[tokio::test]
async fn with_mutual_tls_the_client_certificate_names_the_principal() {
    let pki = Pki::new();
    let config = mutual_config(&pki);
    let (addr, _stop) = serve(config).await;

    // CN "acme-router": a router for acme, no key needed.
    let router = pki.client("router", "acme-router", &[]);
    let mut c = client(addr, Some(pki.trust().identity(router)))
        .await
        .unwrap();
    c.get_decision_quality(quality())
        .await
        .expect("router may query acme");
    let r = c.process_turn(turn("m1")).await;
    assert_eq!(
        r.unwrap_err().code(),
        Code::PermissionDenied,
        "a router sends no turns"
    );

    // A DNS SAN names the principal too; a key, when sent, is what counts.
    let by_san = pki.client("san", "some host", &["acme-router"]);
    let mut c = client(addr, Some(pki.trust().identity(by_san)))
        .await
        .unwrap();
    c.get_decision_quality(quality())
        .await
        .expect("the SAN names acme-router");
    c.process_turn(with_key(BOT, turn("m2")))
        .await
        .expect("the bot's key");

    // A certificate from the CA naming nobody known: UNAUTHENTICATED.
    let stranger = pki.client("stranger", "stranger", &["stranger.example"]);
    let mut c = client(addr, Some(pki.trust().identity(stranger)))
        .await
        .unwrap();
    let r = c.get_decision_quality(quality()).await;
    assert_eq!(r.unwrap_err().code(), Code::Unauthenticated);

    // No client certificate, or one from another CA: the handshake fails, even with a good key.
    match client(addr, Some(pki.trust())).await {
        Err(_) => {}
        Ok(mut c) => assert!(c.process_turn(with_key(BOT, turn("m3"))).await.is_err()),
    }
    let other = Pki::new();
    let foreign = other.client("foreign", "acme-router", &[]);
    match client(addr, Some(pki.trust().identity(foreign))).await {
        Err(_) => {}
        Ok(mut c) => assert!(c.get_decision_quality(quality()).await.is_err()),
    }
}

#[test]
fn missing_tls_files_are_named() {
    let env = vec![
        (
            "ESCALATION__SERVER__TLS__CERT_FILE".to_string(),
            "/nonexistent/cert.pem".to_string(),
        ),
        (
            "ESCALATION__SERVER__TLS__KEY_FILE".to_string(),
            "/nonexistent/key.pem".to_string(),
        ),
    ];
    let err = Config::load(None, env).unwrap_err().to_string();
    assert!(err.contains("server.tls.cert_file"), "{err}");
}
