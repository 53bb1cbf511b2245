//! The suggested bot reply: in the customer's language and register (Sie/du; English), warm and
//! specific, overridable per tenant.

use crate::domain::{Action, Channel, Lang, Role, TurnRecord};
use serde::Deserialize;
use std::sync::LazyLock;

/// The language variant a reply is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    En,
    /// German, formal.
    DeSie,
    /// German, informal: the customer says "du".
    DeDu,
}

static DU: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines|hast du|kannst du)\b",
    )
    .expect("du pattern compiles")
});

/// Picks the voice from the language and whether the customer wrote informally.
pub fn voice<'a>(lang: Lang, history: impl IntoIterator<Item = &'a TurnRecord>) -> Voice {
    match lang {
        Lang::En => Voice::En,
        Lang::De => {
            let informal = history
                .into_iter()
                .any(|r| r.role == Role::Customer && DU.is_match(&r.text));
            if informal { Voice::DeDu } else { Voice::DeSie }
        }
    }
}

/// What the reply is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    Act(Action),
    /// Nobody can take the conversation; the bot stays and says so.
    Stay,
}

/// The reply for an occasion, or empty when the bot simply continues.
pub fn reply(
    replies: &Replies,
    voice: Voice,
    channel: Channel,
    occasion: Occasion,
    wait_seconds: Option<u32>,
) -> String {
    let set = match voice {
        Voice::En => &replies.en,
        Voice::DeSie => &replies.de_sie,
        Voice::DeDu => &replies.de_du,
    };
    let Some(template) = configured(set, occasion)
        .map(str::to_string)
        .or_else(|| builtin(voice, occasion).map(|t| for_channel(t, channel)))
    else {
        return String::new();
    };
    let wait = wait_seconds
        .filter(|s| *s > 0)
        .map(|s| wait_sentence(voice, s))
        .unwrap_or_default();
    template.replace("{wait}", &wait).trim().to_string()
}

/// A built-in reply worded for the channel: on the phone the customer said it ("gesagt"); in a
/// written channel they wrote it ("wrote to me"). Unknown channels keep the neutral wording.
fn for_channel(text: &str, channel: Channel) -> String {
    match channel {
        Channel::Voice => text.replace("geschrieben", "gesagt"),
        Channel::Webchat
        | Channel::App
        | Channel::Whatsapp
        | Channel::Sms
        | Channel::Email
        | Channel::Social => text
            .replace("you told me", "you wrote to me")
            .replace("you've told me", "you've written to me"),
        Channel::Unspecified | Channel::Other => text.to_string(),
    }
}

fn configured(set: &ReplySet, occasion: Occasion) -> Option<&str> {
    match occasion {
        Occasion::Act(Action::Handoff) => set.handoff.as_deref(),
        Occasion::Act(Action::OfferHandoff) => set.offer_handoff.as_deref(),
        Occasion::Act(Action::OfferCallback) => set.offer_callback.as_deref(),
        Occasion::Act(Action::CreateTicket) => set.create_ticket.as_deref(),
        Occasion::Stay => set.stay.as_deref(),
        Occasion::Act(Action::Continue | Action::StaySilent) => None,
    }
}

fn wait_sentence(voice: Voice, seconds: u32) -> String {
    let minutes = seconds.div_ceil(60).max(1);
    match (voice, minutes) {
        (Voice::En, 1) => " The wait is about a minute.".into(),
        (Voice::En, m) => format!(" The wait is about {m} minutes."),
        (_, 1) => " Die Wartezeit beträgt etwa eine Minute.".into(),
        (_, m) => format!(" Die Wartezeit beträgt etwa {m} Minuten."),
    }
}

fn builtin(voice: Voice, occasion: Occasion) -> Option<&'static str> {
    use Action as A;
    use Occasion as O;
    use Voice as V;
    Some(match (voice, occasion) {
        (V::En, O::Act(A::Handoff)) => {
            "I'm connecting you with a colleague who can already see everything you told me, so you won't have to repeat anything.{wait}"
        }
        (V::DeSie, O::Act(A::Handoff)) => {
            "Ich verbinde Sie jetzt mit einer Kollegin oder einem Kollegen, der bereits alles sieht, was Sie mir geschrieben haben – Sie müssen nichts wiederholen.{wait}"
        }
        (V::DeDu, O::Act(A::Handoff)) => {
            "Ich verbinde dich jetzt mit jemandem aus unserem Team, der schon alles sieht, was du mir geschrieben hast – du musst nichts wiederholen.{wait}"
        }
        (V::En, O::Act(A::OfferHandoff)) => {
            "Would you like me to connect you with a colleague? They'll see everything you've told me so far."
        }
        (V::DeSie, O::Act(A::OfferHandoff)) => {
            "Möchten Sie mit einer Kollegin oder einem Kollegen sprechen? Sie oder er sieht alles, was Sie mir bisher geschrieben haben."
        }
        (V::DeDu, O::Act(A::OfferHandoff)) => {
            "Möchtest du mit jemandem aus unserem Team sprechen? Er oder sie sieht alles, was du mir bisher geschrieben hast."
        }
        (V::En, O::Act(A::OfferCallback)) => {
            "None of my colleagues is free right now. Would you like a call back? They'll already know everything you told me."
        }
        (V::DeSie, O::Act(A::OfferCallback)) => {
            "Gerade ist leider niemand aus unserem Team frei. Dürfen wir Sie zurückrufen? Ihr Ansprechpartner kennt dann schon alles, was Sie mir geschrieben haben."
        }
        (V::DeDu, O::Act(A::OfferCallback)) => {
            "Gerade ist leider niemand aus unserem Team frei. Sollen wir dich zurückrufen? Wir wissen dann schon alles, was du mir geschrieben hast."
        }
        (V::En, O::Act(A::CreateTicket)) => {
            "None of my colleagues is free right now, so I've passed everything you told me to our team. They'll get back to you without you having to explain it again."
        }
        (V::DeSie, O::Act(A::CreateTicket)) => {
            "Gerade ist leider niemand aus unserem Team frei. Ich habe alles, was Sie mir geschrieben haben, an meine Kollegen weitergegeben – sie melden sich bei Ihnen, ohne dass Sie etwas wiederholen müssen."
        }
        (V::DeDu, O::Act(A::CreateTicket)) => {
            "Gerade ist leider niemand aus unserem Team frei. Ich habe alles, was du mir geschrieben hast, an mein Team weitergegeben – sie melden sich bei dir, ohne dass du etwas wiederholen musst."
        }
        (V::En, O::Stay) => {
            "I'm sorry, none of my colleagues can take over right now. I'll keep helping you as well as I can."
        }
        (V::DeSie, O::Stay) => {
            "Es tut mir leid, gerade kann niemand aus unserem Team übernehmen. Ich helfe Ihnen weiter, so gut ich kann."
        }
        (V::DeDu, O::Stay) => {
            "Tut mir leid, gerade kann niemand aus unserem Team übernehmen. Ich helfe dir weiter, so gut ich kann."
        }
        (_, O::Act(A::Continue | A::StaySilent)) => return None,
    })
}

/// Reply templates per language and register; unset ones use the built-in text.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Replies {
    pub en: ReplySet,
    /// German, formal (Sie).
    pub de_sie: ReplySet,
    /// German, informal (du).
    pub de_du: ReplySet,
}

impl Replies {
    pub(super) fn validate(&self) -> Result<(), String> {
        for (lang, set) in [
            ("en", &self.en),
            ("de_sie", &self.de_sie),
            ("de_du", &self.de_du),
        ] {
            for (key, text) in set.entries() {
                if let Some(t) = text {
                    check_template(t).map_err(|e| format!("{lang}.{key}: {e}"))?;
                }
            }
        }
        Ok(())
    }
}

/// One suggested reply per outcome. `{wait}` is replaced by a sentence on the expected wait (or
/// nothing when unknown).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplySet {
    pub handoff: Option<String>,
    pub offer_handoff: Option<String>,
    pub offer_callback: Option<String>,
    pub create_ticket: Option<String>,
    /// Nobody is available and the bot stays: an honest word instead of silence.
    pub stay: Option<String>,
}

impl ReplySet {
    fn entries(&self) -> [(&'static str, &Option<String>); 5] {
        [
            ("handoff", &self.handoff),
            ("offer_handoff", &self.offer_handoff),
            ("offer_callback", &self.offer_callback),
            ("create_ticket", &self.create_ticket),
            ("stay", &self.stay),
        ]
    }
}

fn check_template(t: &str) -> Result<(), String> {
    if t.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("unclosed `{`")?;
        let name = &after[..close];
        if name != "wait" {
            return Err(format!("unknown placeholder `{{{name}}}`; only `{{wait}}`"));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}
