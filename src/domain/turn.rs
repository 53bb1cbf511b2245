//! One validated conversation turn.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Customer,
    Bot,
    Agent,
    System,
}

/// A language the detector has lexicons for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    De,
    #[default]
    En,
}

impl Lang {
    /// The BCP 47 tag used on the wire and in routes.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// Parses a BCP 47 hint ("de", "de-CH", "en_GB"); `None` for other or empty hints.
    pub fn from_hint(hint: &str) -> Option<Lang> {
        let primary = hint
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "de" | "gsw" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The channel the customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Unspecified,
    Webchat,
    App,
    Whatsapp,
    Sms,
    Email,
    Voice,
    Social,
    Other,
}

/// The customer's service tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Standard,
    Premium,
    Vip,
}

/// The bot's understanding of a customer turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Nlu {
    pub intent: String,
    /// 0..1; `None` when the bot did not say.
    pub confidence: Option<f32>,
    /// The NLU matched no intent.
    pub fallback: bool,
    pub entities: Vec<Entity>,
}

/// A named value the bot's NLU extracted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Entity {
    pub name: String,
    pub value: String,
}

/// Facts about a bot turn.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BotFacts {
    /// The bot answered with a fallback reply.
    pub fallback: bool,
    /// The action the bot ran, if any.
    pub action: String,
    /// The action failed.
    pub action_failed: bool,
}

/// Who the customer is, as far as the bot platform knows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub customer_id: String,
    pub tier: Tier,
    pub attributes: BTreeMap<String, String>,
}

/// One turn of a conversation, validated at the edge (`grpc::convert`, `replay`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Turn {
    pub tenant_id: String,
    pub conversation_id: String,
    /// The idempotency key.
    pub turn_id: String,
    /// Optional 1-based position in the conversation, checked for gaps.
    pub sequence: Option<u64>,
    pub role: Role,
    pub text: String,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// The caller's language hint, if it named one we know.
    pub language_hint: Option<Lang>,
    pub channel: Channel,
    pub nlu: Option<Nlu>,
    pub bot: Option<BotFacts>,
    pub customer: Option<CustomerProfile>,
    pub metadata: BTreeMap<String, String>,
}

impl Turn {
    /// A content fingerprint: the same turn id with a different fingerprint is a conflicting replay.
    /// FNV-1a over the fields that define the turn (not the receive time), stable across processes.
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        eat(self.turn_id.as_bytes());
        eat(&[self.role as u8]);
        eat(self.text.as_bytes());
        eat(&self.sequence.unwrap_or(0).to_le_bytes());
        if let Some(nlu) = &self.nlu {
            eat(nlu.intent.as_bytes());
            eat(&[u8::from(nlu.fallback)]);
        }
        if let Some(bot) = &self.bot {
            eat(bot.action.as_bytes());
            eat(&[u8::from(bot.fallback), u8::from(bot.action_failed)]);
        }
        h
    }
}
