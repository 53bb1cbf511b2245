//! Policy as data: the `[policy]` section of the TOML file, compiled into a `Policy` per tenant.
//!
//! `[policy.default]` applies to every tenant; `[policy.tenants.NAME]` is merged over it key by key
//! (tables merge, values and lists replace), so a tenant only names what differs.

use super::hours::{Window, Zone};
pub use super::reply::{Replies, ReplySet};
use crate::domain::{Priority, ReasonCode, Score, Stake};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The `[policy]` section as written. Kept as TOML tables so tenants can inherit from the default;
/// `compile` turns it into typed, validated `Policy`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Seconds between checks of the config file for changes (0: reload on SIGHUP only).
    pub watch_seconds: u64,
    /// The policy of every tenant not named below, and the base the named ones are merged over.
    pub default: toml::Table,
    /// Per-tenant differences from `default`.
    pub tenants: BTreeMap<String, toml::Table>,
}

impl PolicyConfig {
    /// Checks values serde cannot; the error names the key below `policy.`.
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.compile().map(|_| ())
    }

    /// Merges every tenant over the default and validates the result.
    pub fn compile(&self) -> Result<Policy, PolicyError> {
        let mut base = builtin();
        merge(&mut base, &self.default);
        let default = tenant_policy(&base, "default").map_err(PolicyError)?;
        let mut tenants = HashMap::new();
        for (name, table) in &self.tenants {
            let mut merged = base.clone();
            merge(&mut merged, table);
            let policy = tenant_policy(&merged, &format!("tenants.{name}")).map_err(PolicyError)?;
            tenants.insert(name.clone(), policy);
        }
        Ok(Policy { default, tenants })
    }
}

/// A policy the service refuses: the key at fault below `policy.` and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy.{0}")]
pub struct PolicyError(String);

/// Built-in values of nested tables, merged under `[policy.default]` so that setting one key of a
/// tier keeps the others; taken from `Tiers::default`, their one home.
fn builtin() -> toml::Table {
    let tier = |rule: &TierRule| {
        toml::Table::from_iter([(
            "priority_boost".to_string(),
            toml::Value::Integer(rule.priority_boost.into()),
        )])
    };
    let defaults = Tiers::default();
    let tiers = toml::Table::from_iter([
        (
            "premium".to_string(),
            toml::Value::Table(tier(&defaults.premium)),
        ),
        ("vip".to_string(), toml::Value::Table(tier(&defaults.vip))),
    ]);
    toml::Table::from_iter([("tiers".to_string(), toml::Value::Table(tiers))])
}

fn tenant_policy(table: &toml::Table, key: &str) -> Result<TenantPolicy, String> {
    check_names(table).map_err(|e| format!("{key}.{e}"))?;
    let policy: TenantPolicy = toml::Value::Table(table.clone())
        .try_into()
        .map_err(|e: toml::de::Error| format!("{key}: {}", e.message().trim()))?;
    policy.validate().map_err(|e| format!("{key}.{e}"))?;
    Ok(policy)
}

/// The tables keyed by a closed vocabulary name an unknown key by its path (serde would only say
/// "unknown variant").
fn check_names(table: &toml::Table) -> Result<(), String> {
    let keys = |name: &str| {
        table
            .get(name)
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.keys())
    };
    if let Some(name) = keys("thresholds").find(|k| Score::parse(k).is_none()) {
        return Err(format!(
            "thresholds.{name}: unknown score; expected one of {}",
            Score::labels()
        ));
    }
    if let Some(name) = keys("reasons").find(|k| ReasonCode::parse(k).is_none()) {
        return Err(format!(
            "reasons.{name}: unknown reason code; expected one of {}",
            ReasonCode::labels()
        ));
    }
    if let Some(name) = keys("stakes").find(|k| Stake::parse(k).is_none()) {
        return Err(format!(
            "stakes.{name}: unknown high-stakes topic; expected one of {}",
            Stake::labels()
        ));
    }
    Ok(())
}

/// Deep merge: tables merge recursively, everything else in `over` replaces.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The compiled policy of every tenant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub default: TenantPolicy,
    pub tenants: HashMap<String, TenantPolicy>,
}

impl Policy {
    /// The policy that applies to a tenant.
    pub fn tenant(&self, tenant_id: &str) -> &TenantPolicy {
        self.tenants.get(tenant_id).unwrap_or(&self.default)
    }
}

/// The live policy, shared by the engine and the reload task. Readers never block: a reload swaps
/// the whole `Policy` at once, and turns in flight finish with the one they loaded.
#[derive(Clone, Default)]
pub struct PolicyHandle(Arc<arc_swap::ArcSwap<Policy>>);

impl PolicyHandle {
    pub fn new(policy: Policy) -> Self {
        PolicyHandle(Arc::new(arc_swap::ArcSwap::from_pointee(policy)))
    }

    /// Compiles the configured policy; fails with the key at fault.
    pub fn from_config(config: &PolicyConfig) -> Result<Self, PolicyError> {
        config.compile().map(Self::new)
    }

    /// The current policy (a cheap snapshot).
    pub fn load(&self) -> Arc<Policy> {
        self.0.load_full()
    }

    /// Replaces the policy for every turn that starts from now on.
    pub fn store(&self, policy: Policy) {
        self.0.store(Arc::new(policy));
    }
}

/// How strongly to react to something: not at all, offer a human, or hand off at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Ignore,
    Offer,
    Handoff,
}

/// What happens when the conversation should go to a human but none can take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Offer a callback (`OFFER_CALLBACK`); the context travels with it.
    #[default]
    Callback,
    /// Create a ticket with the context (`CREATE_TICKET`).
    Ticket,
    /// Stay with the bot and say honestly that nobody is available (`CONTINUE`).
    Stay,
}

/// How much PII the handoff context shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redaction {
    /// Everything as the customer wrote it.
    None,
    /// PII masked in the transcript; entities stay available as structured fields.
    #[default]
    Transcript,
    /// PII masked everywhere, entities included.
    All,
}

/// One tenant's policy. Every field has a default, so `[policy.default]` may be empty.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantPolicy {
    /// Decide and report `shadow_action`, but tell the bot to continue and open no handoff.
    pub shadow: bool,
    /// PII masking in the handoff context.
    pub redaction: Redaction,
    /// The queue when nothing more specific applies.
    pub queue: String,
    /// Per score (`frustration`, `anger`, `anxiety`, `sadness`, `urgency`, `escalation`): the level at
    /// which it alone offers a human or hands off. Empty: the emotional memory decides.
    pub thresholds: BTreeMap<Score, Levels>,
    /// Per reason code (`explicit_request`, `negative_emotion`, ...): how to react when the memory
    /// escalates for it. Unnamed reasons keep the memory's recommendation.
    pub reasons: BTreeMap<ReasonCode, Mode>,
    /// Intents the bot handles well: they stay with the bot unless it fails at them (an explicit
    /// request or a high-stakes topic still goes to a human).
    pub routine_intents: Vec<String>,
    /// NLU intent -> high-stakes topic, for bots that already recognise these topics.
    pub intent_stakes: BTreeMap<String, Stake>,
    /// Per high-stakes topic: how early and where it goes.
    pub stakes: BTreeMap<Stake, StakeRule>,
    pub tiers: Tiers,
    /// Business hours per queue; a queue not named here is always open.
    pub queues: BTreeMap<String, QueueRule>,
    /// What to do when no agent can take the conversation.
    pub unavailable: Fallback,
    /// A pushed expected wait above this counts as unavailable (0: no limit).
    pub max_wait_seconds: u32,
    /// A queue status older than this is ignored, as if never pushed (0: statuses never expire).
    pub status_ttl_seconds: u32,
    /// Suggested bot replies overriding the built-in ones.
    pub replies: Replies,
    /// What the agent's summary calls an NLU intent, per language (`en`, `de`): intent -> name. An
    /// intent without a name here never shows; the customer's own words do.
    pub intent_names: BTreeMap<String, BTreeMap<String, String>>,
    /// The agent's suggested first line per voice (`en`, `de_sie`, `de_du`) and situation (see
    /// `OPENING_SITUATIONS`), overriding the built-in line.
    pub openings: BTreeMap<String, BTreeMap<String, String>>,
    /// NLU intents (of customer turns) and bot actions that mean "the customer asked for a
    /// human": honoured like a request in words.
    pub human_intents: Vec<String>,
    /// Hard bot failures (fallbacks, failed actions, loops) before a human is offered (0: never
    /// on failures alone) and before one takes over.
    pub failures: FailureLevels,
    /// After the customer declines an offer or says it works now, no new offer for this many
    /// customer turns (a request, a high stake or a handoff still goes through).
    pub offer_cooldown_turns: u32,
    /// This tenant's turn rate limit, overriding `limits.tenant_turns_per_second` and
    /// `limits.tenant_burst` (enforced at the edge, not by the decision).
    pub rate: TenantRate,
}

/// `rate.turns_per_second` and `rate.burst` of a tenant; unset: the `limits.tenant_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantRate {
    /// Turns per second refilled into the tenant's bucket (0: no limit).
    pub turns_per_second: Option<f64>,
    /// Turns the bucket holds: a burst this large passes at once.
    pub burst: Option<u32>,
}

/// How many hard bot failures lead to an offer and to a handoff.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FailureLevels {
    pub offer: u32,
    pub handoff: u32,
}

impl Default for FailureLevels {
    fn default() -> Self {
        FailureLevels {
            offer: 0,
            handoff: 2,
        }
    }
}

/// The situations an opening line is chosen by (`openings.VOICE.SITUATION`).
pub const OPENING_SITUATIONS: [&str; 7] = [
    "bereavement",
    "fraud",
    "repeat_contact",
    "anger",
    "advice",
    "failed_task",
    "default",
];

impl Default for TenantPolicy {
    fn default() -> Self {
        TenantPolicy {
            shadow: false,
            redaction: Redaction::default(),
            queue: "default".into(),
            thresholds: BTreeMap::new(),
            reasons: BTreeMap::new(),
            routine_intents: [
                "password_reset",
                "reset_password",
                "order_tracking",
                "track_order",
                "opening_hours",
                "store_hours",
                "delivery_status",
            ]
            .map(String::from)
            .to_vec(),
            intent_stakes: BTreeMap::new(),
            stakes: BTreeMap::new(),
            tiers: Tiers::default(),
            queues: BTreeMap::new(),
            unavailable: Fallback::default(),
            max_wait_seconds: 0,
            status_ttl_seconds: 0,
            replies: Replies::default(),
            intent_names: BTreeMap::new(),
            openings: BTreeMap::new(),
            human_intents: [
                "talk_to_agent",
                "talk_to_human",
                "human_handoff",
                "live_agent",
                "request_human",
                "request_agent",
                "speak_to_agent",
                "speak_to_human",
                "agent_request",
                "handoff_to_agent",
                "transfer_to_agent",
                "human_agent",
                "escalate_to_agent",
                "request_callback",
            ]
            .map(String::from)
            .to_vec(),
            failures: FailureLevels::default(),
            offer_cooldown_turns: 3,
            rate: TenantRate::default(),
        }
    }
}

impl TenantPolicy {
    fn validate(&self) -> Result<(), String> {
        if self
            .rate
            .turns_per_second
            .is_some_and(|r| !r.is_finite() || r < 0.0)
        {
            return Err("rate.turns_per_second: must be 0 or more".into());
        }
        if self.rate.burst == Some(0) {
            return Err("rate.burst: must be greater than 0".into());
        }
        if self.queue.trim().is_empty() {
            return Err("queue: must not be empty".into());
        }
        for (score, levels) in &self.thresholds {
            let name = score.label();
            for (which, v) in [("offer", levels.offer), ("handoff", levels.handoff)] {
                if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                    return Err(format!(
                        "thresholds.{name}.{which}: must be between 0 and 1"
                    ));
                }
            }
            if let (Some(o), Some(h)) = (levels.offer, levels.handoff)
                && o > h
            {
                return Err(format!("thresholds.{name}.offer: must not exceed handoff"));
            }
        }
        for (stake, rule) in &self.stakes {
            let name = stake.label();
            if rule.queue.as_ref().is_some_and(|q| q.trim().is_empty()) {
                return Err(format!("stakes.{name}.queue: must not be empty"));
            }
        }
        for (name, tier) in [("premium", &self.tiers.premium), ("vip", &self.tiers.vip)] {
            if tier.queue.as_ref().is_some_and(|q| q.trim().is_empty()) {
                return Err(format!("tiers.{name}.queue: must not be empty"));
            }
            if tier.priority_boost > 3 {
                return Err(format!("tiers.{name}.priority_boost: must be 0..3"));
            }
        }
        if self.failures.handoff == 0 {
            return Err("failures.handoff: must be at least 1".into());
        }
        if self.failures.offer > 0 && self.failures.offer > self.failures.handoff {
            return Err("failures.offer: must not exceed failures.handoff".into());
        }
        for (lang, names) in &self.intent_names {
            if !["en", "de"].contains(&lang.as_str()) {
                return Err(format!(
                    "intent_names.{lang}: unknown language; expected en or de"
                ));
            }
            if let Some((intent, _)) = names.iter().find(|(_, n)| n.trim().is_empty()) {
                return Err(format!("intent_names.{lang}.{intent}: must not be empty"));
            }
        }
        for (voice, lines) in &self.openings {
            if !["en", "de_sie", "de_du"].contains(&voice.as_str()) {
                return Err(format!(
                    "openings.{voice}: unknown voice; expected en, de_sie or de_du"
                ));
            }
            for (situation, line) in lines {
                if !OPENING_SITUATIONS.contains(&situation.as_str()) {
                    return Err(format!(
                        "openings.{voice}.{situation}: unknown situation; expected one of {}",
                        OPENING_SITUATIONS.join(", ")
                    ));
                }
                if line.trim().is_empty() {
                    return Err(format!("openings.{voice}.{situation}: must not be empty"));
                }
            }
        }
        self.replies.validate().map_err(|e| format!("replies.{e}"))
    }

    /// The memory's tuning for this tenant.
    pub fn tuning(&self) -> super::memory::Tuning {
        super::memory::Tuning {
            failures_before_offer: self.failures.offer,
            failures_before_handoff: self.failures.handoff,
        }
    }

    /// The rule for a stake, if configured.
    pub fn stake(&self, stake: Stake) -> Option<&StakeRule> {
        self.stakes.get(&stake)
    }
}

/// A score's two trigger levels, 0..1 each.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Levels {
    pub offer: Option<f32>,
    pub handoff: Option<f32>,
}

/// How one high-stakes topic is treated.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StakeRule {
    /// React as soon as the topic comes up (unset: the emotional memory decides).
    pub action: Option<Mode>,
    /// The queue that handles the topic.
    pub queue: Option<String>,
    /// The least priority a handoff on this topic gets.
    pub priority: Option<Priority>,
    /// Extra skills the agent needs.
    pub skills: Vec<String>,
}

/// Rules per customer tier. By default premium and VIP customers only get a higher priority (a
/// shorter wait in the queue); `promote_offer` and `offer_on_alert` bring them to a human earlier.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tiers {
    pub premium: TierRule,
    pub vip: TierRule,
}

impl Default for Tiers {
    fn default() -> Self {
        Tiers {
            premium: TierRule {
                promote_offer: false,
                offer_on_alert: false,
                priority_boost: 1,
                queue: None,
            },
            vip: TierRule {
                promote_offer: false,
                offer_on_alert: false,
                priority_boost: 2,
                queue: None,
            },
        }
    }
}

/// How a tier reaches a human sooner.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TierRule {
    /// An offer of a human becomes a direct handoff.
    pub promote_offer: bool,
    /// Any problem turn offers a human, even before the memory recommends it.
    pub offer_on_alert: bool,
    /// Priority steps added to a handoff (0..3).
    pub priority_boost: u8,
    /// A dedicated queue for this tier.
    pub queue: Option<String>,
}

/// Business hours of one queue.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueRule {
    /// IANA time zone of `hours` ("Europe/Berlin"); UTC when absent.
    pub time_zone: Zone,
    /// Opening windows like "mon-fri 08:00-18:00" or "sat 09:00-13:00"; empty: always open.
    pub hours: Vec<Window>,
}
