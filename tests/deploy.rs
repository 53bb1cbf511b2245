//! The deployment folder agrees with the configuration: the example configuration loads and names
//! every key of the README's table; the Kubernetes manifests, the Dockerfile and the systemd unit
//! use the default ports, probe the health service, run as non-root and require auth.

use escalation_router::config::Config;
use serde_norway::Value;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn manifest(rel: &str) -> Value {
    serde_norway::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn port(addr: &str) -> u16 {
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// Keys of the README's configuration table (`server.listen`, `auth.principals`, ...).
fn readme_keys() -> Vec<String> {
    let readme = read("README.md");
    let table = readme
        .split("| key | default | meaning |")
        .nth(1)
        .expect("the configuration table");
    let mut keys = Vec::new();
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let first = line.split('|').nth(1).unwrap();
        keys.extend(
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|k| !k.ends_with(".*"))
                .map(str::to_string),
        );
    }
    keys
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if let toml::Value::Table(t) = v {
            flatten(&key, t, out);
        }
        out.push(key);
    }
}

#[test]
fn the_example_configuration_loads_and_names_every_key() {
    let path = Path::new(ROOT).join("deploy/config.example.toml");
    let config = Config::load(Some(&path), std::iter::empty()).expect("the example loads");
    assert_eq!(config.server.listen.to_string(), "0.0.0.0:50051");
    assert!(config.auth.is_some());
    // Optional keys are written as "#~ key = value": all of them count as named.
    let text = read("deploy/config.example.toml").replace("#~ ", "");
    let table: toml::Table = text.parse().unwrap();
    let mut named = Vec::new();
    flatten("", &table, &mut named);
    let keys = readme_keys();
    assert!(keys.len() >= 25, "{keys:?}");
    for key in keys {
        assert!(
            named.contains(&key),
            "deploy/config.example.toml lacks {key}"
        );
    }
}

#[test]
fn the_kubernetes_manifests_agree_with_the_configuration() {
    let deployment = manifest("deploy/kubernetes/deployment.yaml");
    let service = manifest("deploy/kubernetes/service.yaml");
    let pdb = manifest("deploy/kubernetes/pdb.yaml");
    let secret = manifest("deploy/kubernetes/secret.example.yaml");
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
    assert_eq!(&service["spec"]["selector"], labels);
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], labels);
    assert_eq!(pdb["kind"], "PodDisruptionBudget");

    let pod = &deployment["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let env: Vec<(String, String)> = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The Secret's config.toml with the Deployment's environment is a configuration that loads
    // (listening on all addresses, so it must carry auth).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, secret["stringData"]["config.toml"].as_str().unwrap()).unwrap();
    let mount = &c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "config")
        .unwrap()["mountPath"];
    let args: Vec<&str> = c["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "serve",
            "--config",
            &format!("{}/config.toml", mount.as_str().unwrap())
        ]
    );
    let config = Config::load(Some(&file), env.clone()).expect("the deployed configuration loads");
    assert!(
        config.auth.is_some(),
        "listening on all addresses needs auth"
    );
    assert!(config.server.listen.ip().is_unspecified());

    // Ports: gRPC on the default port; metrics where the configuration serves them.
    let default_port = Config::default().server.listen.port();
    assert_eq!(config.server.listen.port(), default_port);
    let container_port = |name: &str| {
        c["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no container port {name}"))["containerPort"]
            .as_u64()
            .unwrap() as u16
    };
    assert_eq!(container_port("grpc"), default_port);
    let metrics = config
        .metrics
        .listen
        .expect("metrics are on in the deployment");
    assert_eq!(container_port("metrics"), metrics.port());
    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(
        annotations["prometheus.io/port"].as_str().map(port_of_str),
        Some(metrics.port())
    );
    for p in service["spec"]["ports"].as_sequence().unwrap() {
        let target = p["targetPort"].as_str().unwrap();
        assert_eq!(p["port"].as_u64().unwrap() as u16, container_port(target));
    }

    // Native gRPC probes on the serving port (grpc.health.v1 needs no credentials).
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(
            c[probe]["grpc"]["port"].as_u64(),
            Some(default_port as u64),
            "{probe}"
        );
    }
    // The pod outlives the drain.
    assert!(
        pod["terminationGracePeriodSeconds"].as_u64().unwrap() > config.server.grace_seconds,
        "terminationGracePeriodSeconds must exceed server.grace_seconds"
    );
    assert_eq!(pod["securityContext"]["runAsNonRoot"], Value::Bool(true));
    assert_ne!(pod["securityContext"]["runAsUser"].as_u64(), Some(0));
    assert_eq!(
        c["securityContext"]["allowPrivilegeEscalation"],
        Value::Bool(false)
    );
}

fn port_of_str(s: &str) -> u16 {
    s.parse().unwrap()
}

#[test]
fn the_container_runs_as_non_root_on_all_addresses_and_needs_a_configuration() {
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.matches("\nFROM ").count() + usize::from(dockerfile.starts_with("FROM ")) >= 2,
        "multi-stage"
    );
    let user = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    let default_port = Config::default().server.listen.port();
    assert!(dockerfile.contains(&format!(
        "ESCALATION__SERVER__LISTEN=0.0.0.0:{default_port}"
    )));
    let expose = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .unwrap();
    let exposed: Vec<u16> = expose.split_whitespace().map(port_of_str).collect();
    assert!(exposed.contains(&default_port), "{expose}");
    let metrics = dockerfile
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ESCALATION__METRICS__LISTEN="))
        .expect("metrics on");
    assert!(exposed.contains(&port(metrics)), "{expose}");
    // The image has no configuration of its own: without a mounted one (with [auth]) it does not
    // start on 0.0.0.0.
    assert!(
        dockerfile.contains(r#"CMD ["serve", "--config", "/etc/escalation-router/config.toml"]"#)
    );
    assert!(!dockerfile.contains("COPY deploy/config"));
}

#[test]
fn the_systemd_unit_runs_serve_with_a_configuration_as_an_unprivileged_user() {
    let unit = read("deploy/systemd/escalation-router.service");
    let value = |key: &str| {
        unit.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}="))
            .to_string()
    };
    assert_ne!(value("User"), "root");
    assert!(value("ExecStart").ends_with("serve --config /etc/escalation-router/config.toml"));
    assert_eq!(value("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert_eq!(value("KillSignal"), "SIGTERM");
    let stop: u64 = value("TimeoutStopSec").parse().unwrap();
    assert!(stop > Config::default().server.grace_seconds);
}

#[test]
fn serve_help_says_where_configuration_comes_from() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_escalation-router"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "built-in defaults",
        "--config",
        "ESCALATION__SECTION__KEY",
        "deploy/config.example.toml",
        "RUST_LOG",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
