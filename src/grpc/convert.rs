//! Protobuf <-> domain. Requests are validated here into domain types, naming the offending field;
//! nothing invalid reaches the engine.

use super::error::RequestError;
use crate::domain::{
    self as d, Action, BotFacts, Channel, CustomerProfile, Entity, Lang, Nlu, Ownership, Role,
    Tier, Turn,
};
use crate::pb;
use crate::state::Verdict;

/// Limits applied at the edge (see `config::LimitsConfig` for each one's reason).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_text_bytes: usize,
    pub max_id_bytes: usize,
    pub max_field_bytes: usize,
    pub max_value_bytes: usize,
    pub max_entries: usize,
    pub max_clock_skew_ms: i64,
    pub max_pending_turns_per_stream: usize,
    pub tenant_turns_per_second: f64,
    pub tenant_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&crate::config::LimitsConfig::default())
    }
}

impl From<&crate::config::LimitsConfig> for Limits {
    fn from(c: &crate::config::LimitsConfig) -> Self {
        Limits {
            max_text_bytes: c.max_text_bytes,
            max_id_bytes: c.max_id_bytes,
            max_field_bytes: c.max_field_bytes,
            max_value_bytes: c.max_value_bytes,
            max_entries: c.max_entries,
            max_clock_skew_ms: (c.max_clock_skew_seconds as i64).saturating_mul(1000),
            max_pending_turns_per_stream: c.max_pending_turns_per_stream,
            tenant_turns_per_second: c.tenant_turns_per_second,
            tenant_burst: c.tenant_burst,
        }
    }
}

/// Checks an optional string's size.
fn bounded(field: &str, value: &str, limit: usize) -> Result<(), RequestError> {
    if value.len() > limit {
        return Err(RequestError::TooLarge {
            field: field.to_string(),
            size: value.len(),
            limit,
        });
    }
    Ok(())
}

/// Checks a map or list's entry count and each key's and value's size.
fn entries<'a>(
    field: &str,
    items: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    limits: Limits,
) -> Result<(), RequestError> {
    if items.len() > limits.max_entries {
        return Err(RequestError::invalid(
            field,
            format!(
                "{} entries exceed the limit of {}",
                items.len(),
                limits.max_entries
            ),
        ));
    }
    for (key, value) in items {
        bounded(&format!("{field}[{key:.32}]"), key, limits.max_field_bytes)?;
        bounded(
            &format!("{field}[{key:.32}]"),
            value,
            limits.max_value_bytes,
        )?;
    }
    Ok(())
}

/// Checks a required id: non-empty, bounded, no control characters.
pub fn id(field: &str, value: &str, limits: Limits) -> Result<String, RequestError> {
    if value.trim().is_empty() {
        return Err(RequestError::invalid(field, "is required"));
    }
    if value.len() > limits.max_id_bytes {
        return Err(RequestError::TooLarge {
            field: field.to_string(),
            size: value.len(),
            limit: limits.max_id_bytes,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(RequestError::invalid(field, "contains control characters"));
    }
    Ok(value.to_string())
}

/// Validates a request turn into a domain `Turn`. `now_ms` stands in for a missing time.
pub fn turn(req: Option<pb::Turn>, limits: Limits, now_ms: i64) -> Result<Turn, RequestError> {
    let t = req.ok_or_else(|| RequestError::invalid("turn", "is required"))?;
    let tenant_id = id("turn.tenant_id", &t.tenant_id, limits)?;
    let conversation_id = id("turn.conversation_id", &t.conversation_id, limits)?;
    let turn_id = id("turn.turn_id", &t.turn_id, limits)?;
    if t.sequence == Some(0) {
        return Err(RequestError::invalid("turn.sequence", "starts at 1"));
    }
    let role = match pb::Role::try_from(t.role) {
        Ok(pb::Role::Customer) => Role::Customer,
        Ok(pb::Role::Bot) => Role::Bot,
        Ok(pb::Role::Agent) => Role::Agent,
        Ok(pb::Role::System) => Role::System,
        Ok(pb::Role::Unspecified) => return Err(RequestError::invalid("turn.role", "is required")),
        Err(_) => {
            return Err(RequestError::invalid(
                "turn.role",
                format!("unknown value {}", t.role),
            ));
        }
    };
    if t.text.trim().is_empty() {
        return Err(RequestError::invalid("turn.text", "is empty"));
    }
    if t.text.len() > limits.max_text_bytes {
        return Err(RequestError::TooLarge {
            field: "turn.text".into(),
            size: t.text.len(),
            limit: limits.max_text_bytes,
        });
    }
    let channel = channel(t.channel)?;
    let time_ms = match t.time {
        Some(ts) => {
            if !(0..1_000_000_000).contains(&ts.nanos)
                || !(0..=i64::MAX / 1000 - 1).contains(&ts.seconds)
            {
                return Err(RequestError::invalid(
                    "turn.time",
                    "is not a valid timestamp",
                ));
            }
            let ms = ts.seconds * 1000 + i64::from(ts.nanos) / 1_000_000;
            if limits.max_clock_skew_ms > 0 && (ms - now_ms).abs() > limits.max_clock_skew_ms {
                return Err(RequestError::invalid(
                    "turn.time",
                    format!(
                        "is {} s from the server's clock; at most limits.max_clock_skew_seconds = {} s",
                        (ms - now_ms).abs() / 1000,
                        limits.max_clock_skew_ms / 1000
                    ),
                ));
            }
            ms
        }
        None => now_ms,
    };
    bounded("turn.language", &t.language, limits.max_field_bytes)?;
    entries(
        "turn.metadata",
        t.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        limits,
    )?;
    if let Some(b) = &t.bot {
        bounded("turn.bot.action", &b.action, limits.max_field_bytes)?;
    }
    if let Some(c) = &t.customer {
        bounded(
            "turn.customer.customer_id",
            &c.customer_id,
            limits.max_field_bytes,
        )?;
        entries(
            "turn.customer.attributes",
            c.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            limits,
        )?;
    }
    if let Some(n) = &t.nlu {
        bounded("turn.nlu.intent", &n.intent, limits.max_field_bytes)?;
        entries(
            "turn.nlu.entities",
            n.entities
                .iter()
                .map(|e| (e.name.as_str(), e.value.as_str())),
            limits,
        )?;
    }
    let nlu = match t.nlu {
        Some(n) => {
            if let Some(c) = n.confidence
                && !(0.0..=1.0).contains(&c)
            {
                return Err(RequestError::invalid(
                    "turn.nlu.confidence",
                    "must be between 0 and 1",
                ));
            }
            Some(Nlu {
                intent: n.intent,
                confidence: n.confidence,
                fallback: n.fallback,
                entities: n
                    .entities
                    .into_iter()
                    .map(|e| Entity {
                        name: e.name,
                        value: e.value,
                    })
                    .collect(),
            })
        }
        None => None,
    };
    let customer = match t.customer {
        Some(c) => Some(CustomerProfile {
            customer_id: c.customer_id,
            tier: tier(c.tier)?,
            attributes: c.attributes.into_iter().collect(),
        }),
        None => None,
    };
    Ok(Turn {
        tenant_id,
        conversation_id,
        turn_id,
        sequence: t.sequence,
        role,
        text: t.text,
        time_ms,
        language_hint: Lang::from_hint(&t.language),
        channel,
        nlu,
        bot: t.bot.map(|b| BotFacts {
            fallback: b.fallback,
            action: b.action,
            action_failed: b.action_failed,
        }),
        customer,
        metadata: t.metadata.into_iter().collect(),
    })
}

fn channel(v: i32) -> Result<Channel, RequestError> {
    Ok(match pb::Channel::try_from(v) {
        Ok(pb::Channel::Unspecified) => Channel::Unspecified,
        Ok(pb::Channel::Webchat) => Channel::Webchat,
        Ok(pb::Channel::App) => Channel::App,
        Ok(pb::Channel::Whatsapp) => Channel::Whatsapp,
        Ok(pb::Channel::Sms) => Channel::Sms,
        Ok(pb::Channel::Email) => Channel::Email,
        Ok(pb::Channel::Voice) => Channel::Voice,
        Ok(pb::Channel::Social) => Channel::Social,
        Ok(pb::Channel::Other) => Channel::Other,
        Err(_) => {
            return Err(RequestError::invalid(
                "turn.channel",
                format!("unknown value {v}"),
            ));
        }
    })
}

fn tier(v: i32) -> Result<Tier, RequestError> {
    Ok(match pb::CustomerTier::try_from(v) {
        Ok(pb::CustomerTier::Unspecified | pb::CustomerTier::Standard) => Tier::Standard,
        Ok(pb::CustomerTier::Premium) => Tier::Premium,
        Ok(pb::CustomerTier::Vip) => Tier::Vip,
        Err(_) => {
            return Err(RequestError::invalid(
                "turn.customer.tier",
                format!("unknown value {v}"),
            ));
        }
    })
}

pub fn handoff_status(v: i32) -> Result<d::HandoffStatus, RequestError> {
    match pb::HandoffStatus::try_from(v) {
        Ok(pb::HandoffStatus::Accepted) => Ok(d::HandoffStatus::Accepted),
        Ok(pb::HandoffStatus::Failed) => Ok(d::HandoffStatus::Failed),
        Ok(pb::HandoffStatus::Completed) => Ok(d::HandoffStatus::Completed),
        Ok(pb::HandoffStatus::Returned) => Ok(d::HandoffStatus::Returned),
        Ok(pb::HandoffStatus::Unspecified) => Err(RequestError::invalid("status", "is required")),
        Err(_) => Err(RequestError::invalid(
            "status",
            format!("unknown value {v}"),
        )),
    }
}

pub fn verdict(v: i32) -> Result<Verdict, RequestError> {
    match pb::Verdict::try_from(v) {
        Ok(pb::Verdict::Unspecified) => Ok(Verdict::Unknown),
        Ok(pb::Verdict::Needed) => Ok(Verdict::Needed),
        Ok(pb::Verdict::NotNeeded) => Ok(Verdict::NotNeeded),
        Ok(pb::Verdict::TooLate) => Ok(Verdict::TooLate),
        Err(_) => Err(RequestError::invalid(
            "verdict",
            format!("unknown value {v}"),
        )),
    }
}

// ------------------------------------------------------------------------------------------
// domain -> protobuf

pub fn action(a: Action) -> pb::Action {
    match a {
        Action::Continue => pb::Action::Continue,
        Action::OfferHandoff => pb::Action::OfferHandoff,
        Action::Handoff => pb::Action::Handoff,
        Action::OfferCallback => pb::Action::OfferCallback,
        Action::CreateTicket => pb::Action::CreateTicket,
        Action::StaySilent => pb::Action::StaySilent,
    }
}

pub fn ownership(o: Ownership) -> pb::Ownership {
    match o {
        Ownership::Bot => pb::Ownership::Bot,
        Ownership::PendingHandoff => pb::Ownership::PendingHandoff,
        Ownership::Agent => pb::Ownership::Agent,
    }
}

fn role(r: Role) -> pb::Role {
    match r {
        Role::Customer => pb::Role::Customer,
        Role::Bot => pb::Role::Bot,
        Role::Agent => pb::Role::Agent,
        Role::System => pb::Role::System,
    }
}

fn channel_out(c: Channel) -> pb::Channel {
    match c {
        Channel::Unspecified => pb::Channel::Unspecified,
        Channel::Webchat => pb::Channel::Webchat,
        Channel::App => pb::Channel::App,
        Channel::Whatsapp => pb::Channel::Whatsapp,
        Channel::Sms => pb::Channel::Sms,
        Channel::Email => pb::Channel::Email,
        Channel::Voice => pb::Channel::Voice,
        Channel::Social => pb::Channel::Social,
        Channel::Other => pb::Channel::Other,
    }
}

fn tier_out(t: Tier) -> pb::CustomerTier {
    match t {
        Tier::Standard => pb::CustomerTier::Standard,
        Tier::Premium => pb::CustomerTier::Premium,
        Tier::Vip => pb::CustomerTier::Vip,
    }
}

pub fn priority(p: d::Priority) -> pb::Priority {
    match p {
        d::Priority::Low => pb::Priority::Low,
        d::Priority::Normal => pb::Priority::Normal,
        d::Priority::High => pb::Priority::High,
        d::Priority::Urgent => pb::Priority::Urgent,
    }
}

pub fn reason_code(c: d::ReasonCode) -> pb::ReasonCode {
    use d::ReasonCode as R;
    match c {
        R::ExplicitRequest => pb::ReasonCode::ExplicitRequest,
        R::NegativeEmotion => pb::ReasonCode::NegativeEmotion,
        R::Abuse => pb::ReasonCode::Abuse,
        R::Repair => pb::ReasonCode::Repair,
        R::BotFallback => pb::ReasonCode::BotFallback,
        R::LowConfidence => pb::ReasonCode::LowConfidence,
        R::ActionFailed => pb::ReasonCode::ActionFailed,
        R::CustomerRepeat => pb::ReasonCode::CustomerRepeat,
        R::BotLoop => pb::ReasonCode::BotLoop,
        R::HighStakes => pb::ReasonCode::HighStakes,
        R::Urgency => pb::ReasonCode::Urgency,
        R::EscalatingTrend => pb::ReasonCode::EscalatingTrend,
        R::Vip => pb::ReasonCode::Vip,
        R::NoAgentAvailable => pb::ReasonCode::NoAgentAvailable,
        R::OutsideBusinessHours => pb::ReasonCode::OutsideBusinessHours,
        R::LearnedModel => pb::ReasonCode::LearnedModel,
    }
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

fn reason(r: &d::Reason) -> pb::Reason {
    pb::Reason {
        code: reason_code(r.code) as i32,
        detail: r.detail.clone(),
        weight: r.weight,
        turn_ids: r.turn_ids.clone(),
        matched: r.matched.clone(),
    }
}

pub fn scores(s: &d::Scores) -> pb::Scores {
    pb::Scores {
        frustration: s.frustration,
        anger: s.anger,
        anxiety: s.anxiety,
        sadness: s.sadness,
        urgency: s.urgency,
        positive: s.positive,
        failure: s.failure,
        escalation: s.escalation,
        peak_negative: s.peak_negative,
        trend: s.trend,
        failure_count: s.failure_count,
    }
}

pub fn route(r: &d::Route) -> pb::Route {
    pb::Route {
        queue: r.queue.clone(),
        skills: r.skills.clone(),
        language: r.language.clone(),
    }
}

pub fn transcript_turn(t: &d::TranscriptTurn) -> pb::TranscriptTurn {
    pb::TranscriptTurn {
        turn_id: t.turn_id.clone(),
        role: role(t.role) as i32,
        text: t.text.clone(),
        time: Some(timestamp(t.time_ms)),
        signals: t.signals.clone(),
        intent: t.intent.clone(),
    }
}

fn customer(c: &CustomerProfile) -> pb::CustomerProfile {
    pb::CustomerProfile {
        customer_id: c.customer_id.clone(),
        tier: tier_out(c.tier) as i32,
        attributes: c
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

fn point(p: &d::EmotionPoint) -> pb::EmotionPoint {
    pb::EmotionPoint {
        turn_id: p.turn_id.clone(),
        negative: p.negative,
        escalation: p.escalation,
    }
}

pub fn context(c: &d::HandoffContext) -> pb::HandoffContext {
    pb::HandoffContext {
        transcript: c.transcript.iter().map(transcript_turn).collect(),
        reasons: c.reasons.iter().map(reason).collect(),
        summary: Some(pb::Summary {
            goal: c.summary.goal.clone(),
            tried: c.summary.tried.clone(),
            reason: c.summary.reason.clone(),
            suggested_opening: c.summary.suggested_opening.clone(),
        }),
        entities: c
            .entities
            .iter()
            .map(|e| pb::CollectedEntity {
                kind: e.kind.clone(),
                value: e.value.clone(),
                turn_id: e.turn_id.clone(),
                source: e.source.clone(),
            })
            .collect(),
        emotion_timeline: Some(pb::EmotionTimeline {
            points: c.emotion_timeline.points.iter().map(point).collect(),
            peak: c.emotion_timeline.peak.as_ref().map(point),
            current: c.emotion_timeline.current,
        }),
        customer: c.customer.as_ref().map(customer),
        channel: channel_out(c.channel) as i32,
        language: c.language.clone(),
        seconds_since_first_problem: c.seconds_since_first_problem,
        route: Some(route(&c.route)),
        priority: priority(c.priority) as i32,
        metadata: c
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        waiting_turn_ids: c.waiting_turn_ids.clone(),
    }
}

pub fn decision(d: &d::Decision) -> pb::Decision {
    pb::Decision {
        action: action(d.action) as i32,
        alert: d.alert,
        reasons: d.reasons.iter().map(reason).collect(),
        scores: Some(scores(&d.scores)),
        priority: priority(d.priority) as i32,
        route: Some(route(&d.route)),
        suggested_reply: d.suggested_reply.clone(),
        bot_should_respond: d.bot_should_respond,
        handoff: d.handoff.as_ref().map(|h| pb::Handoff {
            handoff_id: h.handoff_id.clone(),
            context: h.context.as_deref().map(context),
        }),
        ownership: ownership(d.ownership) as i32,
        shadow: d.shadow,
        shadow_action: d.shadow_action.map(|a| action(a) as i32).unwrap_or(0),
        sequence: d.sequence,
        duplicate: d.duplicate,
    }
}

pub fn event(e: &d::HandoffEvent) -> pb::HandoffEvent {
    pb::HandoffEvent {
        event_id: e.event_id.clone(),
        handoff_id: e.handoff_id.clone(),
        tenant_id: e.tenant_id.clone(),
        conversation_id: e.conversation_id.clone(),
        action: action(e.action) as i32,
        route: Some(route(&e.route)),
        priority: priority(e.priority) as i32,
        context: Some(context(&e.context)),
        created: Some(timestamp(e.created_ms)),
        redeliveries: e.redeliveries,
        kind: match e.kind {
            d::HandoffEventKind::Opened => pb::HandoffEventKind::Opened,
            d::HandoffEventKind::Updated => pb::HandoffEventKind::Updated,
        } as i32,
    }
}

pub fn quality_row(r: &crate::state::QualityRow) -> pb::DecisionQualityRow {
    let verdicts = r.verdict_needed + r.verdict_not_needed;
    pb::DecisionQualityRow {
        tenant_id: r.tenant_id.clone(),
        reason: reason_label(&r.reason) as i32,
        handoffs: r.handoffs,
        outcomes: r.outcomes,
        resolved: r.resolved,
        verdict_needed: r.verdict_needed,
        verdict_not_needed: r.verdict_not_needed,
        verdict_too_late: r.verdict_too_late,
        precision: if verdicts == 0 {
            0.0
        } else {
            r.verdict_needed as f64 / verdicts as f64
        },
        mean_satisfaction: if r.satisfaction_count == 0 {
            0.0
        } else {
            r.satisfaction_sum as f64 / r.satisfaction_count as f64
        },
        mean_seconds_to_handoff: if r.handoffs == 0 {
            0.0
        } else {
            r.seconds_to_handoff_sum / r.handoffs as f64
        },
        language: r.language.clone(),
        channel: serde_json::from_value(serde_json::Value::String(r.channel.clone()))
            .map_or(pb::Channel::Unspecified, channel_out) as i32,
        queue: r.queue.clone(),
    }
}

/// `GetDecisionQualityRequest.group_by`.
pub fn quality_dimension(v: i32) -> Result<crate::state::quality::Dimension, RequestError> {
    use crate::state::quality::Dimension;
    Ok(match pb::QualityDimension::try_from(v) {
        Ok(pb::QualityDimension::Unspecified | pb::QualityDimension::Reason) => Dimension::Reason,
        Ok(pb::QualityDimension::Language) => Dimension::Language,
        Ok(pb::QualityDimension::Channel) => Dimension::Channel,
        Ok(pb::QualityDimension::Queue) => Dimension::Queue,
        Err(_) => {
            return Err(RequestError::invalid(
                "group_by",
                format!("unknown value {v}"),
            ));
        }
    })
}

fn reason_label(label: &str) -> pb::ReasonCode {
    d::ReasonCode::parse(label).map_or(pb::ReasonCode::Unspecified, reason_code)
}

/// A router's report on one queue.
pub fn queue_status(q: &pb::QueueStatus, now_ms: i64) -> crate::policy::QueueStatus {
    crate::policy::QueueStatus {
        agents_available: q.agents_available,
        expected_wait_seconds: q.expected_wait_seconds,
        open: !q.closed,
        updated_ms: now_ms,
    }
}
