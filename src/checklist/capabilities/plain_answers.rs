//! "no", "nein", Austrian "na" answering the bot's yes/no question is an answer: no repair, no
//! handoff. Positives: a bare "no" to "did that answer your question?" after two failures.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
use crate::domain::{Lang, ReasonCode};

const QUESTIONS_DE: &[&str] = &[
    "Kann ich sonst noch etwas für Sie tun?",
    "Haben Sie noch weitere Fragen?",
    "Möchten Sie zusätzlich eine Bestätigung per SMS?",
    "Soll ich Ihnen den Link noch einmal schicken?",
    "Gibt es noch etwas, das ich für dich tun kann?",
    "Möchten Sie unseren Newsletter abonnieren?",
    "Brauchen Sie eine Kopie davon per Post?",
    "War das alles für heute?",
    "Darf ich sonst noch helfen?",
    "Möchtest du noch etwas anderes erledigen?",
];

const QUESTIONS_EN: &[&str] = &[
    "Is there anything else I can do for you?",
    "Do you have any other questions?",
    "Would you like a confirmation by text as well?",
    "Shall I send you the link again?",
    "Anything else I can help with?",
    "Would you like to sign up for our newsletter?",
    "Do you need a paper copy of that?",
    "Was that everything for today?",
    "Can I help with anything else?",
    "Is there something else you'd like to sort out?",
];

const ANSWERS_DE: &[&str] = &[
    "Nein.",
    "nein danke",
    "Nein, das war's.",
    "Na, passt scho.",
    "Nein, danke, alles gut.",
    "nö",
    "Nein, brauche ich nicht.",
    "na, danke",
    "Nein, vielen Dank!",
    "Ne, alles erledigt.",
    "nein",
    "Nein danke, schönen Tag noch.",
    "NEIN DANKE",
    "Nein, sonst nichts.",
];

const ANSWERS_EN: &[&str] = &[
    "No.",
    "no thanks",
    "No, that's all.",
    "Nope, all good.",
    "No, thank you!",
    "nah",
    "No, I don't need that.",
    "no that's everything",
    "Naw, I'm grand.",
    "No, cheers.",
    "no",
    "No thanks, have a nice day.",
    "NO THANKS",
    "No, nothing else.",
];

/// A bot question whose "no" means the bot failed (after two failures).
const FAILED_DE: &str = "Hat das Ihre Frage beantwortet?";
const FAILED_EN: &str = "Did that answer your question?";

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (questions, answers, failed) = match lang {
        Lang::De => (QUESTIONS_DE, ANSWERS_DE, FAILED_DE),
        Lang::En => (QUESTIONS_EN, ANSWERS_EN, FAILED_EN),
    };
    let domains = fill::domains(lang);
    let mut out = Vec::new();
    // A task done, the bot asks, the customer says no.
    for n in 0..24 {
        let domain = pick(domains, n, 1);
        let question = pick(questions, n, 2);
        let answer = answers[n % answers.len()];
        let lines = talk(
            &[
                "c: {task}",
                &format!("b: {{done}} {question}"),
                &format!("c: {answer}"),
            ],
            &domain_vars(&domain),
        );
        out.push(
            last(&format!("'{answer}' after a task"), lines, Expect::Continue)
                .without(ReasonCode::Repair),
        );
    }
    // The question in the middle of a longer exchange, the conversation goes on after the no.
    for n in 0..12 {
        let domain = pick(domains, n + 2, 3);
        let question = pick(questions, n, 4);
        let answer = answers[(n + 5) % answers.len()];
        let lines = talk(
            &[
                "c: {issue}",
                &format!("b: {{answer}} {question}"),
                &format!("c: {answer}"),
            ],
            &domain_vars(&domain),
        );
        out.push(
            last(
                &format!("'{answer}' after a standard answer"),
                lines,
                Expect::AtMostOffer,
            )
            .without(ReasonCode::Repair),
        );
    }
    // A no that follows a fixed request.
    for n in 0..8 {
        let domain = pick(domains, n + 4, 5);
        let question = pick(questions, n + 3, 6);
        let answer = answers[(n + 9) % answers.len()];
        let lines = talk(
            &[
                "c: {ask}",
                &format!("b: {{fixed}} {question}"),
                &format!("c: {answer}"),
            ],
            &domain_vars(&domain),
        );
        out.push(
            last(
                &format!("'{answer}' after a solved request"),
                lines,
                Expect::Continue,
            )
            .without(ReasonCode::Repair),
        );
    }
    // Positives: a bare no to "did that answer your question?" after two off-target answers.
    for n in 0..6 {
        let domain = pick(domains, n, 7);
        let answer = answers[[0, 1, 5, 10, 2, 12][n]];
        let lines = talk(
            &[
                "c: {ask}",
                "b: {wrong}",
                "c: {restate}",
                &format!("b: {{wrong}} {failed}"),
                &format!("c: {answer}"),
            ],
            &domain_vars(&domain),
        );
        out.push(last(
            &format!("'{answer}' after two wrong answers"),
            lines,
            Expect::AtLeastOffer,
        ));
    }
    out
}
