//! A turn end to end: decisions, handoffs, duplicates, sequence numbers, streams.

use crate::helpers::*;
use escalation_router::pb;
use std::time::Duration;
use tokio_stream::StreamExt;

#[tokio::test]
async fn an_english_customer_asking_for_a_human_is_handed_off_and_one_event_carries_the_transcript()
{
    let mut app = spawn_app().await;
    let mut events = subscribe(&mut app, "router-1").await;
    let d = send(&mut app, customer("en-1", "t1", "Where is my parcel?"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::Continue);
    send(
        &mut app,
        bot("en-1", "t2", "Please give me your tracking number.", false),
    )
    .await
    .unwrap();
    let d = send(
        &mut app,
        customer("en-1", "t3", "I want to talk to a real person please"),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    assert!(!d.bot_should_respond);
    let handoff = d.handoff.expect("handoff present");
    assert!(!handoff.handoff_id.is_empty());
    let ev = next_event(&mut events, Duration::from_secs(5))
        .await
        .expect("event delivered");
    assert_eq!(ev.handoff_id, handoff.handoff_id);
    assert_eq!(ev.conversation_id, "en-1");
    let transcript: Vec<String> = ev
        .context
        .unwrap()
        .transcript
        .into_iter()
        .map(|t| t.text)
        .collect();
    assert_eq!(
        transcript,
        vec![
            "Where is my parcel?",
            "Please give me your tracking number.",
            "I want to talk to a real person please"
        ]
    );
    assert!(
        next_event(&mut events, Duration::from_millis(300))
            .await
            .is_none(),
        "exactly one event"
    );
}

#[tokio::test]
async fn a_german_customer_asking_for_a_mitarbeiter_is_handed_off() {
    let mut app = spawn_app().await;
    let mut events = subscribe(&mut app, "router-de").await;
    send(
        &mut app,
        customer("de-1", "t1", "Meine Rechnung ist zu hoch"),
    )
    .await
    .unwrap();
    let d = send(
        &mut app,
        customer(
            "de-1",
            "t2",
            "Ich möchte bitte mit einem Mitarbeiter sprechen",
        ),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    let ev = next_event(&mut events, Duration::from_secs(5))
        .await
        .expect("event delivered");
    assert_eq!(ev.context.unwrap().transcript.len(), 2);
    assert!(
        next_event(&mut events, Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_negated_request_for_a_human_does_not_hand_off() {
    let mut app = spawn_app().await;
    let d = send(
        &mut app,
        customer("de-2", "t1", "nein, ich brauche keinen Mitarbeiter"),
    )
    .await
    .unwrap();
    assert_ne!(action(&d), pb::Action::Handoff);
    assert!(d.handoff.is_none());
}

#[tokio::test]
async fn while_a_handoff_is_pending_the_bot_is_told_to_stay_silent_and_no_second_handoff_opens() {
    let mut app = spawn_app().await;
    let mut events = subscribe(&mut app, "r").await;
    let first = send(&mut app, customer("c", "t1", "agent please"))
        .await
        .unwrap();
    assert_eq!(action(&first), pb::Action::Handoff);
    let d = send(&mut app, customer("c", "t2", "human now, I said a human!"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::StaySilent);
    assert!(!d.bot_should_respond);
    assert_eq!(
        d.handoff.unwrap().handoff_id,
        first.handoff.unwrap().handoff_id
    );
    assert!(
        next_event(&mut events, Duration::from_secs(2))
            .await
            .is_some()
    );
    assert!(
        next_event(&mut events, Duration::from_millis(300))
            .await
            .is_none(),
        "one open handoff"
    );
}

#[tokio::test]
async fn the_same_turn_again_returns_the_same_decision_and_changes_nothing() {
    let mut app = spawn_app().await;
    let first = send(&mut app, customer("d", "t1", "I need a human"))
        .await
        .unwrap();
    let again = send(&mut app, customer("d", "t1", "I need a human"))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.action, first.action);
    assert_eq!(
        again.handoff.unwrap().handoff_id,
        first.handoff.unwrap().handoff_id
    );
    assert_eq!(conversation(&mut app, "d").await.unwrap().turn_count, 1);
}

#[tokio::test]
async fn the_same_turn_id_with_different_text_is_rejected() {
    let mut app = spawn_app().await;
    send(&mut app, customer("d", "t1", "hello")).await.unwrap();
    let err = send(&mut app, customer("d", "t1", "something else"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    assert!(err.message().contains("turn_id"), "{}", err.message());
    assert_eq!(conversation(&mut app, "d").await.unwrap().turn_count, 1);
}

#[tokio::test]
async fn a_sequence_number_that_skips_ahead_names_the_expected_one() {
    let mut app = spawn_app().await;
    let mut t = customer("s", "t1", "hello");
    t.sequence = Some(1);
    send(&mut app, t).await.unwrap();
    let mut t = customer("s", "t3", "hello again");
    t.sequence = Some(3);
    let err = send(&mut app, t).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(err.message().contains("expected 2"), "{}", err.message());
    assert_eq!(conversation(&mut app, "s").await.unwrap().turn_count, 1);
}

#[tokio::test]
async fn a_sequence_number_already_seen_is_a_duplicate() {
    let mut app = spawn_app().await;
    let mut t = customer("s2", "t1", "hello");
    t.sequence = Some(1);
    let first = send(&mut app, t.clone()).await.unwrap();
    let again = send(&mut app, t).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.sequence, first.sequence);
}

#[tokio::test]
async fn stream_turns_multiplexes_two_interleaved_conversations_in_order() {
    let mut app = spawn_app().await;
    let mut requests = Vec::new();
    for i in 1..=5 {
        for conv in ["a", "b"] {
            let text = if conv == "b" && i == 5 {
                "let me talk to a person"
            } else {
                // Different routine questions: the same one five times would be a customer repeat.
                [
                    "hi there",
                    "what are your opening hours?",
                    "and on saturday?",
                    "where is the nearest store?",
                    "ok, good to know",
                ][i as usize - 1]
            };
            let mut t = customer(conv, &format!("{conv}{i}"), text);
            t.sequence = Some(i);
            requests.push(pb::ProcessTurnRequest { turn: Some(t) });
        }
    }
    let response = app
        .router
        .stream_turns(tokio_stream::iter(requests))
        .await
        .unwrap();
    let mut out = response.into_inner();
    let mut seen: Vec<(String, String, pb::Decision)> = Vec::new();
    while let Some(msg) = out.next().await {
        let msg = msg.unwrap();
        match msg.result.unwrap() {
            pb::stream_turns_response::Result::Decision(d) => {
                seen.push((msg.conversation_id, msg.turn_id, d))
            }
            pb::stream_turns_response::Result::Error(e) => panic!("turn error: {e:?}"),
        }
    }
    assert_eq!(seen.len(), 10);
    for conv in ["a", "b"] {
        let seqs: Vec<u64> = seen
            .iter()
            .filter(|s| s.0 == conv)
            .map(|s| s.2.sequence)
            .collect();
        assert_eq!(
            seqs,
            vec![1, 2, 3, 4, 5],
            "conversation {conv} kept its order"
        );
    }
    let last_b = seen.iter().find(|s| s.1 == "b5").unwrap();
    assert_eq!(action(&last_b.2), pb::Action::Handoff);
    let last_a = seen.iter().find(|s| s.1 == "a5").unwrap();
    assert_eq!(action(&last_a.2), pb::Action::Continue);
}

#[tokio::test]
async fn a_bad_turn_on_a_stream_gets_an_error_and_the_stream_goes_on() {
    let mut app = spawn_app().await;
    let requests = vec![
        pb::ProcessTurnRequest {
            turn: Some(customer("x", "t1", "")),
        },
        pb::ProcessTurnRequest {
            turn: Some(customer("x", "t2", "hello")),
        },
    ];
    let mut out = app
        .router
        .stream_turns(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut results = Vec::new();
    while let Some(msg) = out.next().await {
        results.push(msg.unwrap());
    }
    assert_eq!(results.len(), 2);
    let err = results.iter().find(|r| r.turn_id == "t1").unwrap();
    match err.result.as_ref().unwrap() {
        pb::stream_turns_response::Result::Error(e) => {
            assert_eq!(e.code, tonic::Code::InvalidArgument as i32);
            assert!(e.message.contains("turn.text"));
        }
        other => panic!("expected an error, got {other:?}"),
    }
}
