//! Conversation state + signals + tenant policy -> decision. Pure: no I/O.
//!
//! `memory::assess` keeps the conversation's emotional memory and recommends an escalation level;
//! `decide` turns that recommendation into an action for this tenant, customer and moment.

pub mod memory;

use crate::domain::{
    Action, Assessment, ConversationState, Decision, Escalation, Ownership, Priority, Route,
};

/// What policy decided for one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub decision: Decision,
    /// True when the decision opens a new handoff.
    pub opens_handoff: bool,
}

/// Decides the action for the conversation after this turn.
pub fn decide(state: &ConversationState, assessment: &Assessment) -> Outcome {
    let language = state.language.map(|l| l.tag()).unwrap_or("en").to_string();
    let mut decision = Decision {
        alert: assessment.alert,
        reasons: assessment.reasons.clone(),
        scores: assessment.scores,
        route: Route {
            queue: "default".into(),
            skills: vec![],
            language,
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
    decision.action = match assessment.escalation {
        Escalation::None => Action::Continue,
        Escalation::Offer => Action::OfferHandoff,
        Escalation::Handoff => Action::Handoff,
    };
    let opens_handoff = decision.action.opens_handoff();
    if opens_handoff {
        decision.bot_should_respond = false;
        decision.ownership = Ownership::PendingHandoff;
    }
    Outcome {
        decision,
        opens_handoff,
    }
}

/// Per-tenant policy as configured (`[policy]` in the TOML file); the policy issue extends it.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {}

impl PolicyConfig {
    /// Checks values serde cannot; the error names the key below `policy.`.
    pub fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
