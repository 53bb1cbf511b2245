//! A real PostgreSQL server for tests, shared by every test of one test binary.
//!
//! `ESCALATION_TEST_PG_URL=postgres://user@host:port/db` uses an existing server (the user must be
//! allowed to create databases). Otherwise the first caller runs `initdb` in a temporary directory
//! and starts `postgres` on a free port on 127.0.0.1; as root, both run as the `postgres` user
//! (they refuse to run as root). The server is stopped and its directory removed when the test
//! process exits, however it exits: a keeper shell waits on a pipe from this process.
//!
//! The server runs with `fsync=off` (faster tests) unless `ESCALATION_TEST_PG_FSYNC=on`, and with
//! `ssl=on`: a CA and the server's certificate (for `localhost` and `127.0.0.1`) are made by rcgen
//! at start (`ca_file()`); it also listens on 127.0.0.2, an address its certificate does not
//! name; the role `tls_only` may connect over TLS only (`hostnossl ... reject`).
//! With `ESCALATION_TEST_PG_URL`, `ESCALATION_TEST_PG_CA` names the CA of that server's certificate.
//!
//! Nothing here skips: if no server can be had, the test fails and says why.
//!
//! Use from a test file: `#[path = "support/pg.rs"] mod pg;` then `pg::database("name").await`.

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The admin URL of the shared server (its `postgres` database).
pub fn admin_url() -> &'static str {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    let r = SERVER.get_or_init(|| match std::env::var("ESCALATION_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start(),
    });
    match r {
        Ok(url) => url,
        Err(why) => panic!(
            "PostgreSQL is required for these tests and could not be started: {why}\n\
             Install PostgreSQL (initdb, postgres on PATH or in /usr/lib/postgresql/*/bin; \
             on Debian: apt-get install postgresql) or set \
             ESCALATION_TEST_PG_URL=postgres://USER@HOST:PORT/DB to use a running server."
        ),
    }
}

/// The PEM file of the CA that signed the shared server's certificate.
pub fn ca_file() -> PathBuf {
    admin_url();
    match std::env::var("ESCALATION_TEST_PG_CA") {
        Ok(ca) if !ca.is_empty() => PathBuf::from(ca),
        _ => CA.get().cloned().expect(
            "the TLS tests need the server these tests start, or ESCALATION_TEST_PG_CA with \
             ESCALATION_TEST_PG_URL",
        ),
    }
}

static CA: OnceLock<PathBuf> = OnceLock::new();

/// A CA and a server certificate and key signed by it, written into the data directory (where
/// `ssl=on` looks for `server.crt` and `server.key`); returns the CA's PEM file.
fn certificates(dir: &Path, data: &Path, as_postgres: bool) -> Result<PathBuf, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType,
    };
    let e = |e: rcgen::Error| format!("making test certificates: {e}");
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "escalation-router test PostgreSQL CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(e)?).map_err(e)?;
    let mut server = CertificateParams::new(vec!["localhost".to_string()]).map_err(e)?;
    server
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().map_err(e)?;
    let cert = server.signed_by(&key, &ca).map_err(e)?;
    let ca_file = dir.join("ca.pem");
    let write = |path: &Path, pem: String| {
        std::fs::write(path, pem).map_err(|e| format!("writing {}: {e}", path.display()))
    };
    write(&ca_file, ca.pem())?;
    write(&data.join("server.crt"), cert.pem())?;
    write(&data.join("server.key"), key.serialize_pem())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        data.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .map_err(|e| format!("chmod server.key: {e}"))?;
    if as_postgres {
        for f in ["server.crt", "server.key"] {
            Command::new("chown")
                .args(["postgres:postgres"])
                .arg(data.join(f))
                .status()
                .map_err(|e| format!("chown {f}: {e}"))?;
        }
    }
    // The role `tls_only` is refused without TLS (the first matching line wins).
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).map_err(|e| format!("reading pg_hba.conf: {e}"))?;
    write(
        &hba,
        format!(
            "hostnossl all tls_only 0.0.0.0/0 reject\nhostnossl all tls_only ::/0 reject\n{rules}"
        ),
    )?;
    Ok(ca_file)
}

/// A new, empty database on the shared server; returns its URL.
pub async fn database(hint: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let admin = admin_url().to_string();
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        hint.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(30)
            .collect::<String>()
            .to_lowercase()
    );
    let (client, connection) = connect_retrying(&admin).await;
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    drop(client);
    let _ = driver.await;
    with_database(&admin, &name)
}

/// The admin URL with its database replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let mut config: tokio_postgres::Config = admin.parse().expect("valid ESCALATION_TEST_PG_URL");
    config.dbname(name);
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    match config.get_password() {
        Some(p) => format!(
            "postgres://{user}:{}@{host}:{port}/{name}",
            String::from_utf8_lossy(p)
        ),
        None => format!("postgres://{user}@{host}:{port}/{name}"),
    }
}

async fn connect_retrying(
    url: &str,
) -> (
    tokio_postgres::Client,
    tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match tokio_postgres::connect(url, tokio_postgres::NoTls).await {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => {
                panic!("PostgreSQL at {url} does not accept connections: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Finds a PostgreSQL binary on PATH or in Debian's versioned directories.
fn binary(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin").join(name))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args...`, as the `postgres` user when we are root.
fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// initdb + postgres in a fresh temporary directory; returns the admin URL.
fn start() -> Result<String, String> {
    let initdb = binary("initdb").ok_or("initdb not found")?;
    let postgres = binary("postgres").ok_or("postgres not found")?;
    let root = is_root();
    let dir = std::env::temp_dir().join(format!(
        "escalation-pg-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if root {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !ok.success() {
            return Err(
                "chown of the data directory to postgres failed (no postgres user?)".into(),
            );
        }
    }
    let data = dir.join("data");
    let out = command(root, &initdb)
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let ca = certificates(&dir, &data, root)?;
    let _ = CA.set(ca);
    let port = free_port()?;
    // Tests do not need a durable disk unless they measure: ESCALATION_TEST_PG_FSYNC=on.
    let durability = if std::env::var("ESCALATION_TEST_PG_FSYNC").as_deref() == Ok("on") {
        ""
    } else {
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    };
    // The keeper: runs postgres, waits for our stdin to close (this process exited), then stops
    // postgres and removes the directory.
    let script = format!(
        "\"{pg}\" -D \"{data}\" -p {port} -k \"{dir}\" -c listen_addresses=127.0.0.1,127.0.0.2 \
           -c max_connections=200 -c shared_buffers=64MB -c ssl=on {durability} >\"{dir}/log\" 2>&1 & \
         pid=$!; cat >/dev/null; kill -INT $pid; wait $pid; rm -rf \"{dir}\"",
        pg = postgres.display(),
        data = data.display(),
        dir = dir.display(),
        durability = durability,
    );
    let mut keeper: Child = command(root, Path::new("/bin/sh"))
        .arg("-c")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
    // Keep the pipe's write end open for the life of this process.
    let stdin = keeper.stdin.take().expect("piped stdin");
    std::mem::forget(stdin);
    std::mem::forget(keeper);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!(
                "postgres did not start within 30 s; its log:\n{log}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::io::stderr().flush();
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}
