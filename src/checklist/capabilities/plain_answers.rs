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

/// Yes/no questions inside a flow, answered "no" with more information: still answers.
/// (customer opening, bot question, answer.)
const FLOW_DE: &[(&str, &str, &str)] = &[
    (
        "Ich möchte meine Rechnungen künftig per Post bekommen.",
        "Gern. Ist Ihre Adresse noch Lindenweg 5 in Graz?",
        "Nein, ich bin letzten Monat umgezogen, jetzt Am Anger 12.",
    ),
    (
        "Mein Internet ist seit heute früh sehr langsam.",
        "Haben Sie den Router schon einmal neu gestartet?",
        "Nein, noch nicht. Mache ich gleich.",
    ),
    (
        "Ich möchte den Tarif für unseren Festnetzanschluss wechseln.",
        "Sind Sie selbst Inhaber des Vertrags?",
        "Nein, meine Frau. Ich habe aber eine Vollmacht.",
    ),
    (
        "Wo ist mein Paket mit der Nummer 4471-2290?",
        "Es ist im Paketzentrum. Möchten Sie die Sendungsverfolgung per SMS?",
        "Nein, E-Mail reicht mir. Wann kommt das Paket genau?",
    ),
    (
        "Ich möchte meinen Vertrag verlängern.",
        "Soll die Zahlung wie bisher per Lastschrift laufen?",
        "nein lieber per rechnung",
    ),
    (
        "Ich will meine Telefonnummer im Kundenkonto ändern.",
        "Ist die Nummer, die auf der Rechnung steht, noch aktuell?",
        "Na, die hat sich geändert, die neue ist 0664 1234567.",
    ),
    (
        "Ich möchte ein Zimmer für zwei Nächte im Mai buchen.",
        "Reisen Sie mit Haustier?",
        "Nein, nur mein Mann und ich.",
    ),
    (
        "Ich hab eine Frage zur Stromrechnung.",
        "Geht es um die Jahresabrechnung?",
        "Nein, um die Abschlagsrechnung vom März.",
    ),
];

const FLOW_EN: &[(&str, &str, &str)] = &[
    (
        "I'd like to get my bills by post from now on.",
        "Sure. Is your address still 5 Linden Way, Leeds?",
        "No, I moved last month, it's 12 Church Lane now.",
    ),
    (
        "My internet has been really slow since this morning.",
        "Have you tried restarting the router?",
        "No, not yet. I'll do that now.",
    ),
    (
        "I want to change the plan on our landline.",
        "Are you the account holder yourself?",
        "No, my wife is. I have power of attorney though.",
    ),
    (
        "Where is my parcel with number 4471-2290?",
        "It's at the depot. Would you like tracking updates by text?",
        "No, email is fine. When exactly will it come?",
    ),
    (
        "I'd like to renew my contract.",
        "Should the payment stay on direct debit as before?",
        "no rather by invoice",
    ),
    (
        "I want to change my phone number on my account.",
        "Is the number on your bill still current?",
        "Nah, it's changed, the new one is 07700 900456.",
    ),
    (
        "I'd like to book a room for two nights in May.",
        "Are you travelling with a pet?",
        "No, just my husband and me.",
    ),
    (
        "I have a question about my electricity bill.",
        "Is it about the annual statement?",
        "No, it's about the instalment bill from March.",
    ),
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
    // A "no" with new information, inside a flow; with and without the customer's opening.
    let flow = match lang {
        Lang::De => FLOW_DE,
        Lang::En => FLOW_EN,
    };
    for (n, (opening, question, answer)) in flow.iter().enumerate() {
        for with_opening in [true, false] {
            let question = format!("b: {question}");
            let answer = format!("c: {answer}");
            let opening = format!("c: {opening}");
            let lines = if with_opening {
                talk(&[&opening, &question, &answer], &[])
            } else {
                talk(&[&question, &answer], &[])
            };
            out.push(
                last(
                    &format!("no with information {n}"),
                    lines,
                    Expect::AtMostOffer,
                )
                .without(ReasonCode::Repair),
            );
        }
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
