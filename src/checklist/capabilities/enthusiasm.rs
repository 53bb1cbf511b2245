//! Enthusiasm and word traps: happy caps with thanks, praise or emoji are not sarcasm; negative
//! words about a film, the weather or an old product are no complaint about the service.

use super::{Draft, Expect, Opening, spread};
use crate::checklist::fill;
use crate::domain::Lang;

const HAPPY_DE: &[&str] = &[
    "SUPER, HAT GEKLAPPT!!! DANKE EUCH 😍",
    "WOW, DAS GING SCHNELL!!! VIELEN DANK!!!",
    "MEGA, DANKE!!! 👍👍",
    "PERFEKT, GENAU SO WOLLTE ICH DAS!!!",
    "Jaaa, endlich! Ihr seid die Besten 🎉",
    "DANKE DANKE DANKE!!! Das war ja einfach 😊",
    "HAMMER, so schnell hatte ich nicht damit gerechnet!!!",
    "Oh wie toll, vielen lieben Dank!!! ❤️",
    "NEIN, NICHTS MEHR, DAS WAR SPITZE!!!",
    "Bärig, vielen Dank! 😄",
    "Merci vielmal, das isch super gsi!!!",
    "Klasse Service, ehrlich. DANKE!!!",
];

const HAPPY_EN: &[&str] = &[
    "BRILLIANT, THAT WORKED!!! THANK YOU 😍",
    "WOW, THAT WAS QUICK!!! THANKS SO MUCH!!!",
    "AMAZING, THANKS!!! 👍👍",
    "PERFECT, EXACTLY WHAT I WANTED!!!",
    "Yesss, finally! You're the best 🎉",
    "THANK YOU THANK YOU!!! That was so easy 😊",
    "WOW, didn't expect it to be that fast!!!",
    "Oh how lovely, thanks a million!!! ❤️",
    "NO, NOTHING ELSE, THAT WAS GREAT!!!",
    "Cheers, that's magic! 😄",
    "Ta very much, absolute legend!!!",
    "Great service, honestly. THANKS!!!",
];

/// Negative words about something other than the service, in a routine request.
const TRAPS_DE: &[&str] = &[
    "Der Film gestern war total enttäuschend und viel zu lang. Könnt ihr mir was Lustiges empfehlen?",
    "Die Serie ist so deprimierend, dass ich nach zwei Folgen aufgehört habe. Welche Komödien habt ihr?",
    "Das Ende von dem Thriller war furchtbar schlecht, haha. Wie bewerte ich einen Film?",
    "Die Doku über den Krieg war schrecklich traurig. Gibt es die auch mit Untertiteln?",
    "Das Wetter in Hamburg ist grauenhaft, ich will in die Sonne. Welche Flüge gibt es im März nach Teneriffa?",
    "Bei dem ekligen Regen fahre ich lieber Bahn. Gilt mein Ticket auch im Regionalexpress?",
    "Furchtbare Hitze heute, ich halte das kaum aus. Kann ich meine Klimaanlage über euch versichern?",
    "Der Sturm war echt beängstigend letzte Nacht. Muss ich für den Baum im Garten etwas melden, wenn nichts passiert ist?",
    "Mein alter Router war eine Katastrophe, ständig Abbrüche. Darum habe ich bei Ihnen den neuen bestellt. Wann kommt er?",
    "Der alte Staubsauger war Schrott, deshalb will ich jetzt Ihren. Ist der lieferbar?",
    "Mein alter Anbieter war eine Zumutung, deshalb bin ich jetzt bei Ihnen. Wie richte ich die Mailbox ein?",
    "Mein altes Auto war ein Albtraum, ständig kaputt. Welche Leasingangebote gibt es für Elektroautos?",
];

const TRAPS_EN: &[&str] = &[
    "The film last night was a total letdown and far too long. Can you recommend something funny?",
    "The series is so depressing that I gave up after two episodes. What comedies have you got?",
    "The ending of that thriller was terrible, haha. How do I rate a film?",
    "The war documentary was awfully sad. Is it available with subtitles?",
    "The weather in Manchester is dreadful, I want some sun. What flights are there to Tenerife in March?",
    "In this horrible rain I'd rather take the train. Is my ticket valid on the express too?",
    "Awful heat today, I can barely stand it. Can I insure my air conditioner with you?",
    "The storm last night was really scary. Do I need to report the tree in the garden if nothing was damaged?",
    "My old router was a disaster, constant dropouts. That's why I ordered the new one from you. When does it arrive?",
    "The old hoover was rubbish, so I want yours now. Is it in stock?",
    "My old provider was a nightmare, that's why I'm with you now. How do I set up voicemail?",
    "My old car was a nightmare, always breaking down. What lease offers do you have for electric cars?",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (happy, traps) = match lang {
        Lang::De => (HAPPY_DE, TRAPS_DE),
        Lang::En => (HAPPY_EN, TRAPS_EN),
    };
    let domains = fill::domains(lang);
    let mut out = spread(
        lang,
        "happy caps",
        happy,
        &[Opening::AfterTask, Opening::AfterFixed],
        domains,
        Expect::Continue,
        &|_| vec![],
    );
    out.extend(spread(
        lang,
        "trap",
        traps,
        &[Opening::Alone, Opening::AfterTask],
        domains,
        Expect::AtMostOffer,
        &|_| vec![],
    ));
    out
}
