//! Golden tests of the agent's first screen: conversations written for these tests (German and
//! English, one per situation: bereavement, fraud, repeat contact, anger, advice, a failed bot task,
//! the default; voice and chat), run through the real engine (detector, memory, policy, handoff).
//! Each snapshot in `tests/snapshots/` is what the agent would read (`handoff::view::render`).
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test agent_view`).

use escalation_router::config::Config;
use escalation_router::domain::{BotFacts, Channel, HandoffContext, Nlu, Role, Turn};
use escalation_router::handoff::view;
use escalation_router::replay::engine_for;

/// One turn as written in a test conversation.
struct T {
    role: Role,
    text: &'static str,
    intent: &'static str,
    nlu_fallback: bool,
    action: &'static str,
    failed: bool,
    fallback: bool,
    meta: &'static [(&'static str, &'static str)],
}

fn c(text: &'static str) -> T {
    T {
        role: Role::Customer,
        text,
        intent: "",
        nlu_fallback: false,
        action: "",
        failed: false,
        fallback: false,
        meta: &[],
    }
}

fn b(text: &'static str) -> T {
    T {
        role: Role::Bot,
        ..c(text)
    }
}

impl T {
    fn intent(mut self, intent: &'static str) -> T {
        self.intent = intent;
        self
    }
    fn not_understood(mut self) -> T {
        self.nlu_fallback = true;
        self
    }
    fn action(mut self, action: &'static str, failed: bool) -> T {
        self.action = action;
        self.failed = failed;
        self
    }
    fn fallback(mut self) -> T {
        self.fallback = true;
        self
    }
    fn meta(mut self, meta: &'static [(&'static str, &'static str)]) -> T {
        self.meta = meta;
        self
    }
}

const POLICY: &str = r#"
[default]
queue = "support"

[tenants.named]
intent_names.de = { change_address = "Lieferadresse ändern", update_address = "Adresse speichern" }
intent_names.en = { refund_status = "Refund status" }

[tenants.plain]
redaction = "none"

[tenants.masked]
redaction = "all"
"#;

/// Runs the conversation and returns the agent's view: the open handoff's context as it stands
/// after the last turn (with what arrived while waiting), or the first handoff's.
async fn run(tenant: &str, channel: Channel, turns: Vec<T>) -> String {
    let config = Config {
        policy: toml::from_str(POLICY).expect("test policy parses"),
        ..Default::default()
    };
    let engine = engine_for(&config).expect("engine");
    let mut first: Option<HandoffContext> = None;
    for (i, t) in turns.into_iter().enumerate() {
        let turn = Turn {
            tenant_id: tenant.into(),
            conversation_id: "c1".into(),
            turn_id: format!("t{}", i + 1),
            role: t.role,
            text: t.text.into(),
            time_ms: 1_700_000_000_000 + 20_000 * i as i64,
            channel,
            nlu: (t.role == Role::Customer && (!t.intent.is_empty() || t.nlu_fallback)).then(
                || Nlu {
                    intent: t.intent.into(),
                    confidence: Some(if t.nlu_fallback { 0.2 } else { 0.9 }),
                    fallback: t.nlu_fallback,
                    entities: vec![],
                },
            ),
            bot: (t.role == Role::Bot).then(|| BotFacts {
                fallback: t.fallback,
                action: t.action.into(),
                action_failed: t.failed,
            }),
            metadata: t
                .meta
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        let d = engine.process(turn).await.expect("turn accepted");
        if std::env::var("AGENT_VIEW_TRACE").is_ok() {
            eprintln!(
                "{} {:?} {:?}",
                i + 1,
                d.action,
                d.reasons.iter().map(|r| r.code).collect::<Vec<_>>()
            );
        }
        if first.is_none()
            && let Some(h) = d.handoff
        {
            first = h.context.map(|c| *c);
        }
    }
    let state = engine
        .conversation(tenant, "c1")
        .await
        .expect("conversation");
    let open = state
        .open_handoff
        .as_ref()
        .and_then(|h| h.context.as_deref())
        .cloned();
    let context = open.or(first).expect("the conversation hands off");
    view::render(&context)
}

macro_rules! golden {
    ($name:ident, $tenant:expr, $channel:expr, [$($turn:expr),* $(,)?]) => {
        #[tokio::test]
        async fn $name() {
            let view = run($tenant, $channel, vec![$($turn),*]).await;
            insta::assert_snapshot!(stringify!($name), view);
        }
    };
}

golden!(
    bereavement_german_widow_in_chat,
    "acme",
    Channel::Webchat,
    [
        c("Guten Tag."),
        b("Hallo! Wie kann ich Ihnen helfen?"),
        c(
            "Mein Mann ist letzte Woche verstorben. Ich muss seinen Vertrag 55-12345 kündigen und weiß nicht, was ich dafür brauche."
        ),
    ]
);

golden!(
    bereavement_english_on_the_phone,
    "acme",
    Channel::Voice,
    [
        c(
            "Hello, my mother passed away last month and I need to close her account number 12345678."
        ),
        b("I can help with account questions. Please say your account number."),
        c("I just told you. She died, I want to talk to a person please."),
    ]
);

golden!(
    fraud_english_card_charges,
    "acme",
    Channel::Webchat,
    [
        c("Someone used my card for three purchases I never made, I think I've been hacked."),
        b("I'm sorry to hear that. Let me check your recent transactions.")
            .action("list_transactions", false),
        c("There are charges of $480 from a shop in another country. Please block it now!"),
    ]
);

golden!(
    fraud_german_du_phishing,
    "acme",
    Channel::App,
    [
        c(
            "Hey, kannst du mir helfen? Ich hab auf einen Link in einer SMS geklickt und jetzt wurde von meinem Konto Geld abgebucht, das war ich nicht!"
        ),
        b("Verstehe. Kannst du mir sagen, um welchen Betrag es geht?"),
        c("250 Euro, kannst du das bitte sofort sperren? Ich hab echt Angst."),
    ]
);

golden!(
    repeat_contact_german_invoice,
    "acme",
    Channel::Email,
    [
        c(
            "Sehr geehrte Damen und Herren, ich melde mich jetzt zum dritten Mal wegen meiner Rechnung RE-2024-0815, die doppelt abgebucht wurde."
        ),
        b("Vielen Dank für Ihre Nachricht. Ich prüfe Ihre Rechnung.").action("check_invoice", true),
        c(
            "Das haben Sie letzte Woche auch schon gesagt. Bitte verbinden Sie mich mit einem Mitarbeiter.\nMit freundlichen Grüßen\nHelga Brandt"
        ),
    ]
);

golden!(repeat_contact_english_refund, "named", Channel::Webchat, [
    c("Hi, it's me again about my refund for order 88412-A, this is the third time I'm asking.").intent("refund_status"),
    b("Your refund is being processed and should arrive in 5-7 business days."),
    c("That's what you said two weeks ago. Still nothing."),
    b("Your refund is being processed and should arrive in 5-7 business days."),
]);

golden!(
    anger_english_abuse_after_loops,
    "acme",
    Channel::Webchat,
    [
        c(
            "I want to change the delivery date for my parcel, tracking number 00340434161234567890."
        ),
        b("Sorry, I didn't get that. Could you rephrase?").fallback(),
        c("Change. The. Delivery. Date."),
        b("Sorry, I didn't get that. Could you rephrase?").fallback(),
        c(
            "This is absolutely ridiculous, you are the most useless piece of crap I have ever used!!!"
        ),
    ]
);

golden!(
    anger_german_du_bot_does_not_understand,
    "acme",
    Channel::Whatsapp,
    [
        c("Moin, dein Bot hat mir gestern gesagt, mein Paket kommt heute. Wo ist es?")
            .not_understood(),
        b("Das habe ich leider nicht verstanden. Kannst du das anders formulieren?").fallback(),
        c(
            "Ey, das ist echt eine Frechheit!!! Ich warte seit 3 Tagen und du verstehst nix. Ich bin stinksauer."
        ),
    ]
);

golden!(
    advice_german_investment,
    "acme",
    Channel::Webchat,
    [
        c("Guten Abend, ich habe eine Frage."),
        b("Gerne, worum geht es?"),
        c(
            "Ich möchte 50.000 € für meine Rente anlegen und brauche eine Beratung, welche Anlage für mich passt."
        ),
    ]
);

golden!(
    advice_english_large_purchase,
    "acme",
    Channel::Webchat,
    [
        c(
            "We are planning to buy solar panels and a battery for our whole building, around 80,000 dollars. Which financing options do you have?"
        ),
        b("We offer several financing plans. Would you like to see them?"),
        c(
            "No thanks, I'll read the website first. Actually, can I speak to an advisor about the loan?"
        ),
    ]
);

golden!(
    failed_task_english_refund_action_and_loop,
    "acme",
    Channel::Webchat,
    [
        c(
            "I returned the jacket two weeks ago and I'd like my money back. Invoice number INV-55102."
        ),
        b("Let me start the refund for you.").action("start_refund", true),
        b("Something went wrong. Please try again later."),
        c("Can you try again please?"),
        b("Something went wrong. Please try again later.").action("start_refund", true),
        c("ok"),
        b("Something went wrong. Please try again later."),
        c("Seriously? Again? I need a human who can fix this."),
    ]
);

golden!(failed_task_german_voice_address_change, "named", Channel::Voice, [
    c("Hallo, ich bin umgezogen und möchte meine Lieferadresse ändern. Die neue Adresse ist Lindenstraße 12a, 10115 Berlin.").intent("change_address").meta(&[("caller_id_verified", "yes"), ("ivr_path", "1-3")]),
    b("Ich ändere Ihre Adresse.").action("update_address", true),
    c("Hat das jetzt geklappt?").meta(&[("ivr_path", "1-3-2")]),
    b("Das hat leider nicht funktioniert. Bitte versuchen Sie es später noch einmal.").action("update_address", true),
    c("Dann möchte ich bitte mit einem Mitarbeiter sprechen. Mein Name ist Klaus Becker."),
]);

golden!(
    default_english_booking_question_and_waiting,
    "acme",
    Channel::Webchat,
    [
        c("Hi there!"),
        b("Hello! How can I help you today?"),
        c("I'd like to speak to a person about my booking reference QXRTZP please.")
            .meta(&[("page", "/bookings")]),
        b("I'm connecting you with a colleague."),
        c("Also, my flight was moved to 14 March, I need a new seat."),
        c("My e-mail is sam.taylor@example.org if that helps."),
    ]
);

golden!(
    default_german_du_waiting_for_the_agent,
    "acme",
    Channel::App,
    [
        c(
            "Hallo, kannst du mich bitte mit einem echten Menschen verbinden? Es geht um meinen Handyvertrag."
        ),
        b("Klar, ich verbinde dich."),
        c("Meine Kundennummer ist K-889911, falls du die brauchst."),
    ]
);

golden!(
    redaction_none_shows_everything,
    "plain",
    Channel::Webchat,
    [
        c(
            "My name is Anna Schmidt, I live at 221B Baker Street. My IBAN DE89 3704 0044 0532 0130 00 was charged twice, call me on +49 170 1234567 or mail anna.schmidt@example.com. Card 4111 1111 1111 1111."
        ),
        c("I want to speak to a human now."),
    ]
);

golden!(
    redaction_transcript_masks_the_transcript,
    "acme",
    Channel::Webchat,
    [
        c(
            "My name is Anna Schmidt, I live at 221B Baker Street. My IBAN DE89 3704 0044 0532 0130 00 was charged twice, call me on +49 170 1234567 or mail anna.schmidt@example.com. Card 4111 1111 1111 1111."
        ),
        c("I want to speak to a human now."),
    ]
);

golden!(
    redaction_all_masks_everywhere,
    "masked",
    Channel::Webchat,
    [
        c(
            "My name is Anna Schmidt, I live at 221B Baker Street. My IBAN DE89 3704 0044 0532 0130 00 was charged twice, call me on +49 170 1234567 or mail anna.schmidt@example.com. Card 4111 1111 1111 1111."
        ),
        c("I want to speak to a human now."),
    ]
);

golden!(
    offer_declined_english_then_handed_off,
    "acme",
    Channel::Webchat,
    [
        c("Hi, I'd like to change my tariff to the cheaper one."),
        b("Sorry, I didn't understand that.").fallback(),
        c("Change my tariff please."),
        b("Would you like me to connect you with a colleague?"),
        c("No thanks, just tell me how to change it online."),
        b("Sorry, I didn't understand that.").fallback(),
        c("Ugh. Tariff change. Online. How?"),
        b("Sorry, I didn't understand that.").fallback(),
        c("Okay, get me a person then."),
    ]
);

/// The suggested bot reply of a handoff on `channel` for a German customer asking for a person.
async fn handoff_reply(channel: Channel, text: &str) -> String {
    let engine = engine_for(&Config::default()).expect("engine");
    let d = engine
        .process(Turn {
            tenant_id: "acme".into(),
            conversation_id: "c1".into(),
            turn_id: "t1".into(),
            role: Role::Customer,
            text: text.into(),
            channel,
            time_ms: 1_700_000_000_000,
            ..Default::default()
        })
        .await
        .expect("turn accepted");
    assert!(d.handoff.is_some(), "{text} hands off");
    d.suggested_reply
}

#[tokio::test]
async fn suggested_replies_say_told_on_the_phone_and_wrote_in_writing() {
    let de = "Bitte verbinden Sie mich mit einem Mitarbeiter";
    let en = "I want to speak to a human please";
    assert!(
        handoff_reply(Channel::Voice, de)
            .await
            .contains("was Sie mir gesagt haben")
    );
    assert!(
        handoff_reply(Channel::Webchat, de)
            .await
            .contains("was Sie mir geschrieben haben")
    );
    assert!(
        handoff_reply(Channel::Voice, en)
            .await
            .contains("everything you told me")
    );
    assert!(
        handoff_reply(Channel::Whatsapp, en)
            .await
            .contains("everything you wrote to me")
    );
}
