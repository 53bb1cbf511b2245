//! The summary for the agent, built without a language model: the customer's goal, what the bot
//! tried and what failed, the reason for handoff in words, and a first line for the agent.

use crate::domain::{ConversationState, Decision, Lang, ReasonCode, Role, Summary, TurnRecord};
use crate::policy::{Redaction, Voice, stake, voice};

/// Intents that say nothing about what the customer wants.
const GENERIC: [&str; 14] = [
    "request_human",
    "affirm",
    "deny",
    "thank_you",
    "thanks",
    "goodbye",
    "greet",
    "nlu_fallback",
    "fallback",
    "wait",
    "sad",
    "abuse",
    "complaint_bot",
    "out_of_scope",
];

pub fn summary(state: &ConversationState, decision: &Decision, redaction: Redaction) -> Summary {
    let lang = state.language.unwrap_or_default();
    let goal = goal(state, decision, redaction);
    Summary {
        tried: tried(state, lang),
        reason: reason(decision, lang),
        suggested_opening: opening(
            voice(lang, state.recent.iter()),
            &goal,
            decision
                .reasons
                .iter()
                .any(|r| matches!(r.code, ReasonCode::NegativeEmotion | ReasonCode::Abuse))
                || decision.scores.escalation >= 0.5,
        ),
        goal,
    }
}

/// The main topic: a high-stakes topic, else the customer's most frequent specific intent (the
/// latest on ties), else their first words.
fn goal(state: &ConversationState, decision: &Decision, redaction: Redaction) -> String {
    let customer: Vec<&TurnRecord> = state
        .recent
        .iter()
        .filter(|r| r.role == Role::Customer)
        .collect();
    let mut best: Option<(&str, usize)> = None;
    for r in &customer {
        let i = r.intent.as_str();
        if i.is_empty() || GENERIC.contains(&i) {
            continue;
        }
        let n = customer.iter().filter(|o| o.intent == i).count();
        if best.is_none_or(|(_, m)| n >= m) {
            best = Some((i, n));
        }
    }
    let topic = decision
        .reasons
        .iter()
        .filter(|r| r.code == ReasonCode::HighStakes)
        .find_map(|r| stake(&r.detail))
        .map(|s| s.name().replace('_', " "));
    match (topic, best) {
        (Some(t), Some((i, _))) => format!("{t} ({})", i.replace('_', " ")),
        (Some(t), None) => t,
        (None, Some((i, _))) => i.replace('_', " "),
        (None, None) => customer
            .first()
            .map(|r| {
                let text = match redaction {
                    Redaction::None => r.text.clone(),
                    _ => super::redact::text(&r.text),
                };
                truncate(&text, 140)
            })
            .unwrap_or_default(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn tried(state: &ConversationState, lang: Lang) -> Vec<String> {
    let de = lang == Lang::De;
    let mut out: Vec<String> = Vec::new();
    for a in &state.attempts {
        let line = match (a.failed, de) {
            (true, true) => format!("{} (fehlgeschlagen)", a.action),
            (true, false) => format!("{} (failed)", a.action),
            (false, _) => a.action.clone(),
        };
        if out.last() != Some(&line) {
            out.push(line);
        }
    }
    let count = |role: Role| {
        state
            .recent
            .iter()
            .filter(|r| r.role == role && r.signals.iter().any(|s| s == "bot_fallback"))
            .count()
    };
    let (nlu, bot) = (count(Role::Customer), count(Role::Bot));
    if nlu > 0 {
        out.push(if de {
            format!("Anliegen nicht verstanden ({nlu}×)")
        } else {
            format!("did not understand the customer ({nlu}×)")
        });
    }
    if bot > 0 {
        out.push(if de {
            format!("Ausweichantwort gegeben ({bot}×)")
        } else {
            format!("fallback reply ({bot}×)")
        });
    }
    out
}

fn reason(decision: &Decision, lang: Lang) -> String {
    let de = lang == Lang::De;
    let words: Vec<&str> =
        decision
            .reasons
            .iter()
            .map(|r| describe(r.code, de))
            .fold(Vec::new(), |mut v, w| {
                if !v.contains(&w) {
                    v.push(w);
                }
                v
            });
    match words.split_first() {
        None => String::new(),
        Some((first, [])) => capitalise(first),
        Some((first, rest)) => format!(
            "{}{} {}",
            capitalise(first),
            if de { "; außerdem:" } else { "; also:" },
            rest.join(", ")
        ),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn describe(code: ReasonCode, de: bool) -> &'static str {
    use ReasonCode as R;
    match (code, de) {
        (R::ExplicitRequest, false) => "the customer asked for a human",
        (R::ExplicitRequest, true) => "der Kunde möchte mit einem Menschen sprechen",
        (R::NegativeEmotion, false) => "the customer is upset",
        (R::NegativeEmotion, true) => "der Kunde ist verärgert",
        (R::Abuse, false) => "abusive language",
        (R::Abuse, true) => "beleidigende Sprache",
        (R::Repair, false) => "the bot misunderstood the customer",
        (R::Repair, true) => "der Bot hat den Kunden missverstanden",
        (R::BotFallback, false) => "the bot could not answer",
        (R::BotFallback, true) => "der Bot konnte nicht antworten",
        (R::LowConfidence, false) => "the bot was unsure what the customer meant",
        (R::LowConfidence, true) => "der Bot war unsicher, was gemeint ist",
        (R::ActionFailed, false) => "an action of the bot failed",
        (R::ActionFailed, true) => "eine Aktion des Bots ist fehlgeschlagen",
        (R::CustomerRepeat, false) => "the customer had to repeat themselves",
        (R::CustomerRepeat, true) => "der Kunde musste sich wiederholen",
        (R::BotLoop, false) => "the bot repeated itself",
        (R::BotLoop, true) => "der Bot hat sich wiederholt",
        (R::HighStakes, false) => "a high-stakes topic",
        (R::HighStakes, true) => "ein heikles Anliegen",
        (R::Urgency, false) => "the matter is urgent",
        (R::Urgency, true) => "das Anliegen ist dringend",
        (R::EscalatingTrend, false) => "the mood is getting worse",
        (R::EscalatingTrend, true) => "die Stimmung verschlechtert sich",
        (R::Vip, false) => "a premium customer",
        (R::Vip, true) => "ein Premiumkunde",
        (R::NoAgentAvailable, false) => "no agent is free right now",
        (R::NoAgentAvailable, true) => "gerade ist niemand frei",
        (R::OutsideBusinessHours, false) => "outside business hours",
        (R::OutsideBusinessHours, true) => "außerhalb der Geschäftszeiten",
        (R::LearnedModel, false) => "the conversation reads like a dissatisfied customer",
        (R::LearnedModel, true) => "das Gespräch liest sich nach einem unzufriedenen Kunden",
    }
}

/// A first line for the agent in the customer's language and register.
fn opening(voice: Voice, goal: &str, upset: bool) -> String {
    let (hello, sorry, topic, open) = match voice {
        Voice::En => (
            "Hello, thanks for waiting – I can see our whole conversation, so there's no need to repeat anything.",
            " I'm sorry this has been frustrating.",
            format!(" Let's sort out your {goal} now."),
            " How can I help?",
        ),
        Voice::DeSie => (
            "Hallo, danke für Ihre Geduld – ich sehe unser ganzes bisheriges Gespräch, Sie müssen nichts wiederholen.",
            " Es tut mir leid, dass das bisher so mühsam war.",
            format!(" Kümmern wir uns jetzt um Ihr Anliegen ({goal})."),
            " Wie kann ich Ihnen helfen?",
        ),
        Voice::DeDu => (
            "Hallo, danke für deine Geduld – ich sehe unser ganzes bisheriges Gespräch, du musst nichts wiederholen.",
            " Tut mir leid, dass das bisher so mühsam war.",
            format!(" Kümmern wir uns jetzt um dein Anliegen ({goal})."),
            " Wie kann ich dir helfen?",
        ),
    };
    let mut line = hello.to_string();
    if upset {
        line.push_str(sorry);
    }
    if goal.is_empty() || goal.len() > 60 {
        line.push_str(open);
    } else {
        line.push_str(&topic);
    }
    line
}
