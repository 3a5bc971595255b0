//! Forwarding end to end inside one process: deliveries posted to a real receiver over
//! loopback, stored in a real SQLite file, forwarded to a real handler on another port.

mod common;

use std::sync::Arc;
use std::time::Duration;

use calleague_forward::{ApiKey, ForwardOptions, ForwardTarget, Forwarder};
use common::*;

async fn start_forwarder(h: &Harness, targets: &[&str], options: ForwardOptions) -> Forwarder {
    let targets = targets.iter().map(|spec| ForwardTarget::parse_spec(spec).unwrap()).collect();
    Forwarder::start(h.store.clone(), targets, Some(ApiKey::new(KEY)), options).await
}

/// The log id of the delivery whose `deliveryId` is `id`.
fn log_id(h: &Harness, delivery_id: &str) -> i64 {
    let batch = h.store.forward_candidates(0, 10_000).unwrap();
    batch
        .deliveries
        .iter()
        .find(|d| String::from_utf8_lossy(&d.body).contains(&format!("\"{delivery_id}\"")))
        .unwrap_or_else(|| panic!("{delivery_id} is not in the log"))
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_gets_the_delivery_as_calleague_sent_it() {
    let h = start(None).await;
    let handler = Arc::new(Handler::default());
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let forwarder = start_forwarder(&h, &[&target_url(addr)], ForwardOptions::default()).await;
    // Spacing, key order and escapes as sent, none of which a re-encoding would keep.
    let body = "{ \"event\" : \"call.completed\",\"deliveryId\":\"dl_bytes\",\n \"occurredAt\":\"2026-12-02T10:00:00Z\", \"data\":{\"callId\":\"c1\",\"note\":\"caf\\u00e9 \u{2713}\"} }";
    let status = h
        .deliver(
            body,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("x-calleague-signature", "v1=abc123"),
                ("calleague-delivery-attempt", "2"),
                ("user-agent", "Calleague-Webhooks/1.0"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let got = handler.wait_for("the delivery at the target", Duration::from_secs(10), |r| !r.is_empty()).await;
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(&request.body[..], body.as_bytes(), "the body byte for byte");
    assert_eq!(request.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(request.header("x-calleague-signature"), Some("v1=abc123"));
    assert_eq!(request.header("calleague-delivery-attempt"), Some("2"));
    assert_eq!(request.header("user-agent"), Some("Calleague-Webhooks/1.0"));
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(request.header("host"), Some(addr.to_string().as_str()), "the target's own Host");
    assert_eq!(request.header("calleague-monitor-attempt"), Some("1"));
    assert_eq!(request.header("calleague-monitor-replay"), None);

    // The attempt is kept with the handler's answer.
    let id = log_id(&h, "dl_bytes");
    let attempts = wait_for_attempts(&h, id, 1).await;
    assert_eq!(attempts[0].status, Some(200));
    assert_eq!(attempts[0].response_body, b"thanks");
    assert_eq!(attempts[0].target, target_url(addr));
    assert!(attempts[0].response_headers.iter().any(|(n, _)| n == "content-type"));
    assert!(!attempts[0].replay);
    assert_eq!(h.store.forward_owed(&target_url(addr)).unwrap(), (0, 0));
    forwarder.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_goes_to_the_targets_that_take_it_and_hidden_ones_to_none() {
    // transcript.ready is not subscribed to: stored hidden, never forwarded.
    let h = start(Some(&["call.started", "call.completed", "call.failed", "recording.ready"])).await;
    let (failures, others, all) =
        (Arc::new(Handler::default()), Arc::new(Handler::default()), Arc::new(Handler::default()));
    let (failures_at, _a) = handler_at(None, failures.clone()).await;
    let (others_at, _b) = handler_at(None, others.clone()).await;
    let (all_at, _c) = handler_at(None, all.clone()).await;
    let forwarder = start_forwarder(
        &h,
        &[
            &format!("call.failed={}", target_url(failures_at)),
            &format!("call.started,call.completed={}", target_url(others_at)),
            &target_url(all_at),
        ],
        ForwardOptions::default(),
    )
    .await;
    for (name, id) in [
        ("call.started", "dl_s"),
        ("call.failed", "dl_f"),
        ("call.ended", "dl_e"), // an older spelling of call.completed
        ("transcript.ready", "dl_t"),
        ("recording.ready", "dl_r"),
    ] {
        assert_eq!(h.deliver(&event(name, id, "c_route"), &[]).await, 200);
    }
    // Sent in log order, up to four at once: answered in any order.
    let got = all.wait_for("every visible delivery", Duration::from_secs(10), |r| r.len() >= 4).await;
    let ids = |r: &[Received]| {
        let mut ids = r.iter().map(Received::delivery_id).collect::<Vec<_>>();
        ids.sort();
        ids
    };
    assert_eq!(ids(&got), ["dl_e", "dl_f", "dl_r", "dl_s"], "the hidden one left out");
    others.wait_for("started and completed", Duration::from_secs(10), |r| r.len() >= 2).await;
    failures.wait_for("the failure", Duration::from_secs(10), |r| !r.is_empty()).await;
    // Nothing more comes: each target's position is past every delivery.
    let end = h.store.log_end().unwrap();
    for target in [target_url(failures_at), target_url(others_at), target_url(all_at)] {
        wait_until(|| h.store.forward_position(&target).unwrap() == Some(end)).await;
    }
    assert_eq!(ids(&failures.received()), ["dl_f"]);
    assert_eq!(ids(&others.received()), ["dl_e", "dl_s"]);
    assert_eq!(all.received().len(), 4);
    forwarder.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_delivery_is_retried_and_every_attempt_is_kept() {
    let h = start(None).await;
    let handler = Arc::new(Handler::default());
    handler.statuses.lock().unwrap().extend([500, 503]);
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let forwarder = start_forwarder(&h, &[&target_url(addr)], ForwardOptions::default()).await;
    assert_eq!(h.deliver(&event("call.failed", "dl_retry", "c_retry"), &[]).await, 200);
    // 500 at once, 503 a second later, 200 two seconds after that.
    let got = handler.wait_for("three attempts", Duration::from_secs(20), |r| r.len() >= 3).await;
    let numbers: Vec<_> = got.iter().map(|r| r.header("calleague-monitor-attempt").unwrap().to_owned()).collect();
    assert_eq!(numbers, ["1", "2", "3"]);
    assert!(got.iter().all(|r| r.delivery_id() == "dl_retry"));
    let attempts = wait_for_attempts(&h, log_id(&h, "dl_retry"), 3).await;
    let statuses: Vec<_> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(attempts[0].response_body, b"handler error 500", "the handler's own words are kept");
    // The waits grew: at least 1 s, then at least 2 s.
    assert!(attempts[1].at_ms - attempts[0].at_ms >= 1_000, "{attempts:?}");
    assert!(attempts[2].at_ms - attempts[1].at_ms >= 2_000, "{attempts:?}");
    assert_eq!(h.store.forward_owed(&target_url(addr)).unwrap(), (0, 0), "nothing owed once answered 2xx");
    forwarder.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_down_gets_every_delivery_once_it_is_back() {
    let h = start(None).await;
    let addr = free_port();
    let forwarder = start_forwarder(&h, &[&target_url(addr)], ForwardOptions::default()).await;
    let sent: Vec<String> = (0..30).map(|i| format!("dl_down_{i:02}")).collect();
    for id in &sent {
        assert_eq!(h.deliver(&event("call.completed", id, &format!("c_{id}")), &[]).await, 200);
    }
    // Down for a while: the first round's attempts are refused and owed.
    wait_until(|| h.store.forward_owed(&target_url(addr)).unwrap().0 > 0).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let handler = Arc::new(Handler::default());
    let (_, _server) = handler_at(Some(addr), handler.clone()).await;
    let got = handler
        .wait_for("every delivery after the target came back", Duration::from_secs(60), |r| {
            let ids: std::collections::BTreeSet<_> = r.iter().map(Received::delivery_id).collect();
            ids.len() == sent.len()
        })
        .await;
    let ids: std::collections::BTreeSet<_> = got.iter().map(Received::delivery_id).collect();
    assert_eq!(ids, sent.iter().cloned().collect());
    wait_until(|| h.store.forward_owed(&target_url(addr)).unwrap() == (0, 0)).await;
    // While down, only the first round was tried, then one probe at a time: a few
    // attempts, not one per delivery per second.
    let refused: usize = sent
        .iter()
        .map(|id| h.store.forward_attempts(log_id(&h, id)).unwrap().iter().filter(|a| a.status.is_none()).count())
        .sum();
    assert!(refused >= 1, "some attempts were refused while it was down");
    assert!(refused <= sent.len() + 10, "{refused} refused attempts for {} deliveries in 3 s down", sent.len());
    let refused_error =
        sent.iter().flat_map(|id| h.store.forward_attempts(log_id(&h, id)).unwrap()).find_map(|a| a.error).unwrap();
    assert_eq!(refused_error, "connection refused");
    forwarder.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_retry_window_a_delivery_is_given_up_and_a_person_can_retry_it() {
    let h = start(None).await;
    let handler = Arc::new(Handler::default());
    handler.statuses.lock().unwrap().extend([500, 500, 500]);
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let target = target_url(addr);
    let options = ForwardOptions { retry_window: Duration::from_millis(1_500), ..ForwardOptions::default() };
    let forwarder = start_forwarder(&h, &[&target], options).await;
    assert_eq!(h.deliver(&event("call.failed", "dl_gone", "c_gone"), &[]).await, 200);
    // 500 at once (retried after 1 s, inside the window), 500 again (the next wait, 2 s,
    // would end outside it): given up.
    wait_until(|| h.store.forward_owed(&target).unwrap() == (0, 1)).await;
    assert_eq!(handler.received().len(), 2);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(handler.received().len(), 2, "nothing is sent after giving up");
    // A person's retry: due at once; the handler now answers 500 once more, then 200.
    assert_eq!(h.store.forward_retry_given_up(&target, now_ms()).await.unwrap(), 1);
    let got = handler.wait_for("the retried delivery", Duration::from_secs(15), |r| r.len() >= 3).await;
    assert_eq!(got[2].header("calleague-monitor-attempt"), Some("3"));
    // That attempt is outside the window too: given up again, but kept.
    wait_until(|| h.store.forward_owed(&target).unwrap() == (0, 1)).await;
    assert_eq!(h.store.forward_retry_given_up(&target, now_ms()).await.unwrap(), 1);
    handler.wait_for("a fourth attempt", Duration::from_secs(15), |r| r.len() >= 4).await;
    wait_until(|| h.store.forward_owed(&target).unwrap() == (0, 0)).await;
    let statuses: Vec<_> =
        h.store.forward_attempts(log_id(&h, "dl_gone")).unwrap().iter().map(|a| a.status.unwrap()).collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
    forwarder.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_in_flight_at_a_stop_is_sent_again_after_the_restart() {
    let h = start(None).await;
    let handler = Arc::new(Handler::default());
    handler.set_mode(Mode::Hang);
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let options = ForwardOptions { timeout: Duration::from_secs(60), ..ForwardOptions::default() };
    let forwarder = start_forwarder(&h, &[&target_url(addr)], options.clone()).await;
    // The target is known from the log's end before anything arrives.
    assert!(h.store.forward_position(&target_url(addr)).unwrap().is_some());
    let sent: Vec<String> = (0..6).map(|i| format!("dl_flight_{i}")).collect();
    for id in &sent {
        // A handler that never answers does not hold up an acknowledgement.
        assert_eq!(h.deliver(&event("call.started", id, &format!("c_{id}")), &[]).await, 200);
    }
    // Requests are in flight (the handler holds them), none answered.
    tokio::time::sleep(Duration::from_millis(500)).await;
    forwarder.stop().await;
    let dir = h.stop().await;

    // A new process, in effect: the same database, the handler answering now.
    handler.set_mode(Mode::Answer);
    let h = start_in(dir, None).await;
    let forwarder = start_forwarder(&h, &[&target_url(addr)], options).await;
    let got = handler
        .wait_for("every delivery in flight at the stop", Duration::from_secs(20), |r| r.len() >= sent.len())
        .await;
    // Up to four in flight at once: sent in log order, answered in any.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ids: Vec<_> = handler.received().iter().map(Received::delivery_id).collect();
    ids.sort();
    assert_eq!(ids, sent, "each once (got {})", got.len());
    forwarder.stop().await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_target_starts_at_the_end_of_the_log() {
    let h = start(None).await;
    assert_eq!(h.deliver(&event("call.started", "dl_before", "c_old"), &[]).await, 200);
    let handler = Arc::new(Handler::default());
    let (addr, _server) = handler_at(None, handler.clone()).await;
    let forwarder = start_forwarder(&h, &[&target_url(addr)], ForwardOptions::default()).await;
    assert!(h.store.forward_position(&target_url(addr)).unwrap().is_some(), "placed when started");
    assert_eq!(h.deliver(&event("call.started", "dl_after", "c_new"), &[]).await, 200);
    let got = handler.wait_for("the new delivery", Duration::from_secs(10), |r| !r.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(got.iter().map(Received::delivery_id).collect::<Vec<_>>(), ["dl_after"]);
    assert_eq!(handler.received().len(), 1, "history is for replay, not for a new target");
    forwarder.stop().await;
    h.stop().await;
}

async fn wait_for_attempts(h: &Harness, delivery: i64, n: usize) -> Vec<calleague_store::ForwardAttemptRow> {
    for _ in 0..500 {
        let attempts = h.store.forward_attempts(delivery).unwrap();
        if attempts.len() >= n {
            return attempts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{n} attempts of delivery {delivery} were never recorded");
}

async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..1_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out");
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}
