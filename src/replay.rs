//! `replay` and `eval`: run JSONL conversations (../shared/eval format) through the same engine the
//! server uses, with a fresh in-memory store.
//!
//! `input` reads only what a bot platform would send; `gold` reads the labels, for `eval` only;
//! `metrics` computes the figures; `report` writes the HTML timelines.

pub mod gold;
pub mod input;
pub mod metrics;
pub mod report;
#[cfg(test)]
mod tests;

use crate::config::Config;
use crate::detect::Detector;
use crate::engine::{Engine, EngineSettings};
use crate::policy::PolicyHandle;
use crate::state::memory::MemoryStore;
use anyhow::Context;
use clap::Args;
use input::Conversation;
use metrics::TurnOutcome;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Conversation files (JSONL); several allowed.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Where to write one decision line per turn.
    #[arg(long)]
    pub output: PathBuf,
    /// Optional configuration (policy) file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Labelled conversation files (JSONL); several allowed.
    #[arg(long, required_unless_present = "checklist", num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Run the behavioural test suite instead (`checklist`): print the failures, then the pass
    /// rate per capability, test type and language. An optional value lists only the failures
    /// whose case id starts with it (`human_request`, `offer_accept/de`, `churn/en/mft`).
    #[arg(long, value_name = "CASES", num_args = 0..=1, default_missing_value = "")]
    pub checklist: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the HTML report (per-conversation timelines) here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write the figures as JSON here (they are also printed).
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The one place the replay builds its engine: the server's engine and the configured policy over
/// a fresh memory store.
pub fn engine_for(config: &Config) -> anyhow::Result<Engine> {
    engine_with(config, Arc::new(config.detection.detector()?))
}

/// The replay engine with a given detector (`train` replays held-out folds with fold models).
pub fn engine_with(config: &Config, detector: Arc<Detector>) -> anyhow::Result<Engine> {
    let store = Arc::new(MemoryStore::new(config.limits.receipt_window));
    let policy = PolicyHandle::from_config(&config.policy)
        .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    Ok(Engine::with_policy(
        detector,
        store,
        EngineSettings::from(&config.limits),
        policy,
    ))
}

/// One output line of `replay`.
#[derive(Serialize)]
struct DecisionLine<'a> {
    conversation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    idx: i64,
    action: &'static str,
    alert: bool,
    scores: crate::domain::Scores,
    reasons: &'a [crate::domain::Reason],
}

pub fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), std::env::vars())?;
    let out = std::fs::File::create(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let mut out = BufWriter::new(out);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    for path in &args.input {
        let conversations = read(path)?;
        let engine = engine_for(&config)?;
        runtime.block_on(async {
            for c in &conversations {
                for turn in &c.turns {
                    let d = engine
                        .process(turn.clone())
                        .await
                        .with_context(|| format!("{} turn {}", c.conversation_id, turn.turn_id))?;
                    let line = DecisionLine {
                        conversation_id: &c.conversation_id,
                        source: c.source.as_deref(),
                        idx: turn.turn_id.parse().unwrap_or(-1),
                        action: d.action.label(),
                        alert: d.alert,
                        scores: d.scores,
                        reasons: &d.reasons,
                    };
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                }
            }
            anyhow::Ok(())
        })?;
    }
    out.flush()?;
    Ok(())
}

pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(only) = &args.checklist {
        let report = crate::checklist::evaluate(&config)?;
        print!("{}", report.failures(only));
        print!("{}", report.table());
        return Ok(());
    }
    let mut all = Vec::new();
    let mut kept = Vec::new();
    for path in &args.input {
        let started = std::time::Instant::now();
        let runs = evaluate_file(&config, path)?;
        let name = file_label(path);
        let turns: usize = runs.iter().map(|(c, _, _)| c.turns.len()).sum();
        eprintln!(
            "eval: {name}: {} conversations, {turns} turns in {:.1} s",
            runs.len(),
            started.elapsed().as_secs_f64()
        );
        let figures = metrics::figures(
            &name,
            &runs
                .iter()
                .map(|(_, g, o)| (g.clone(), o.clone()))
                .collect::<Vec<_>>(),
        );
        all.push(figures);
        kept.push(runs);
    }
    print!("{}", metrics::table(&all));
    let json = serde_json::to_string_pretty(&all)?;
    if let Some(p) = &args.json {
        std::fs::write(p, &json).with_context(|| format!("cannot write {}", p.display()))?;
    } else {
        println!("{json}");
    }
    if let Some(p) = &args.html {
        let files: Vec<report::FileRun> = all
            .iter()
            .zip(&kept)
            .map(|(figures, runs)| report::FileRun { figures, runs })
            .collect();
        std::fs::write(p, report::html(&files))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

/// Replays one labelled file; returns each conversation with its gold and the engine's outcomes.
pub fn evaluate_file(
    config: &Config,
    path: &Path,
) -> anyhow::Result<Vec<(Conversation, gold::Gold, Vec<TurnOutcome>)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let engine = engine_for(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let mut runs = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("{}:{}", path.display(), n + 1);
        let conversation = input::parse(line).with_context(at)?;
        let gold = gold::parse(line).with_context(at)?;
        let outcomes = runtime.block_on(run(&engine, &conversation))?;
        runs.push((conversation, gold, outcomes));
    }
    Ok(runs)
}

/// Runs one conversation through the engine.
pub async fn run(engine: &Engine, c: &Conversation) -> anyhow::Result<Vec<TurnOutcome>> {
    let mut out = Vec::with_capacity(c.turns.len());
    for turn in &c.turns {
        let d = engine
            .process(turn.clone())
            .await
            .with_context(|| format!("{} turn {}", c.conversation_id, turn.turn_id))?;
        out.push(TurnOutcome {
            idx: turn.turn_id.parse().unwrap_or(-1),
            action: d.action.label(),
            alert: d.alert,
            escalation: d.scores.escalation,
            negative: d
                .scores
                .frustration
                .max(d.scores.anger)
                .max(d.scores.anxiety)
                .max(d.scores.sadness)
                .max(d.scores.urgency),
            emotions: [
                d.scores.frustration,
                d.scores.anger,
                d.scores.anxiety,
                d.scores.sadness,
                d.scores.urgency,
            ],
            reasons: d
                .reasons
                .iter()
                .map(|r| format!("{}:{} [{}]", r.code.label(), r.detail, r.matched.join("|")))
                .collect(),
            handoff: d.handoff.and_then(|h| h.context),
        });
    }
    Ok(out)
}

/// How a file is named in the figures: its file name.
pub fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads a conversation file (JSONL, one conversation per line).
pub fn read(path: &Path) -> anyhow::Result<Vec<Conversation>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| input::parse(l).with_context(|| format!("{}:{}", path.display(), n + 1)))
        .collect()
}
