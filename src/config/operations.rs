//! The operator's sections: `[metrics]`, `[log]` and `[tracing]`.

use serde::Deserialize;
use std::net::SocketAddr;

/// `[metrics]`: the Prometheus endpoint.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Where `/metrics` is served (plain HTTP); unset: no metrics endpoint (the default).
    pub listen: Option<SocketAddr>,
    /// Label series with `tenant`; off for deployments with many tenants (fewer series).
    pub tenant_labels: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: None,
            tenant_labels: true,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event; coloured only on a terminal without `NO_COLOR`.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `[log]`: the format of the lines on stderr (the level is `RUST_LOG`).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
}

/// `[tracing]`: OpenTelemetry traces.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TracingConfig {
    /// The OTLP/gRPC collector spans are exported to; unset: no traces (the default).
    pub otlp_endpoint: Option<OtlpEndpoint>,
}

/// An OTLP/gRPC collector address: `http://host:port` (an agent or collector next to the service;
/// the export itself carries no TLS).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(try_from = "String")]
pub struct OtlpEndpoint(http::Uri);

impl OtlpEndpoint {
    /// The address as the exporter takes it.
    pub fn as_str(&self) -> String {
        self.0.to_string()
    }
}

impl TryFrom<String> for OtlpEndpoint {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let uri: http::Uri = s
            .parse()
            .map_err(|e| format!("tracing.otlp_endpoint: {s:?} is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(format!(
                "tracing.otlp_endpoint: {s:?} must be http://HOST:PORT (OTLP over gRPC without TLS, \
                 e.g. http://127.0.0.1:4317)"
            ));
        }
        Ok(OtlpEndpoint(uri))
    }
}
