//! "I've already written/called three times": hand off. Contrast: a past contact that worked.

use super::{Draft, Expect, Opening, spread};
use crate::checklist::fill;
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
    "hier nochmal {name}, hab schon 3x angerufen wegen dem gleichen, immer noch nix",
    "Ich ha scho drüü Mal aglüütet und no immer kei Lösig.",
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
    "its {name} again, called 3 times already about the same thing, still nothing",
    "I've phoned about this on three separate occasions and it's still not resolved.",
];

const WORKED_DE: &[&str] = &[
    "Beim letzten Mal hat mir Ihr Kollege am Telefon schnell geholfen, danke nochmal! Heute nur kurz: {task}",
    "Ich habe letzten Monat schon einmal angerufen, das Problem ist seitdem gelöst. Jetzt eine neue Frage: {task}",
    "Hab euch vor zwei Wochen geschrieben und alles hat geklappt. {task}",
    "Ich hatte mich schon mal gemeldet, da lief alles super. Diesmal: {task}",
    "Ich hatte vor einem Monat angerufen, und die Gutschrift kam wie versprochen. Können Sie mir die Rechnung dazu schicken?",
    "Letztes Jahr hatte ich dreimal mit Ihnen zu tun, immer prima. Wo finde ich meine Kundennummer?",
    "Ihre Kollegin hat mir gestern am Telefon alles erklärt, es hat funktioniert. Ich wollte nur Danke sagen.",
    "Ich habe schon mal angerufen und die neue Adresse durchgegeben, ist die jetzt hinterlegt?",
];

const WORKED_EN: &[&str] = &[
    "Last time your colleague on the phone sorted me out quickly, thanks again! Just a quick one today: {task}",
    "I called once last month and the problem has been fixed since. New question now: {task}",
    "Wrote to you two weeks ago and everything worked out. {task}",
    "I've been in touch before and it all went smoothly. This time: {task}",
    "I rang a month ago and the credit came through as promised. Could you send me the invoice for it?",
    "I dealt with you three times last year, always great. Where do I find my customer number?",
    "Your colleague explained everything on the phone yesterday and it worked. I just wanted to say thanks.",
    "I've called before and gave you my new address, is it on file now?",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (repeats, worked) = match lang {
        Lang::De => (REPEATS_DE, WORKED_DE),
        Lang::En => (REPEATS_EN, WORKED_EN),
    };
    let domains = fill::domains(lang);
    let mut out = spread(
        lang,
        "repeat contact",
        repeats,
        &[Opening::Alone, Opening::AfterIssue, Opening::AfterWrong],
        domains,
        Expect::Handoff,
        &|_| vec![],
    );
    out.extend(spread(
        lang,
        "contrast: a past contact that worked",
        worked,
        &[Opening::Alone, Opening::AfterTask],
        domains,
        Expect::AtMostOffer,
        &|_| vec![],
    ));
    out
}
