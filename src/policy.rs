//! Conversation state + assessment + tenant policy + the moment -> decision. Pure: no I/O, no clock.
//!
//! `memory::assess` keeps the conversation's emotional memory and recommends an escalation level;
//! `decide` turns that recommendation into an action for this tenant, this customer and this moment:
//!
//! 1. thresholds per score and reactions per reason (`offer`, `handoff`, `ignore`);
//! 2. high-stakes topics (from detection or from the bot's intent) react early and pick the queue;
//! 3. premium/VIP customers get a higher priority (and, if configured, a human earlier); routine
//!    intents stay with the bot unless it fails at them or the customer asks for a human;
//! 4. business hours and live queue status turn an unreachable handoff into a callback, a ticket or
//!    an honest word from the bot;
//! 5. shadow mode reports all of that as `shadow_action` and tells the bot to continue.
//!
//! With the built-in default policy, no queue status and no business hours, the memory's
//! recommendation maps straight through: `Handoff` -> HANDOFF, `Offer` -> OFFER_HANDOFF,
//! `None` -> CONTINUE; only the routine-intent rule moves it, and only when the bot's NLU names a
//! routine intent. The replayed scenarios keep their figures with it.

pub mod availability;
mod config;
pub mod hours;
pub mod memory;
mod reply;
mod route;

pub use availability::{Availability, QueueStatus};
pub use config::*;
pub use reply::{Voice, voice};

use crate::domain::{
    Action, Assessment, ConversationState, Decision, Escalation, Ownership, Priority, Reason,
    ReasonCode, Role, Route, Stake, Tier,
};
use reply::Occasion;
use std::collections::BTreeMap;

/// What policy decided for one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub decision: Decision,
    /// True when the decision opens a new handoff.
    pub opens_handoff: bool,
}

/// Everything `decide` needs besides the conversation: the tenant's policy and the moment.
#[derive(Debug, Clone, Copy)]
pub struct Moment<'a> {
    pub policy: &'a TenantPolicy,
    /// Unix ms; business hours are checked against it.
    pub now_ms: i64,
    /// The tenant's queues as routers last reported them.
    pub queues: &'a BTreeMap<String, QueueStatus>,
}

/// Decides the action for the conversation after this turn.
pub fn decide(state: &ConversationState, assessment: &Assessment, at: &Moment) -> Outcome {
    let policy = at.policy;
    let lang = state.language.unwrap_or_default();
    let mut decision = Decision {
        alert: assessment.alert,
        reasons: assessment.reasons.clone(),
        scores: assessment.scores,
        route: Route {
            queue: policy.queue.clone(),
            skills: vec![],
            language: lang.tag().to_string(),
        },
        ownership: state.ownership,
        bot_should_respond: state.ownership == Ownership::Bot,
        priority: Priority::Normal,
        ..Default::default()
    };
    if state.ownership != Ownership::Bot {
        decision.action = Action::StaySilent;
        return Outcome {
            decision,
            opens_handoff: false,
        };
    }
    let tier = state.customer.as_ref().map(|c| c.tier).unwrap_or_default();
    let intent = current_intent(state);
    let customer_turn = assessment.role == Role::Customer;
    let mut level = react(assessment.escalation, &assessment.reasons, policy);
    if customer_turn {
        level = level.max(thresholds(assessment, policy, &mut decision.reasons));
    }
    let platform_asked = human_intent(assessment, policy);
    let asked = platform_asked.is_some();
    if let Some(reason) = platform_asked {
        decision.reasons.insert(0, reason);
        level = Escalation::Handoff;
    }
    let stake = topic(assessment, policy, intent, &mut decision.reasons);
    if let Some(mode) = stake.and_then(|s| policy.stake(s)).and_then(|r| r.action) {
        level = level.max(escalation(mode));
    }
    let routine = intent.is_some_and(|i| policy.routine_intents.iter().any(|r| r == i))
        && stake.is_none()
        && !asked
        && !failing_or_asked(assessment);
    level = if routine {
        Escalation::None
    } else if customer_turn {
        by_tier(level, assessment.alert, tier, policy, &mut decision.reasons)
    } else {
        level
    };
    // Declined, or "it works now": no new offer for a while (requests and stakes still count).
    let memory = &state.memory;
    if level == Escalation::Offer
        && memory.settled_at > 0
        && memory.customer_turns <= memory.settled_at + policy.offer_cooldown_turns
    {
        level = Escalation::None;
    }
    decision.route = route::route(policy, assessment, stake, tier, lang.tag());
    if level != Escalation::None {
        decision.priority = route::priority(policy, assessment, stake, tier);
    }
    let mut action = match level {
        Escalation::None => Action::Continue,
        Escalation::Offer => Action::OfferHandoff,
        Escalation::Handoff => Action::Handoff,
    };
    let mut occasion = Occasion::Act(action);
    let mut wait = None;
    if matches!(action, Action::Handoff | Action::OfferHandoff) {
        let ttl_ms = i64::from(policy.status_ttl_seconds) * 1000;
        let status = at
            .queues
            .get(&decision.route.queue)
            .filter(|s| ttl_ms == 0 || at.now_ms - s.updated_ms <= ttl_ms);
        wait = status.map(|s| s.expected_wait_seconds);
        if let Some(why) = unavailable(policy, &decision.route.queue, status, at.now_ms) {
            decision.reasons.push(why);
            (action, occasion) = fall_back(policy.unavailable, action);
        }
    }
    if occasion != Occasion::Act(Action::Continue) {
        let voice = reply::voice(lang, state.recent.iter().map(|r| &**r));
        decision.suggested_reply =
            reply::reply(&policy.replies, voice, state.channel, occasion, wait);
    }
    if policy.shadow {
        decision.shadow = true;
        decision.shadow_action = Some(action);
        decision.suggested_reply.clear();
        action = Action::Continue;
    }
    decision.action = action;
    let opens_handoff = action.opens_handoff();
    if opens_handoff {
        decision.bot_should_respond = false;
        decision.ownership = Ownership::PendingHandoff;
    }
    Outcome {
        decision,
        opens_handoff,
    }
}

fn escalation(mode: Mode) -> Escalation {
    match mode {
        Mode::Ignore => Escalation::None,
        Mode::Offer => Escalation::Offer,
        Mode::Handoff => Escalation::Handoff,
    }
}

/// Applies the configured reaction per reason. Reasons without one keep the memory's level; the
/// strongest reaction wins. Nothing configured for any reason: the memory's level as is. Reasons
/// that only accompany others (the learned model's reading, the trend, the bot's failure just
/// before) never undo a configured reaction: `negative_emotion = "offer"` stays an offer.
fn react(level: Escalation, reasons: &[Reason], policy: &TenantPolicy) -> Escalation {
    if level == Escalation::None || reasons.is_empty() {
        return level;
    }
    let configured = |r: &Reason| policy.reasons.get(&r.code).copied();
    if !reasons.iter().any(|r| configured(r).is_some()) {
        return level;
    }
    let accompanies = |r: &Reason| {
        matches!(
            r.code,
            ReasonCode::LearnedModel | ReasonCode::EscalatingTrend
        ) || (r.code == ReasonCode::BotFallback && r.detail == "after_bot_failure")
    };
    reasons
        .iter()
        .filter_map(|r| match configured(r) {
            Some(mode) => Some(escalation(mode)),
            None if accompanies(r) => None,
            None => Some(level),
        })
        .max()
        .unwrap_or(level)
}

/// The platform says the customer asked for a human: the customer's NLU intent or the bot's
/// action is one of the tenant's `human_intents`.
fn human_intent(a: &Assessment, policy: &TenantPolicy) -> Option<Reason> {
    let (source, name) = match a.role {
        Role::Customer => ("nlu.intent", a.intent.as_str()),
        Role::Bot => ("bot.action", a.bot_action.as_str()),
        Role::Agent | Role::System => return None,
    };
    if name.is_empty()
        || !policy
            .human_intents
            .iter()
            .any(|i| i.eq_ignore_ascii_case(name))
    {
        return None;
    }
    Some(Reason {
        code: ReasonCode::ExplicitRequest,
        detail: if a.role == Role::Customer {
            "nlu_intent"
        } else {
            "bot_action"
        }
        .into(),
        weight: 1.0,
        turn_ids: vec![],
        matched: vec![format!("{source}:{name}")],
    })
}

/// The level the configured score thresholds reach; adds a reason for each one crossed.
fn thresholds(a: &Assessment, policy: &TenantPolicy, reasons: &mut Vec<Reason>) -> Escalation {
    let mut level = Escalation::None;
    for (&name, levels) in &policy.thresholds {
        let (score, code) = (name.of(&a.scores), name.reason());
        let reached = if levels.handoff.is_some_and(|t| score >= t) {
            Escalation::Handoff
        } else if levels.offer.is_some_and(|t| score >= t) {
            Escalation::Offer
        } else {
            continue;
        };
        level = level.max(reached);
        let name = name.label();
        if !reasons.iter().any(|r| r.code == code && r.detail == name) {
            reasons.push(Reason {
                code,
                detail: name.to_string(),
                weight: score,
                turn_ids: vec![],
                matched: vec![format!("{name} >= threshold")],
            });
        }
    }
    level
}

/// The high-stakes topic of the conversation: from detection's reasons, else from the bot's intent
/// (adding a reason so the agent sees why).
fn topic(
    a: &Assessment,
    policy: &TenantPolicy,
    intent: Option<&str>,
    reasons: &mut Vec<Reason>,
) -> Option<Stake> {
    let detected = a
        .reasons
        .iter()
        .filter(|r| r.code == ReasonCode::HighStakes)
        .find_map(|r| Stake::parse(&r.detail));
    if detected.is_some() {
        return detected;
    }
    let (intent, s) = intent.and_then(|i| policy.intent_stakes.get_key_value(i))?;
    reasons.push(Reason {
        code: ReasonCode::HighStakes,
        detail: s.label().to_string(),
        weight: 1.0,
        turn_ids: vec![],
        matched: vec![format!("nlu.intent:{intent}")],
    });
    Some(*s)
}

/// Premium and VIP customers reach a human sooner.
fn by_tier(
    level: Escalation,
    alert: bool,
    tier: Tier,
    policy: &TenantPolicy,
    reasons: &mut Vec<Reason>,
) -> Escalation {
    let Some(rule) = route::tier_rule(policy, tier) else {
        return level;
    };
    let mut next = level;
    if rule.offer_on_alert && alert && next == Escalation::None {
        next = Escalation::Offer;
    }
    if rule.promote_offer && next == Escalation::Offer {
        next = Escalation::Handoff;
    }
    if next != level {
        reasons.push(Reason {
            code: ReasonCode::Vip,
            detail: if tier == Tier::Vip { "vip" } else { "premium" }.into(),
            weight: 1.0,
            turn_ids: vec![],
            matched: vec![],
        });
    }
    next
}

/// The bot is failing (failure evidence now or accumulated) or the customer asked for a human.
fn failing_or_asked(a: &Assessment) -> bool {
    a.scores.failure > 0.0
        || a.reasons.iter().any(|r| {
            matches!(
                r.code,
                ReasonCode::ExplicitRequest
                    | ReasonCode::Repair
                    | ReasonCode::BotFallback
                    | ReasonCode::LowConfidence
                    | ReasonCode::ActionFailed
                    | ReasonCode::CustomerRepeat
                    | ReasonCode::BotLoop
            )
        })
}

/// The customer's latest recognised intent.
fn current_intent(state: &ConversationState) -> Option<&str> {
    state
        .recent
        .iter()
        .rev()
        .find(|r| r.role == Role::Customer && !r.intent.is_empty())
        .map(|r| r.intent.as_str())
}

/// Why no agent can take the conversation in this queue now, if so.
fn unavailable(
    policy: &TenantPolicy,
    queue: &str,
    status: Option<&QueueStatus>,
    now_ms: i64,
) -> Option<Reason> {
    let why = |code, detail: String| Reason {
        code,
        detail,
        weight: 1.0,
        turn_ids: vec![],
        matched: vec![],
    };
    if let Some(rule) = policy.queues.get(queue)
        && !hours::is_open(rule.time_zone, &rule.hours, now_ms)
    {
        return Some(why(ReasonCode::OutsideBusinessHours, queue.to_string()));
    }
    let s = status?;
    if !s.open {
        Some(why(
            ReasonCode::OutsideBusinessHours,
            format!("{queue} closed"),
        ))
    } else if s.agents_available == 0 {
        Some(why(
            ReasonCode::NoAgentAvailable,
            format!("{queue} no agents"),
        ))
    } else if policy.max_wait_seconds > 0 && s.expected_wait_seconds > policy.max_wait_seconds {
        Some(why(
            ReasonCode::NoAgentAvailable,
            format!("{queue} wait {}s", s.expected_wait_seconds),
        ))
    } else {
        None
    }
}

/// The action when nobody can take it. An offer never becomes a ticket unasked.
fn fall_back(fallback: Fallback, action: Action) -> (Action, Occasion) {
    match (fallback, action) {
        (Fallback::Callback, _) => (Action::OfferCallback, Occasion::Act(Action::OfferCallback)),
        (Fallback::Ticket, Action::Handoff) => {
            (Action::CreateTicket, Occasion::Act(Action::CreateTicket))
        }
        _ => (Action::Continue, Occasion::Stay),
    }
}

#[cfg(test)]
mod tests;
