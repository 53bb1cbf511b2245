//! `escalation-router test FILE...`: conversations in the eval format whose turns may carry an
//! `expect` object, run through the server's engine with a tenant policy (`--config`) and a fixed
//! clock (`--now`). Prints every failed expectation with the conversation, the turn and what came
//! instead; `--junit FILE` writes JUnit XML; fails (non-zero exit) when any expectation fails.
//!
//! ```json
//! {"conversation_id": "c1", "tenant_id": "acme", "language": "en", "turns": [
//!   {"idx": 0, "role": "user", "text": "I want a human", "expect": {"action": "handoff",
//!    "reasons": ["explicit_request"], "priority": "normal"}}]}
//! ```

mod junit;

use crate::config::Config;
use crate::domain::{Action, Decision, Priority, ReasonCode};
use crate::replay::{self, input};
use anyhow::Context;
use clap::Args;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Spec files: eval-format JSONL whose turns may carry `expect`.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Configuration file whose `[policy]` applies (tenants by each conversation's `tenant_id`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The clock: every conversation's first turn happens at this RFC 3339 time, the next ones 10 s
    /// apart (e.g. 2026-12-01T09:30:00+01:00). Default: the time the command starts.
    #[arg(long)]
    pub now: Option<String>,
    /// Also write the results as JUnit XML here (one test case per expectation).
    #[arg(long)]
    pub junit: Option<PathBuf>,
}

/// What a turn's decision must show. Absent fields are not checked.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub action: Option<Action>,
    /// Each must be among the decision's reason codes (others may be there too).
    pub reasons: Option<Vec<ReasonCode>>,
    pub priority: Option<Priority>,
    pub queue: Option<String>,
    pub alert: Option<bool>,
    pub bot_should_respond: Option<bool>,
}

/// Only the `expect` objects of a spec line, by turn.
#[derive(Deserialize)]
struct RawSpec {
    turns: Vec<RawSpecTurn>,
}

#[derive(Deserialize)]
struct RawSpecTurn {
    idx: i64,
    #[serde(default)]
    expect: Option<Expect>,
}

/// One checked expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub file: String,
    pub line: usize,
    pub conversation_id: String,
    pub idx: i64,
    /// Empty when the decision met every expectation.
    pub failures: Vec<String>,
}

/// What differs between the expectation and the decision, one phrase per field.
pub fn check(expect: &Expect, d: &Decision) -> Vec<String> {
    let mut out = Vec::new();
    let reasons: Vec<&str> = d.reasons.iter().map(|r| r.code.label()).collect();
    if let Some(a) = expect.action
        && a != d.action
    {
        out.push(format!(
            "action: expected {}, got {} (reasons: {})",
            a.label(),
            d.action.label(),
            if reasons.is_empty() {
                "none".to_string()
            } else {
                reasons.join(", ")
            }
        ));
    }
    if let Some(want) = &expect.reasons {
        let missing: Vec<&str> = want
            .iter()
            .map(|c| c.label())
            .filter(|l| !reasons.contains(l))
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "reasons: expected {}, got [{}]",
                missing.join(", "),
                reasons.join(", ")
            ));
        }
    }
    if let Some(p) = expect.priority
        && p != d.priority
    {
        out.push(format!("priority: expected {p:?}, got {:?}", d.priority).to_lowercase());
    }
    if let Some(q) = &expect.queue
        && *q != d.route.queue
    {
        out.push(format!("queue: expected {q:?}, got {:?}", d.route.queue));
    }
    if let Some(a) = expect.alert
        && a != d.alert
    {
        out.push(format!("alert: expected {a}, got {}", d.alert));
    }
    if let Some(b) = expect.bot_should_respond
        && b != d.bot_should_respond
    {
        out.push(format!(
            "bot_should_respond: expected {b}, got {}",
            d.bot_should_respond
        ));
    }
    out
}

/// Parses `--now` (RFC 3339) into milliseconds since the epoch.
pub fn parse_now(now: Option<&str>) -> anyhow::Result<i64> {
    match now {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .with_context(|| {
                format!("--now {s:?} is not an RFC 3339 time like 2026-12-01T09:30:00+01:00")
            }),
        None => Ok(crate::clock::now_ms()),
    }
}

/// Runs every spec file; returns every expectation checked.
pub fn run_files(config: &Config, files: &[PathBuf], start_ms: i64) -> anyhow::Result<Vec<Case>> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let mut cases = Vec::new();
    for path in files {
        cases.extend(run_file(config, path, start_ms, &runtime)?);
    }
    Ok(cases)
}

fn run_file(
    config: &Config,
    path: &Path,
    start_ms: i64,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Vec<Case>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let engine = replay::engine_for(config)?;
    let file = path.display().to_string();
    let mut cases = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("{file}:{}", n + 1);
        let conversation = input::parse_at(line, start_ms).with_context(at)?;
        let spec: RawSpec = serde_json::from_str(line).with_context(at)?;
        for (turn, raw) in conversation.turns.iter().zip(&spec.turns) {
            let decision = runtime
                .block_on(engine.process(turn.clone()))
                .with_context(|| format!("{}: turn {}", at(), raw.idx))?;
            if let Some(expect) = &raw.expect {
                cases.push(Case {
                    file: file.clone(),
                    line: n + 1,
                    conversation_id: conversation.conversation_id.clone(),
                    idx: raw.idx,
                    failures: check(expect, &decision),
                });
            }
        }
    }
    Ok(cases)
}

/// The `test` command.
pub fn test(args: TestArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), std::env::vars())?;
    let start_ms = parse_now(args.now.as_deref())?;
    let cases = run_files(&config, &args.files, start_ms)?;
    let failed: Vec<&Case> = cases.iter().filter(|c| !c.failures.is_empty()).collect();
    for c in &failed {
        for f in &c.failures {
            println!(
                "FAIL {}:{} conversation {} turn {}: {f}",
                c.file, c.line, c.conversation_id, c.idx
            );
        }
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit::xml(&cases))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "{} expectations, {} passed, {} failed",
        cases.len(),
        cases.len() - failed.len(),
        failed.len()
    );
    if cases.is_empty() {
        anyhow::bail!("no turn carries an `expect` object: nothing was tested");
    }
    if !failed.is_empty() {
        anyhow::bail!("{} of {} expectations failed", failed.len(), cases.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
