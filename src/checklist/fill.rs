//! Fillers the templates draw from: customer-service domains with a routine task, a problem, a
//! request the bot can get wrong, and names. Written for this suite.

use crate::domain::Lang;

/// One domain in one language. Every field is a whole sentence a customer or a bot would write.
#[derive(Debug, Clone, Copy)]
pub struct Domain {
    pub key: &'static str,
    /// The product, possessive and in the accusative ("meinen Handyvertrag", "my mobile plan").
    pub product: &'static str,
    /// A routine request the bot can handle.
    pub task: &'static str,
    /// The bot completing `task`.
    pub done: &'static str,
    /// A problem the customer has.
    pub issue: &'static str,
    /// A standard bot reply near the topic of `issue` that does not solve it.
    pub answer: &'static str,
    /// A concrete request.
    pub ask: &'static str,
    /// The bot answering a different question than `ask`.
    pub wrong: &'static str,
    /// `ask` restated in other words, without complaint words.
    pub restate: &'static str,
    /// The bot getting `ask` right.
    pub fixed: &'static str,
}

pub const DE: &[Domain] = &[
    Domain {
        key: "telecom",
        product: "meinen Handyvertrag",
        task: "Ich möchte die Bankverbindung für meinen Handyvertrag ändern.",
        done: "Erledigt: Ab der nächsten Rechnung buchen wir vom neuen Konto ab.",
        issue: "Meine Handyrechnung ist diesen Monat fast doppelt so hoch wie sonst.",
        answer: "Ihre Rechnung finden Sie im Kundenportal unter Rechnungen, dort ist jeder Posten aufgeschlüsselt.",
        ask: "Ich möchte meine Rufnummer zu einem neuen Anbieter mitnehmen.",
        wrong: "Gern! Hier sind unsere aktuellen Tarife mit mehr Datenvolumen: https://example.de/tarife",
        restate: "Es geht um die Mitnahme meiner Rufnummer zu einem anderen Anbieter.",
        fixed: "Die Rufnummernmitnahme ist beauftragt; Ihr neuer Anbieter bekommt die Freigabe in zwei Werktagen.",
    },
    Domain {
        key: "energy",
        product: "meinen Stromvertrag",
        task: "Ich möchte meinen Zählerstand durchgeben: 48213 kWh.",
        done: "Danke, der Zählerstand 48213 kWh ist gespeichert.",
        issue: "Mein Abschlag wurde ohne Ankündigung von 85 auf 140 Euro erhöht.",
        answer: "Die Höhe Ihres Abschlags richtet sich nach Ihrem Verbrauch im Vorjahr.",
        ask: "Ich ziehe am 1. März um und möchte den Strom an der neuen Adresse weiterlaufen lassen.",
        wrong: "Ihren Zählerstand können Sie jederzeit online unter Mein Konto eingeben.",
        restate: "Ich brauche den Stromvertrag ab März in meiner neuen Wohnung.",
        fixed: "Ihr Umzug ist eingetragen: Ab 1. März liefern wir an die neue Adresse.",
    },
    Domain {
        key: "insurance",
        product: "meine Hausratversicherung",
        task: "Bitte schicken Sie mir meine Versicherungsbestätigung als PDF.",
        done: "Die Bestätigung ist unterwegs an Ihre hinterlegte E-Mail-Adresse.",
        issue: "Mein Wasserschaden von der Waschmaschine ist seit sechs Wochen nicht bearbeitet.",
        answer: "Schäden können Sie bequem online unter Schaden melden einreichen.",
        ask: "Ich möchte wissen, ob mein E-Bike über die Hausratversicherung mitversichert ist.",
        wrong: "Ihr nächster Beitrag wird am 1. Januar fällig.",
        restate: "Ist mein E-Bike in meiner Hausrat mit drin?",
        fixed: "Ja, Ihr E-Bike ist bis 3.000 Euro über die Hausratversicherung mitversichert.",
    },
    Domain {
        key: "banking",
        product: "mein Girokonto",
        task: "Wie erhöhe ich mein Tageslimit für Überweisungen?",
        done: "Ihr Tageslimit liegt jetzt bei 2.000 Euro.",
        issue: "Meine Überweisung an den Vermieter ist seit drei Tagen nicht angekommen.",
        answer: "Überweisungen werden in der Regel innerhalb eines Bankarbeitstages ausgeführt.",
        ask: "Ich brauche eine Kopie meines Kontoauszugs vom Juni.",
        wrong: "Ihr aktueller Kontostand beträgt 1.245,30 Euro.",
        restate: "Ich bräuchte den Kontoauszug für Juni noch einmal als Dokument.",
        fixed: "Der Kontoauszug Juni liegt jetzt als PDF in Ihrem Postfach.",
    },
    Domain {
        key: "ecommerce",
        product: "meine Bestellung",
        task: "Wo ist mein Paket mit der Bestellnummer 4471-2290?",
        done: "Ihr Paket wird morgen zwischen 10 und 14 Uhr zugestellt.",
        issue: "Der Mixer kam mit einem gesprungenen Glaskrug bei mir an.",
        answer: "Rücksendungen können Sie innerhalb von 30 Tagen im Kundenkonto anmelden.",
        ask: "Ich möchte meine Bestellung 4471-2290 stornieren.",
        wrong: "Ihre Bestellung 4471-2290 ist unterwegs und kommt voraussichtlich am Donnerstag.",
        restate: "Die Bestellung 4471-2290 soll storniert werden, bevor sie verschickt wird.",
        fixed: "Ihre Bestellung 4471-2290 ist storniert; das Geld ist in drei bis fünf Tagen zurück.",
    },
    Domain {
        key: "travel",
        product: "meine Flugbuchung",
        task: "Kann ich für meinen Flug nach Lissabon noch einen Sitzplatz reservieren?",
        done: "Ihr Sitzplatz 14A ist reserviert.",
        issue: "Mein Koffer ist nach dem Flug aus Rom nicht angekommen.",
        answer: "Informationen zum Freigepäck finden Sie auf unserer Gepäckseite.",
        ask: "Ich möchte meinen Flug nach Lissabon auf den 12. Mai umbuchen.",
        wrong: "Der Online-Check-in ist ab 24 Stunden vor Abflug möglich.",
        restate: "Für Lissabon brauche ich einen anderen Flugtag, den 12. Mai.",
        fixed: "Ihr Flug nach Lissabon ist auf den 12. Mai umgebucht, ohne Aufpreis.",
    },
    Domain {
        key: "transport",
        product: "mein Monatsabo",
        task: "Ab wann gilt mein Monatsticket für Mai?",
        done: "Ihr Ticket gilt vom 1. bis 31. Mai im ganzen Verbund.",
        issue: "Mir wurde das Abo diesen Monat zweimal abgebucht.",
        answer: "Aktuelle Fahrpläne und Verbindungen finden Sie in unserer App.",
        ask: "Ich möchte eine Entschädigung für meinen ausgefallenen Zug am Dienstag.",
        wrong: "Der nächste Zug nach Köln fährt um 14:32 von Gleis 5.",
        restate: "Mein Zug am Dienstag ist ausgefallen, dafür hätte ich gern eine Erstattung.",
        fixed: "Ihr Antrag auf Entschädigung für Dienstag ist eingegangen; Sie bekommen 25 Prozent zurück.",
    },
    Domain {
        key: "streaming",
        product: "mein Streaming-Abo",
        task: "Wie lege ich ein zweites Profil für meine Tochter an?",
        done: "Unter Profile verwalten > Profil hinzufügen können Sie ein Kinderprofil anlegen.",
        issue: "Seit gestern bricht jeder Film nach ein paar Minuten mit einem Fehler ab.",
        answer: "Unsere Abo-Modelle im Überblick: Basis, Standard und Premium.",
        ask: "Ich möchte mein Abo von Premium auf Standard herabstufen.",
        wrong: "Neu diese Woche: drei neue Serien in unserer Mediathek!",
        restate: "Bitte stellen Sie mein Abo auf Standard statt Premium um.",
        fixed: "Ab dem nächsten Abrechnungsmonat läuft Ihr Abo als Standard.",
    },
    Domain {
        key: "health",
        product: "meine Krankenversicherung",
        task: "Ich brauche eine neue Versichertenkarte, meine ist abgelaufen.",
        done: "Ihre neue Karte ist bestellt und kommt in etwa zehn Tagen.",
        issue: "Meine Zahnarztrechnung wurde nur zur Hälfte erstattet.",
        answer: "Rechnungen können Sie in der App fotografieren und einreichen.",
        ask: "Ich möchte wissen, ob die Kasse die Physiotherapie nach meiner Knie-OP bezahlt.",
        wrong: "Ihre Beitragsbescheinigung für das Finanzamt liegt in Ihrem Postfach.",
        restate: "Übernehmen Sie die Kosten für Physiotherapie nach einer Knie-OP?",
        fixed: "Ja, nach einer Knie-OP übernehmen wir bis zu zwölf Einheiten Physiotherapie mit Verordnung.",
    },
    Domain {
        key: "leasing",
        product: "meinen Leasingvertrag",
        task: "Wann ist die nächste Leasingrate fällig?",
        done: "Die nächste Rate über 329 Euro wird am 15. abgebucht.",
        issue: "Bei der Rückgabe wurden mir 1.800 Euro für Kratzer berechnet, die schon vorher da waren.",
        answer: "Ihr Leasingvertrag läuft 36 Monate mit 15.000 km pro Jahr.",
        ask: "Ich möchte meinen Leasingvertrag um ein Jahr verlängern.",
        wrong: "Eine Werkstatt in Ihrer Nähe finden Sie über unsere Werkstattsuche.",
        restate: "Kann der Leasingvertrag noch zwölf Monate länger laufen?",
        fixed: "Ihr Leasingvertrag ist bis Ende nächsten Jahres verlängert, die Rate bleibt gleich.",
    },
];

pub const EN: &[Domain] = &[
    Domain {
        key: "telecom",
        product: "my mobile contract",
        task: "I'd like to change the bank account my phone bill is paid from.",
        done: "Done: from your next bill we'll collect from the new account.",
        issue: "My phone bill this month is nearly twice the usual amount.",
        answer: "You'll find your bill in the customer portal under Bills, with every item listed.",
        ask: "I want to take my number with me to a new provider.",
        wrong: "Sure! Here are our current plans with more data: https://example.com/plans",
        restate: "It's about porting my number over to another provider.",
        fixed: "Your number transfer is booked; your new provider gets the release in two working days.",
    },
    Domain {
        key: "energy",
        product: "my electricity contract",
        task: "I'd like to submit my meter reading: 48213 kWh.",
        done: "Thanks, the meter reading 48213 kWh has been saved.",
        issue: "My monthly payment went up from 85 to 140 pounds without any notice.",
        answer: "Your monthly payment is based on how much you used last year.",
        ask: "I'm moving on 1 March and want to keep my electricity going at the new address.",
        wrong: "You can submit a meter reading online at any time under My Account.",
        restate: "I need the electricity contract at my new flat from March.",
        fixed: "Your move is set up: from 1 March we supply your new address.",
    },
    Domain {
        key: "insurance",
        product: "my home contents insurance",
        task: "Please send me my proof of insurance as a PDF.",
        done: "The certificate is on its way to the email address we have on file.",
        issue: "My claim for the water damage from the washing machine hasn't been touched in six weeks.",
        answer: "You can file a claim online under Report a claim.",
        ask: "I want to know whether my e-bike is covered by my home contents policy.",
        wrong: "Your next premium is due on 1 January.",
        restate: "Is my e-bike included in my policy?",
        fixed: "Yes, your e-bike is covered up to 3,000 pounds under your home contents policy.",
    },
    Domain {
        key: "banking",
        product: "my current account",
        task: "How do I raise my daily transfer limit?",
        done: "Your daily limit is now 2,000 pounds.",
        issue: "My transfer to my landlord still hasn't arrived after three days.",
        answer: "Transfers are usually completed within one business day.",
        ask: "I need a copy of my June bank statement.",
        wrong: "Your current balance is 1,245.30 pounds.",
        restate: "I just need the statement for June as a document.",
        fixed: "Your June statement is now in your inbox as a PDF.",
    },
    Domain {
        key: "ecommerce",
        product: "my order",
        task: "Where is my parcel for order 4471-2290?",
        done: "Your parcel will be delivered tomorrow between 10am and 2pm.",
        issue: "The blender arrived with a cracked glass jug.",
        answer: "You can register a return within 30 days in your account.",
        ask: "I want to cancel my order 4471-2290.",
        wrong: "Your order 4471-2290 is on its way and should arrive on Thursday.",
        restate: "Order 4471-2290 needs to be cancelled before it ships.",
        fixed: "Order 4471-2290 is cancelled; your money will be back in three to five days.",
    },
    Domain {
        key: "travel",
        product: "my flight booking",
        task: "Can I still reserve a seat on my flight to Lisbon?",
        done: "Seat 14A is reserved for you.",
        issue: "My suitcase didn't arrive after my flight from Rome.",
        answer: "Information about baggage allowance is on our baggage page.",
        ask: "I'd like to move my Lisbon flight to 12 May.",
        wrong: "Online check-in opens 24 hours before departure.",
        restate: "For Lisbon I need a different travel date, 12 May.",
        fixed: "Your Lisbon flight has been moved to 12 May at no extra cost.",
    },
    Domain {
        key: "transport",
        product: "my season ticket",
        task: "From when is my May travel pass valid?",
        done: "Your pass is valid from 1 to 31 May on all lines.",
        issue: "I was charged twice for my season ticket this month.",
        answer: "Current timetables and connections are in our app.",
        ask: "I want compensation for my cancelled train on Tuesday.",
        wrong: "The next train to Leeds leaves at 14:32 from platform 5.",
        restate: "My Tuesday train was cancelled and I'm asking for a refund for it.",
        fixed: "Your compensation claim for Tuesday is in; you'll get 25 percent back.",
    },
    Domain {
        key: "streaming",
        product: "my streaming subscription",
        task: "How do I add a second profile for my daughter?",
        done: "Go to Manage profiles > Add profile to create a kids profile.",
        issue: "Since yesterday every film stops after a few minutes with an error.",
        answer: "Here are our plans: Basic, Standard and Premium.",
        ask: "I want to downgrade my plan from Premium to Standard.",
        wrong: "New this week: three new series in our library!",
        restate: "Please switch my plan to Standard instead of Premium.",
        fixed: "From your next billing month your plan will be Standard.",
    },
    Domain {
        key: "health",
        product: "my health insurance",
        task: "I need a new insurance card, mine has expired.",
        done: "Your new card has been ordered and should arrive in about ten days.",
        issue: "Only half of my dentist's bill was reimbursed.",
        answer: "You can photograph and submit bills in the app.",
        ask: "I'd like to know if you cover physiotherapy after my knee surgery.",
        wrong: "Your annual tax statement is in your inbox.",
        restate: "Do you pay for physio after a knee operation?",
        fixed: "Yes, after knee surgery we cover up to twelve physio sessions with a prescription.",
    },
    Domain {
        key: "leasing",
        product: "my car lease",
        task: "When is my next lease payment due?",
        done: "Your next payment of 329 pounds will be collected on the 15th.",
        issue: "At return I was charged 1,800 pounds for scratches that were already there.",
        answer: "Your lease runs for 36 months with 10,000 miles per year.",
        ask: "I want to extend my lease by a year.",
        wrong: "You can find a garage near you with our garage finder.",
        restate: "Can the lease run for another twelve months?",
        fixed: "Your lease is extended until the end of next year, with the same monthly payment.",
    },
];

/// The domains of a language.
pub fn domains(lang: Lang) -> &'static [Domain] {
    match lang {
        Lang::De => DE,
        Lang::En => EN,
    }
}

/// Customer names for sign-offs and self-introductions (with umlauts, for the ae/oe/ue cases).
pub fn names(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::De => &[
            "Jana Köhler",
            "Mehmet Yılmaz",
            "Jürgen Maier",
            "Sabine Brückner",
            "Lukas Hofer",
            "Ursula Großmann",
            "Nina Schäfer",
            "Reto Müller",
        ],
        Lang::En => &[
            "Sarah Collins",
            "Tom Baker",
            "Priya Shah",
            "Declan Murphy",
            "Emma Jones",
            "Ahmed Khan",
            "Olivia Grant",
            "Liam O'Connor",
        ],
    }
}

/// Replaces every `{key}` in `template` with its value; unknown keys stay as they are (a test
/// checks no braces survive).
pub fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Picks the `n`-th element cycling with a stride that is coprime with most list lengths, so
/// neighbouring cases get different fillers.
pub fn pick<T: Copy>(items: &[T], n: usize, salt: usize) -> T {
    items[(n * 7 + salt * 3) % items.len()]
}
