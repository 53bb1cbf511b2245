//! The conversation's emotional memory in the spirit of the peak-end rule.
//!
//! Every customer turn adds its heat (negative emotion, corrections, recurring problems, high
//! stakes, and how the bot's last reply failed) to a decaying conversation score. Hard bot failures
//! (fallbacks, failed actions, loops) accumulate separately. The recommendation rises at once when
//! the evidence is strong, so a human takes over before the negative peak becomes the memory, and
//! falls only after the score has cooled well below the threshold (hysteresis).

use crate::detect::bot::OFF_TOPIC;
use crate::domain::{
    Assessment, Escalation, Memory, Reason, ReasonCode, Role, Scores, SignalKind, Signals, Stake,
    Turn,
};

/// Share of the conversation score carried from one customer turn to the next.
const CARRY: f32 = 0.5;
/// Conversation score from which a human is offered / takes over.
const OFFER_AT: f32 = 0.45;
const HANDOFF_AT: f32 = 0.8;
/// How far below a threshold the score must fall before the level drops (hysteresis).
const COOL_BY: f32 = 0.2;
/// Turn heat from which a customer turn is flagged as showing a problem (without a model reading).
const ALERT_AT: f32 = 0.38;
/// Anger that flags a customer turn even when the learned model does not.
const STRONG_ANGER: f32 = 0.8;
/// Customer turns showing a problem before the score alone may hand off: one mild turn offers at
/// most; a handoff on the score needs accumulated evidence.
const PROBLEM_TURNS_FOR_HANDOFF: u32 = 2;
/// Heat of the turn that hands off on the accumulated score: a mild turn offers at most.
const TRIGGER_HEAT: f32 = 0.5;
/// A turn this intense (fury, open sarcasm) may hand off on its own.
const INTENSE: f32 = 0.8;
/// Bot failure strength that counts as a hard failure.
const HARD_FAILURE: f32 = 0.8;
/// Recent incoherence from which the bot's replies are flagged: a bot that has just ignored the
/// customer is likely to keep losing the thread.
const INCOHERENT_AT: f32 = 0.2;
/// Shortest reply flagged that way (one-word acknowledgements are rarely breakdowns).
const LOST_THREAD_MIN_WORDS: usize = 3;

/// The tenant's settings the memory needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Hard bot failures before a human is offered (0: not on failures alone).
    pub failures_before_offer: u32,
    /// Hard bot failures before a human takes over.
    pub failures_before_handoff: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            failures_before_offer: 0,
            failures_before_handoff: 2,
        }
    }
}

/// Updates the memory with one turn's signals and recommends an escalation level, with the
/// default tuning.
pub fn assess(memory: &mut Memory, turn: &Turn, signals: &Signals) -> Assessment {
    assess_with(memory, turn, signals, Tuning::default())
}

/// Updates the memory with one turn's signals and recommends an escalation level.
pub fn assess_with(
    memory: &mut Memory,
    turn: &Turn,
    signals: &Signals,
    tuning: Tuning,
) -> Assessment {
    let mut a = match turn.role {
        Role::Bot => bot_turn(memory, turn, signals),
        Role::Customer => customer_turn(memory, turn, signals, tuning),
        Role::Agent | Role::System => Assessment {
            scores: scores(memory, signals),
            ..Default::default()
        },
    };
    a.role = turn.role;
    if let Some(nlu) = &turn.nlu {
        a.intent.clone_from(&nlu.intent);
    }
    if let Some(bot) = &turn.bot {
        a.bot_action.clone_from(&bot.action);
    }
    a
}

/// A bot turn changes what the customer's next turn means; the decision waits for the customer.
fn bot_turn(memory: &mut Memory, turn: &Turn, signals: &Signals) -> Assessment {
    let failure = signals.failure;
    let off_topic = signals.hits.iter().any(|h| h.matched == OFF_TOPIC);
    memory.incoherence = 0.7 * memory.incoherence + if off_topic { 0.3 } else { 0.0 };
    let lost_thread = memory.incoherence >= INCOHERENT_AT
        && turn.text.split_whitespace().count() >= LOST_THREAD_MIN_WORDS;
    memory.pending_failure = failure;
    memory.pending_turn.clone_from(&turn.turn_id);
    // An offer stands for the customer's next turn when the bot makes it (or relays ours).
    memory.offer_pending = signals.has(SignalKind::BotOffer);
    let mut reasons = Vec::new();
    if failure >= HARD_FAILURE {
        memory.failures += 1.0;
        memory.failure_count += 1;
        memory.first_problem_ms.get_or_insert(turn.time_ms);
        if let Some(h) = signals
            .hits
            .iter()
            .filter(|h| h.kind.is_failure())
            .max_by(|a, b| a.weight.total_cmp(&b.weight))
        {
            reasons.push(reason(
                failure_code(h.kind),
                h.kind.label(),
                h.weight,
                turn,
                &h.matched,
            ));
        }
    }
    // A bot turn is a problem when it fails by its own account, or when it loses the thread: the
    // learned model's reading where it has one, else the incoherence rule.
    let lost_thread = signals.learned.map_or(lost_thread, |l| l.alert);
    learned_reason(&mut reasons, signals, turn, "bot_reply");
    Assessment {
        alert: failure >= 0.5 || lost_thread,
        escalation: Escalation::None,
        reasons,
        scores: scores(memory, signals),
        ..Default::default()
    }
}

fn customer_turn(
    memory: &mut Memory,
    turn: &Turn,
    signals: &Signals,
    tuning: Tuning,
) -> Assessment {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut must = Escalation::None;
    memory.customer_turns += 1;
    let offer_pending = std::mem::take(&mut memory.offer_pending);
    if offer_pending && let Some(h) = signals.strongest(SignalKind::Affirm) {
        // A short yes to the offer of a human is a request for one.
        reasons.push(reason(
            ReasonCode::ExplicitRequest,
            "accepted_offer",
            1.0,
            turn,
            &h.matched,
        ));
        must = Escalation::Handoff;
    } else if offer_pending && signals.has(SignalKind::Decline) {
        // Declined: carry on with the bot, and do not ask again at once.
        memory.settled_at = memory.customer_turns;
        memory.level = Escalation::None;
        memory.escalation *= 0.5;
    }
    let strongest = |kinds: &[SignalKind]| {
        signals
            .hits
            .iter()
            .filter(|h| kinds.contains(&h.kind))
            .max_by(|a, b| a.weight.total_cmp(&b.weight))
    };
    let negative = signals.emotion.negative();
    let positive = signals.emotion.positive;
    let repair = strongest(&[SignalKind::Repair, SignalKind::CustomerRepeat]);
    let again = strongest(&[SignalKind::RepeatComplaint]);
    let stake = signals
        .hits
        .iter()
        .filter(|h| matches!(h.kind, SignalKind::HighStakes(_)))
        .max_by(|a, b| a.weight.total_cmp(&b.weight));
    let pending = std::mem::take(&mut memory.pending_failure);
    let pending_turn = std::mem::take(&mut memory.pending_turn);
    // The customer's reaction says how the bot's last reply went: corrected ("that's not what I
    // asked", "das weiß ich doch", a "no" to "did that help?") it failed, even when the bot did
    // not know; otherwise a reply that did not fail lets failures fade.
    let corrected = !pending_turn.is_empty()
        && pending < HARD_FAILURE
        && repair.is_some_and(|h| match h.kind {
            SignalKind::Repair => h.weight >= 0.7,
            // Restating the same request: the reply did not address it.
            SignalKind::CustomerRepeat => h.weight >= 0.4,
            _ => false,
        });
    if corrected {
        memory.failures += 1.0;
        memory.failure_count += 1;
    } else if !pending_turn.is_empty() && pending < 0.3 {
        memory.failures = (memory.failures - 0.5).max(0.0);
    }

    if let Some(h) = signals.strongest(SignalKind::ExplicitRequest)
        && must != Escalation::Handoff
    {
        reasons.push(reason(
            ReasonCode::ExplicitRequest,
            "human",
            1.0,
            turn,
            &h.matched,
        ));
        must = Escalation::Handoff;
    }
    if let Some(h) = strongest(&[SignalKind::Abuse])
        && h.weight >= 0.75
    {
        reasons.push(reason(
            ReasonCode::Abuse,
            "abuse",
            h.weight,
            turn,
            &h.matched,
        ));
        must = Escalation::Handoff;
    }
    if let Some(h) = stake {
        let SignalKind::HighStakes(s) = h.kind else {
            unreachable!()
        };
        if (s.is_grave() && h.weight >= 0.8) || h.weight >= 0.9 {
            must = Escalation::Handoff;
        }
        // The stake persists (raised before and again now) or two stakes meet (a large sum and
        // a request for advice): a human should take over.
        let raised_before = memory
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::HighStakes);
        let kinds = signals
            .hits
            .iter()
            .filter(|x| matches!(x.kind, SignalKind::HighStakes(_)) && x.weight >= 0.4)
            .map(|x| x.kind)
            .fold(Vec::new(), |mut v, k| {
                if !v.contains(&k) {
                    v.push(k);
                }
                v
            });
        if h.weight >= 0.5 && (raised_before || kinds.len() >= 2) {
            must = Escalation::Handoff;
        }
        // Two separate pieces of evidence for one grave or retention topic in one turn: leaving
        // with its reason ("20 years a customer" + "I'm switching"), a caller pushing money out
        // ("a man on the phone" + "have to transfer"), a login the customer disowns ("login
        // alert" + "never been there").
        if matches!(
            s,
            Stake::Churn | Stake::Fraud | Stake::Vulnerable | Stake::Legal
        ) && h.weight >= 0.6
            && distinct_evidence(signals, SignalKind::HighStakes(s)) >= 2
        {
            must = Escalation::Handoff;
        }
        if h.weight >= 0.5 {
            reasons.push(reason(
                ReasonCode::HighStakes,
                s.label(),
                h.weight,
                turn,
                &h.matched,
            ));
        }
    }

    // The heat of this turn: independent kinds of evidence combine as a noisy-or.
    let stake_w = stake.map_or(0.0, |h| h.weight);
    let heat = 1.0
        - [
            negative,
            0.55 * repair.map_or(0.0, |h| h.weight),
            0.8 * again.map_or(0.0, |h| h.weight),
            0.4 * stake_w,
            0.35 * pending,
        ]
        .iter()
        .fold(1.0, |acc, w| acc * (1.0 - w));
    let heat = (heat - 0.35 * positive * (1.0 - negative)).max(0.0);

    let previous = memory.smoothed;
    memory.smoothed = 0.5 * memory.smoothed + 0.5 * negative;
    memory.trend = memory.smoothed - previous;
    if negative > memory.peak_negative {
        memory.peak_negative = negative;
        memory.peak_turn.clone_from(&turn.turn_id);
    }
    memory.escalation = (CARRY * memory.escalation + heat).min(1.0);
    if positive >= 0.5 && negative < 0.2 && signals.failure < 0.3 {
        // Thanks after a fix: the ending is good, the failures are forgiven, and no offer follows.
        memory.escalation *= 0.5;
        memory.failures = 0.0;
        memory.settled_at = memory.customer_turns;
    }
    // The learned model weighs this turn's words, the bot's reply before it and the rule evidence
    // together; where it has no reading, the rules' heat decides. Strong evidence aimed at the
    // service alerts whatever the model says, since its training chats rarely contain such turns:
    // the problem recurs ("the third time nothing works!"), the customer is furious, or upset right
    // after the bot failed. Many negative words alone do not: a film review is full of them.
    let directed = again.is_some_and(|h| h.weight >= 0.7)
        || signals.emotion.anger >= STRONG_ANGER
        || (pending >= 0.5 && heat >= ALERT_AT);
    let problem = signals.learned.map_or(heat >= ALERT_AT, |l| l.alert) || directed;
    let alert = problem || must > Escalation::None;
    if alert {
        memory.first_problem_ms.get_or_insert(turn.time_ms);
        memory.problem_turns += 1;
    }

    explain(&mut reasons, signals, turn, pending, &pending_turn);
    learned_reason(&mut reasons, signals, turn, "customer_turn");
    let failures = memory.failures;
    let (offer_at, handoff_at) = (
        tuning.failures_before_offer as f32,
        tuning.failures_before_handoff as f32,
    );
    if failures >= handoff_at || (offer_at > 0.0 && failures >= offer_at) {
        must = must.max(if failures >= handoff_at {
            Escalation::Handoff
        } else {
            Escalation::Offer
        });
        reasons.push(reason(
            ReasonCode::BotFallback,
            "repeated_failure",
            1.0,
            turn,
            &format!("{failures} failed bot turns"),
        ));
    }
    let by_score = if memory.escalation >= HANDOFF_AT
        && ((memory.problem_turns >= PROBLEM_TURNS_FOR_HANDOFF && heat >= TRIGGER_HEAT)
            || intense(
                signals,
                memory.customer_turns > 1 && !pending_turn.is_empty(),
            )) {
        Escalation::Handoff
    } else if memory.escalation >= OFFER_AT {
        Escalation::Offer
    } else {
        Escalation::None
    };
    let held = hold(memory);
    let level = must.max(by_score).max(held);
    if level != memory.level {
        memory.turns_at_level = 0;
    } else {
        memory.turns_at_level += 1;
    }
    memory.level = level;
    if memory.escalation >= OFFER_AT && memory.trend > 0.15 {
        reasons.push(reason(
            ReasonCode::EscalatingTrend,
            "trend",
            memory.trend,
            turn,
            "",
        ));
    }
    reasons.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    remember(memory, &reasons);
    Assessment {
        alert,
        escalation: level,
        reasons,
        scores: scores(memory, signals),
        ..Default::default()
    }
}

/// Pieces of evidence of one kind (weight 0.6 or more) that are not the same words matched twice.
fn distinct_evidence(signals: &Signals, kind: SignalKind) -> usize {
    let hits: Vec<&str> = signals
        .hits
        .iter()
        .filter(|x| x.kind == kind && x.weight >= 0.6)
        .map(|x| x.matched.as_str())
        .collect();
    hits.iter()
        .enumerate()
        .filter(|&(i, a)| !hits[..i].iter().any(|b| a.contains(b) || b.contains(a)))
        .count()
}

/// One piece of evidence this strong (fury, open sarcasm, abuse) may hand off on its own, but not
/// several mild words together. Strong fear or urgency counts only once the bot has answered and
/// the customer is still afraid (the bot could not resolve it); in the opening turn the bot may
/// well solve it.
fn intense(signals: &Signals, after_reply: bool) -> bool {
    signals.hits.iter().any(|h| {
        h.weight >= INTENSE
            && match h.kind {
                SignalKind::Anger
                | SignalKind::Frustration
                | SignalKind::Sarcasm
                | SignalKind::Abuse => true,
                SignalKind::Anxiety | SignalKind::Urgency => after_reply,
                _ => false,
            }
    })
}

/// Hysteresis: an offer stands for at least one more customer turn, then until the score cools
/// `COOL_BY` below the offer threshold.
fn hold(memory: &Memory) -> Escalation {
    let cooled = memory.escalation < OFFER_AT - COOL_BY && memory.turns_at_level >= 1;
    match memory.level {
        Escalation::Offer | Escalation::Handoff if !cooled => Escalation::Offer,
        _ => Escalation::None,
    }
}

/// Reasons for the emotional and failure evidence of a customer turn.
fn explain(
    reasons: &mut Vec<Reason>,
    signals: &Signals,
    turn: &Turn,
    pending: f32,
    pending_turn: &str,
) {
    for h in &signals.hits {
        let code = match h.kind {
            SignalKind::Frustration
            | SignalKind::Anger
            | SignalKind::Anxiety
            | SignalKind::Sadness
            | SignalKind::Sarcasm => ReasonCode::NegativeEmotion,
            SignalKind::Urgency => ReasonCode::Urgency,
            SignalKind::Abuse if h.weight < 0.75 => ReasonCode::Abuse,
            SignalKind::Repair | SignalKind::RepeatComplaint => ReasonCode::Repair,
            SignalKind::CustomerRepeat => ReasonCode::CustomerRepeat,
            SignalKind::BotFallback => ReasonCode::BotFallback,
            SignalKind::LowConfidence => ReasonCode::LowConfidence,
            _ => continue,
        };
        if h.weight < 0.3 {
            continue;
        }
        match reasons.iter_mut().find(|r| r.code == code) {
            Some(r) => {
                r.matched.push(h.matched.clone());
                r.weight = r.weight.max(h.weight);
            }
            None => reasons.push(reason(code, h.kind.label(), h.weight, turn, &h.matched)),
        }
    }
    if pending >= 0.5 && !pending_turn.is_empty() {
        let mut r = reason(
            ReasonCode::BotFallback,
            "after_bot_failure",
            pending,
            turn,
            "",
        );
        r.turn_ids.insert(0, pending_turn.to_string());
        r.matched.clear();
        reasons.push(r);
    }
}

/// The model's reading as evidence when it flags the turn, so an alert always names its grounds.
fn learned_reason(reasons: &mut Vec<Reason>, signals: &Signals, turn: &Turn, detail: &str) {
    if let Some(l) = signals.learned.filter(|l| l.alert) {
        let mut r = reason(ReasonCode::LearnedModel, detail, l.p, turn, "");
        r.matched = l
            .evidence
            .iter()
            .flatten()
            .filter_map(|&(s, e)| turn.text.get(s as usize..e as usize))
            .map(str::to_string)
            .collect();
        reasons.push(r);
    }
}

/// Keeps the strongest reason per code for the handoff context.
fn remember(memory: &mut Memory, reasons: &[Reason]) {
    for r in reasons {
        match memory.reasons.iter_mut().find(|m| m.code == r.code) {
            Some(m) if m.weight >= r.weight => {}
            Some(m) => *m = r.clone(),
            None => memory.reasons.push(r.clone()),
        }
    }
}

fn failure_code(kind: SignalKind) -> ReasonCode {
    match kind {
        SignalKind::ActionFailed => ReasonCode::ActionFailed,
        SignalKind::BotLoop => ReasonCode::BotLoop,
        SignalKind::LowConfidence => ReasonCode::LowConfidence,
        SignalKind::CustomerRepeat => ReasonCode::CustomerRepeat,
        SignalKind::Repair | SignalKind::RepeatComplaint => ReasonCode::Repair,
        _ => ReasonCode::BotFallback,
    }
}

fn scores(memory: &Memory, signals: &Signals) -> Scores {
    let e = signals.emotion;
    Scores {
        frustration: e.frustration,
        anger: e.anger,
        anxiety: e.anxiety,
        sadness: e.sadness,
        urgency: e.urgency,
        positive: e.positive,
        failure: signals.failure,
        escalation: memory.escalation,
        peak_negative: memory.peak_negative,
        trend: memory.trend,
        failure_count: memory.failure_count,
    }
}

fn reason(code: ReasonCode, detail: &str, weight: f32, turn: &Turn, matched: &str) -> Reason {
    Reason {
        code,
        detail: detail.to_string(),
        weight,
        turn_ids: vec![turn.turn_id.clone()],
        matched: if matched.is_empty() {
            vec![]
        } else {
            vec![matched.to_string()]
        },
    }
}

/// After a handoff ends and the bot owns the conversation again, start from a calm memory so the
/// same old evidence does not hand off again at once; the peak is kept for the record.
pub fn reset_after_handoff(memory: &mut Memory) {
    memory.escalation = 0.0;
    memory.smoothed = 0.0;
    memory.trend = 0.0;
    memory.failures = 0.0;
    memory.level = Escalation::None;
    memory.turns_at_level = 0;
    memory.reasons.clear();
    memory.pending_failure = 0.0;
    memory.pending_turn.clear();
    memory.incoherence = 0.0;
    memory.offer_pending = false;
    memory.problem_turns = 0;
    memory.settled_at = memory.customer_turns;
}

#[cfg(test)]
mod tests;
