//! "I've already written/called three times": hand off. Contrast: a past contact that worked.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
use crate::domain::Lang;

const REPEATS_DE: &[&str] = &[
    "{issue} Ich habe deswegen schon dreimal angerufen.",
    "Ich schreibe Ihnen jetzt zum vierten Mal wegen derselben Sache: {issue}",
    "Das ist mein dritter Anruf diese Woche, und es ist immer noch nicht gelöst.",
    "Ich habe schon zwei Mails geschickt und nie eine Antwort bekommen.",
    "Schon wieder ich. Letzte Woche zweimal angerufen, jedes Mal hieß es, das wird erledigt.",
    "Ich habe mich bereits mehrfach gemeldet, zuletzt am Montag. {issue}",
    "Wie oft soll ich mich denn noch melden? Das ist jetzt das fünfte Mal.",
    "Ich war deswegen schon zweimal im Chat und einmal an der Hotline.",
    "I hab eh scho dreimal angrufn deswegen, und nix is passiert.",
    "Seit drei Wochen schreibe ich Ihnen, und es tut sich nichts.",
    "{issue} Das habe ich Ihnen schon letzte Woche und vorletzte Woche geschrieben.",
    "Ich hab das schon x-mal gemeldet, jedes Mal dieselbe Antwort.",
];

const REPEATS_EN: &[&str] = &[
    "{issue} I've already called three times about this.",
    "This is the fourth time I'm writing to you about the same thing: {issue}",
    "Third call this week and it's still not sorted.",
    "I've sent two emails already and never got an answer.",
    "Me again. I rang twice last week and each time I was told it would be fixed.",
    "I've contacted you several times already, most recently on Monday. {issue}",
    "How many more times do I have to get in touch? This is the fifth.",
    "I've been on the chat twice and on the phone once about this.",
    "I've rung yous three times now and nothing's happened.",
    "I've been writing to you for three weeks and nothing happens.",
    "{issue} I told you this last week and the week before.",
    "Already reported this loads of times, same answer every time.",
];

const WORKED_DE: &[&str] = &[
    "Beim letzten Mal hat mir Ihr Kollege am Telefon schnell geholfen, danke nochmal! Heute nur kurz: {task}",
    "Ich habe letzten Monat schon einmal angerufen, das Problem ist seitdem gelöst. Jetzt eine neue Frage: {task}",
    "Hab euch vor zwei Wochen geschrieben und alles hat geklappt. {task}",
    "Ich hatte mich schon mal gemeldet, da lief alles super. Diesmal: {task}",
    "Letztes Jahr hatte ich dreimal mit Ihnen zu tun, immer prima. {task}",
];

const WORKED_EN: &[&str] = &[
    "Last time your colleague on the phone sorted me out quickly, thanks again! Just a quick one today: {task}",
    "I called once last month and the problem has been fixed since. New question now: {task}",
    "Wrote to you two weeks ago and everything worked out. {task}",
    "I've been in touch before and it all went smoothly. This time: {task}",
    "I dealt with you three times last year, always great. {task}",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (repeats, worked) = match lang {
        Lang::De => (REPEATS_DE, WORKED_DE),
        Lang::En => (REPEATS_EN, WORKED_EN),
    };
    let domains = fill::domains(lang);
    let mut out = Vec::new();
    for (i, template) in repeats.iter().enumerate() {
        for k in 0..3 {
            let n = i * 3 + k;
            let domain = pick(domains, n, k);
            let vars = domain_vars(&domain);
            let line = format!("c: {template}");
            let lines = match k {
                0 => talk(&[&line], &vars),
                1 => talk(&["c: {issue}", "b: {answer}", &line], &vars),
                _ => talk(&["c: {ask}", "b: {wrong}", &line], &vars),
            };
            // The same statement in an opening turn and after the bot's reply.
            if k == 2 && template.contains("{issue}") {
                continue;
            }
            out.push(last(
                &format!("repeat contact {i} ({})", domain.key),
                lines,
                Expect::Handoff,
            ));
        }
    }
    for (i, template) in worked.iter().enumerate() {
        for k in 0..2 {
            let n = i * 2 + k;
            let domain = pick(domains, n, 5);
            let vars = domain_vars(&domain);
            let line = format!("c: {template}");
            let thanks = if lang == Lang::De {
                "c: Danke!"
            } else {
                "c: Thanks!"
            };
            let lines = if k == 0 {
                talk(&[&line], &vars)
            } else {
                talk(&[&line, "b: {done}", thanks], &vars)
            };
            out.push(last(
                &format!("contrast: a past contact that worked {i} ({})", domain.key),
                lines,
                Expect::AtMostOffer,
            ));
        }
    }
    out
}
