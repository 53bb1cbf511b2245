//! The HTML eval report: the figures table, a legend and an index, then per-conversation timelines
//! (score bar per turn, alerts, gold marks, offers and the handoff highlighted, a small chart of the
//! separate emotions), misses first, so they are easy to see; each file says how many it shows.
//! Under each timeline, every handoff's agent card: the summary, entities, reasons and opening line
//! as the agent would see them.

use super::gold::Gold;
use super::input::Conversation;
use super::metrics::{EMOTIONS, FileFigures, TurnOutcome, is_handoff, predicted};
use crate::domain::HandoffContext;
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
         .gold{font-weight:bold;color:#070}.ho{background:#fd8}.of{background:#fff3c4}\
         .legend span{display:inline-block;padding:0 6px;margin-right:6px}svg{vertical-align:middle}\
         .card{border:1px solid #caa54a;background:#fffaf0;margin:6px 0 18px;padding:6px 10px;max-width:900px}\
         .card dl{display:grid;grid-template-columns:90px 1fr;margin:4px 0}.card dt{font-weight:bold}\
         .card dd{margin:0 0 4px}.card ul{margin:0;padding-left:18px}.ent{background:#eef;padding:0 4px}</style>\
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
    legend(&mut s);
    s.push_str("<h2>Index</h2><ul>");
    for (n, f) in files.iter().enumerate() {
        let _ = write!(
            s,
            "<li><a href='#f{n}'>{}</a>: {} of {} conversations shown",
            esc(&f.figures.file),
            f.runs.len().min(SHOWN_PER_FILE),
            f.runs.len()
        );
    }
    s.push_str("</ul>");
    for (n, f) in files.iter().enumerate() {
        let _ = write!(
            s,
            "<h2 id='f{n}'>{} <small>{} of {} conversations shown, most misses first</small></h2>",
            esc(&f.figures.file),
            f.runs.len().min(SHOWN_PER_FILE),
            f.runs.len()
        );
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

/// Colours of the emotion chart, in `EMOTIONS` order.
const COLOURS: [&str; 5] = ["#d62728", "#8c1d1d", "#9467bd", "#1f77b4", "#ff7f0e"];

fn legend(s: &mut String) {
    s.push_str(
        "<p class=legend><b>Legend:</b> <span class=u>customer turn</span>\
         <span class=of>offer of a human</span><span class=ho>handoff (or callback, ticket)</span>\
         <span class=gold>idx</span> the gold handoff turn <span class=miss>escalate/ok</span> \
         gold label the alert missed · ⚠ alert on this turn · red bar: escalation score (0–1) · chart: ",
    );
    for (name, colour) in EMOTIONS.iter().zip(COLOURS) {
        let _ = write!(s, "<span style='color:{colour}'>■ {name}</span>");
    }
    s.push_str("</p>");
}

/// The separate emotions over the conversation's turns, one line each (0..1, 60 px high).
fn emotion_chart(s: &mut String, o: &[TurnOutcome]) {
    let step = 12.0;
    let width = (o.len().max(2) - 1) as f32 * step;
    let _ = write!(
        s,
        "<svg width='{}' height='62' role='img' aria-label='emotions per turn'>\
         <rect x='0' y='0' width='{}' height='62' fill='none' stroke='#ddd'/>",
        width + 2.0,
        width + 2.0
    );
    for (e, colour) in COLOURS.iter().enumerate() {
        let points: Vec<String> = o
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let y = 61.0 - t.emotions[e].clamp(0.0, 1.0) * 60.0;
                format!("{:.1},{y:.1}", 1.0 + i as f32 * step)
            })
            .collect();
        let _ = write!(
            s,
            "<polyline fill='none' stroke='{colour}' stroke-width='1.5' points='{}'/>",
            points.join(" ")
        );
    }
    s.push_str("</svg>");
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
        "<h3>{} <small>gold handoff: {} · misses: {}</small> ",
        esc(&c.conversation_id),
        g.handoff_turn.map_or("none".into(), |t| t.to_string()),
        misses
    );
    emotion_chart(s, o);
    s.push_str(
        "</h3><table><tr><th>idx<th>who<th>text<th>escalation<th>alert<th>gold<th>action<th>reasons",
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
            if is_handoff(out.action) {
                " ho"
            } else if out.action == "offer_handoff" {
                " of"
            } else {
                ""
            },
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
    for out in o {
        if let Some(context) = &out.handoff {
            agent_card(s, out.idx, context);
        }
    }
}

/// What the agent sees when they pick the handoff up: summary, details, why, and the opening line.
fn agent_card(s: &mut String, idx: i64, c: &HandoffContext) {
    let _ = write!(
        s,
        "<div class=card><b>Agent card</b> <small>handoff at turn {idx} · {} · {} · queue {} · \
         priority {:?} · {:.0} s since the first problem</small><dl><dt>Goal<dd>{}",
        esc(&c.language),
        format!("{:?}", c.channel).to_lowercase(),
        esc(&c.route.queue),
        c.priority,
        c.seconds_since_first_problem,
        esc(&c.summary.goal),
    );
    if !c.summary.tried.is_empty() {
        s.push_str("<dt>Tried<dd><ul>");
        for t in &c.summary.tried {
            let _ = write!(s, "<li>{}", esc(t));
        }
        s.push_str("</ul>");
    }
    let _ = write!(
        s,
        "<dt>Reason<dd>{}<dt>Opening<dd><i>{}</i>",
        esc(&c.summary.reason),
        esc(&c.summary.suggested_opening)
    );
    if !c.entities.is_empty() {
        s.push_str("<dt>Details<dd>");
        for e in &c.entities {
            let _ = write!(
                s,
                "<span class=ent>{}: <b>{}</b></span> ",
                esc(&e.kind),
                esc(&e.value)
            );
        }
    }
    s.push_str("<dt>Why<dd><ul>");
    for r in &c.reasons {
        let _ = write!(
            s,
            "<li>{} <small>{} · {:.2} · turns {}</small> {}",
            r.code.label(),
            esc(&r.detail),
            r.weight,
            esc(&r.turn_ids.join(", ")),
            esc(&r.matched.join(" | "))
        );
    }
    s.push_str("</ul></dl></div>");
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
