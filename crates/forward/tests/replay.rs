//! Replays and made-up deliveries against a real receiver, store and handlers.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use calleague_forward::{made_up, replay, replay_all, ApiKey, ForwardOptions, ForwardTarget, Forwarder, Sender};
use calleague_store::ReplaySelection;
use common::*;

fn sender() -> Sender {
    Sender::new(Some(ApiKey::new(KEY)), Duration::from_secs(10))
}

fn only_delivery(h: &Harness) -> i64 {
    let batch = h.store.forward_candidates(0, 100).unwrap();
    assert_eq!(batch.deliveries.len(), 1);
    batch.deliveries[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_sends_the_stored_or_edited_body_and_is_kept_as_a_replay() {
    let h = start(None).await;
    assert_eq!(
        h.deliver(&event("call.failed", "dl_replay", "c_replay"), &[("x-calleague-signature", "v1=s")]).await,
        200
    );
    let id = only_delivery(&h);
    let handler = Arc::new(Handler::default());
    let (addr, _server) = handler_at(None, handler.clone()).await;
    // An address typed once: no forwarder runs for it.
    let target = ForwardTarget::new(&target_url(addr), Vec::<String>::new()).unwrap();

    let first = replay(&h.store, &sender(), &target, id, None).await.unwrap();
    assert_eq!(first.status, Some(200));
    assert!(first.replay);
    let edited =
        r#"{"event":"call.failed","deliveryId":"dl_replay","data":{"callId":"c_replay","endedReason":"edited"}}"#;
    let second = replay(&h.store, &sender(), &target, id, Some(edited.as_bytes().to_vec())).await.unwrap();
    assert_eq!(second.attempt, 2);

    let got = handler.received();
    assert_eq!(got.len(), 2);
    assert_eq!(&got[0].body[..], event("call.failed", "dl_replay", "c_replay").as_bytes(), "the stored body");
    assert_eq!(&got[1].body[..], edited.as_bytes(), "the edited body");
    for (i, request) in got.iter().enumerate() {
        assert_eq!(request.header("calleague-monitor-replay"), Some("1"));
        assert_eq!(request.header("calleague-monitor-attempt"), Some((i + 1).to_string().as_str()));
        assert_eq!(request.header("x-calleague-signature"), Some("v1=s"), "Calleague's headers as stored");
        assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    }
    let kept = h.store.forward_attempts(id).unwrap();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|a| a.replay && a.status == Some(200) && a.target == target_url(addr)));
    // A replay owes nothing: no retry is scheduled for a person's extra attempt.
    assert_eq!(h.store.forward_owed(&target_url(addr)).unwrap(), (0, 0));

    // Not JSON: refused before anything is sent.
    let e = replay(&h.store, &sender(), &target, id, Some(b"{not json".to_vec())).await.unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
    let e = replay(&h.store, &sender(), &target, id + 100, None).await.unwrap_err();
    assert!(e.to_string().contains("no delivery"), "{e}");
    assert_eq!(handler.received().len(), 2);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failures_since_a_time_are_replayed_with_progress_and_can_be_cancelled() {
    let h = start(None).await;
    let handler = Arc::new(Handler::default());
    handler.statuses.lock().unwrap().extend([500; 5]);
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let target = ForwardTarget::new(&target_url(addr), Vec::<String>::new()).unwrap();
    // A window so short that each failure is given up at once.
    let options = ForwardOptions { retry_window: Duration::from_millis(1), ..ForwardOptions::default() };
    let forwarder = Forwarder::start(h.store.clone(), vec![target.clone()], Some(ApiKey::new(KEY)), options).await;
    let since = now_ms();
    for i in 0..5 {
        assert_eq!(h.deliver(&event("call.completed", &format!("dl_f{i}"), &format!("c_f{i}")), &[]).await, 200);
    }
    // Then one that is answered: not a failure to replay.
    handler.wait_for("the five failures", Duration::from_secs(10), |r| r.len() >= 5).await;
    assert_eq!(h.deliver(&event("call.completed", "dl_ok", "c_ok"), &[]).await, 200);
    handler.wait_for("the answered one", Duration::from_secs(10), |r| r.len() >= 6).await;
    forwarder.stop().await;
    let mut owed = (0, 0);
    for _ in 0..100 {
        owed = h.store.forward_owed(target.key()).unwrap();
        if owed == (0, 5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(owed, (0, 5), "five given up");

    let ids = h
        .store
        .forward_selection(&ReplaySelection::NotAnswered { target: target.key().to_owned(), since_ms: since }, 1_000)
        .unwrap();
    assert_eq!(ids.len(), 5);

    // Cancelled before the first: nothing sent.
    let cancel = AtomicBool::new(true);
    let done = replay_all(&h.store, &sender(), &target, &ids, &cancel, |_, _| {}).await.unwrap();
    assert!(done.cancelled && done.sent == 0);
    assert_eq!(handler.received().len(), 6);

    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let done = replay_all(&h.store, &sender(), &target, &ids, &cancel, |p, _| seen.push(p.sent)).await.unwrap();
    assert_eq!((done.total, done.sent, done.answered, done.failed, done.cancelled), (5, 5, 5, 0, false));
    assert_eq!(seen, [0, 1, 2, 3, 4, 5, 5], "progress after each");
    let replayed: Vec<_> = handler.received()[6..].iter().map(Received::delivery_id).collect();
    assert_eq!(replayed, ["dl_f0", "dl_f1", "dl_f2", "dl_f3", "dl_f4"]);
    // Answered now: none is a failure any more.
    let left = h
        .store
        .forward_selection(&ReplaySelection::NotAnswered { target: target.key().to_owned(), since_ms: since }, 1_000)
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    // A time range of received deliveries, by event.
    let all = h
        .store
        .forward_selection(
            &ReplaySelection::Received { from_ms: since, to_ms: now_ms() + 1, events: vec!["call.completed".into()] },
            1_000,
        )
        .unwrap();
    assert_eq!(all.len(), 6);
    let none = h
        .store
        .forward_selection(
            &ReplaySelection::Received { from_ms: since, to_ms: now_ms() + 1, events: vec!["call.failed".into()] },
            1_000,
        )
        .unwrap();
    assert!(none.is_empty());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_delivery_takes_its_values_from_a_real_one_and_reaches_a_handler_or_this_receiver() {
    let h = start(None).await;
    let real = r#"{"event":"call.completed","deliveryId":"dl_real","occurredAt":"2026-12-02T10:00:00Z","data":{"callId":"c_real","agentId":"ag_sales","durationSec":84,"endedReason":"completed","metadata":{"orderId":"A-1042"}}}"#;
    assert_eq!(h.deliver(real, &[]).await, 200);
    let sets =
        [("endedReason".to_owned(), "voicemail".to_owned()), ("metadata.campaign".to_owned(), "spring".to_owned())];
    let made = made_up(Some(&h.store), "call.completed", &sets).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&made.body).unwrap();
    assert_eq!(body["data"]["agentId"], "ag_sales", "from the real delivery");
    assert_eq!(body["data"]["durationSec"], 84);
    assert_eq!(body["data"]["endedReason"], "voicemail", "as set");
    assert_eq!(body["data"]["metadata"], serde_json::json!({"orderId": "A-1042", "campaign": "spring"}));
    assert_ne!(body["deliveryId"], "dl_real");
    assert_ne!(body["data"]["callId"], "c_real", "a call of its own");

    // To a handler.
    let handler = Arc::new(Handler::default());
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let target = ForwardTarget::new(&target_url(addr), Vec::<String>::new()).unwrap();
    let answer = sender().send(&target, &made, &made.body, 1, false).await;
    assert_eq!(answer.status, Some(200));
    assert_eq!(&handler.received()[0].body[..], &made.body[..]);

    // To this receiver: stored like any delivery, the call on the timeline.
    let own = ForwardTarget::new(h.receiver.url(), Vec::<String>::new()).unwrap();
    let answer = sender().send(&own, &made, &made.body, 1, false).await;
    assert_eq!(answer.status, Some(200), "{:?}", String::from_utf8_lossy(&answer.body));
    h.store.settle().await.unwrap();
    let call_id = body["data"]["callId"].as_str().unwrap();
    let call = h.store.call(call_id).unwrap().expect("the made-up call is stored");
    assert_eq!(call.record.ended_reason.as_deref(), Some("voicemail"));

    // With nothing stored for an event, a plain example; unknown events are refused.
    let example = made_up(Some(&h.store), "recording.ready", &[]).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&example.body).unwrap();
    assert!(body["data"]["recordingId"].is_string());
    assert!(made_up(Some(&h.store), "call.exploded", &[]).is_err());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_does_not_answer_shows_as_down_and_recovers() {
    let h = start(None).await;
    let addr = free_port();
    let target = ForwardTarget::new(&target_url(addr), Vec::<String>::new()).unwrap();
    let key = target.key().to_owned();
    let forwarder =
        Forwarder::start(h.store.clone(), vec![target], Some(ApiKey::new(KEY)), ForwardOptions::default()).await;
    // A new target has its place at the log's end once started: the delivery is after it.
    assert!(h.store.forward_position(&key).unwrap().is_some());
    assert_eq!(h.deliver(&event("call.started", "dl_h", "c_h"), &[]).await, 200);
    let mut health = forwarder.health();
    for _ in 0..250 {
        health = forwarder.health();
        if health[0].down {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(health[0].down, "{health:?}");
    assert_eq!(health[0].last_failure.as_deref(), Some("connection refused"));
    assert!(health[0].since_ms.is_some());
    let handler = Arc::new(Handler::default());
    let (_, _server) = handler_at(Some(addr), handler.clone()).await;
    handler.wait_for("the delivery", Duration::from_secs(20), |r| !r.is_empty()).await;
    for _ in 0..250 {
        health = forwarder.health();
        if !health[0].down && health[0].failing_rounds == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!health[0].down && health[0].last_failure.is_none(), "{health:?}");
    forwarder.stop().await;
    h.stop().await;
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}
