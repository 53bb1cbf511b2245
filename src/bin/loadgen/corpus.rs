//! Conversations for the load generator: a built-in generator of German and English customer and
//! bot turns (routine, frustrated, explicit requests for a human, high-stakes), or a replay file.
//!
//! The phrases here are written for load, not for evaluation: they exercise the detector's paths
//! (plain text, negation, explicit requests, frustration, bot fallbacks) at realistic lengths.

use escalation_router::pb;
use std::path::Path;
use std::sync::Arc;

/// A tiny deterministic generator (SplitMix64): cheap, seedable, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What a generated conversation is about; decides which phrases its customer turns use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// A routine task the bot handles.
    Routine,
    /// The bot keeps failing and the customer gets angrier.
    Frustrated,
    /// The customer asks for a human (sometimes after saying they do not need one).
    Explicit,
    /// Cancellation, fraud, bereavement: high stakes without anger.
    HighStakes,
}

struct Phrases {
    opening: &'static [&'static str],
    detail: &'static [&'static str],
    frustrated: &'static [&'static str],
    human: &'static [&'static str],
    negated_human: &'static [&'static str],
    stakes: &'static [&'static str],
    filler: &'static [&'static str],
    bot_ok: &'static [&'static str],
    bot_fallback: &'static [&'static str],
    goodbye: &'static [&'static str],
}

const EN: Phrases = Phrases {
    opening: &[
        "Hi, where is my parcel?",
        "Hello, I need to reset the password for my account.",
        "I would like to change the delivery address of my last order.",
        "Can you tell me when my refund will arrive?",
        "My invoice shows a charge I do not recognise.",
        "How do I update the payment method on file?",
        "The app logs me out every few minutes, what can I do?",
    ],
    detail: &[
        "The order number is 48-{n}.",
        "I ordered it on Monday and paid by card.",
        "It was supposed to arrive yesterday.",
        "My customer number is K{n}.",
        "I already tried restarting the app twice.",
        "The email on the account is the one I used to sign up.",
    ],
    frustrated: &[
        "This is the third time I am explaining the same thing.",
        "You are not understanding me at all, this is useless.",
        "Honestly this is ridiculous, nothing works.",
        "I am really annoyed now, I have been waiting for ages.",
        "Why is this so complicated? I just want my money back!",
    ],
    human: &[
        "I want to talk to a real person please.",
        "Can I speak to an agent?",
        "Please connect me with a human representative.",
        "Just get me an operator.",
    ],
    negated_human: &[
        "No, I don't need a human, just tell me the status.",
        "I do not want an agent, the chat is fine.",
    ],
    stakes: &[
        "I want to cancel my contract.",
        "Someone used my card without my permission, I think it is fraud.",
        "My father passed away and I need to close his account.",
        "I will contact my lawyer if this is not solved.",
    ],
    filler: &[
        "I have been a customer for many years and usually everything works fine.",
        "Last time I called, the person on the phone told me it would be sorted within a week.",
        "I am writing from my phone so sorry for any typos.",
        "It is important because I am travelling next week and need it before then.",
    ],
    bot_ok: &[
        "Thanks! Let me check that for you.",
        "Your parcel is on its way and should arrive within two working days.",
        "I have sent you a link to reset your password.",
        "I can help with that. Could you give me your order number?",
        "Your refund was issued and usually takes three to five days.",
    ],
    bot_fallback: &[
        "Sorry, I didn't get that. Could you rephrase?",
        "I'm not sure I understand. Can you try again?",
    ],
    goodbye: &[
        "Great, thanks for your help!",
        "Perfect, that solves it. Bye.",
    ],
};

const DE: Phrases = Phrases {
    opening: &[
        "Hallo, wo ist mein Paket?",
        "Guten Tag, ich muss mein Passwort zurücksetzen.",
        "Ich möchte die Lieferadresse meiner letzten Bestellung ändern.",
        "Wann kommt meine Erstattung an?",
        "Auf meiner Rechnung ist eine Abbuchung, die ich nicht kenne.",
        "Wie ändere ich meine Zahlungsart?",
        "Die App meldet mich ständig ab, was kann ich tun?",
    ],
    detail: &[
        "Die Bestellnummer ist 48-{n}.",
        "Ich habe am Montag bestellt und mit Karte bezahlt.",
        "Es hätte gestern ankommen sollen.",
        "Meine Kundennummer lautet K{n}.",
        "Ich habe die App schon zweimal neu gestartet.",
        "Die E-Mail-Adresse ist die, mit der ich mich registriert habe.",
    ],
    frustrated: &[
        "Das erkläre ich jetzt schon zum dritten Mal.",
        "Sie verstehen mich überhaupt nicht, das bringt doch nichts.",
        "Das ist echt lächerlich, nichts funktioniert hier.",
        "Ich bin langsam wirklich genervt, ich warte seit Wochen.",
        "Warum ist das so kompliziert? Ich will einfach mein Geld zurück!",
    ],
    human: &[
        "Ich möchte bitte mit einem Mitarbeiter sprechen.",
        "Kann ich mit einem echten Menschen reden?",
        "Verbinden Sie mich bitte mit einem Berater.",
        "Geben Sie mir einfach einen Menschen.",
    ],
    negated_human: &[
        "Nein, ich brauche keinen Mitarbeiter, sagen Sie mir nur den Status.",
        "Ich will keinen Berater, der Chat reicht mir.",
    ],
    stakes: &[
        "Ich möchte meinen Vertrag kündigen.",
        "Jemand hat meine Karte ohne meine Erlaubnis benutzt, das ist Betrug.",
        "Mein Vater ist verstorben und ich muss sein Konto auflösen.",
        "Wenn das nicht gelöst wird, schalte ich meinen Anwalt ein.",
    ],
    filler: &[
        "Ich bin seit vielen Jahren Kunde und normalerweise klappt alles.",
        "Beim letzten Anruf hieß es, das wäre innerhalb einer Woche erledigt.",
        "Ich schreibe vom Handy, entschuldigen Sie die Tippfehler.",
        "Es ist wichtig, weil ich nächste Woche verreise und es vorher brauche.",
    ],
    bot_ok: &[
        "Danke! Ich schaue das für Sie nach.",
        "Ihr Paket ist unterwegs und kommt in zwei Werktagen an.",
        "Ich habe Ihnen einen Link zum Zurücksetzen geschickt.",
        "Dabei helfe ich gern. Wie lautet Ihre Bestellnummer?",
        "Ihre Erstattung wurde veranlasst und dauert drei bis fünf Tage.",
    ],
    bot_fallback: &[
        "Entschuldigung, das habe ich nicht verstanden. Können Sie es anders formulieren?",
        "Das habe ich leider nicht verstanden. Bitte versuchen Sie es noch einmal.",
    ],
    goodbye: &[
        "Super, danke für die Hilfe!",
        "Perfekt, das war's. Tschüss.",
    ],
};

/// Shapes the generated text.
#[derive(Debug, Clone, Copy)]
pub struct TextShape {
    /// Approximate words per turn; 0: varied (mostly short, some long).
    pub words: usize,
}

/// One conversation in progress: yields its turns one at a time, in order.
pub struct Cursor {
    conversation_id: String,
    tenant_id: &'static str,
    /// Turns sent so far (the next turn's sequence is `sent + 1`).
    sent: u32,
    len: u32,
    source: Source,
    rng: Rng,
}

enum Source {
    Generated {
        lang: &'static str,
        script: Script,
        channel: pb::Channel,
        shape: TextShape,
    },
    Replay(Arc<ReplayConversation>),
}

const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

impl Cursor {
    /// A generated conversation of `len` turns (customer first, then alternating with the bot).
    pub fn generated(id: String, len: u32, shape: TextShape, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let script = match rng.below(100) {
            0..70 => Script::Routine,
            70..85 => Script::Frustrated,
            85..95 => Script::Explicit,
            _ => Script::HighStakes,
        };
        let lang = if rng.chance(0.5) { "de" } else { "en" };
        let channel = [
            pb::Channel::Webchat,
            pb::Channel::App,
            pb::Channel::Whatsapp,
        ][rng.below(3)];
        Cursor {
            conversation_id: id,
            tenant_id: TENANTS[rng.below(TENANTS.len())],
            sent: 0,
            len: len.max(1),
            source: Source::Generated {
                lang,
                script,
                channel,
                shape,
            },
            rng,
        }
    }

    /// A conversation replayed from a file, under a fresh id.
    pub fn replayed(id: String, conversation: Arc<ReplayConversation>, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Cursor {
            conversation_id: id,
            tenant_id: TENANTS[rng.below(TENANTS.len())],
            sent: 0,
            len: conversation.turns.len().max(1) as u32,
            source: Source::Replay(conversation),
            rng,
        }
    }

    pub fn finished(&self) -> bool {
        self.sent >= self.len
    }

    /// The next turn of this conversation.
    /// The last turn was refused before the server did anything with it (shed): the next
    /// `next_turn` sends that turn again (same id and sequence), as a retrying client would.
    pub fn unsend(&mut self) {
        self.sent = self.sent.saturating_sub(1);
    }

    pub fn next_turn(&mut self) -> pb::Turn {
        let index = self.sent;
        self.sent += 1;
        let mut turn = pb::Turn {
            tenant_id: self.tenant_id.to_string(),
            turn_id: format!("{}-{}", self.conversation_id, self.sent),
            conversation_id: self.conversation_id.clone(),
            sequence: Some(u64::from(self.sent)),
            ..Default::default()
        };
        match &self.source {
            Source::Generated {
                lang,
                script,
                channel,
                shape,
            } => {
                let (lang, script, channel, shape) = (*lang, *script, *channel, *shape);
                turn.language = if self.rng.chance(0.8) {
                    lang.to_string()
                } else {
                    String::new()
                };
                turn.channel = channel as i32;
                self.fill_generated(&mut turn, index, lang, script, shape);
            }
            Source::Replay(c) => {
                let t = &c.turns[index as usize % c.turns.len()];
                turn.role = t.role as i32;
                turn.text.clone_from(&t.text);
                turn.language.clone_from(&c.language);
                turn.nlu.clone_from(&t.nlu);
                turn.bot.clone_from(&t.bot);
            }
        }
        turn
    }

    fn fill_generated(
        &mut self,
        turn: &mut pb::Turn,
        index: u32,
        lang: &str,
        script: Script,
        shape: TextShape,
    ) {
        let p = if lang == "de" { &DE } else { &EN };
        let rng = &mut self.rng;
        let last = index + 1 == self.len;
        if index % 2 == 1 {
            // A bot turn: fallbacks get likelier as a failing conversation goes on.
            turn.role = pb::Role::Bot as i32;
            let failing = script == Script::Frustrated && index >= 3 && rng.chance(0.6);
            let fallback = failing || rng.chance(0.05);
            turn.text = if fallback {
                rng.pick(p.bot_fallback)
            } else {
                rng.pick(p.bot_ok)
            }
            .to_string();
            turn.bot = Some(pb::BotTurnFacts {
                fallback,
                action: if index == 1 {
                    "lookup_order".into()
                } else {
                    String::new()
                },
                action_failed: failing && rng.chance(0.3),
            });
            return;
        }
        turn.role = pb::Role::Customer as i32;
        let stage = index / 2;
        let mut text = String::with_capacity(128);
        let first = match (script, stage) {
            (_, 0) => rng.pick(p.opening),
            (Script::Frustrated, s) if s >= 2 => rng.pick(p.frustrated),
            (Script::Explicit, 1) if rng.chance(0.3) => rng.pick(p.negated_human),
            (Script::Explicit, s) if s >= 2 => rng.pick(p.human),
            (Script::HighStakes, s) if s >= 1 => rng.pick(p.stakes),
            _ if last => rng.pick(p.goodbye),
            _ => rng.pick(p.detail),
        };
        push_sentence(&mut text, first, rng);
        let target_words = match shape.words {
            0 if rng.chance(0.1) => 40 + rng.below(80),
            0 => 3 + rng.below(20),
            w => w,
        };
        while words(&text) < target_words {
            let next = if rng.chance(0.5) {
                rng.pick(p.filler)
            } else {
                rng.pick(p.detail)
            };
            push_sentence(&mut text, next, rng);
        }
        turn.text = text;
        let fallback = script == Script::Frustrated && stage >= 1 && rng.chance(0.5);
        turn.nlu = Some(pb::NluResult {
            intent: if fallback {
                String::new()
            } else {
                "track_order".into()
            },
            confidence: Some(if fallback { 0.2 } else { 0.9 }),
            fallback,
            entities: if stage == 1 {
                vec![pb::Entity {
                    name: "order_number".into(),
                    value: format!("48-{}", rng.below(100_000)),
                }]
            } else {
                vec![]
            },
        });
        if index == 0 {
            turn.customer = Some(pb::CustomerProfile {
                customer_id: format!("cust-{}", rng.below(1_000_000)),
                tier: pb::CustomerTier::Standard as i32,
                attributes: Default::default(),
            });
        }
    }
}

fn push_sentence(text: &mut String, sentence: &str, rng: &mut Rng) {
    if !text.is_empty() {
        text.push(' ');
    }
    match sentence.split_once("{n}") {
        Some((a, b)) => {
            text.push_str(a);
            text.push_str(&rng.below(100_000).to_string());
            text.push_str(b);
        }
        None => text.push_str(sentence),
    }
}

fn words(text: &str) -> usize {
    text.split_ascii_whitespace().count()
}

/// A conversation read from a replay file (the eval JSONL format; gold labels are not read).
#[derive(Debug)]
pub struct ReplayConversation {
    pub language: String,
    pub turns: Vec<ReplayTurn>,
}

#[derive(Debug)]
pub struct ReplayTurn {
    pub role: pb::Role,
    pub text: String,
    pub nlu: Option<pb::NluResult>,
    pub bot: Option<pb::BotTurnFacts>,
}

/// Reads conversations in the eval format (the same reader `replay` uses, so gold fields are never
/// read) for replay; skips turns with empty text.
pub fn read_replay(path: &Path) -> anyhow::Result<Vec<Arc<ReplayConversation>>> {
    use escalation_router::domain::Role;
    let mut out = Vec::new();
    for c in escalation_router::replay::read(path)? {
        let language = c
            .turns
            .iter()
            .find_map(|t| t.language_hint)
            .map_or_else(String::new, |l| l.tag().to_string());
        let turns: Vec<ReplayTurn> = c
            .turns
            .into_iter()
            .filter(|t| !t.text.trim().is_empty())
            .map(|t| ReplayTurn {
                role: match t.role {
                    Role::Bot => pb::Role::Bot,
                    Role::Agent => pb::Role::Agent,
                    Role::System => pb::Role::System,
                    Role::Customer => pb::Role::Customer,
                },
                text: t.text,
                nlu: t.nlu.map(|n| pb::NluResult {
                    intent: n.intent,
                    confidence: n.confidence.filter(|c| (0.0..=1.0).contains(c)),
                    fallback: n.fallback,
                    entities: vec![],
                }),
                bot: t.bot.map(|b| pb::BotTurnFacts {
                    fallback: b.fallback,
                    action: b.action,
                    action_failed: b.action_failed,
                }),
            })
            .collect();
        if !turns.is_empty() {
            out.push(Arc::new(ReplayConversation { language, turns }));
        }
    }
    anyhow::ensure!(!out.is_empty(), "{}: no conversations", path.display());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_files_are_read_with_the_eval_reader_skipping_empty_turns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let line = serde_json::json!({
            "conversation_id": "r1", "language": "de",
            "turns": [
                {"idx": 0, "role": "user", "text": "Wo ist mein Paket?", "escalate": false,
                 "nlu": {"intent": "track", "confidence": 0.9}},
                {"idx": 1, "role": "bot", "text": "", "escalate": null},
                {"idx": 2, "role": "bot", "text": "Es kommt morgen.",
                 "bot": {"fallback": false, "action": "track", "action_failed": true}},
            ],
            "gold_handoff_turn": null,
        });
        std::fs::write(&path, format!("{line}\n\n")).unwrap();
        let read = read_replay(&path).unwrap();
        assert_eq!(read.len(), 1);
        let c = &read[0];
        assert_eq!(c.language, "de");
        assert_eq!(c.turns.len(), 2, "the empty bot turn is skipped");
        assert_eq!(c.turns[0].role, pb::Role::Customer);
        assert_eq!(c.turns[0].nlu.as_ref().unwrap().intent, "track");
        assert_eq!(c.turns[1].role, pb::Role::Bot);
        assert!(c.turns[1].bot.as_ref().unwrap().action_failed);
        std::fs::write(&path, "").unwrap();
        assert!(
            read_replay(&path).is_err(),
            "an empty file has no conversations"
        );
    }

    #[test]
    fn a_generated_conversation_alternates_customer_and_bot_with_increasing_sequence() {
        let mut c = Cursor::generated("c1".into(), 6, TextShape { words: 0 }, 7);
        let mut n = 0;
        while !c.finished() {
            let t = c.next_turn();
            n += 1;
            assert_eq!(t.sequence, Some(n));
            assert_eq!(t.turn_id, format!("c1-{n}"));
            let want = if n % 2 == 1 {
                pb::Role::Customer
            } else {
                pb::Role::Bot
            };
            assert_eq!(t.role, want as i32);
            assert!(!t.text.trim().is_empty());
        }
        assert_eq!(n, 6);
    }

    #[test]
    fn a_fixed_word_count_gives_turns_of_at_least_that_many_words() {
        let mut c = Cursor::generated("c".into(), 1, TextShape { words: 60 }, 1);
        assert!(words(&c.next_turn().text) >= 60);
    }

    #[test]
    fn some_generated_conversations_ask_for_a_human_in_both_languages() {
        let mut langs = std::collections::HashSet::new();
        for seed in 0..400 {
            let mut c = Cursor::generated(format!("c{seed}"), 8, TextShape { words: 0 }, seed);
            while !c.finished() {
                let t = c.next_turn();
                let asks = |p: &Phrases| p.human.iter().any(|h| t.text.starts_with(h));
                if asks(&EN) || asks(&DE) {
                    langs.insert(t.language.clone());
                }
            }
        }
        assert!(langs.contains("de") && langs.contains("en"), "{langs:?}");
    }
}
