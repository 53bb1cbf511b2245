//! The gold labels of the eval format, read by `eval` only (never by the replay itself).

use serde::Deserialize;

#[derive(Deserialize)]
struct RawGold {
    conversation_id: String,
    #[serde(default)]
    gold_handoff_turn: Option<i64>,
    turns: Vec<RawGoldTurn>,
}

#[derive(Deserialize)]
struct RawGoldTurn {
    idx: i64,
    role: String,
    #[serde(default)]
    escalate: Option<bool>,
}

/// What a human said should happen in one conversation.
#[derive(Debug, Clone)]
pub struct Gold {
    pub conversation_id: String,
    /// First turn idx where a human should take over.
    pub handoff_turn: Option<i64>,
    /// (idx, is a user turn, escalate) for every turn.
    pub turns: Vec<(i64, bool, Option<bool>)>,
}

pub fn parse(line: &str) -> Result<Gold, serde_json::Error> {
    let raw: RawGold = serde_json::from_str(line)?;
    Ok(Gold {
        conversation_id: raw.conversation_id,
        handoff_turn: raw.gold_handoff_turn,
        turns: raw
            .turns
            .into_iter()
            .map(|t| (t.idx, t.role == "user" || t.role == "customer", t.escalate))
            .collect(),
    })
}
