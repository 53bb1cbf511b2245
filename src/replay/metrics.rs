//! Turn- and dialogue-level figures as defined in the eval README.

use super::gold::Gold;
use serde::Serialize;

/// What the engine answered for one turn.
#[derive(Debug, Clone, Serialize)]
pub struct TurnOutcome {
    pub idx: i64,
    pub action: &'static str,
    pub alert: bool,
    pub escalation: f32,
    pub negative: f32,
    /// Frustration, anger, anxiety, sadness, urgency after the turn (`EMOTIONS` order).
    pub emotions: [f32; 5],
    pub reasons: Vec<String>,
    /// The handoff context, when this turn opened a handoff (the HTML report's agent card).
    #[serde(skip)]
    pub handoff: Option<Box<crate::domain::HandoffContext>>,
}

/// The separate emotions of `TurnOutcome::emotions`, in order.
pub const EMOTIONS: [&str; 5] = ["frustration", "anger", "anxiety", "sadness", "urgency"];

/// Actions that take the conversation away from the bot.
pub fn is_handoff(action: &str) -> bool {
    matches!(action, "handoff" | "offer_callback" | "create_ticket")
}

/// Precision, recall and F1 from counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Prf {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    pub fn new(tp: u64, fp: u64, fn_: u64) -> Prf {
        let div = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = div(tp, tp + fp);
        let recall = div(tp, tp + fn_);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Prf {
            tp,
            fp,
            fn_,
            precision,
            recall,
            f1,
        }
    }
}

/// Figures for one input file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileFigures {
    pub file: String,
    pub conversations: usize,
    pub labelled_turns: u64,
    pub turn: Prf,
    pub dialogues_with_gold: u64,
    pub dialogues_handed_off: u64,
    pub dialogue_hits: u64,
    pub dialogue: Prf,
    /// Conversations whose gold is null but the engine handed off.
    pub handoffs_without_gold: u64,
    pub latency_median: Option<f64>,
    pub latency_p90: Option<f64>,
    pub latency_n: usize,
}

/// The turn-level prediction for a labelled turn: its own alert, or for a bot turn the alert on
/// the customer's next turn.
pub fn predicted(outcomes: &[TurnOutcome], gold: &Gold, i: usize) -> bool {
    let own = outcomes.get(i).is_some_and(|o| o.alert);
    let (_, is_user, _) = gold.turns[i];
    own || (!is_user
        && gold.turns.get(i + 1).is_some_and(|t| t.1)
        && outcomes.get(i + 1).is_some_and(|o| o.alert))
}

/// User turns from gold `g` to first handoff `f` (negative when early).
pub fn latency(gold: &Gold, g: i64, f: i64) -> i64 {
    let users = |lo: i64, hi: i64| {
        gold.turns
            .iter()
            .filter(|t| t.1 && t.0 > lo && t.0 <= hi)
            .count() as i64
    };
    if f >= g {
        users(g, f)
    } else {
        -users(f - 1, g - 1)
    }
}

pub fn figures(file: &str, runs: &[(Gold, Vec<TurnOutcome>)]) -> FileFigures {
    let (mut tp, mut fp, mut fn_, mut labelled) = (0, 0, 0, 0);
    let mut out = FileFigures {
        file: file.to_string(),
        conversations: runs.len(),
        ..Default::default()
    };
    let mut latencies = Vec::new();
    for (gold, outcomes) in runs {
        for (i, t) in gold.turns.iter().enumerate() {
            let Some(truth) = t.2 else { continue };
            labelled += 1;
            match (truth, predicted(outcomes, gold, i)) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        let f = outcomes
            .iter()
            .find(|o| is_handoff(o.action))
            .map(|o| o.idx);
        if f.is_some() {
            out.dialogues_handed_off += 1;
        }
        match (gold.handoff_turn, f) {
            (Some(g), Some(f)) => {
                out.dialogues_with_gold += 1;
                let l = latency(gold, g, f);
                latencies.push(l as f64);
                if (0..=1).contains(&l) {
                    out.dialogue_hits += 1;
                }
            }
            (Some(_), None) => out.dialogues_with_gold += 1,
            (None, Some(_)) => out.handoffs_without_gold += 1,
            (None, None) => {}
        }
    }
    out.labelled_turns = labelled;
    out.turn = Prf::new(tp, fp, fn_);
    out.dialogue = Prf::new(
        out.dialogue_hits,
        out.dialogues_handed_off - out.dialogue_hits,
        out.dialogues_with_gold - out.dialogue_hits,
    );
    latencies.sort_by(f64::total_cmp);
    out.latency_n = latencies.len();
    out.latency_median = quantile(&latencies, 0.5);
    out.latency_p90 = quantile(&latencies, 0.9);
    out
}

fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[at])
}

/// The figures as a fixed-width table.
pub fn table(all: &[FileFigures]) -> String {
    let mut s = format!(
        "{:<28} {:>6} {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} {:>5} {:>4} {:>6} {:>5}\n",
        "file",
        "convs",
        "turnP",
        "turnR",
        "turnF1",
        "dlgP",
        "dlgR",
        "dlgF1",
        "nullH",
        "latN",
        "latMed",
        "lat90"
    );
    for f in all {
        let opt = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
        s.push_str(&format!(
            "{:<28} {:>6} {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3} {:>5} {:>4} {:>6} {:>5}\n",
            f.file,
            f.conversations,
            f.turn.precision,
            f.turn.recall,
            f.turn.f1,
            f.dialogue.precision,
            f.dialogue.recall,
            f.dialogue.f1,
            f.handoffs_without_gold,
            f.latency_n,
            opt(f.latency_median),
            opt(f.latency_p90),
        ));
    }
    s
}
