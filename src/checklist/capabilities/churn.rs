//! Churn with its reasons (price, service, tenure): hand off. Contrasts: a content customer, a
//! low-value cancellation.

use super::{Draft, Expect, Opening, spread};
use crate::checklist::fill::{self, pick};
use crate::domain::Lang;

const LEAVING_DE: &[&str] = &[
    "Nach {years} Jahren als Kunde kündige ich {product}. Die Preiserhöhung mache ich nicht mit.",
    "Ich bin seit {years} Jahren bei Ihnen, aber bei dem Service wechsle ich jetzt.",
    "Der neue Preis ist mir zu hoch, ich will {product} zum Monatsende kündigen.",
    "Die Konkurrenz bietet dasselbe für die Hälfte. Ich überlege ernsthaft zu wechseln.",
    "Wie kündige ich {product}? {years} Jahre treu, und dann so eine Erhöhung.",
    "Nach dem dritten Ausfall in diesem Monat reicht es mir, ich möchte {product} kündigen.",
    "Bitte kündigen Sie {product}. {years} Jahre war ich zufrieden, seit der Preiserhöhung nicht mehr.",
    "Ich habe ein günstigeres Angebot bekommen und werde wechseln, außer Sie kommen mir entgegen.",
    "Seit {years} Jahren zahle ich pünktlich, und jetzt wird es schon wieder teurer. Ich bin weg.",
    "So schlecht erreichbar wie Sie ist keiner. Ich kündige {product}.",
    "I kündig jetzt nach {years} Johr, de Priis isch eifach z'höch.",
    "Nach {years} Jahr reicht's ma, i kündig, des is ma z'teuer gwordn.",
    "{name} hier, Kunde seit {years} Jahren. Wenn der Preis so bleibt, bin ich zum Quartalsende weg.",
];

const LEAVING_EN: &[&str] = &[
    "After {years} years as a customer I'm cancelling {product}. I won't go along with the price rise.",
    "I've been with you for {years} years, but with service like this I'm switching.",
    "The new price is too much for me, I want to cancel {product} at the end of the month.",
    "The competition offers the same for half the price. I'm seriously thinking of leaving.",
    "How do I cancel {product}? {years} years loyal and then a price hike like that.",
    "After the third outage this month I've had enough, I want to cancel {product}.",
    "Please cancel {product}. I was happy for {years} years, but not since the price went up.",
    "I've had a cheaper offer and I'll switch unless you can meet me halfway.",
    "I've paid on time for {years} years and now it's going up again. I'm off.",
    "Nobody is as hard to reach as you lot. I'm cancelling {product}.",
    "ur prices went up again so im cancelling {product}, been with u {years} years",
    "{name} here, customer for {years} years. If the price stays like this I'm gone at the end of the quarter.",
    "Honestly the service has gone downhill, I'm moving {product} elsewhere after {years} years.",
];

const YEARS: &[&str] = &["zwölf", "acht", "15", "zwanzig", "sechs"];
const YEARS_EN: &[&str] = &["twelve", "eight", "15", "twenty", "six"];

const STAYING_DE: &[&str] = &[
    "Ich bin sehr zufrieden mit Ihnen! Ich wollte nur wissen, bis wann mein Vertrag läuft.",
    "Bitte kündigen Sie mein Zusatzpaket Sport für 4,99 Euro, ich schaue kein Fußball mehr.",
    "Den Newsletter möchte ich abbestellen, sonst ist alles prima.",
    "Die kostenlose Probezeit möchte ich nicht verlängern, hat mir aber gut gefallen.",
    "Ich ziehe zu meinem Partner, der schon Kunde bei Ihnen ist. Mein eigener Vertrag kann also weg, wie geht das?",
    "Die Handyversicherung für mein altes Gerät brauche ich nicht mehr, das Handy ist verkauft. Wie kündige ich die?",
];

const STAYING_EN: &[&str] = &[
    "I'm very happy with you! I only wanted to know until when {product} runs.",
    "Please cancel my sports add-on for 4.99, I don't watch football any more.",
    "I'd like to unsubscribe from the newsletter, everything else is great.",
    "I don't want to extend the free trial, but I did enjoy it.",
    "I'm moving in with my partner, who's already your customer. So my own contract can go, how do I do that?",
    "I don't need the phone insurance for my old handset any more, I sold it. How do I cancel it?",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (leaving, staying, years) = match lang {
        Lang::De => (LEAVING_DE, STAYING_DE, YEARS),
        Lang::En => (LEAVING_EN, STAYING_EN, YEARS_EN),
    };
    let domains = fill::domains(lang);
    let mut out = spread(
        lang,
        "leaving",
        leaving,
        &[Opening::Alone, Opening::AfterTask, Opening::AfterIssue],
        domains,
        Expect::Handoff,
        &|n| vec![("years", pick(years, n, 1))],
    );
    out.extend(spread(
        lang,
        "contrast: content or low value",
        staying,
        &[Opening::Alone, Opening::AfterTask],
        domains,
        Expect::AtMostOffer,
        &|_| vec![],
    ));
    out
}
