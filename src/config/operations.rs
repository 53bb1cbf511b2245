//! The operator's sections: `[metrics]` and `[log]`.

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
