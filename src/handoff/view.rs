//! The handoff context as the agent reads it on their first screen: summary first, then the
//! entities, the mood, the transcript and what arrived while waiting. Plain text, so snapshot tests
//! and the README show exactly what an agent desk would render.

use crate::domain::{HandoffContext, Role};
use std::fmt::Write;

/// The agent's first screen for a handoff context.
pub fn render(c: &HandoffContext) -> String {
    let mut out = String::new();
    let seconds = c.seconds_since_first_problem.round() as i64;
    let _ = writeln!(
        out,
        "{} · {} · queue {} · priority {:?} · {}:{:02} min since the first problem",
        c.language,
        channel(c),
        c.route.queue,
        c.priority,
        seconds / 60,
        seconds % 60
    );
    if let Some(p) = &c.customer {
        let _ = writeln!(out, "customer {} ({:?})", p.customer_id, p.tier);
    }
    let _ = writeln!(out, "GOAL     {}", c.summary.goal);
    for (i, t) in c.summary.tried.iter().enumerate() {
        let _ = writeln!(out, "{} {t}", if i == 0 { "TRIED   " } else { "        " });
    }
    let _ = writeln!(out, "REASON   {}", c.summary.reason);
    let _ = writeln!(out, "OPENING  {}", c.summary.suggested_opening);
    for (i, e) in c.entities.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} {}: {} ({}, {})",
            if i == 0 { "DETAILS " } else { "        " },
            e.kind,
            e.value,
            e.turn_id,
            e.source
        );
    }
    for (i, (k, v)) in c.metadata.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} {k} = {v}",
            if i == 0 { "META    " } else { "        " }
        );
    }
    if let Some(peak) = &c.emotion_timeline.peak {
        let _ = writeln!(
            out,
            "MOOD     peak {:.2} at {}, now {:.2}",
            peak.negative, peak.turn_id, c.emotion_timeline.current
        );
    }
    for r in &c.reasons {
        let _ = writeln!(
            out,
            "WHY      {} {} {:.2} [{}] {:?}",
            r.code.label(),
            r.detail,
            r.weight,
            r.turn_ids.join(","),
            r.matched
        );
    }
    let _ = writeln!(out, "TRANSCRIPT");
    for t in &c.transcript {
        let waiting = c.waiting_turn_ids.contains(&t.turn_id);
        let _ = write!(
            out,
            "  {}{:<4} {:<8} {}",
            if waiting { "+" } else { " " },
            t.turn_id,
            role(t.role),
            t.text.replace('\n', " / ")
        );
        if !t.signals.is_empty() {
            let _ = write!(out, "  [{}]", t.signals.join(", "));
        }
        out.push('\n');
    }
    if !c.waiting_turn_ids.is_empty() {
        let _ = writeln!(out, "  (+ written while waiting for the agent)");
    }
    out
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Customer => "customer",
        Role::Bot => "bot",
        Role::Agent => "agent",
        Role::System => "system",
    }
}

fn channel(c: &HandoffContext) -> String {
    format!("{:?}", c.channel).to_lowercase()
}
