//! The reason for a handoff in plain words: one phrase per reason code (with its topic or emotion),
//! English or German, and for German the register the customer uses, so the agent answers in it.

use super::summary::capitalise;
use crate::domain::{Decision, ReasonCode};
use crate::policy::Voice;

/// Why the conversation is handed off, on one line.
pub fn line(decision: &Decision, voice: Voice) -> String {
    let de = voice != Voice::En;
    let mut words: Vec<String> = Vec::new();
    for r in &decision.reasons {
        let w = describe(r.code, &r.detail, de);
        if !words.contains(&w) {
            words.push(w);
        }
    }
    let mut line = match words.split_first() {
        None => String::new(),
        Some((first, [])) => capitalise(first),
        Some((first, rest)) => format!(
            "{}{} {}",
            capitalise(first),
            if de { "; außerdem:" } else { "; also:" },
            rest.join(", ")
        ),
    };
    if !line.is_empty() {
        line.push('.');
    }
    match voice {
        Voice::DeSie => line.push_str(" Anrede: Sie."),
        Voice::DeDu => line.push_str(" Anrede: du."),
        Voice::En => {}
    }
    line.trim().to_string()
}

fn describe(code: ReasonCode, detail: &str, de: bool) -> String {
    use ReasonCode as R;
    let s = match (code, de) {
        (R::HighStakes, _) => return topic(detail, de).into(),
        (R::NegativeEmotion, _) => return emotion(detail, de).into(),
        (R::ExplicitRequest, false) => "the customer asked for a person",
        (R::ExplicitRequest, true) => "ausdrücklicher Wunsch nach einem Menschen",
        (R::Abuse, false) => "abusive language",
        (R::Abuse, true) => "beleidigende Sprache",
        (R::Repair, false) => "the bot misunderstood the customer",
        (R::Repair, true) => "Bot hat das Anliegen missverstanden",
        (R::BotFallback, false) => "the bot could not answer",
        (R::BotFallback, true) => "Bot konnte nicht antworten",
        (R::LowConfidence, false) => "the bot was unsure what was meant",
        (R::LowConfidence, true) => "Bot war unsicher, was gemeint ist",
        (R::ActionFailed, false) => "an action of the bot failed",
        (R::ActionFailed, true) => "Aktion des Bots fehlgeschlagen",
        (R::CustomerRepeat, false) => "the customer had to repeat themselves",
        (R::CustomerRepeat, true) => "Anliegen musste wiederholt werden",
        (R::BotLoop, false) => "the bot went round in circles",
        (R::BotLoop, true) => "Bot hat sich im Kreis gedreht",
        (R::Urgency, false) => "it is urgent",
        (R::Urgency, true) => "dringend",
        (R::EscalatingTrend, false) => "the mood is getting worse",
        (R::EscalatingTrend, true) => "Stimmung wird schlechter",
        (R::Vip, false) => "a premium customer",
        (R::Vip, true) => "Premiumkunde",
        (R::NoAgentAvailable, false) => "no agent is free right now",
        (R::NoAgentAvailable, true) => "gerade ist niemand frei",
        (R::OutsideBusinessHours, false) => "outside business hours",
        (R::OutsideBusinessHours, true) => "außerhalb der Geschäftszeiten",
        (R::LearnedModel, false) => "the conversation reads like a dissatisfied customer",
        (R::LearnedModel, true) => "Gesprächsverlauf deutet auf Unzufriedenheit",
    };
    s.into()
}

fn topic(stake: &str, de: bool) -> &'static str {
    match (stake, de) {
        ("bereavement", false) => "a bereavement",
        ("bereavement", true) => "Trauerfall",
        ("fraud", false) => "suspected fraud or a security problem",
        ("fraud", true) => "Verdacht auf Betrug oder Sicherheitsproblem",
        ("cancellation", false) => "wants to cancel",
        ("cancellation", true) => "Kündigung",
        ("complaint", false) => "a formal complaint",
        ("complaint", true) => "Beschwerde",
        ("legal", false) => "mentions legal steps",
        ("legal", true) => "rechtliche Schritte angedroht",
        ("large_purchase", false) => "a large purchase",
        ("large_purchase", true) => "größerer Kauf",
        ("financial_advice", false) => "needs financial advice",
        ("financial_advice", true) => "Beratung zu Geldfragen",
        (_, false) => "a sensitive topic",
        (_, true) => "heikles Anliegen",
    }
}

fn emotion(detail: &str, de: bool) -> &'static str {
    match (detail, de) {
        ("anger", false) => "the customer is angry",
        ("anger", true) => "deutlich verärgert",
        ("anxiety", false) => "the customer is worried",
        ("anxiety", true) => "besorgt",
        ("sadness", false) => "the customer is upset",
        ("sadness", true) => "traurig",
        ("sarcasm", false) => "the customer is being sarcastic",
        ("sarcasm", true) => "sarkastisch",
        (_, false) => "the customer is frustrated",
        (_, true) => "frustriert",
    }
}
