//! What a run measured: a latency histogram (HdrHistogram), counts by outcome, and CPU time of the
//! server and the client read from `/proc`.

use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Collected by every in-flight request; one lock per completion (uncontended on one core).
pub struct Recorder {
    inner: Mutex<Inner>,
}

struct Inner {
    /// Latency in nanoseconds, from the intended send time to the response.
    latency: Histogram<u64>,
    ok: u64,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
    /// Decisions by action name.
    actions: BTreeMap<&'static str, u64>,
    alerts: u64,
    text_bytes: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            inner: Mutex::new(Inner {
                latency: Histogram::new_with_bounds(1_000, 120_000_000_000, 3)
                    .expect("histogram bounds are valid"),
                ok: 0,
                errors: BTreeMap::new(),
                first_error: None,
                actions: BTreeMap::new(),
                alerts: 0,
                text_bytes: 0,
            }),
        }
    }
}

impl Recorder {
    pub fn decision(&self, latency: Duration, decision: Option<&escalation_router::pb::Decision>) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.latency
            .saturating_record((latency.as_nanos() as u64).max(1_000));
        s.ok += 1;
        if let Some(d) = decision {
            let action = escalation_router::pb::Action::try_from(d.action)
                .map(|a| a.as_str_name())
                .unwrap_or("UNKNOWN");
            *s.actions.entry(action).or_default() += 1;
            s.alerts += u64::from(d.alert);
        }
    }

    pub fn error(&self, latency: Duration, code: tonic::Code, message: &str) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.latency
            .saturating_record((latency.as_nanos() as u64).max(1_000));
        *s.errors.entry(format!("{code:?}")).or_default() += 1;
        if s.first_error.is_none() {
            s.first_error = Some(format!("{code:?}: {message}"));
        }
    }

    pub fn sent_text(&self, bytes: usize) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.text_bytes += bytes as u64;
    }

    /// The report of a run that measured for `elapsed`.
    pub fn report(&self, setup: Value, elapsed: Duration, cpu: CpuUse) -> Report {
        let s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let errors: u64 = s.errors.values().sum();
        let done = s.ok + errors;
        let secs = elapsed.as_secs_f64().max(1e-9);
        let us = |q: f64| s.latency.value_at_quantile(q) as f64 / 1_000.0;
        let per_turn =
            |cpu_s: Option<f64>| cpu_s.filter(|_| done > 0).map(|c| c * 1e6 / done as f64);
        let json = json!({
            "setup": setup,
            "elapsed_s": secs,
            "ok": s.ok,
            "errors": errors,
            "errors_by_code": s.errors,
            "first_error": s.first_error,
            "throughput_per_s": done as f64 / secs,
            "latency_us": {
                "p50": us(0.5), "p90": us(0.9), "p99": us(0.99), "p999": us(0.999),
                "max": s.latency.max() as f64 / 1_000.0, "mean": s.latency.mean() / 1_000.0,
            },
            "actions": s.actions,
            "alerts": s.alerts,
            "text_bytes_sent": s.text_bytes,
            "server_cpu_s": cpu.server_s,
            "server_cpu_us_per_turn": per_turn(cpu.server_s),
            "server_rss_bytes": cpu.server_rss,
            "client_cpu_s": cpu.client_s,
            "client_cpu_us_per_turn": per_turn(cpu.client_s),
        });
        let fmt_opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        let line = format!(
            "{} ok={} err={} rate={:.0}/s p50={:.0}us p90={:.0}us p99={:.0}us p99.9={:.0}us max={:.0}us server_cpu={}s ({}us/turn) client_cpu={}s{}",
            setup_label(&json["setup"]),
            s.ok,
            errors,
            done as f64 / secs,
            us(0.5),
            us(0.9),
            us(0.99),
            us(0.999),
            s.latency.max() as f64 / 1_000.0,
            fmt_opt(cpu.server_s),
            fmt_opt(per_turn(cpu.server_s)),
            fmt_opt(cpu.client_s),
            s.first_error
                .as_ref()
                .map(|e| format!(" first_error=\"{e}\""))
                .unwrap_or_default(),
        );
        Report { line, json }
    }
}

fn setup_label(setup: &Value) -> String {
    match setup.as_object() {
        Some(o) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        None => String::new(),
    }
}

/// One run's outcome: the summary line and the JSON document.
pub struct Report {
    pub line: String,
    pub json: Value,
}

/// CPU seconds used during the measured window, and the server's resident memory at its end.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuUse {
    pub server_s: Option<f64>,
    pub server_rss: Option<u64>,
    pub client_s: Option<f64>,
}

/// user + system CPU seconds of a process so far (`/proc/PID/stat`), if readable.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks())
}

/// Resident set size in bytes (`VmRSS` of `/proc/PID/status`), if readable.
pub fn rss_bytes(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn clock_ticks() -> f64 {
    // USER_HZ is 100 on every Linux architecture this runs on.
    100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_cpu_time_and_memory_are_readable() {
        assert!(cpu_seconds("self").is_some());
        assert!(rss_bytes("self").unwrap() > 0);
    }

    #[test]
    fn the_report_counts_decisions_and_errors() {
        let r = Recorder::default();
        r.decision(Duration::from_micros(100), None);
        r.error(Duration::from_micros(300), tonic::Code::Unavailable, "busy");
        let report = r.report(
            json!({"rpc": "unary"}),
            Duration::from_secs(1),
            CpuUse::default(),
        );
        assert_eq!(report.json["ok"], 1);
        assert_eq!(report.json["errors_by_code"]["Unavailable"], 1);
        assert!(
            report.line.starts_with("rpc=unary ok=1 err=1"),
            "{}",
            report.line
        );
    }
}
