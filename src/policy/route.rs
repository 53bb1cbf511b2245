//! Where a handoff goes and how urgent it is: queue, skills, language and priority from reason,
//! topic, intensity, tier and stakes.

use super::config::TenantPolicy;
use crate::domain::{Assessment, Priority, ReasonCode, Route, Stake, Tier};

/// The route for this conversation.
pub fn route(
    policy: &TenantPolicy,
    assessment: &Assessment,
    stake: Option<Stake>,
    tier: Tier,
    language: &str,
) -> Route {
    let rule = stake.and_then(|s| policy.stake(s));
    let tier_rule = tier_rule(policy, tier);
    let queue = rule
        .and_then(|r| r.queue.clone())
        .or_else(|| tier_rule.and_then(|t| t.queue.clone()))
        .unwrap_or_else(|| policy.queue.clone());
    let mut skills: Vec<String> = Vec::new();
    if let Some(s) = stake {
        skills.push(s.label().to_string());
    }
    if let Some(r) = rule {
        skills.extend(r.skills.iter().cloned());
    }
    let heated = assessment
        .reasons
        .iter()
        .any(|r| matches!(r.code, ReasonCode::NegativeEmotion | ReasonCode::Abuse))
        || intensity(assessment) >= 0.6;
    if heated {
        skills.push("deescalation".into());
    }
    if tier == Tier::Vip {
        skills.push("vip".into());
    }
    skills.dedup();
    Route {
        queue,
        skills,
        language: language.to_string(),
    }
}

/// The priority of a handoff.
pub fn priority(
    policy: &TenantPolicy,
    assessment: &Assessment,
    stake: Option<Stake>,
    tier: Tier,
) -> Priority {
    let mut p = Priority::Normal;
    if let Some(s) = stake {
        let floor = policy.stake(s).and_then(|r| r.priority).unwrap_or(match s {
            s if s.is_grave() => Priority::High,
            _ => Priority::Normal,
        });
        p = p.max(floor);
    }
    if intensity(assessment) >= 0.8 || assessment.scores.urgency >= 0.7 {
        p = p.max(Priority::High);
    }
    let boost = tier_rule(policy, tier).map_or(0, |t| t.priority_boost);
    (0..boost).fold(p, |p, _| step_up(p))
}

fn step_up(p: Priority) -> Priority {
    match p {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

/// How intense the moment is: the conversation's escalation or this turn's strongest emotion.
fn intensity(a: &Assessment) -> f32 {
    let s = &a.scores;
    s.escalation
        .max(s.frustration)
        .max(s.anger)
        .max(s.anxiety)
        .max(s.sadness)
}

pub fn tier_rule(policy: &TenantPolicy, tier: Tier) -> Option<&super::config::TierRule> {
    match tier {
        Tier::Standard => None,
        Tier::Premium => Some(&policy.tiers.premium),
        Tier::Vip => Some(&policy.tiers.vip),
    }
}
