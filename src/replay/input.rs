//! Reading conversations in the eval JSONL format into domain turns. Only the fields a bot platform
//! would send are read: gold labels (`escalate`, `gold_*`, `labels`, `note`, `dialogue_labels`,
//! `split`) are not even declared here, so serde skips them.

use crate::domain::{BotFacts, Channel, CustomerProfile, Lang, Nlu, Role, Tier, Turn};
use serde::Deserialize;

/// Seconds between synthesized turn times (the data has none).
pub const TURN_SPACING_MS: i64 = 10_000;
/// Synthesized start time of every conversation (`test --now` sets another).
pub const START_MS: i64 = 1_700_000_000_000;
/// The tenant a conversation is replayed as when it names none.
pub const DEFAULT_TENANT: &str = "replay";
/// The roles a turn may have, as written in the files.
pub const ROLES: &str = "user, customer, bot, agent, system";

/// Why a line is not a conversation. The caller adds the file and line number.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(
        "conversation {conversation_id} turn {idx}: unknown role {role:?} (expected one of {ROLES})"
    )]
    UnknownRole {
        conversation_id: String,
        idx: i64,
        role: String,
    },
}

#[derive(Deserialize)]
struct RawConversation {
    conversation_id: String,
    /// The tenant whose policy applies (`[policy.tenants.NAME]`); default `replay`.
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    customer: Option<RawCustomer>,
    turns: Vec<RawTurn>,
}

#[derive(Deserialize)]
struct RawCustomer {
    #[serde(default)]
    tier: Option<String>,
}

#[derive(Deserialize)]
struct RawTurn {
    idx: i64,
    role: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    nlu: Option<RawNlu>,
    #[serde(default)]
    bot: Option<RawBot>,
}

#[derive(Deserialize)]
struct RawNlu {
    #[serde(default)]
    intent: String,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    fallback: bool,
}

#[derive(Deserialize)]
struct RawBot {
    #[serde(default)]
    fallback: bool,
    #[serde(default)]
    action: String,
    #[serde(default)]
    action_failed: bool,
}

/// One conversation ready to replay.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub conversation_id: String,
    pub source: Option<String>,
    /// The turns, with `turn_id` = the line's `idx`.
    pub turns: Vec<Turn>,
}

/// Parses one JSONL line; turns are timed from the synthesized start.
pub fn parse(line: &str) -> Result<Conversation, InputError> {
    parse_at(line, START_MS)
}

/// Parses one JSONL line with the first turn at `start_ms` and the next ones 10 s apart.
pub fn parse_at(line: &str, start_ms: i64) -> Result<Conversation, InputError> {
    let raw: RawConversation = serde_json::from_str(line)?;
    let tenant_id = raw
        .tenant_id
        .clone()
        .unwrap_or_else(|| DEFAULT_TENANT.to_string());
    let language = raw.language.as_deref().and_then(Lang::from_hint);
    let channel = raw.channel.as_deref().map_or(Channel::Unspecified, channel);
    let customer = raw.customer.map(|c| CustomerProfile {
        tier: match c.tier.as_deref() {
            Some("vip") => Tier::Vip,
            Some("premium") => Tier::Premium,
            _ => Tier::Standard,
        },
        ..Default::default()
    });
    let mut turns = Vec::with_capacity(raw.turns.len());
    for (i, t) in raw.turns.into_iter().enumerate() {
        let role = match t.role.as_str() {
            "user" | "customer" => Role::Customer,
            "bot" => Role::Bot,
            "agent" => Role::Agent,
            "system" => Role::System,
            _ => {
                return Err(InputError::UnknownRole {
                    conversation_id: raw.conversation_id,
                    idx: t.idx,
                    role: t.role,
                });
            }
        };
        turns.push(Turn {
            tenant_id: tenant_id.clone(),
            conversation_id: raw.conversation_id.clone(),
            turn_id: t.idx.to_string(),
            sequence: None,
            role,
            text: t.text,
            time_ms: start_ms + i as i64 * TURN_SPACING_MS,
            language_hint: language,
            channel,
            nlu: t.nlu.map(|n| Nlu {
                intent: n.intent,
                confidence: n.confidence,
                fallback: n.fallback,
                entities: vec![],
            }),
            bot: t.bot.map(|b| BotFacts {
                fallback: b.fallback,
                action: b.action,
                action_failed: b.action_failed,
            }),
            customer: customer.clone(),
            metadata: Default::default(),
        });
    }
    Ok(Conversation {
        conversation_id: raw.conversation_id,
        source: raw.source,
        turns,
    })
}

fn channel(name: &str) -> Channel {
    match name {
        "webchat" | "web" => Channel::Webchat,
        "app" => Channel::App,
        "whatsapp" => Channel::Whatsapp,
        "sms" => Channel::Sms,
        "email" => Channel::Email,
        "voice" | "phone" => Channel::Voice,
        "social" => Channel::Social,
        _ => Channel::Other,
    }
}
