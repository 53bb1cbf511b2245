//! The behavioural test suite (issue 10, item 7), in the style of CheckList (Ribeiro et al., 2020):
//! conversations generated from templates × fillers per capability and language, run through the
//! same engine `replay` and `eval` use (a fresh in-memory engine, the configured policy, the
//! built-in model), each checked on the decision at chosen turns.
//!
//! Three test types:
//! - **MFT** (minimum functionality): a conversation and the decision it must get;
//! - **INV** (invariance): an MFT conversation perturbed (umlauts spelled ae/oe/ue, casing, one
//!   typo, an emoji, Sie ↔ du) must get the same action as the unperturbed one;
//! - **DIR** (directional): adding a request for a person to a turn must not lower the action (it
//!   hands off); negating the request must remove it.
//!
//! `capabilities` holds the templates, `fill` the fillers (domains, names, person nouns),
//! `perturb` the perturbations, `report` the pass-rate table. `cargo test --test checklist` asserts
//! [`FLOORS`]; `eval --checklist` prints the table and every failure.

mod capabilities;
pub mod fill;
pub mod perturb;
pub mod report;
#[cfg(test)]
mod tests;

use crate::domain::{Action, BotFacts, Channel, Decision, Lang, Nlu, ReasonCode, Role, Turn};
use crate::engine::Engine;
use std::fmt;

pub use report::Report;

/// The lowest pass rate each capability must keep per language, in each test type (MFT, INV and
/// DIR separately, so many easy invariance cases cannot hide failing minimum-functionality ones).
/// Raised toward 0.95 as the rules improve; `cargo test --test checklist` fails below.
pub const FLOORS: &[(Capability, f64, f64)] = &[
    // (capability, floor for de, floor for en): a few points under the lowest test type on main
    // after the issue 10 rules (1 December 2026).
    (Capability::HumanRequest, 0.85, 0.78),
    (Capability::OfferAccept, 0.70, 0.75),
    (Capability::PlainAnswers, 0.68, 0.63),
    (Capability::BotFailureText, 0.82, 0.80),
    (Capability::RepeatContact, 0.62, 0.62),
    (Capability::HighStakes, 0.73, 0.64),
    (Capability::ScamPressure, 0.60, 0.72),
    (Capability::AdviceSeeking, 0.58, 0.75),
    (Capability::Churn, 0.50, 0.62),
    (Capability::Abuse, 0.76, 0.75),
    (Capability::EnthusiasmTraps, 0.93, 0.93),
    (Capability::MildPolicy, 0.94, 0.93),
];

/// What a group of cases tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Requests for a person in many constructions; contrasts: agent senses, third parties,
    /// past mentions, negation.
    HumanRequest,
    /// The bot offered a human after an offer decision; a terse yes hands off, a no continues.
    OfferAccept,
    /// "no"/"nein"/"na" answering the bot's yes/no question is an answer, not a repair.
    PlainAnswers,
    /// Bot failure read from the text alone: off-target answers, near-duplicate replies,
    /// restated requests; contrast: one misunderstanding that is repaired.
    BotFailureText,
    /// "I've already called three times"; contrast: a past contact that worked.
    RepeatContact,
    /// Disowned payments and logins, blocked or copied cards, a death in the family now;
    /// contrasts: past or peripheral mentions during routine tasks.
    HighStakes,
    /// Someone pushing a vulnerable caller to transfer money urgently.
    ScamPressure,
    /// "Which of the two should I choose?" about money and contracts.
    AdviceSeeking,
    /// Leaving over price, service or after years; contrasts: content or low-value cancellations.
    Churn,
    /// Censored profanity and insults aimed at the bot.
    Abuse,
    /// Happy caps, praise and emoji are not sarcasm; negative words about a film, the weather or an
    /// old product are no complaint.
    EnthusiasmTraps,
    /// One mild negative turn gives at most an offer, never a handoff.
    MildPolicy,
}

impl Capability {
    pub const ALL: [Capability; 12] = [
        Capability::HumanRequest,
        Capability::OfferAccept,
        Capability::PlainAnswers,
        Capability::BotFailureText,
        Capability::RepeatContact,
        Capability::HighStakes,
        Capability::ScamPressure,
        Capability::AdviceSeeking,
        Capability::Churn,
        Capability::Abuse,
        Capability::EnthusiasmTraps,
        Capability::MildPolicy,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Capability::HumanRequest => "human_request",
            Capability::OfferAccept => "offer_accept",
            Capability::PlainAnswers => "plain_answers",
            Capability::BotFailureText => "bot_failure_text",
            Capability::RepeatContact => "repeat_contact",
            Capability::HighStakes => "high_stakes",
            Capability::ScamPressure => "scam_pressure",
            Capability::AdviceSeeking => "advice_seeking",
            Capability::Churn => "churn",
            Capability::Abuse => "abuse",
            Capability::EnthusiasmTraps => "enthusiasm_traps",
            Capability::MildPolicy => "mild_policy",
        }
    }

    /// The floors `(de, en)` from [`FLOORS`].
    pub fn floor(self, lang: Lang) -> f64 {
        FLOORS
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or(0.0, |&(_, de, en)| if lang == Lang::De { de } else { en })
    }
}

/// The CheckList test type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Mft,
    Inv,
    Dir,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Mft => "MFT",
            Kind::Inv => "INV",
            Kind::Dir => "DIR",
        }
    }
}

/// What the decision at a turn must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A handoff opens at this turn (not before).
    Handoff,
    /// An offer or a handoff at this turn.
    AtLeastOffer,
    /// No handoff at this turn or before (an offer is fine).
    AtMostOffer,
    /// Continue at this turn, and no handoff before.
    Continue,
    /// INV: the same action as the unperturbed conversation at this turn.
    Same,
    /// DIR: at least the action of the unperturbed conversation at this turn.
    NotLower,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expect::Handoff => "handoff",
            Expect::AtLeastOffer => "offer or handoff",
            Expect::AtMostOffer => "no handoff",
            Expect::Continue => "continue",
            Expect::Same => "same as unperturbed",
            Expect::NotLower => "not lower than unperturbed",
        })
    }
}

/// One expectation on one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Index into the case's lines.
    pub turn: usize,
    pub expect: Expect,
    /// A reason code that must be among the decision's reasons.
    pub with: Option<ReasonCode>,
    /// A reason code that must not be among them.
    pub without: Option<ReasonCode>,
}

/// One line of a generated conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub role: Role,
    pub text: String,
    pub nlu: Option<Nlu>,
    pub bot: Option<BotFacts>,
}

impl Line {
    pub fn customer(text: impl Into<String>) -> Line {
        Line {
            role: Role::Customer,
            text: text.into(),
            nlu: None,
            bot: None,
        }
    }

    pub fn bot(text: impl Into<String>) -> Line {
        Line {
            role: Role::Bot,
            text: text.into(),
            nlu: None,
            bot: None,
        }
    }
}

/// One generated test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// `capability/lang/type/number`, stable while the templates stay.
    pub id: String,
    pub capability: Capability,
    pub kind: Kind,
    pub lang: Lang,
    /// The template (and, for INV and DIR, the perturbation) it came from.
    pub name: String,
    pub lines: Vec<Line>,
    pub checks: Vec<Check>,
    /// INV and DIR: the conversation the checks compare against.
    pub baseline: Option<Vec<Line>>,
}

/// The whole suite, in a fixed order.
pub fn suite() -> Vec<Case> {
    let mut cases = Vec::new();
    for lang in [Lang::De, Lang::En] {
        for capability in Capability::ALL {
            let drafts = capabilities::mft(capability, lang);
            let mft: Vec<Case> = drafts
                .iter()
                .enumerate()
                .map(|(n, d)| d.clone().into_case(capability, Kind::Mft, lang, n))
                .collect();
            let derived = perturb::derive(&drafts, &mft, lang);
            cases.extend(mft);
            cases.extend(derived);
        }
    }
    cases
}

/// How a case went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub passed: bool,
    /// For failures: which check failed and what the engine decided.
    pub failure: Option<String>,
    /// The action label at every line (for the failure listing).
    pub actions: Vec<String>,
}

/// Runs every case through `engine` (each case its own conversation).
pub async fn run(engine: &Engine, cases: &[Case]) -> anyhow::Result<Vec<Outcome>> {
    let mut out = Vec::with_capacity(cases.len());
    for case in cases {
        let got = decide(engine, &case.id, case.lang, &case.lines).await?;
        let base = match &case.baseline {
            Some(lines) => {
                Some(decide(engine, &format!("{}#base", case.id), case.lang, lines).await?)
            }
            None => None,
        };
        let failure = case
            .checks
            .iter()
            .find_map(|c| judge(c, &got, base.as_deref()));
        out.push(Outcome {
            passed: failure.is_none(),
            failure,
            actions: got.iter().map(|d| d.action.label().to_string()).collect(),
        });
    }
    Ok(out)
}

/// Runs the suite on a fresh replay engine for `config` and returns the report.
pub fn evaluate(config: &crate::config::Config) -> anyhow::Result<Report> {
    let engine = crate::replay::engine_for(config)?;
    let cases = suite();
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let outcomes = runtime.block_on(run(&engine, &cases))?;
    Ok(Report::new(cases, outcomes))
}

async fn decide(
    engine: &Engine,
    conversation: &str,
    lang: Lang,
    lines: &[Line],
) -> anyhow::Result<Vec<Decision>> {
    let channels = [
        Channel::Webchat,
        Channel::App,
        Channel::Whatsapp,
        Channel::Webchat,
    ];
    let channel = channels[conversation.len() % channels.len()];
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let turn = Turn {
            tenant_id: "checklist".into(),
            conversation_id: conversation.to_string(),
            turn_id: i.to_string(),
            sequence: Some(i as u64 + 1),
            role: line.role,
            text: line.text.clone(),
            time_ms: 1_700_000_000_000 + i as i64 * 15_000,
            language_hint: Some(lang),
            channel,
            nlu: line.nlu.clone(),
            bot: line.bot.clone(),
            customer: None,
            metadata: Default::default(),
        };
        let d = engine
            .process(turn)
            .await
            .map_err(|e| anyhow::anyhow!("{conversation} turn {i}: {e}"))?;
        out.push(d);
    }
    Ok(out)
}

/// 0 continue, 1 offer, 2 handoff (a handoff that opened earlier leaves the bot silent: also 2).
fn rank(action: Action) -> u8 {
    match action {
        Action::Continue => 0,
        Action::OfferHandoff => 1,
        Action::Handoff | Action::OfferCallback | Action::CreateTicket | Action::StaySilent => 2,
    }
}

/// `None` when the check holds, otherwise what went wrong.
fn judge(check: &Check, got: &[Decision], base: Option<&[Decision]>) -> Option<String> {
    let Some(d) = got.get(check.turn) else {
        return Some(format!("turn {} does not exist", check.turn));
    };
    let earlier = got[..check.turn]
        .iter()
        .position(|d| d.action.opens_handoff());
    let describe = |d: &Decision| {
        let reasons: Vec<&str> = d.reasons.iter().map(|r| r.code.label()).collect();
        match earlier {
            Some(k) if d.action == Action::StaySilent => {
                format!("handed off earlier, at turn {k}")
            }
            _ => format!("{} [{}]", d.action.label(), reasons.join(", ")),
        }
    };
    let r = rank(d.action);
    let ok = match check.expect {
        Expect::Handoff => d.action.opens_handoff(),
        Expect::AtLeastOffer => {
            matches!(d.action, Action::OfferHandoff) || d.action.opens_handoff()
        }
        Expect::AtMostOffer => earlier.is_none() && r <= 1,
        Expect::Continue => earlier.is_none() && d.action == Action::Continue,
        Expect::Same | Expect::NotLower => {
            let b = base
                .and_then(|b| b.get(check.turn))
                .map_or(0, |b| rank(b.action));
            if check.expect == Expect::Same {
                r == b
            } else {
                r >= b
            }
        }
    };
    let expected = match (check.expect, base.and_then(|b| b.get(check.turn))) {
        (Expect::Same | Expect::NotLower, Some(b)) => {
            format!("{} ({})", check.expect, b.action.label())
        }
        (e, _) => e.to_string(),
    };
    if !ok {
        return Some(format!(
            "turn {}: expected {expected}, got {}",
            check.turn,
            describe(d)
        ));
    }
    if let Some(code) = check.with
        && !d.reasons.iter().any(|x| x.code == code)
    {
        return Some(format!(
            "turn {}: expected reason {}, got {}",
            check.turn,
            code.label(),
            describe(d)
        ));
    }
    if let Some(code) = check.without
        && d.reasons.iter().any(|x| x.code == code)
    {
        return Some(format!(
            "turn {}: expected no reason {}, got {}",
            check.turn,
            code.label(),
            describe(d)
        ));
    }
    None
}

/// A case before it gets its id: what the capability modules write.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub name: String,
    pub lines: Vec<Line>,
    pub checks: Vec<Check>,
    /// For DIR negation: the same conversation with the request negated, if the template has one.
    pub negated: Option<Vec<Line>>,
}

impl Draft {
    fn into_case(self, capability: Capability, kind: Kind, lang: Lang, n: usize) -> Case {
        Case {
            id: format!(
                "{}/{}/{}/{n:03}",
                capability.label(),
                lang.tag(),
                kind.label().to_lowercase()
            ),
            capability,
            kind,
            lang,
            name: self.name,
            lines: self.lines,
            checks: self.checks,
            baseline: None,
        }
    }
}
