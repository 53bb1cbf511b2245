//! `replay` and `eval`: run JSONL conversations (../shared/eval format) through the same engine the
//! server uses, with a fresh in-memory store.

use clap::Args;
use std::path::PathBuf;

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
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn replay(_args: ReplayArgs) -> anyhow::Result<()> {
    anyhow::bail!("replay is not implemented yet")
}

pub fn eval(_args: EvalArgs) -> anyhow::Result<()> {
    anyhow::bail!("eval is not implemented yet")
}
