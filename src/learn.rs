//! `train`: learns the turn model's weights from labelled conversations (the eval format), reports
//! cross-validated figures, and writes the model file.
//!
//! Each conversation runs through the rules with the engine's own `step` (the rules alone, no
//! model), so the features seen in training are the ones seen in service. Training is FTRL-Proximal logistic regression (McMahan et al., 2013) over hashed
//! binary features: sparse weights, no feature dictionary. Folds are whole conversations. The
//! threshold of each head maximises F1 over the out-of-fold probabilities; the reported figures
//! come from running the real engine over each held-out fold with the model trained without it and
//! thresholds chosen without it.

use crate::config::Config;
use crate::detect::Detector;
use crate::detect::model::{self, Head, Model};
use crate::domain::ConversationState;
use crate::replay::{self, gold::Gold, input::Conversation, metrics};
use crate::step;
use anyhow::Context;
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Labelled conversation files (JSONL, the eval format); several allowed.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Where to write the model (load it with `detection.model = "PATH"`).
    #[arg(long, default_value = "models/turn-model.bin")]
    pub output: PathBuf,
    /// Cross-validation folds (whole conversations); 0 or 1 skips cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Passes over the training data.
    #[arg(long, default_value_t = 4)]
    pub epochs: usize,
    /// log2 of the number of hashed features.
    #[arg(long, default_value_t = 19)]
    pub bits: u32,
    /// L1 strength (larger: fewer non-zero weights).
    #[arg(long, default_value_t = 1.0)]
    pub l1: f32,
    /// L2 strength.
    #[arg(long, default_value_t = 2.0)]
    pub l2: f32,
    /// FTRL learning rate.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f32,
    /// Write the cross-validated figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the HTML report of the cross-validated runs (each conversation replayed by the
    /// model that never saw it) here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// One labelled turn, as the model sees it.
struct Example {
    head: Head,
    features: Vec<u64>,
    label: bool,
    fold: usize,
}

/// One labelled file: its conversations with their gold, and the fold of each.
struct LabelledFile {
    name: String,
    conversations: Vec<(Conversation, Gold, usize)>,
}

pub fn train(args: TrainArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), std::env::vars())?;
    let folds = args.folds.max(1);
    let files: Vec<LabelledFile> = args
        .input
        .iter()
        .map(|p| read_labelled(p, folds))
        .collect::<anyhow::Result<_>>()?;
    let rules = Detector::with_model(None);
    let policy = config
        .policy
        .compile()
        .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    let queues = BTreeMap::new();
    let cx = step::Context {
        detector: &rules,
        policy: &policy.default,
        queues: &queues,
        history_turns: config.limits.history_turns,
        new_id: &String::new,
    };
    let mut examples = Vec::new();
    for file in &files {
        for (conversation, gold, fold) in &file.conversations {
            collect(&cx, conversation, gold, *fold, &mut examples);
        }
    }
    let settings = Ftrl {
        alpha: args.alpha,
        beta: 1.0,
        l1: args.l1,
        l2: args.l2,
        bits: args.bits,
    };
    eprintln!(
        "train: {} labelled turns from {} files",
        examples.len(),
        files.len()
    );

    let mut thresholds = [f32::NAN; 4];
    if folds > 1 {
        // Out-of-fold probabilities choose each head's threshold.
        let mut fold_models = Vec::with_capacity(folds);
        let mut oof: Vec<(Head, f32, bool)> = Vec::with_capacity(examples.len());
        let mut oof_fold: Vec<usize> = Vec::with_capacity(examples.len());
        for k in 0..folds {
            let weights = settings.fit(examples.iter().filter(|e| e.fold != k), args.epochs);
            let m = Model::new(args.bits, weights, [0.5; 4]);
            for e in examples.iter().filter(|e| e.fold == k) {
                oof.push((e.head, m.probability(&e.features), e.label));
                oof_fold.push(k);
            }
            fold_models.push(m);
        }
        thresholds = choose_thresholds(&oof);
        print_thresholds(&thresholds, &oof);
        // Each fold's figures use thresholds chosen without it (nested), so no figure below has
        // seen its own labels.
        let fold_thresholds: Vec<[f32; 4]> = (0..folds)
            .map(|k| {
                let others: Vec<(Head, f32, bool)> = oof
                    .iter()
                    .zip(&oof_fold)
                    .filter(|(_, f)| **f != k)
                    .map(|(s, _)| *s)
                    .collect();
                choose_thresholds(&others)
            })
            .collect();

        // The real engine over each held-out fold, with the model that never saw it.
        let mut cv = Vec::new();
        let mut cv_runs = Vec::new();
        let mut rules_only = Vec::new();
        for file in &files {
            let mut runs = Vec::new();
            let mut base = Vec::new();
            for (k, m) in fold_models.iter_mut().enumerate() {
                m.thresholds = fold_thresholds[k];
                let held_out: Vec<&(Conversation, Gold, usize)> =
                    file.conversations.iter().filter(|c| c.2 == k).collect();
                let detector = Detector::with_model(Some(Arc::new(m.clone())));
                runs.extend(replay_all(&config, detector, &held_out)?);
                base.extend(replay_all(&config, Detector::with_model(None), &held_out)?);
            }
            cv.push(figures(&file.name, &runs));
            rules_only.push(figures(&file.name, &base));
            cv_runs.push(runs);
        }
        println!("rules alone:");
        print!("{}", metrics::table(&rules_only));
        println!("rules and the learned model, {folds}-fold cross-validated:");
        print!("{}", metrics::table(&cv));
        if let Some(p) = &args.html {
            let files: Vec<replay::report::FileRun> = cv
                .iter()
                .zip(&cv_runs)
                .map(|(figures, runs)| replay::report::FileRun { figures, runs })
                .collect();
            std::fs::write(p, replay::report::html(&files))
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        if let Some(p) = &args.json {
            let json = serde_json::json!({ "rules_only": rules_only, "cross_validated": cv });
            std::fs::write(p, serde_json::to_string_pretty(&json)?)
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
    } else {
        let heads: Vec<(Head, f32, bool)> =
            examples.iter().map(|e| (e.head, 0.5, e.label)).collect();
        for head in Head::ALL {
            if enough(&heads, head) {
                thresholds[head as usize] = 0.5;
            }
        }
    }

    let weights = settings.fit(examples.iter(), args.epochs);
    let model = Model::new(args.bits, weights, thresholds);
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.output, model.to_bytes())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "train: wrote {} ({} non-zero weights of {})",
        args.output.display(),
        model.nonzero(),
        1u64 << args.bits
    );
    Ok(())
}

fn read_labelled(path: &Path, folds: usize) -> anyhow::Result<LabelledFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut conversations = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("{}:{}", path.display(), n + 1);
        let conversation = replay::input::parse(line).with_context(at)?;
        let gold = replay::gold::parse(line).with_context(at)?;
        let fold =
            (model::mix(model::hash_str(&conversation.conversation_id)) % folds as u64) as usize;
        conversations.push((conversation, gold, fold));
    }
    Ok(LabelledFile {
        name: replay::file_label(path),
        conversations,
    })
}

/// Runs one conversation through the rules with the engine's own `step` and keeps its labelled
/// turns, each with the history its reading saw.
fn collect(
    cx: &step::Context,
    conversation: &Conversation,
    gold: &Gold,
    fold: usize,
    out: &mut Vec<Example>,
) {
    let mut state = ConversationState::default();
    for turn in &conversation.turns {
        let mut history = state.recent.clone();
        let outcome = step::step(state, turn, cx);
        let label = gold
            .turns
            .iter()
            .find(|(idx, _, _)| idx.to_string() == turn.turn_id)
            .and_then(|t| t.2);
        if let (Some(label), Some(head)) = (label, Head::of(turn.role, outcome.signals.language)) {
            let mut features = Vec::new();
            model::features(
                turn.role,
                &turn.text,
                history.make_contiguous(),
                &outcome.signals,
                &mut features,
            );
            out.push(Example {
                head,
                features,
                label,
                fold,
            });
        }
        state = outcome.state;
    }
}

fn replay_all(
    config: &Config,
    detector: Detector,
    conversations: &[&(Conversation, Gold, usize)],
) -> anyhow::Result<Vec<Run>> {
    let engine = replay::engine_with(config, Arc::new(detector))?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    conversations
        .iter()
        .map(|(c, g, _)| {
            Ok((
                c.clone(),
                g.clone(),
                runtime.block_on(replay::run(&engine, c))?,
            ))
        })
        .collect()
}

/// One replayed conversation: its turns, its gold, the engine's outcomes.
type Run = (Conversation, Gold, Vec<metrics::TurnOutcome>);

fn figures(name: &str, runs: &[Run]) -> metrics::FileFigures {
    let scored: Vec<(Gold, Vec<metrics::TurnOutcome>)> = runs
        .iter()
        .map(|(_, g, o)| (g.clone(), o.clone()))
        .collect();
    metrics::figures(name, &scored)
}

/// A head is trained and thresholded only with enough labelled turns of both classes.
fn enough(scored: &[(Head, f32, bool)], head: Head) -> bool {
    let (pos, neg) = scored
        .iter()
        .filter(|s| s.0 == head)
        .fold(
            (0, 0),
            |(p, n), s| if s.2 { (p + 1, n) } else { (p, n + 1) },
        );
    pos >= 20 && neg >= 20
}

/// Per head, the threshold with the best F1 over out-of-fold probabilities (NaN: too little data).
fn choose_thresholds(oof: &[(Head, f32, bool)]) -> [f32; 4] {
    let mut out = [f32::NAN; 4];
    for head in Head::ALL {
        if !enough(oof, head) {
            continue;
        }
        let best = (1..100)
            .map(|i| i as f32 / 100.0)
            .map(|t| (t, f1_at(oof, head, t)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((t, _)) = best {
            out[head as usize] = t;
        }
    }
    out
}

fn f1_at(scored: &[(Head, f32, bool)], head: Head, threshold: f32) -> f32 {
    let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
    for &(h, p, label) in scored.iter().filter(|s| s.0 == head) {
        debug_assert_eq!(h, head);
        match (p >= threshold, label) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    if tp == 0 {
        return 0.0;
    }
    2.0 * tp as f32 / (2 * tp + fp + fn_) as f32
}

fn print_thresholds(thresholds: &[f32; 4], oof: &[(Head, f32, bool)]) {
    for head in Head::ALL {
        let t = thresholds[head as usize];
        let n = oof.iter().filter(|s| s.0 == head).count();
        if t.is_nan() {
            println!(
                "head {:<12} {n:>6} turns: too few labels, rules decide",
                head.name()
            );
        } else {
            println!(
                "head {:<12} {n:>6} turns: threshold {t:.2}, out-of-fold F1 {:.3}",
                head.name(),
                f1_at(oof, head, t)
            );
        }
    }
}

/// FTRL-Proximal settings.
struct Ftrl {
    alpha: f32,
    beta: f32,
    l1: f32,
    l2: f32,
    bits: u32,
}

impl Ftrl {
    /// Weights learned from the examples over `epochs` passes, in a fixed shuffled order.
    fn fit<'a>(&self, examples: impl Iterator<Item = &'a Example>, epochs: usize) -> Vec<f32> {
        let examples: Vec<&Example> = examples.collect();
        let size = 1usize << self.bits;
        let mask = (size - 1) as u64;
        let mut z = vec![0.0f32; size];
        let mut n = vec![0.0f32; size];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut indices = Vec::new();
        for _ in 0..epochs {
            shuffle(&mut order, &mut seed);
            for &i in &order {
                let e = examples[i];
                indices.clear();
                indices.extend(e.features.iter().map(|&h| (h & mask) as usize));
                let zsum: f32 = indices.iter().map(|&j| self.weight(z[j], n[j])).sum();
                let g = model::sigmoid(zsum) - if e.label { 1.0 } else { 0.0 };
                for &j in &indices {
                    let w = self.weight(z[j], n[j]);
                    let sigma = ((n[j] + g * g).sqrt() - n[j].sqrt()) / self.alpha;
                    z[j] += g - sigma * w;
                    n[j] += g * g;
                }
            }
        }
        z.iter().zip(&n).map(|(&z, &n)| self.weight(z, n)).collect()
    }

    fn weight(&self, z: f32, n: f32) -> f32 {
        if z.abs() <= self.l1 {
            0.0
        } else {
            -(z - z.signum() * self.l1) / ((self.beta + n.sqrt()) / self.alpha + self.l2)
        }
    }
}

/// Fisher-Yates with xorshift64*: the same order on every run.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed >> 12;
        *seed ^= *seed << 25;
        *seed ^= *seed >> 27;
        let r = seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
        order.swap(i, (r % (i as u64 + 1)) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(features: Vec<u64>, label: bool) -> Example {
        Example {
            head: Head::CustomerEn,
            features,
            label,
            fold: 0,
        }
    }

    #[test]
    fn ftrl_learns_a_separable_feature() {
        let mut data = Vec::new();
        for i in 0..400u64 {
            let label = i % 4 == 0;
            data.push(example(
                vec![1, if label { 7 } else { 9 }, 100 + i % 13],
                label,
            ));
        }
        let ftrl = Ftrl {
            alpha: 0.1,
            beta: 1.0,
            l1: 0.1,
            l2: 0.1,
            bits: 10,
        };
        let m = Model::new(10, ftrl.fit(data.iter(), 3), [0.5; 4]);
        assert!(m.probability(&[1, 7]) > 0.8);
        assert!(m.probability(&[1, 9]) < 0.2);
    }

    #[test]
    fn threshold_maximises_f1() {
        let scored: Vec<(Head, f32, bool)> = (0..100)
            .map(|i| (Head::CustomerEn, i as f32 / 100.0, i >= 70))
            .collect();
        let t = choose_thresholds(&scored);
        assert!((t[0] - 0.70).abs() < 0.011, "{t:?}");
        assert!(t[1].is_nan(), "no German turns, no German threshold");
    }
}
