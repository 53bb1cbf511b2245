//! The generator's own tests: enough cases, unique ids, filled templates, perturbations that do
//! what they say.

use super::perturb::{fold_umlauts, switch_register, typo_word};
use super::{Capability, Check, Expect, Kind, judge, suite};
use crate::domain::{Action, Decision, Lang, Reason, ReasonCode};
use std::collections::{HashMap, HashSet};

#[test]
fn every_capability_has_at_least_40_mft_cases_per_language() {
    let mut counts: HashMap<(Capability, Lang), usize> = HashMap::new();
    for c in suite().iter().filter(|c| c.kind == Kind::Mft) {
        *counts.entry((c.capability, c.lang)).or_default() += 1;
    }
    for capability in Capability::ALL {
        for lang in [Lang::De, Lang::En] {
            let n = counts.get(&(capability, lang)).copied().unwrap_or(0);
            assert!(
                n >= 40,
                "{} {}: {n} MFT cases",
                capability.label(),
                lang.tag()
            );
        }
    }
}

#[test]
fn ids_are_unique_and_templates_are_filled() {
    let cases = suite();
    let mut ids = HashSet::new();
    for c in &cases {
        assert!(ids.insert(c.id.clone()), "duplicate id {}", c.id);
        for l in &c.lines {
            assert!(
                !l.text.contains('{') && !l.text.contains('}'),
                "{}: {}",
                c.id,
                l.text
            );
            assert!(!l.text.trim().is_empty(), "{}: empty line", c.id);
        }
        for check in &c.checks {
            assert!(check.turn < c.lines.len(), "{}: check past the end", c.id);
        }
    }
}

#[test]
fn no_two_mft_cases_are_the_same_conversation() {
    let mut seen = HashSet::new();
    for c in suite().iter().filter(|c| c.kind == Kind::Mft) {
        let text: Vec<String> = c
            .lines
            .iter()
            .map(|l| format!("{:?} {:?} {}", l.nlu, l.bot, l.text))
            .collect();
        assert!(
            seen.insert(text.join("\n")),
            "{} repeats another case",
            c.id
        );
    }
}

#[test]
fn perturbations_change_what_they_say() {
    assert_eq!(fold_umlauts("Größe über Äpfel"), "Groesse ueber Aepfel");
    assert_eq!(
        switch_register("Können Sie mich mit Ihrem Berater verbinden?", Lang::De),
        "Kannst du mich mit deinem Berater verbinden?"
    );
    assert_eq!(
        switch_register("Kannst du mir sagen, wo dein Formular ist?", Lang::De),
        "Können Sie mir sagen, wo Ihr Formular ist?"
    );
    assert_eq!(
        switch_register("Can you help me please", Lang::En),
        "can u help me pls"
    );
    assert_eq!(
        switch_register("can u help me pls", Lang::En),
        "can you help me please"
    );
    // Sie inside other words stays.
    assert_eq!(
        switch_register("Siemens Ihrerseits", Lang::De),
        "Siemens Ihrerseits"
    );
    for n in 0..6 {
        let t = typo_word("Mitarbeiter", n);
        assert_ne!(t, "Mitarbeiter");
        assert!(t.starts_with('M'));
        let d = t.chars().count() as i64 - 11;
        assert!(d.abs() <= 1, "{t}");
    }
    assert_eq!(typo_word("Hi", 0), "Hi");
}

#[test]
fn every_perturbation_is_used_in_both_languages() {
    let cases = suite();
    for how in [
        "umlauts as ae/oe/ue",
        "lowercase",
        "one typo",
        "emoji",
        "register",
    ] {
        for lang in [Lang::De, Lang::En] {
            let n = cases
                .iter()
                .filter(|c| {
                    c.kind == Kind::Inv && c.lang == lang && c.name.contains(&format!("({how};"))
                })
                .count();
            // English has no umlauts to spell out.
            let least = if lang == Lang::En && how.starts_with("umlauts") {
                0
            } else {
                40
            };
            assert!(n >= least, "{how} {}: {n} cases", lang.tag());
            eprintln!("{how} {}: {n}", lang.tag());
        }
    }
}

fn decided(actions: &[Action]) -> Vec<Decision> {
    actions
        .iter()
        .map(|&action| Decision {
            action,
            ..Default::default()
        })
        .collect()
}

fn check(turn: usize, expect: Expect) -> Check {
    Check {
        turn,
        expect,
        with: None,
        without: None,
    }
}

#[test]
fn checks_judge_the_decision_at_their_turn_and_what_came_before() {
    use Action::{Continue, Handoff, OfferHandoff, StaySilent};
    let handed_off_early = decided(&[Handoff, StaySilent, StaySilent]);
    let handed_off_last = decided(&[Continue, Continue, Handoff]);
    let offered = decided(&[Continue, Continue, OfferHandoff]);
    assert_eq!(
        judge(&check(2, Expect::Handoff), &handed_off_last, None),
        None
    );
    let early = judge(&check(2, Expect::Handoff), &handed_off_early, None);
    assert!(early.is_some_and(|w| w.contains("handed off earlier, at turn 0")));
    assert!(judge(&check(2, Expect::AtMostOffer), &handed_off_early, None).is_some());
    assert_eq!(judge(&check(2, Expect::AtMostOffer), &offered, None), None);
    assert!(judge(&check(2, Expect::Continue), &offered, None).is_some());
    assert_eq!(judge(&check(2, Expect::AtLeastOffer), &offered, None), None);
    assert!(judge(&check(1, Expect::AtLeastOffer), &offered, None).is_some());
    // INV: the same action as the unperturbed conversation; DIR: not lower.
    assert_eq!(
        judge(&check(2, Expect::Same), &offered, Some(&offered)),
        None
    );
    assert!(judge(&check(2, Expect::Same), &handed_off_last, Some(&offered)).is_some());
    assert_eq!(
        judge(
            &check(2, Expect::NotLower),
            &handed_off_last,
            Some(&offered)
        ),
        None
    );
    assert!(
        judge(
            &check(2, Expect::NotLower),
            &offered,
            Some(&handed_off_last)
        )
        .is_some()
    );
    // Reason codes.
    let mut with = check(2, Expect::Handoff);
    with.with = Some(ReasonCode::ExplicitRequest);
    assert!(judge(&with, &handed_off_last, None).is_some_and(|w| w.contains("explicit_request")));
    let mut reasons = handed_off_last.clone();
    reasons[2].reasons.push(Reason {
        code: ReasonCode::ExplicitRequest,
        detail: String::new(),
        weight: 1.0,
        turn_ids: vec![],
        matched: vec![],
    });
    assert_eq!(judge(&with, &reasons, None), None);
    let mut without = check(2, Expect::Handoff);
    without.without = Some(ReasonCode::ExplicitRequest);
    assert!(judge(&without, &reasons, None).is_some());
    assert!(judge(&check(5, Expect::Handoff), &reasons, None).is_some());
}
