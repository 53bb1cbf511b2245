//! High stakes in everyday words: a payment or login the customer disowns, a card to block or a
//! card copied, a death in the family now (also in noun form). Contrasts: past or peripheral
//! mentions during routine tasks.

use super::{Draft, Expect, Opening, spread};
use crate::checklist::fill::{self, pick};
use crate::domain::Lang;

const PRESENT_DE: &[&str] = &[
    "Auf meinem Konto ist eine Abbuchung über {amount} von {merchant}, die habe ich nicht gemacht.",
    "Diese Zahlung an {merchant} über {amount} war ich nicht.",
    "Da hat sich jemand in mein Kundenkonto eingeloggt, das war nicht ich.",
    "Ich habe eine Anmeldung aus {city} gemeldet bekommen, ich war aber nie dort.",
    "Bitte sperren Sie sofort meine Karte.",
    "Meine Kreditkarte wurde kopiert, da laufen fremde Buchungen über {amount}.",
    "Ich glaube, meine Karte wurde am Automaten ausgelesen. Da sind Abhebungen, die ich nicht kenne.",
    "Nach dem Tod {relative} muss ich {product} auf mich umschreiben lassen.",
    "Wegen des Todes {relative} letzte Woche möchte ich wissen, was mit dem Vertrag passiert.",
    "{relative_cap} ist am Sonntag gestorben, und die Abbuchungen laufen noch auf den Namen.",
    "Ich habe diese Bestellung über {amount} nicht aufgegeben, jemand benutzt mein Konto.",
    "Jemand hat meine Rufnummer auf eine neue SIM-Karte übertragen, ich habe kein Netz mehr.",
    "Mein Passwort wurde geändert, und zwar nicht von mir.",
    "Seit dem Tod {relative} vorgestern weiß ich nicht, wie es mit unseren Verträgen weitergeht.",
    "Do isch e Abbuechig vo {amount} vo {merchant}, wo-n-i nöd gmacht ha.",
    "Bitte sperrn S' ma sofort mei Kartn, de is weg.",
    "hab die zahlung an {merchant} nich gemacht!!! {amount} einfach weg",
];

const PRESENT_EN: &[&str] = &[
    "There's a payment of {amount} to {merchant} on my account that I didn't make.",
    "I didn't make this payment to {merchant} for {amount}.",
    "Someone has logged into my account, and it wasn't me.",
    "I got a login alert from {city} but I've never been there.",
    "Please block my card right now.",
    "My credit card has been copied, there are payments of {amount} I don't know.",
    "I think my card was skimmed at a cash machine, there are withdrawals I don't recognise.",
    "Following the death of {relative} I need to transfer {product} into my name.",
    "After the death of {relative} last week I want to know what happens to the contract.",
    "{relative_cap} died on Sunday and the direct debits are still running in their name.",
    "I never placed this order for {amount}, someone is using my account.",
    "Someone moved my number to a new SIM, I've got no signal any more.",
    "My password has been changed, and not by me.",
    "Since the death of {relative} the day before yesterday I don't know what to do about {product}.",
    "theres a charge from {merchant} on my card i never made, {amount}!!",
    "Block me card now please, it's been nicked.",
    "Hello, this is {name}. I've just had a text saying my password was reset, and I didn't do that.",
];

/// (genitive "meines Mannes" or "my husband", with a capital "Mein Mann").
const RELATIVES_DE: &[(&str, &str)] = &[
    ("meines Mannes", "Mein Mann"),
    ("meiner Frau", "Meine Frau"),
    ("meines Vaters", "Mein Vater"),
    ("meiner Mutter", "Meine Mutter"),
    ("meines Partners", "Mein Partner"),
];

const RELATIVES_EN: &[(&str, &str)] = &[
    ("my husband", "My husband"),
    ("my wife", "My wife"),
    ("my father", "My father"),
    ("my mother", "My mother"),
    ("my partner", "My partner"),
];

const AMOUNTS_DE: &[&str] = &["89,99 Euro", "249 Euro", "1.200 Euro", "37,50 Euro"];
const AMOUNTS_EN: &[&str] = &["89.99 pounds", "249 pounds", "1,200 pounds", "37.50 pounds"];
const MERCHANTS: &[&str] = &["PayFast", "GameVault", "LuxShop24", "TicketKing"];
const CITIES: &[&str] = &["Lagos", "Minsk", "Manila", "São Paulo"];

/// Routine tasks with a past or peripheral mention.
const ROUTINE_DE: &[&str] = &[
    "Meine Mutter ist vor sechs Jahren gestorben, ich wohne jetzt in ihrem alten Haus. Ich möchte nur meine neue Adresse eintragen.",
    "Wie ändere ich die PIN meiner Karte?",
    "Ich habe gestern {amount} an {merchant} bezahlt und brauche dafür eine Quittung.",
    "Der Krimi gestern, in dem der Ehemann stirbt, war spannend. Kann ich die Folge noch einmal ansehen?",
    "Ich habe die Karte letztes Jahr schon mal sperren lassen, das hat super geklappt. Jetzt brauche ich eine PIN für die neue.",
    "Ich habe mich gestern vom neuen Laptop eingeloggt. Wo finde ich jetzt die Rechnung?",
    "Mein Vater ist schon lange tot, die Konten sind längst umgeschrieben. Ich möchte nur meine E-Mail-Adresse ändern.",
    "Die Karte, die ich letzte Woche als verloren gemeldet habe, ist wieder aufgetaucht, die neue ist auch schon da. Wie aktiviere ich sie?",
    "Ich möchte das Konto meiner verstorbenen Oma, das seit Jahren auf mich läuft, in ein Tagesgeldkonto umwandeln.",
    "Kann ich die Zahlung an {merchant} über {amount} in Raten aufteilen?",
];

const ROUTINE_EN: &[&str] = &[
    "My mum died six years ago and I live in her old house now. I just want to update my address.",
    "How do I change my card PIN?",
    "I paid {amount} to {merchant} yesterday and need a receipt for it.",
    "That crime series where the husband dies was great, can I watch the last episode again?",
    "I had my card blocked last year and it all went fine, now I need a PIN for the new one.",
    "I logged in from my new laptop yesterday. Where do I find my bill now?",
    "My dad passed away a long time ago and the accounts were transferred ages ago. I just want to change my email address.",
    "The card I reported lost last week turned up again, and the new one has arrived too. How do I activate it?",
    "I'd like to turn my late gran's account, which has been in my name for years, into a savings account.",
    "Can I split the payment of {amount} to {merchant} into instalments?",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (present, routine, relatives, amounts) = match lang {
        Lang::De => (PRESENT_DE, ROUTINE_DE, RELATIVES_DE, AMOUNTS_DE),
        Lang::En => (PRESENT_EN, ROUTINE_EN, RELATIVES_EN, AMOUNTS_EN),
    };
    let fillers = |n: usize| {
        let (genitive, nominative) = pick(relatives, n, 1);
        vec![
            ("amount", pick(amounts, n, 2)),
            ("merchant", pick(MERCHANTS, n, 3)),
            ("city", pick(CITIES, n, 4)),
            ("relative", genitive),
            ("relative_cap", nominative),
        ]
    };
    let domains = fill::domains(lang);
    let mut out = spread(
        lang,
        "high stakes",
        present,
        &[Opening::Alone, Opening::AfterTask, Opening::AfterIssue],
        domains,
        Expect::Handoff,
        &fillers,
    );
    out.extend(spread(
        lang,
        "contrast: routine with a past mention",
        routine,
        &[Opening::Alone, Opening::AfterTask],
        domains,
        Expect::AtMostOffer,
        &fillers,
    ));
    out
}
