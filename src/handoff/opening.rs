//! The agent's suggested first line: chosen by the situation, in the customer's language and
//! register, worded for the channel (voice: "told"/"gesagt"; written channels: "wrote"/
//! "geschrieben"), overridable per tenant (`openings.VOICE.SITUATION`).

use crate::domain::{AttemptKind, Channel, ConversationState, Decision, ReasonCode, Role, Stake};
use crate::policy::{OPENING_SITUATIONS, Voice};
use std::collections::BTreeMap;

/// What the agent walks into, most delicate first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Situation {
    /// Someone close to the customer died: condolences first.
    Bereavement,
    /// Fraud or a security incident: reassurance and the first safety step.
    Fraud,
    /// The customer says it is happening again: an apology for having to come back.
    RepeatContact,
    /// Anger or abuse: acknowledge before solving.
    Anger,
    /// A large purchase or financial advice: an expert's framing.
    Advice,
    /// The bot failed at the task (a failed action, fallbacks, loops, misunderstandings).
    FailedTask,
    Default,
}

impl Situation {
    /// The key under `openings.VOICE` (one of `policy::OPENING_SITUATIONS`).
    pub fn label(self) -> &'static str {
        let i = match self {
            Situation::Bereavement => 0,
            Situation::Fraud => 1,
            Situation::RepeatContact => 2,
            Situation::Anger => 3,
            Situation::Advice => 4,
            Situation::FailedTask => 5,
            Situation::Default => 6,
        };
        OPENING_SITUATIONS[i]
    }
}

/// The situation of a conversation handed off with `decision`.
pub fn situation(state: &ConversationState, decision: &Decision) -> Situation {
    let customer = || state.recent.iter().filter(|r| r.role == Role::Customer);
    let stakes: Vec<Stake> = decision
        .reasons
        .iter()
        .filter(|r| r.code == ReasonCode::HighStakes)
        .filter_map(|r| Stake::parse(&r.detail))
        .chain(customer().flat_map(|r| r.signals.iter().filter_map(|s| Stake::parse(s))))
        .collect();
    let has = |s: Stake| stakes.contains(&s);
    let said = |label: &str| customer().any(|r| r.signals.iter().any(|s| s == label));
    let reason = |code: ReasonCode| decision.reasons.iter().any(|r| r.code == code);
    let angry = reason(ReasonCode::Abuse)
        || said("anger")
        || said("abuse")
        || decision.scores.anger >= 0.5
        || decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::NegativeEmotion && r.detail == "anger");
    let failed = state
        .attempts
        .iter()
        .any(|a| a.failed && a.kind == AttemptKind::Action)
        || [
            ReasonCode::ActionFailed,
            ReasonCode::BotFallback,
            ReasonCode::BotLoop,
            ReasonCode::Repair,
            ReasonCode::CustomerRepeat,
        ]
        .into_iter()
        .any(reason);
    if has(Stake::Bereavement) {
        Situation::Bereavement
    } else if has(Stake::Fraud) {
        Situation::Fraud
    } else if came_back(state) {
        Situation::RepeatContact
    } else if angry {
        Situation::Anger
    } else if has(Stake::FinancialAdvice) || has(Stake::LargePurchase) {
        Situation::Advice
    } else if failed {
        Situation::FailedTask
    } else {
        Situation::Default
    }
}

/// The customer says it is happening again in their first two turns, before the bot failed in this
/// conversation (later, or after a failure, "again?" is about the bot).
fn came_back(state: &ConversationState) -> bool {
    let failed_at = state
        .attempts
        .iter()
        .find(|a| a.failed || a.kind == AttemptKind::Fallback)
        .and_then(|a| state.recent.iter().position(|r| r.turn_id == a.turn_id))
        .unwrap_or(usize::MAX);
    state
        .recent
        .iter()
        .enumerate()
        .filter(|(_, r)| r.role == Role::Customer)
        .take(2)
        .any(|(i, r)| i < failed_at && r.signals.iter().any(|s| s == "repeat_complaint"))
}

/// The tenant's line for this voice and situation, else the built-in one for the channel.
pub fn line(
    situation: Situation,
    voice: Voice,
    channel: Channel,
    overrides: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let key = match voice {
        Voice::En => "en",
        Voice::DeSie => "de_sie",
        Voice::DeDu => "de_du",
    };
    if let Some(text) = overrides.get(key).and_then(|m| m.get(situation.label())) {
        return text.clone();
    }
    let spoken = channel == Channel::Voice;
    let (wrote_to, geschrieben) = if spoken {
        ("told", "gesagt")
    } else {
        ("wrote to", "geschrieben")
    };
    builtin(situation, voice)
        .replace("{wrote_to}", wrote_to)
        .replace("{geschrieben}", geschrieben)
}

fn builtin(situation: Situation, voice: Voice) -> &'static str {
    use Situation as S;
    use Voice as V;
    match (voice, situation) {
        (V::En, S::Bereavement) => {
            "I'm very sorry for your loss. I have everything you {wrote_to} our assistant, so there's no need to go through it again – we'll take care of this together, one step at a time."
        }
        (V::En, S::Fraud) => {
            "Thank you for reaching out so quickly – I'm here to help you keep your account safe. I have everything you {wrote_to} our assistant. As a first step, let's secure your account right now so nothing else can happen."
        }
        (V::En, S::RepeatContact) => {
            "I'm sorry you've had to contact us again about this. I have everything you {wrote_to} our assistant, and I'll make sure we get it resolved this time."
        }
        (V::En, S::Anger) => {
            "I understand this has been really frustrating, and I'm sorry. I have everything you {wrote_to} our assistant, so you don't have to repeat anything – let's get this sorted."
        }
        (V::En, S::Advice) => {
            "Thanks for your question – this is worth going through with a person. I have everything you {wrote_to} our assistant; let's look at your options together."
        }
        (V::En, S::FailedTask) => {
            "I can see our assistant couldn't get this done for you – sorry about that. I have everything you {wrote_to} it, so I'll take it from here."
        }
        (V::En, S::Default) => {
            "Hello, thanks for waiting. I have everything you {wrote_to} our assistant, so you won't need to repeat anything. How can I help?"
        }
        (V::DeSie, S::Bereavement) => {
            "Mein herzliches Beileid zu Ihrem Verlust. Ich habe alles vor mir, was Sie unserem Assistenten {geschrieben} haben, Sie müssen nichts noch einmal erzählen – wir gehen das in Ruhe gemeinsam an."
        }
        (V::DeSie, S::Fraud) => {
            "Gut, dass Sie sich so schnell melden – ich helfe Ihnen, Ihr Konto zu schützen. Ich habe alles vor mir, was Sie unserem Assistenten {geschrieben} haben. Als Erstes sichern wir jetzt sofort Ihr Konto, damit nichts weiter passieren kann."
        }
        (V::DeSie, S::RepeatContact) => {
            "Es tut mir leid, dass Sie sich deswegen noch einmal melden müssen. Ich habe alles vor mir, was Sie unserem Assistenten {geschrieben} haben, und kümmere mich darum, dass es diesmal gelöst wird."
        }
        (V::DeSie, S::Anger) => {
            "Ich verstehe, dass das sehr ärgerlich ist, und es tut mir leid. Ich habe alles vor mir, was Sie unserem Assistenten {geschrieben} haben, Sie müssen nichts wiederholen – klären wir das jetzt."
        }
        (V::DeSie, S::Advice) => {
            "Danke für Ihre Frage – darüber spricht man am besten mit einem Menschen. Ich habe alles vor mir, was Sie unserem Assistenten {geschrieben} haben; schauen wir uns Ihre Möglichkeiten gemeinsam an."
        }
        (V::DeSie, S::FailedTask) => {
            "Ich sehe, dass unser Assistent das nicht für Sie erledigen konnte – das tut mir leid. Ich habe alles vor mir, was Sie ihm {geschrieben} haben, und übernehme ab hier."
        }
        (V::DeSie, S::Default) => {
            "Hallo, danke fürs Warten. Ich habe alles vor mir, was Sie unserem Assistenten {geschrieben} haben, Sie müssen nichts wiederholen. Wie kann ich Ihnen helfen?"
        }
        (V::DeDu, S::Bereavement) => {
            "Mein herzliches Beileid zu deinem Verlust. Ich habe alles vor mir, was du unserem Assistenten {geschrieben} hast, du musst nichts noch einmal erzählen – wir gehen das in Ruhe gemeinsam an."
        }
        (V::DeDu, S::Fraud) => {
            "Gut, dass du dich so schnell meldest – ich helfe dir, dein Konto zu schützen. Ich habe alles vor mir, was du unserem Assistenten {geschrieben} hast. Als Erstes sichern wir jetzt sofort dein Konto, damit nichts weiter passieren kann."
        }
        (V::DeDu, S::RepeatContact) => {
            "Tut mir leid, dass du dich deswegen noch einmal melden musst. Ich habe alles vor mir, was du unserem Assistenten {geschrieben} hast, und kümmere mich darum, dass es diesmal gelöst wird."
        }
        (V::DeDu, S::Anger) => {
            "Ich verstehe, dass das echt ärgerlich ist, und es tut mir leid. Ich habe alles vor mir, was du unserem Assistenten {geschrieben} hast, du musst nichts wiederholen – klären wir das jetzt."
        }
        (V::DeDu, S::Advice) => {
            "Danke für deine Frage – darüber sprichst du am besten mit einem Menschen. Ich habe alles vor mir, was du unserem Assistenten {geschrieben} hast; schauen wir uns deine Möglichkeiten gemeinsam an."
        }
        (V::DeDu, S::FailedTask) => {
            "Ich sehe, dass unser Assistent das nicht für dich erledigen konnte – tut mir leid. Ich habe alles vor mir, was du ihm {geschrieben} hast, und übernehme ab hier."
        }
        (V::DeDu, S::Default) => {
            "Hallo, danke fürs Warten. Ich habe alles vor mir, was du unserem Assistenten {geschrieben} hast, du musst nichts wiederholen. Wie kann ich dir helfen?"
        }
    }
}
