//! The HTML eval report: the figures table, then per-conversation timelines (score bar per turn,
//! alerts, gold marks, the handoff), misses first, so they are easy to see.

use super::gold::Gold;
use super::input::Conversation;
use super::metrics::{FileFigures, TurnOutcome, is_handoff, predicted};
use std::fmt::Write;

/// Conversations shown per file (misses first).
const SHOWN_PER_FILE: usize = 150;

pub struct FileRun<'a> {
    pub figures: &'a FileFigures,
    pub runs: &'a [(Conversation, Gold, Vec<TurnOutcome>)],
}

pub fn html(files: &[FileRun]) -> String {
    let mut s = String::from(
        "<!doctype html><meta charset=utf-8><title>escalation-router eval</title><style>\
         body{font:13px system-ui;margin:20px}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}\
         .bar{background:#e66;height:10px}.u{background:#f4f8ff}.miss{color:#b00}\
         .gold{font-weight:bold;color:#070}.ho{background:#fd8}</style>\
         <h1>escalation-router eval</h1><table><tr><th>file<th>convs<th>turn P<th>turn R\
         <th>turn F1<th>dlg P<th>dlg R<th>dlg F1<th>handoffs w/o gold<th>latency median<th>p90",
    );
    for f in files {
        let x = f.figures;
        let _ = write!(
            s,
            "<tr><td>{}<td>{}<td>{:.3}<td>{:.3}<td>{:.3}<td>{:.3}<td>{:.3}<td>{:.3}<td>{}<td>{}<td>{}",
            esc(&x.file),
            x.conversations,
            x.turn.precision,
            x.turn.recall,
            x.turn.f1,
            x.dialogue.precision,
            x.dialogue.recall,
            x.dialogue.f1,
            x.handoffs_without_gold,
            x.latency_median.map_or("-".into(), |v| v.to_string()),
            x.latency_p90.map_or("-".into(), |v| v.to_string()),
        );
    }
    s.push_str("</table>");
    for f in files {
        let _ = write!(s, "<h2>{}</h2>", esc(&f.figures.file));
        let mut order: Vec<(usize, usize)> = f
            .runs
            .iter()
            .enumerate()
            .map(|(i, (_, g, o))| (misses(g, o), i))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(m, i) in order.iter().take(SHOWN_PER_FILE) {
            let (c, g, o) = &f.runs[i];
            timeline(&mut s, c, g, o, m);
        }
    }
    s
}

/// Labelled turns predicted wrongly, plus 3 for a wrong or missing handoff.
fn misses(gold: &Gold, outcomes: &[TurnOutcome]) -> usize {
    let turns = (0..gold.turns.len())
        .filter(|&i| {
            gold.turns[i]
                .2
                .is_some_and(|t| t != predicted(outcomes, gold, i))
        })
        .count();
    let f = outcomes
        .iter()
        .find(|o| is_handoff(o.action))
        .map(|o| o.idx);
    let dialogue = match (gold.handoff_turn, f) {
        (Some(g), Some(f)) if f >= g && super::metrics::latency(gold, g, f) <= 1 => 0,
        (None, None) => 0,
        _ => 3,
    };
    turns + dialogue
}

fn timeline(s: &mut String, c: &Conversation, g: &Gold, o: &[TurnOutcome], misses: usize) {
    let _ = write!(
        s,
        "<h3>{} <small>gold handoff: {} · misses: {}</small></h3><table>\
         <tr><th>idx<th>who<th>text<th>escalation<th>alert<th>gold<th>action<th>reasons",
        esc(&c.conversation_id),
        g.handoff_turn.map_or("none".into(), |t| t.to_string()),
        misses
    );
    for (i, t) in c.turns.iter().enumerate() {
        let Some(out) = o.get(i) else { break };
        let gold = g.turns.get(i).and_then(|t| t.2);
        let wrong = gold.is_some_and(|x| x != predicted(o, g, i));
        let is_gold_turn = g.handoff_turn == Some(out.idx);
        let _ = write!(
            s,
            "<tr class='{}{}'><td class='{}'>{}<td>{:?}<td>{}<td><div class=bar style='width:{}px'></div>{:.2}\
             <td>{}<td class='{}'>{}<td>{}<td>{}",
            if t.role == crate::domain::Role::Customer {
                "u"
            } else {
                ""
            },
            if is_handoff(out.action) { " ho" } else { "" },
            if is_gold_turn { "gold" } else { "" },
            out.idx,
            t.role,
            esc(&t.text),
            (out.escalation * 100.0) as u32,
            out.escalation,
            if out.alert { "⚠" } else { "" },
            if wrong { "miss" } else { "" },
            match gold {
                Some(true) => "escalate",
                Some(false) => "ok",
                None => "",
            },
            out.action,
            esc(&out.reasons.join(", ")),
        );
    }
    s.push_str("</table>");
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
