//! Requests for a person: request forms × person nouns in four openings, callbacks, "not a bot",
//! typos of long person nouns, Swiss and Austrian forms, the bot's NLU intent; contrasts where
//! "agent" or a person noun means something else, a third party, the past, or is negated.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
use crate::checklist::perturb::typo_word;
use crate::domain::{Lang, ReasonCode};

/// A person noun in the cases German needs: nominative, accusative, dative, and "no one of them".
#[derive(Clone, Copy)]
struct Person {
    nom: &'static str,
    acc: &'static str,
    dat: &'static str,
    none: &'static str,
    /// The noun itself (typos are made on it when it has 7+ letters).
    noun: &'static str,
}

const fn p(
    nom: &'static str,
    acc: &'static str,
    dat: &'static str,
    none: &'static str,
    noun: &'static str,
) -> Person {
    Person {
        nom,
        acc,
        dat,
        none,
        noun,
    }
}

const PERSONS_DE: &[Person] = &[
    p(
        "ein Mitarbeiter",
        "einen Mitarbeiter",
        "einem Mitarbeiter",
        "keinen Mitarbeiter",
        "Mitarbeiter",
    ),
    p(
        "ein Mensch",
        "einen Menschen",
        "einem Menschen",
        "keinen Menschen",
        "Menschen",
    ),
    p(
        "ein Berater",
        "einen Berater",
        "einem Berater",
        "keinen Berater",
        "Berater",
    ),
    p(
        "ein Kundenberater",
        "einen Kundenberater",
        "einem Kundenberater",
        "keinen Kundenberater",
        "Kundenberater",
    ),
    p(
        "ein Fachmann",
        "einen Fachmann",
        "einem Fachmann",
        "keinen Fachmann",
        "Fachmann",
    ),
    p(
        "ein Sachbearbeiter",
        "einen Sachbearbeiter",
        "einem Sachbearbeiter",
        "keinen Sachbearbeiter",
        "Sachbearbeiter",
    ),
    p(
        "ein Experte",
        "einen Experten",
        "einem Experten",
        "keinen Experten",
        "Experten",
    ),
    p(
        "ein Kundenservicemitarbeiter",
        "einen Kundenservicemitarbeiter",
        "einem Kundenservicemitarbeiter",
        "keinen Kundenservicemitarbeiter",
        "Kundenservicemitarbeiter",
    ),
    p(
        "eine Mitarbeiterin",
        "eine Mitarbeiterin",
        "einer Mitarbeiterin",
        "keine Mitarbeiterin",
        "Mitarbeiterin",
    ),
    p(
        "ein Vorgesetzter",
        "einen Vorgesetzten",
        "einem Vorgesetzten",
        "keinen Vorgesetzten",
        "Vorgesetzten",
    ),
    p("jemand", "jemanden", "jemandem", "niemanden", "jemand"),
    p(
        "eine echte Person",
        "eine echte Person",
        "einer echten Person",
        "keine echte Person",
        "Person",
    ),
    p(
        "ein Spezialist",
        "einen Spezialisten",
        "einem Spezialisten",
        "keinen Spezialisten",
        "Spezialisten",
    ),
    p(
        "ein Kollege von Ihnen",
        "einen Kollegen von Ihnen",
        "einem Kollegen von Ihnen",
        "keinen Kollegen von Ihnen",
        "Kollegen",
    ),
    p(
        "ein Ansprechpartner",
        "einen Ansprechpartner",
        "einem Ansprechpartner",
        "keinen Ansprechpartner",
        "Ansprechpartner",
    ),
];

const PERSONS_EN: &[Person] = &[
    p("an agent", "an agent", "an agent", "an agent", "agent"),
    p("a human", "a human", "a human", "a human", "human"),
    p(
        "an advisor",
        "an advisor",
        "an advisor",
        "an advisor",
        "advisor",
    ),
    p(
        "a consultant",
        "a consultant",
        "a consultant",
        "a consultant",
        "consultant",
    ),
    p("an expert", "an expert", "an expert", "an expert", "expert"),
    p(
        "a specialist",
        "a specialist",
        "a specialist",
        "a specialist",
        "specialist",
    ),
    p(
        "a supervisor",
        "a supervisor",
        "a supervisor",
        "a supervisor",
        "supervisor",
    ),
    p(
        "a real person",
        "a real person",
        "a real person",
        "a real person",
        "person",
    ),
    p("someone", "someone", "someone", "anyone", "someone"),
    p(
        "a manager",
        "a manager",
        "a manager",
        "a manager",
        "manager",
    ),
    p(
        "a colleague of yours",
        "a colleague of yours",
        "a colleague of yours",
        "a colleague of yours",
        "colleague",
    ),
    p(
        "a customer service rep",
        "a customer service rep",
        "a customer service rep",
        "a customer service rep",
        "customer",
    ),
    p(
        "a representative",
        "a representative",
        "a representative",
        "a representative",
        "representative",
    ),
    p(
        "somebody from your team",
        "somebody from your team",
        "somebody from your team",
        "anybody from your team",
        "somebody",
    ),
];

/// Request forms: (request, its negation). `{nom}`, `{acc}`, `{dat}`, `{none}` are the person.
const FORMS_DE: &[(&str, &str)] = &[
    (
        "Ich möchte bitte mit {dat} sprechen.",
        "Ich muss nicht mit {dat} sprechen, sagen Sie mir nur, wie es weitergeht.",
    ),
    (
        "Können Sie mich mit {dat} verbinden?",
        "Sie müssen mich nicht mit {dat} verbinden, die Auskunft reicht mir.",
    ),
    (
        "Verbinden Sie mich bitte mit {dat}.",
        "Bitte verbinden Sie mich nicht mit {dat}, ich will das hier im Chat klären.",
    ),
    (
        "Jetzt will ich endlich mit {dat} reden.",
        "Ich will gar nicht mit {dat} reden, nur eine kurze Antwort.",
    ),
    (
        "Also, ich hätte gern {acc} am Telefon.",
        "Also, ich brauche dafür {none} am Telefon.",
    ),
    (
        "Ich brauche {acc}, das kann der Bot nicht klären.",
        "Ich brauche {none}, das kann der Bot bestimmt klären.",
    ),
    (
        "Kann mich {nom} bitte zurückrufen?",
        "Es muss mich {none} zurückrufen, eine E-Mail reicht.",
    ),
    (
        "Stellen Sie mich bitte zu {dat} durch.",
        "Bitte stellen Sie mich nicht zu {dat} durch, ich warte lieber auf die E-Mail.",
    ),
    (
        "Gibt es die Möglichkeit, mit {dat} zu sprechen?",
        "Ich möchte nicht mit {dat} sprechen, nur die Unterlagen bekommen.",
    ),
    (
        "So, und jetzt möchte ich bitte {acc} sprechen.",
        "So, ich brauche dafür {none}, danke.",
    ),
    (
        "Das würde ich lieber mit {dat} besprechen als mit einem Chatbot.",
        "Das muss ich nicht mit {dat} besprechen, der Chat reicht mir.",
    ),
    (
        "Bitte leiten Sie mich an {acc} weiter.",
        "Bitte leiten Sie mich nicht an {acc} weiter, das schaffe ich selbst.",
    ),
    (
        "Kannst du mich bitte mit {dat} verbinden?",
        "Du musst mich nicht mit {dat} verbinden, passt schon.",
    ),
    (
        "Ok, dann hol mir bitte {acc} ran.",
        "Ok, {acc} brauch ich nicht, sag mir einfach, wo das Formular ist.",
    ),
    (
        "ich will mit {dat} sprechen, sofort bitte",
        "ich will nicht mit {dat} sprechen, nur wissen wo das steht",
    ),
];

const FORMS_EN: &[(&str, &str)] = &[
    (
        "I'd like to speak to {dat}, please.",
        "I don't need to speak to {dat}, just tell me what happens next.",
    ),
    (
        "Can you put me through to {dat}?",
        "You don't have to put me through to {dat}, the info is enough.",
    ),
    (
        "Please connect me with {dat}.",
        "Please don't connect me with {dat}, I'd rather sort it out here in the chat.",
    ),
    (
        "Now I want to talk to {dat}.",
        "I don't want to talk to {dat}, I just have a quick question.",
    ),
    (
        "Okay, can I get {acc} on the phone?",
        "Okay, I don't need {none} on the phone for this.",
    ),
    (
        "I need {acc}, this isn't something a bot can fix.",
        "I don't need {none}, I'm sure the bot can fix this.",
    ),
    (
        "Could {nom} call me back, please?",
        "Nobody needs to call me back, an email is fine.",
    ),
    (
        "Transfer me to {dat}.",
        "Don't transfer me to {dat}, I'll wait for the email.",
    ),
    (
        "Is there any way to talk to {dat}?",
        "There's no need to talk to {dat}, I only want the documents.",
    ),
    (
        "So, let me speak with {dat} now please.",
        "So, I don't need {none} for this, thanks.",
    ),
    (
        "I'd rather go through this with {dat} than with a chatbot.",
        "I don't need to go through this with {dat}, the chat is fine.",
    ),
    (
        "Please pass me on to {dat}.",
        "Please don't pass me on to {dat}, I can manage myself.",
    ),
    (
        "can i talk to {dat} plz",
        "dont need {none}, just tell me where the form is",
    ),
    (
        "Right, I want {acc} to look at this.",
        "Right, I don't want {none} to look at this, just point me to the form.",
    ),
    ("Get me {acc}, please.", "No need to get me {none}, thanks."),
];

/// Openings before the request: none, after a problem, after a routine task, after a wrong answer.
const OPENINGS: &[&[&str]] = &[
    &[],
    &["c: {issue}", "b: {answer}"],
    &["c: {task}", "b: {done}"],
    &["c: {ask}", "b: {wrong}"],
];

/// Whole requests without a person filler: callbacks, "not a bot", dialect.
const WHOLE_DE: &[(&str, &str)] = &[
    (
        "callback",
        "Können Sie mich bitte zurückrufen? Am besten heute Nachmittag.",
    ),
    ("callback", "Ich bitte um einen Rückruf unter 0171 2345678."),
    (
        "callback",
        "Ruft mich da bitte jemand zurück? Ich bin bis 18 Uhr erreichbar.",
    ),
    ("not a bot", "Das muss sich ein Mensch anschauen, kein Bot."),
    (
        "not a bot",
        "Ich will nicht mit einem Bot schreiben, sondern mit einem echten Menschen.",
    ),
    (
        "not a bot",
        "Mit einer Maschine komme ich hier nicht weiter, ich brauche eine echte Person.",
    ),
    (
        "not a bot",
        "Sind Sie ein Roboter? Dann hätte ich gern jemanden aus Fleisch und Blut.",
    ),
    ("swiss", "Chönd Sie mi bitte mit emne Mitarbeiter verbinde?"),
    ("swiss", "I wött gern mit öpperem vo Ihne rede, bitte."),
    ("swiss", "Chan mi bitte öpper zruggrüefe? Merci."),
    (
        "swiss",
        "Ich hätt gern en Mänsch am Telefon und kei Computer.",
    ),
    (
        "swiss",
        "Könnten Sie mich bitte mit einem Kundenberater verbinden? Merci vielmal.",
    ),
    ("austrian", "I möcht bitte mit an Mitarbeiter redn."),
    (
        "austrian",
        "Kennan S' mi bitte mit wem verbinden, der si auskennt?",
    ),
    (
        "austrian",
        "Geh bitte, verbindn S' mi mit an echten Menschen.",
    ),
    ("austrian", "I brauch an Berater, ned an Computer."),
    ("austrian", "Kann mi bitte wer zruckrufen? Danke vielmals."),
    (
        "austrian",
        "Servus, i hätt gern an Sachbearbeiter am Telefon.",
    ),
];

const WHOLE_EN: &[(&str, &str)] = &[
    (
        "callback",
        "Can you call me back please? This afternoon would be best.",
    ),
    ("callback", "I'd like a callback on 07700 900123."),
    (
        "callback",
        "Could somebody ring me back about this? I'm free until 6.",
    ),
    ("not a bot", "This needs a human to look at it, not a bot."),
    (
        "not a bot",
        "I don't want to chat with a bot, I want a real person.",
    ),
    (
        "not a bot",
        "I'm not getting anywhere with a machine, I need an actual person.",
    ),
    (
        "not a bot",
        "Are you a bot? Then I'd like someone real, please.",
    ),
    ("regional", "Can ye put me through tae a real person?"),
    (
        "regional",
        "I want tae speak tae somebody about this, no a computer.",
    ),
    (
        "regional",
        "Could I get talking to an actual human, cheers.",
    ),
    (
        "regional",
        "Any chance of getting a real person on the line, mate?",
    ),
    (
        "regional",
        "Sorry, my English is not so good, I want speak with a employee please.",
    ),
    ("regional", "gimme a human"),
    (
        "regional",
        "Can I please have someone from customer service ring me?",
    ),
];

/// Texts whose NLU intent says "a human" though the words are vague.
const NLU_DE: &[(&str, &str)] = &[
    ("talk_to_agent", "Kann ich das irgendwie persönlich klären?"),
    (
        "live_agent",
        "Gibt es bei Ihnen noch einen anderen Weg als diesen Chat?",
    ),
    (
        "human_handoff",
        "Ich würde das gern mit Ihrem Team direkt besprechen.",
    ),
];

const NLU_EN: &[(&str, &str)] = &[
    (
        "talk_to_agent",
        "Can I sort this out with your team in person?",
    ),
    (
        "live_agent",
        "Is there another way to reach you than this chat?",
    ),
    (
        "human_handoff",
        "I'd like to take this up with your team directly.",
    ),
];

/// Contrasts: the conversation needs no person. (kind, customer turn).
const CONTRASTS_DE: &[(&str, &str)] = &[
    (
        "third party",
        "Mein Steuerberater braucht eine Jahresübersicht. Wo kann ich die herunterladen?",
    ),
    (
        "agency",
        "Die Agentur für Arbeit will eine Bescheinigung von Ihnen. Wie bekomme ich die?",
    ),
    (
        "past mention",
        "Ein Mitarbeiter hat mir letzte Woche am Telefon gesagt, dass ich das online ändern kann. Wo genau?",
    ),
    (
        "negated",
        "Ich brauche keinen Mitarbeiter, sagen Sie mir nur, wann die nächste Rechnung kommt.",
    ),
    (
        "negated",
        "Kein Berater nötig, ich will nur meine neue Telefonnummer hinterlegen.",
    ),
    (
        "third party",
        "Meine Mitarbeiter brauchen auch Zugriff auf das Firmenkonto. Wie richte ich das ein?",
    ),
    (
        "third party",
        "Unsere Personalabteilung braucht eine Bescheinigung über meine Versicherung. Können Sie die schicken?",
    ),
    (
        "past mention",
        "Die Mitarbeiterin in der Filiale war sehr nett und meinte, ich soll hier meinen Zählerstand eingeben.",
    ),
    (
        "travel agency",
        "Mein Reisebüro hat den Flug gebucht. Kann ich trotzdem hier einen Sitzplatz wählen?",
    ),
    (
        "cleaning agent",
        "Welches Reinigungsmittel darf ich für das Ceranfeld nehmen, das ich bei Ihnen gekauft habe?",
    ),
    (
        "agency",
        "Die Generalagentur hat mir eine neue Police geschickt. Ab wann gilt die?",
    ),
    (
        "past mention",
        "Der Berater in der Filiale hat mir das Konto eröffnet, jetzt möchte ich das Online-Banking freischalten.",
    ),
    (
        "third party",
        "Mein Mann hat schon mit einem Ihrer Mitarbeiter gesprochen, es ist alles geklärt. Ich brauche nur noch die Kundennummer.",
    ),
    (
        "negated",
        "Brauch keinen Menschen, sag mir einfach, wo ich den Zählerstand eintrage.",
    ),
    (
        "third party",
        "Ich bin selbst Sachbearbeiterin bei einer Versicherung. Schicken Sie mir einfach das Formular, den Rest mache ich.",
    ),
    (
        "third party",
        "Kann ich die Vollmacht für meinen Betreuer online hochladen?",
    ),
    (
        "estate agent",
        "Der Makler braucht eine Kopie meiner letzten drei Abrechnungen. Wie lade ich die herunter?",
    ),
    (
        "past mention",
        "Ihr Techniker war gestern da und hat alles repariert. Ich wollte nur fragen, ob dafür Kosten anfallen.",
    ),
];

const CONTRASTS_EN: &[(&str, &str)] = &[
    (
        "travel agent",
        "My travel agent booked the flight, can I still pick a seat here?",
    ),
    (
        "estate agent",
        "The estate agent needs a copy of my last three bills. How do I download them?",
    ),
    (
        "cleaning agent",
        "Which cleaning agent is safe for the hob I bought from you?",
    ),
    (
        "human resources",
        "Our human resources department needs proof of my insurance. Can you send it?",
    ),
    (
        "past mention",
        "An agent told me last week on the phone that I can change this online. Where exactly?",
    ),
    (
        "negated",
        "I don't need an agent, just tell me when the next bill comes out.",
    ),
    (
        "negated",
        "No need for a human, I only want to update my phone number.",
    ),
    (
        "third party",
        "My accountant needs the annual statement, where can I download it?",
    ),
    (
        "third party",
        "My employees need access to the business account too. How do I set that up?",
    ),
    (
        "past mention",
        "The advisor at the branch opened the account for me, now I want to activate online banking.",
    ),
    (
        "third party",
        "My husband already spoke to one of your agents and it's all sorted. I just need my customer number.",
    ),
    (
        "past mention",
        "The lady in the shop was lovely and said I should submit my meter reading here.",
    ),
    (
        "third party",
        "I work as a claims handler myself, so just send me the form and I'll fill it in.",
    ),
    (
        "film",
        "Do you have any secret agent films? My son loves spy movies.",
    ),
    (
        "negated",
        "dont need a person, just the link to the app pls",
    ),
    (
        "past mention",
        "Your engineer came yesterday and fixed everything. I only wanted to ask if there's a charge.",
    ),
    (
        "agency",
        "The letting agency wants proof that the energy account is in my name. Where do I get that?",
    ),
    (
        "human resources",
        "HR at my new job needs my old pension details, which form is that?",
    ),
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (persons, forms, whole, nlu, contrasts) = match lang {
        Lang::De => (PERSONS_DE, FORMS_DE, WHOLE_DE, NLU_DE, CONTRASTS_DE),
        Lang::En => (PERSONS_EN, FORMS_EN, WHOLE_EN, NLU_EN, CONTRASTS_EN),
    };
    let domains = fill::domains(lang);
    let mut out = Vec::new();
    // Request forms × persons × openings: each form twice, with different persons and openings.
    for (i, (form, negation)) in forms.iter().enumerate() {
        for k in 0..2 {
            let n = i * 2 + k;
            let person = pick(persons, n, k);
            let domain = pick(domains, n, 1);
            let opening = OPENINGS[n % OPENINGS.len()];
            let mut vars = domain_vars(&domain);
            vars.extend([
                ("nom", person.nom),
                ("acc", person.acc),
                ("dat", person.dat),
                ("none", person.none),
            ]);
            let mut ask: Vec<&str> = opening.to_vec();
            let request = format!("c: {form}");
            let negated = format!("c: {negation}");
            ask.push(&request);
            let lines = talk(&ask, &vars);
            ask.pop();
            ask.push(&negated);
            let negated = talk(&ask, &vars);
            let name = format!("request form {i} with '{}' ({})", person.noun, domain.key);
            out.push(
                last(&name, lines, Expect::Handoff)
                    .with(ReasonCode::ExplicitRequest)
                    .negated(negated),
            );
        }
    }
    // Typos of person nouns of 7+ letters.
    for (n, person) in persons
        .iter()
        .filter(|p| p.noun.chars().count() >= 7)
        .enumerate()
    {
        let (form, _) = pick(forms, n, 2);
        let domain = pick(domains, n, 4);
        let typo = typo_word(person.noun, n);
        let fix = |s: &str| s.replace(person.noun, &typo);
        let (nom, acc, dat) = (fix(person.nom), fix(person.acc), fix(person.dat));
        let mut vars = domain_vars(&domain);
        vars.extend([
            ("nom", nom.as_str()),
            ("acc", acc.as_str()),
            ("dat", dat.as_str()),
        ]);
        let lines = talk(&["c: {issue}", "b: {answer}", &format!("c: {form}")], &vars);
        out.push(
            last(&format!("typo '{typo}'"), lines, Expect::Handoff)
                .with(ReasonCode::ExplicitRequest),
        );
    }
    for (n, (kind, text)) in whole.iter().enumerate() {
        let domain = pick(domains, n, 5);
        let vars = domain_vars(&domain);
        let opening = OPENINGS[(n + 1) % OPENINGS.len()];
        let mut lines: Vec<&str> = opening.to_vec();
        let request = format!("c: {text}");
        lines.push(&request);
        out.push(
            last(kind, talk(&lines, &vars), Expect::Handoff).with(ReasonCode::ExplicitRequest),
        );
    }
    for (n, (intent, text)) in nlu.iter().enumerate() {
        let domain = pick(domains, n, 6);
        let lines = talk(
            &["c: {issue}", "b: {answer}", &format!("c[{intent}]: {text}")],
            &domain_vars(&domain),
        );
        out.push(last(
            &format!("nlu intent {intent}"),
            lines,
            Expect::Handoff,
        ));
    }
    // Contrasts: first turn, and after a routine exchange.
    for (n, (kind, text)) in contrasts.iter().enumerate() {
        let domain = pick(domains, n, 7);
        let vars = domain_vars(&domain);
        let customer = format!("c: {text}");
        let lines = if n % 2 == 0 {
            talk(&[&customer], &vars)
        } else {
            talk(&["c: {task}", "b: {done}", &customer], &vars)
        };
        out.push(last(
            &format!("contrast: {kind}"),
            lines,
            Expect::AtMostOffer,
        ));
    }
    out
}
