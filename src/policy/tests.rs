//! `decide` is a pure function: tables of (state, assessment, policy, now, availability) -> decision.

use super::*;
use crate::domain::{CustomerProfile, Lang, Scores, TurnRecord};
use chrono::TimeZone;

/// Monday 2026-11-23 at `h`:00 UTC.
fn monday(h: u32) -> i64 {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 23, h, 0, 0)
        .unwrap()
        .timestamp_millis()
}

/// A `[policy.default]` section.
fn policy(toml: &str) -> TenantPolicy {
    let config = PolicyConfig {
        default: toml.parse().expect("test policy parses"),
        ..Default::default()
    };
    config.compile().expect("test policy is valid").default
}

fn reason(code: ReasonCode, detail: &str) -> Reason {
    Reason {
        code,
        detail: detail.into(),
        weight: 1.0,
        turn_ids: vec!["t1".into()],
        matched: vec![],
    }
}

fn assessment(escalation: Escalation, reasons: Vec<Reason>) -> Assessment {
    Assessment {
        alert: escalation != Escalation::None || !reasons.is_empty(),
        escalation,
        reasons,
        scores: Scores::default(),
        ..Default::default()
    }
}

/// A conversation with one customer turn saying `text` with `intent`.
fn state(lang: Lang, text: &str, intent: &str, tier: Tier) -> ConversationState {
    let mut s = ConversationState::new("acme", "c1", monday(10));
    s.language = Some(lang);
    s.customer = Some(CustomerProfile {
        customer_id: "K-1".into(),
        tier,
        ..Default::default()
    });
    s.recent.push_back(std::sync::Arc::new(TurnRecord {
        turn_id: "t1".into(),
        role: Role::Customer,
        text: text.into(),
        intent: intent.into(),
        ..Default::default()
    }));
    s
}

fn en() -> ConversationState {
    state(Lang::En, "this is not working", "", Tier::Standard)
}

/// Decides with no queue status pushed, on Monday at 10:00 UTC.
fn run(state: &ConversationState, a: &Assessment, p: &TenantPolicy) -> Outcome {
    run_with(state, a, p, monday(10), &BTreeMap::new())
}

fn run_with(
    state: &ConversationState,
    a: &Assessment,
    p: &TenantPolicy,
    now_ms: i64,
    queues: &BTreeMap<String, QueueStatus>,
) -> Outcome {
    decide(
        state,
        a,
        &Moment {
            policy: p,
            now_ms,
            queues,
        },
    )
}

fn action(o: &Outcome) -> Action {
    o.decision.action
}

fn codes(o: &Outcome) -> Vec<ReasonCode> {
    o.decision.reasons.iter().map(|r| r.code).collect()
}

fn queues(name: &str, agents: u32, wait: u32, open: bool) -> BTreeMap<String, QueueStatus> {
    BTreeMap::from([(
        name.to_string(),
        QueueStatus {
            agents_available: agents,
            expected_wait_seconds: wait,
            open,
            updated_ms: 0,
        },
    )])
}

#[test]
fn the_default_policy_maps_the_memorys_level_straight_through() {
    let p = TenantPolicy::default();
    for (level, expected) in [
        (Escalation::None, Action::Continue),
        (Escalation::Offer, Action::OfferHandoff),
        (Escalation::Handoff, Action::Handoff),
    ] {
        let reasons = match level {
            Escalation::None => vec![],
            _ => vec![reason(ReasonCode::NegativeEmotion, "frustration")],
        };
        let o = run(&en(), &assessment(level, reasons), &p);
        assert_eq!(action(&o), expected, "{level:?}");
        assert_eq!(o.opens_handoff, expected == Action::Handoff);
    }
}

#[test]
fn a_default_handoff_is_a_whole_decision() {
    let a = assessment(
        Escalation::Handoff,
        vec![reason(ReasonCode::ExplicitRequest, "")],
    );
    let o = run(&en(), &a, &TenantPolicy::default());
    assert_eq!(
        o,
        Outcome {
            decision: Decision {
                action: Action::Handoff,
                alert: true,
                reasons: vec![reason(ReasonCode::ExplicitRequest, "")],
                scores: Scores::default(),
                priority: Priority::Normal,
                route: Route {
                    queue: "default".into(),
                    skills: vec![],
                    language: "en".into(),
                },
                suggested_reply: "I'm connecting you with a colleague who can already see everything you told me, so you won't have to repeat anything.".into(),
                bot_should_respond: false,
                ownership: Ownership::PendingHandoff,
                ..Default::default()
            },
            opens_handoff: true,
        }
    );
}

#[test]
fn a_human_owner_keeps_the_bot_silent() {
    let mut s = en();
    s.ownership = Ownership::Agent;
    let o = run(
        &s,
        &assessment(Escalation::Handoff, vec![]),
        &TenantPolicy::default(),
    );
    assert_eq!(action(&o), Action::StaySilent);
    assert!(!o.decision.bot_should_respond);
    assert!(!o.opens_handoff);
}

#[test]
fn reactions_per_reason_choose_offer_first_or_direct_or_ignore() {
    let explicit = vec![reason(ReasonCode::ExplicitRequest, "")];
    let emotion = vec![reason(ReasonCode::NegativeEmotion, "anger")];
    let both = vec![
        reason(ReasonCode::NegativeEmotion, "anger"),
        reason(ReasonCode::Repair, ""),
    ];
    let cases = [
        (
            "reasons = { explicit_request = \"offer\" }",
            Escalation::Handoff,
            &explicit,
            Action::OfferHandoff,
        ),
        (
            "reasons = { negative_emotion = \"handoff\" }",
            Escalation::Offer,
            &emotion,
            Action::Handoff,
        ),
        (
            "reasons = { negative_emotion = \"ignore\" }",
            Escalation::Handoff,
            &emotion,
            Action::Continue,
        ),
        // An unconfigured reason keeps the memory's level; the strongest reaction wins.
        (
            "reasons = { negative_emotion = \"ignore\" }",
            Escalation::Offer,
            &both,
            Action::OfferHandoff,
        ),
        // Reactions never raise a conversation the memory left alone.
        (
            "reasons = { negative_emotion = \"handoff\" }",
            Escalation::None,
            &emotion,
            Action::Continue,
        ),
    ];
    for (toml, level, reasons, expected) in cases {
        let o = run(&en(), &assessment(level, reasons.clone()), &policy(toml));
        assert_eq!(action(&o), expected, "{toml} at {level:?}");
    }
}

#[test]
fn score_thresholds_offer_or_hand_off_on_their_own() {
    let p = policy(
        "thresholds.frustration = { offer = 0.5, handoff = 0.8 }\nthresholds.urgency = { handoff = 0.9 }",
    );
    for (frustration, urgency, expected) in [
        (0.4, 0.0, Action::Continue),
        (0.5, 0.0, Action::OfferHandoff),
        (0.85, 0.0, Action::Handoff),
        (0.0, 0.95, Action::Handoff),
    ] {
        let mut a = assessment(Escalation::None, vec![]);
        a.scores.frustration = frustration;
        a.scores.urgency = urgency;
        let o = run(&en(), &a, &p);
        assert_eq!(
            action(&o),
            expected,
            "frustration {frustration}, urgency {urgency}"
        );
        if expected != Action::Continue {
            assert_eq!(
                o.decision.reasons.len(),
                1,
                "one reason per crossed threshold"
            );
        }
    }
    let mut a = assessment(Escalation::None, vec![]);
    a.scores.frustration = 0.9;
    let o = run(&en(), &a, &p);
    assert_eq!(
        o.decision.reasons,
        vec![Reason {
            code: ReasonCode::NegativeEmotion,
            detail: "frustration".into(),
            weight: 0.9,
            turn_ids: vec![],
            matched: vec!["frustration >= threshold".into()],
        }]
    );
}

#[test]
fn routine_intents_stay_with_the_bot_unless_it_fails_or_the_customer_asks() {
    let p = TenantPolicy::default();
    let routine = state(
        Lang::En,
        "where is my parcel??",
        "track_order",
        Tier::Standard,
    );
    let other = state(
        Lang::En,
        "where is my parcel??",
        "billing_dispute",
        Tier::Standard,
    );
    let emotion = vec![reason(ReasonCode::NegativeEmotion, "frustration")];
    let failing = vec![reason(ReasonCode::BotFallback, "")];
    let asked = vec![reason(ReasonCode::ExplicitRequest, "")];
    let cases = [
        (&routine, Escalation::Offer, &emotion, Action::Continue),
        (&routine, Escalation::Handoff, &emotion, Action::Continue),
        (&routine, Escalation::Offer, &failing, Action::OfferHandoff),
        (&routine, Escalation::Handoff, &asked, Action::Handoff),
        (&other, Escalation::Offer, &emotion, Action::OfferHandoff),
    ];
    for (s, level, reasons, expected) in cases {
        let o = run(s, &assessment(level, reasons.clone()), &p);
        assert_eq!(action(&o), expected, "{:?} {level:?}", reasons[0].code);
    }
    let mut vip = routine.clone();
    vip.customer.as_mut().unwrap().tier = Tier::Vip;
    let eager = policy("tiers.vip = { offer_on_alert = true, promote_offer = true }");
    let o = run(
        &vip,
        &assessment(Escalation::Offer, emotion.clone()),
        &eager,
    );
    assert_eq!(
        (action(&o), codes(&o)),
        (Action::Continue, vec![ReasonCode::NegativeEmotion]),
        "routine beats tier"
    );
    let configured = policy("routine_intents = [\"billing_dispute\"]");
    let o = run(
        &other,
        &assessment(Escalation::Offer, emotion.clone()),
        &configured,
    );
    assert_eq!(action(&o), Action::Continue, "the list is configurable");
    let o = run(
        &routine,
        &assessment(Escalation::Offer, emotion),
        &configured,
    );
    assert_eq!(
        action(&o),
        Action::OfferHandoff,
        "and replaces the default list"
    );
}

#[test]
fn high_stakes_topics_go_early_to_their_queue_with_priority() {
    let p = policy(
        r#"
        intent_stakes = { cancel_contract = "cancellation" }
        [stakes.cancellation]
        action = "handoff"
        queue = "retention"
        skills = ["retention_offers"]
        [stakes.fraud]
        queue = "fraud"
        "#,
    );
    // From the bot's intent: no emotion needed.
    let s = state(
        Lang::En,
        "I want to cancel",
        "cancel_contract",
        Tier::Standard,
    );
    let o = run(&s, &assessment(Escalation::None, vec![]), &p);
    assert_eq!(action(&o), Action::Handoff);
    assert_eq!(
        o.decision.route,
        Route {
            queue: "retention".into(),
            skills: vec!["cancellation".into(), "retention_offers".into()],
            language: "en".into(),
        }
    );
    assert_eq!(codes(&o), vec![ReasonCode::HighStakes]);
    assert_eq!(
        o.decision.reasons[0].matched,
        vec!["nlu.intent:cancel_contract"]
    );
    // From detection: fraud without an action keeps the memory's level but routes and prioritises.
    let a = assessment(
        Escalation::Offer,
        vec![reason(ReasonCode::HighStakes, "fraud")],
    );
    let o = run(&en(), &a, &p);
    assert_eq!(action(&o), Action::OfferHandoff);
    assert_eq!(o.decision.route.queue, "fraud");
    assert_eq!(o.decision.priority, Priority::High);
    // A routine intent does not keep a high-stakes topic with the bot.
    let s = state(
        Lang::En,
        "someone used my card",
        "track_order",
        Tier::Standard,
    );
    let o = run(&s, &a, &p);
    assert_eq!(action(&o), Action::OfferHandoff);
}

#[test]
fn premium_and_vip_customers_reach_a_human_sooner_with_higher_priority() {
    let p = policy("tiers.premium.promote_offer = true\ntiers.vip.promote_offer = true");
    let offer = assessment(
        Escalation::Offer,
        vec![reason(ReasonCode::NegativeEmotion, "frustration")],
    );
    let cases = [
        (Tier::Standard, Action::OfferHandoff, Priority::Normal),
        (Tier::Premium, Action::Handoff, Priority::High),
        (Tier::Vip, Action::Handoff, Priority::Urgent),
    ];
    for (tier, expected, priority) in cases {
        let s = state(Lang::En, "not again", "", tier);
        let o = run(&s, &offer, &p);
        assert_eq!(
            (action(&o), o.decision.priority),
            (expected, priority),
            "{tier:?}"
        );
        assert_eq!(codes(&o).contains(&ReasonCode::Vip), tier != Tier::Standard);
    }
    // By default only the priority rises: the offer stays an offer.
    let s = state(Lang::En, "not again", "", Tier::Vip);
    let o = run(&s, &offer, &TenantPolicy::default());
    assert_eq!(
        (action(&o), o.decision.priority),
        (Action::OfferHandoff, Priority::Urgent)
    );
    // No escalation, no tier effect by default; `offer_on_alert` offers on any problem turn.
    let p = TenantPolicy::default();
    let vip = state(Lang::En, "hm", "", Tier::Vip);
    let mut alert = assessment(Escalation::None, vec![]);
    alert.alert = true;
    assert_eq!(action(&run(&vip, &alert, &p)), Action::Continue);
    let eager =
        policy("tiers.vip = { offer_on_alert = true, promote_offer = false, queue = \"vip\" }");
    let o = run(&vip, &alert, &eager);
    assert_eq!(action(&o), Action::OfferHandoff);
    assert_eq!(o.decision.route.queue, "vip");
    assert_eq!(o.decision.route.skills, vec!["vip"]);
}

#[test]
fn outside_business_hours_the_fallback_applies() {
    let p = policy(
        r#"
        unavailable = "callback"
        [queues.default]
        time_zone = "Europe/Berlin"
        hours = ["mon-fri 08:00-18:00"]
        "#,
    );
    let a = assessment(
        Escalation::Handoff,
        vec![reason(ReasonCode::ExplicitRequest, "")],
    );
    // 10:00 UTC is 11:00 in Berlin: open. 17:30 UTC is 18:30: closed. Sunday: closed.
    let cases = [
        (monday(10), Action::Handoff),
        (monday(17), Action::OfferCallback),
        (monday(10) - 24 * 3600 * 1000, Action::OfferCallback),
    ];
    for (now, expected) in cases {
        let o = run_with(&en(), &a, &p, now, &BTreeMap::new());
        assert_eq!(action(&o), expected, "at {now}");
    }
    let o = run_with(&en(), &a, &p, monday(17), &BTreeMap::new());
    assert_eq!(
        codes(&o),
        vec![
            ReasonCode::ExplicitRequest,
            ReasonCode::OutsideBusinessHours
        ],
        "the escalation reason stays first"
    );
    assert!(o.opens_handoff, "a callback carries the context");
    assert!(o.decision.suggested_reply.contains("call back"));
}

#[test]
fn without_a_free_agent_the_outcome_follows_the_fallback() {
    let handoff = assessment(
        Escalation::Handoff,
        vec![reason(ReasonCode::ExplicitRequest, "")],
    );
    let offer = assessment(
        Escalation::Offer,
        vec![reason(ReasonCode::NegativeEmotion, "anger")],
    );
    let none = queues("default", 0, 0, true);
    let closed = queues("default", 5, 0, false);
    let long = queues("default", 2, 1200, true);
    let fine = queues("default", 2, 120, true);
    let cases = [
        (
            "unavailable = \"callback\"",
            &handoff,
            &none,
            Action::OfferCallback,
        ),
        (
            "unavailable = \"ticket\"",
            &handoff,
            &none,
            Action::CreateTicket,
        ),
        ("unavailable = \"stay\"", &handoff, &none, Action::Continue),
        (
            "unavailable = \"callback\"",
            &offer,
            &none,
            Action::OfferCallback,
        ),
        ("unavailable = \"ticket\"", &offer, &none, Action::Continue),
        (
            "unavailable = \"ticket\"",
            &handoff,
            &closed,
            Action::CreateTicket,
        ),
        (
            "unavailable = \"ticket\"\nmax_wait_seconds = 600",
            &handoff,
            &long,
            Action::CreateTicket,
        ),
        ("unavailable = \"ticket\"", &handoff, &long, Action::Handoff),
        (
            "unavailable = \"ticket\"\nmax_wait_seconds = 600",
            &handoff,
            &fine,
            Action::Handoff,
        ),
    ];
    for (toml, a, q, expected) in cases {
        let o = run_with(&en(), a, &policy(toml), monday(10), q);
        assert_eq!(action(&o), expected, "{toml} with {q:?}");
    }
    let o = run_with(
        &en(),
        &handoff,
        &policy("unavailable = \"stay\""),
        monday(10),
        &none,
    );
    assert!(o.decision.bot_should_respond);
    assert!(!o.opens_handoff);
    assert_eq!(
        o.decision.suggested_reply,
        "I'm sorry, none of my colleagues can take over right now. I'll keep helping you as well as I can."
    );
    assert_eq!(
        o.decision.reasons.last().unwrap().code,
        ReasonCode::NoAgentAvailable
    );
    // A status older than the configured time to live is ignored.
    let mut stale = queues("default", 0, 0, true);
    stale.get_mut("default").unwrap().updated_ms = monday(10) - 301_000;
    let p = policy("unavailable = \"ticket\"\nstatus_ttl_seconds = 300");
    assert_eq!(
        action(&run_with(&en(), &handoff, &p, monday(10), &stale)),
        Action::Handoff
    );
    stale.get_mut("default").unwrap().updated_ms = monday(10) - 299_000;
    assert_eq!(
        action(&run_with(&en(), &handoff, &p, monday(10), &stale)),
        Action::CreateTicket
    );
    // Another queue's status does not matter.
    let o = run_with(
        &en(),
        &handoff,
        &TenantPolicy::default(),
        monday(10),
        &queues("billing", 0, 0, false),
    );
    assert_eq!(action(&o), Action::Handoff);
}

#[test]
fn shadow_mode_reports_what_would_have_happened_and_continues() {
    let p = policy("shadow = true");
    for (level, would) in [
        (Escalation::None, Action::Continue),
        (Escalation::Offer, Action::OfferHandoff),
        (Escalation::Handoff, Action::Handoff),
    ] {
        let o = run(
            &en(),
            &assessment(level, vec![reason(ReasonCode::ExplicitRequest, "")]),
            &p,
        );
        assert_eq!(action(&o), Action::Continue);
        assert_eq!(o.decision.shadow_action, Some(would));
        assert!(o.decision.shadow);
        assert!(!o.opens_handoff);
        assert!(o.decision.bot_should_respond);
        assert_eq!(o.decision.ownership, Ownership::Bot);
        assert_eq!(o.decision.suggested_reply, "");
    }
}

#[test]
fn replies_speak_the_customers_language_and_register() {
    let p = TenantPolicy::default();
    let a = assessment(
        Escalation::Handoff,
        vec![reason(ReasonCode::ExplicitRequest, "")],
    );
    let cases = [
        (
            Lang::De,
            "Können Sie mir bitte helfen?",
            "Ich verbinde Sie jetzt",
        ),
        (
            Lang::De,
            "kannst du mir helfen, dein bot versteht nix",
            "Ich verbinde dich jetzt",
        ),
        (Lang::En, "can you help me", "I'm connecting you"),
    ];
    for (lang, text, start) in cases {
        let o = run(&state(lang, text, "", Tier::Standard), &a, &p);
        assert!(
            o.decision.suggested_reply.starts_with(start),
            "{text}: {}",
            o.decision.suggested_reply
        );
        assert_eq!(o.decision.route.language, lang.tag());
    }
    let custom = policy("replies.de_du.handoff = \"Moment, ich hole jemanden!{wait}\"");
    let o = run_with(
        &state(Lang::De, "hilf mir, du bot", "", Tier::Standard),
        &a,
        &custom,
        monday(10),
        &queues("default", 3, 150, true),
    );
    assert_eq!(
        o.decision.suggested_reply,
        "Moment, ich hole jemanden! Die Wartezeit beträgt etwa 3 Minuten."
    );
}

#[test]
fn tenants_inherit_the_default_and_override_what_differs() {
    let config: PolicyConfig = toml::from_str(
        r#"
        [default]
        queue = "general"
        unavailable = "ticket"
        [default.tiers.vip]
        queue = "vip"
        [tenants.acme]
        shadow = true
        [tenants.acme.tiers.vip]
        priority_boost = 1
        "#,
    )
    .unwrap();
    let policy = config.compile().unwrap();
    let acme = policy.tenant("acme");
    assert!(acme.shadow);
    assert_eq!(acme.queue, "general");
    assert_eq!(acme.unavailable, Fallback::Ticket);
    assert_eq!(acme.tiers.vip.queue.as_deref(), Some("vip"));
    assert_eq!(acme.tiers.vip.priority_boost, 1);
    let other = policy.tenant("other");
    assert!(!other.shadow);
    assert_eq!(
        other.tiers.vip,
        TierRule {
            promote_offer: false,
            offer_on_alert: false,
            priority_boost: 2,
            queue: Some("vip".into()),
        },
        "setting one key of a tier keeps the built-in others"
    );
}

#[test]
fn an_empty_policy_section_is_the_built_in_default() {
    let policy = PolicyConfig::default().compile().unwrap();
    assert_eq!(policy.default, TenantPolicy::default());
    assert_eq!(Policy::default().default, TenantPolicy::default());
}

#[test]
fn invalid_policies_are_refused_naming_the_key() {
    let cases = [
        (
            "[default]\nshadoww = true",
            "default: unknown field `shadoww`",
        ),
        (
            "[tenants.acme]\nredaction = \"some\"",
            "tenants.acme: unknown variant `some`",
        ),
        (
            "[default.thresholds]\njoy = { offer = 0.5 }",
            "default.thresholds.joy",
        ),
        (
            "[default.thresholds]\nanger = { offer = 0.9, handoff = 0.5 }",
            "default.thresholds.anger.offer",
        ),
        (
            "[default.thresholds]\nanger = { handoff = 1.5 }",
            "default.thresholds.anger.handoff",
        ),
        (
            "[default.reasons]\nboredom = \"offer\"",
            "default.reasons.boredom",
        ),
        (
            "[default.stakes.weather]\nqueue = \"x\"",
            "default.stakes.weather",
        ),
        (
            "[default.queues.billing]\nhours = [\"mon-fri 8-18\"]",
            "invalid hours `mon-fri 8-18`",
        ),
        (
            "[default.queues.billing]\ntime_zone = \"Mars/Olympus\"",
            "unknown time zone `Mars/Olympus`",
        ),
        (
            "[tenants.x.replies.en]\nhandoff = \"hi {name}\"",
            "tenants.x.replies.en.handoff",
        ),
        ("[default]\nqueue = \"\"", "default.queue"),
    ];
    for (toml, expected) in cases {
        let config: PolicyConfig = toml::from_str(toml).unwrap();
        let err = config.compile().unwrap_err();
        let err = err.to_string();
        assert!(
            err.starts_with("policy.") && err.contains(expected),
            "{toml}: {err}"
        );
    }
}

#[test]
fn opening_hours_follow_weekdays_time_zones_and_midnight() {
    let w = |s: &str| hours::Window::try_from(s.to_string()).unwrap();
    let berlin = hours::Zone::try_from("Europe/Berlin".to_string()).unwrap();
    let utc = hours::Zone::default();
    let cases = [
        (utc, "mon-fri 08:00-18:00", monday(8), true),
        (utc, "mon-fri 08:00-18:00", monday(18), false),
        (berlin, "mon-fri 08:00-18:00", monday(7), true),
        (utc, "sat,sun 10:00-12:00", monday(11), false),
        (utc, "sun 22:00-06:00", monday(5), true),
        (utc, "sun 22:00-06:00", monday(6), false),
        (utc, "fri-mon 09:00-24:00", monday(23), true),
    ];
    for (zone, window, now, open) in cases {
        assert_eq!(
            hours::is_open(zone, &[w(window)], now),
            open,
            "{window} at {now}"
        );
    }
    assert!(hours::is_open(utc, &[], monday(3)), "no hours: always open");
}

#[test]
fn policy_errors_name_the_full_key_at_start_up() {
    let env = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let err =
        crate::config::Config::load(None, env("ESCALATION__POLICY__DEFAULT__SHADOWW", "true"))
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("policy.default: unknown field `shadoww`"),
        "{err}"
    );
    let err = crate::config::Config::load(
        None,
        env(
            "ESCALATION__POLICY__TENANTS__ACME__MAX_WAIT_SECONDS",
            "soon",
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("policy.tenants.acme"), "{err}");
}

#[test]
fn a_vip_who_needs_nothing_gets_no_priority_bump() {
    let vip = state(Lang::En, "thanks", "", Tier::Vip);
    let o = run(
        &vip,
        &assessment(Escalation::None, vec![]),
        &TenantPolicy::default(),
    );
    assert_eq!(
        (action(&o), o.decision.priority),
        (Action::Continue, Priority::Normal)
    );
    assert_eq!(o.decision.suggested_reply, "");
}

/// The example in the README (keep them in step).
/// The policy example of the README's "Policy" section, so the README cannot drift from the code.
fn readme_example() -> &'static str {
    let readme = include_str!("../../README.md");
    let section = &readme[readme
        .find("## Policy")
        .expect("README has a Policy section")..];
    let start = section
        .find("```toml\n")
        .expect("Policy section has a TOML block")
        + 8;
    let len = section[start..].find("```").expect("the TOML block ends");
    &section[start..start + len]
}

#[test]
fn the_readme_example_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, readme_example()).unwrap();
    let config = crate::config::Config::load(Some(&path), Vec::new()).unwrap();
    let policy = config.policy.compile().unwrap();
    let acme = policy.tenant("acme");
    assert!(acme.shadow);
    assert_eq!(acme.queue, "support");
    assert_eq!(
        acme.stake(Stake::Fraud).unwrap().priority,
        Some(Priority::Urgent)
    );
    assert!(!policy.tenant("other").shadow);
    assert_eq!(config.policy.watch_seconds, 5);
}
