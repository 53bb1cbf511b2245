//! The templates of each capability. Every module writes its own sentences; this file holds the
//! small language the templates are written in.
//!
//! A conversation is a list of lines `"c: text"` (customer) or `"b: text"` (bot), with optional
//! metadata: `"c[intent]: text"` gives the customer turn an NLU intent, `"b[fallback]: text"` marks
//! a bot fallback reply. `{key}` placeholders are filled by [`fill::render`].

mod abuse;
mod advice;
mod bot_failure;
mod churn;
mod enthusiasm;
mod high_stakes;
mod human_request;
mod mild;
mod offer_accept;
mod plain_answers;
mod repeat_contact;
mod scam;

use super::fill;
use super::{Capability, Check, Draft, Expect, Line};
use crate::domain::{BotFacts, Lang, Nlu, ReasonCode};

/// The minimum-functionality drafts of one capability in one language.
pub(super) fn mft(capability: Capability, lang: Lang) -> Vec<Draft> {
    match capability {
        Capability::HumanRequest => human_request::drafts(lang),
        Capability::OfferAccept => offer_accept::drafts(lang),
        Capability::PlainAnswers => plain_answers::drafts(lang),
        Capability::BotFailureText => bot_failure::drafts(lang),
        Capability::RepeatContact => repeat_contact::drafts(lang),
        Capability::HighStakes => high_stakes::drafts(lang),
        Capability::ScamPressure => scam::drafts(lang),
        Capability::AdviceSeeking => advice::drafts(lang),
        Capability::Churn => churn::drafts(lang),
        Capability::Abuse => abuse::drafts(lang),
        Capability::EnthusiasmTraps => enthusiasm::drafts(lang),
        Capability::MildPolicy => mild::drafts(lang),
    }
}

/// Parses template lines into a conversation, filling `vars`.
pub(super) fn talk(lines: &[&str], vars: &[(&str, &str)]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| {
            let (head, text) = l.split_once(": ").expect("a `c:` or `b:` prefix");
            let text = fill::render(text, vars);
            let (who, meta) = match head.split_once('[') {
                Some((who, meta)) => (who, Some(meta.trim_end_matches(']'))),
                None => (head, None),
            };
            match (who, meta) {
                ("c", None) => Line::customer(text),
                ("c", Some(intent)) => Line {
                    nlu: Some(Nlu {
                        intent: intent.to_string(),
                        confidence: Some(0.9),
                        fallback: false,
                        entities: vec![],
                    }),
                    ..Line::customer(text)
                },
                ("b", None) => Line::bot(text),
                ("b", Some("fallback")) => Line {
                    bot: Some(BotFacts {
                        fallback: true,
                        action: String::new(),
                        action_failed: false,
                    }),
                    ..Line::bot(text)
                },
                _ => panic!("bad template line head {head:?}"),
            }
        })
        .collect()
}

/// The vars every template may use from a domain.
pub(super) fn domain_vars(d: &fill::Domain) -> Vec<(&'static str, &'static str)> {
    vec![
        ("product", d.product),
        ("task", d.task),
        ("done", d.done),
        ("issue", d.issue),
        ("answer", d.answer),
        ("ask", d.ask),
        ("wrong", d.wrong),
        ("restate", d.restate),
        ("fixed", d.fixed),
    ]
}

/// Where the turn under test stands in its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opening {
    /// It opens the conversation.
    Alone,
    /// After a routine task the bot completed.
    AfterTask,
    /// After a problem and a standard bot answer that does not solve it.
    AfterIssue,
    /// After a request the bot answered with something else.
    AfterWrong,
    /// After a problem and a bot fallback (with metadata).
    AfterFallback,
    /// After a request the bot got right.
    AfterFixed,
}

/// The template line `line` (with its `c:`/`b:` head) after `opening`, filled with `vars`.
pub(super) fn opened(opening: Opening, line: &str, vars: &[(&str, &str)]) -> Vec<Line> {
    let before: &[&str] = match opening {
        Opening::Alone => &[],
        Opening::AfterTask => &["c: {task}", "b: {done}"],
        Opening::AfterIssue => &["c: {issue}", "b: {answer}"],
        Opening::AfterWrong => &["c: {ask}", "b: {wrong}"],
        Opening::AfterFallback => &["c: {issue}", "b[fallback]: {answer}"],
        Opening::AfterFixed => &["c: {ask}", "b: {fixed}"],
    };
    let mut lines = before.to_vec();
    lines.push(line);
    talk(&lines, vars)
}

/// Each customer template after each opening, the domain rotating, checked on the last line.
/// `extra` gives case-specific fillers for case number `n`; `{name}` is a customer name. A template
/// that states what the opening's customer turn says (`{issue}`, `{task}`, `{ask}`) is not put
/// after it.
pub(super) fn spread(
    lang: Lang,
    name: &str,
    templates: &[&str],
    openings: &[Opening],
    domains: &[fill::Domain],
    expect: Expect,
    extra: &dyn Fn(usize) -> Vec<(&'static str, &'static str)>,
) -> Vec<Draft> {
    let mut out = Vec::new();
    for (i, template) in templates.iter().enumerate() {
        for (k, &opening) in openings.iter().enumerate() {
            let repeated = match opening {
                Opening::Alone => None,
                Opening::AfterTask => Some("{task}"),
                Opening::AfterIssue | Opening::AfterFallback => Some("{issue}"),
                Opening::AfterWrong | Opening::AfterFixed => Some("{ask}"),
            };
            if repeated.is_some_and(|r| template.contains(r)) {
                continue;
            }
            let n = i * openings.len() + k;
            let domain = fill::pick(domains, n, k);
            let mut vars = domain_vars(&domain);
            vars.push(("name", fill::pick(fill::names(lang), n, 9)));
            vars.extend(extra(n));
            let lines = opened(opening, &format!("c: {template}"), &vars);
            out.push(last(&format!("{name} {i} ({})", domain.key), lines, expect));
        }
    }
    out
}

/// A draft checked on its last line.
pub(super) fn last(name: &str, lines: Vec<Line>, expect: Expect) -> Draft {
    let turn = lines.len() - 1;
    Draft {
        name: name.to_string(),
        lines,
        checks: vec![Check {
            turn,
            expect,
            with: None,
            without: None,
        }],
        negated: None,
    }
}

impl Draft {
    /// The last check also requires `code` among the reasons.
    pub(super) fn with(mut self, code: ReasonCode) -> Draft {
        if let Some(c) = self.checks.last_mut() {
            c.with = Some(code);
        }
        self
    }

    /// The last check forbids `code` among the reasons.
    pub(super) fn without(mut self, code: ReasonCode) -> Draft {
        if let Some(c) = self.checks.last_mut() {
            c.without = Some(code);
        }
        self
    }

    /// Adds a check on another line (e.g. an offer before the acceptance).
    pub(super) fn check(mut self, turn: usize, expect: Expect) -> Draft {
        self.checks.push(Check {
            turn,
            expect,
            with: None,
            without: None,
        });
        self.checks.sort_by_key(|c| c.turn);
        self
    }

    /// The conversation with the request negated, for the DIR negation case.
    pub(super) fn negated(mut self, lines: Vec<Line>) -> Draft {
        self.negated = Some(lines);
        self
    }
}
