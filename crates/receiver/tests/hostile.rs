//! Hostile and odd requests, each with the reply it must get and what may be kept.
//! Nothing panics, and nothing verified is lost.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use calleague_store::{EventFilter, Order, PageRequest};
use common::KEY;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kept {
    /// A new event on the timeline.
    Event,
    /// Raw, in quarantine.
    Quarantine,
    /// A security-log line only.
    Rejected,
    Nothing,
}

struct Case {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    kept: Kept,
}

fn request(head_extra: &str, auth: Option<&str>, body: &[u8]) -> Vec<u8> {
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    let mut r = format!(
        "POST /hooks/calleague HTTP/1.1\r\nHost: t\r\n{auth}{head_extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn ok_auth() -> Option<&'static str> {
    Some(Box::leak(format!("Bearer {KEY}").into_boxed_str()))
}

fn json_case(name: &'static str, body: String, kept: Kept) -> Case {
    Case { name, request: request("Content-Type: application/json\r\n", ok_auth(), body.as_bytes()), status: 200, kept }
}

fn event(id: &str, extra_data: &str) -> String {
    format!(
        r#"{{"event":"call.started","deliveryId":"{id}","occurredAt":"2026-01-01T12:00:00.000Z","data":{{"callId":"c_{id}"{extra_data}}}}}"#
    )
}

fn cases() -> Vec<Case> {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let mut nested_meta = String::from("1");
    for _ in 0..100 {
        nested_meta = format!("{{\"a\":{nested_meta}}}");
    }
    let mut invalid_utf8 = event("h_utf8", "").into_bytes();
    invalid_utf8.insert(30, 0xff);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(event("h_bom", "").as_bytes());
    let chunked_big = {
        let mut r = format!("POST /hooks/calleague HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {KEY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").into_bytes();
        for _ in 0..17 {
            r.extend_from_slice(format!("10000\r\n{}\r\n", "a".repeat(0x10000)).as_bytes());
        }
        r.extend_from_slice(b"0\r\n\r\n");
        r
    };
    vec![
        Case { name: "text/plain content type", request: request("Content-Type: text/plain\r\n", ok_auth(), event("h_text", "").as_bytes()), status: 200, kept: Kept::Event },
        Case { name: "no content type", request: request("", ok_auth(), event("h_noct", "").as_bytes()), status: 200, kept: Kept::Event },
        Case { name: "XML body", request: request("Content-Type: application/xml\r\n", ok_auth(), b"<event>call.started</event>"), status: 200, kept: Kept::Quarantine },
        Case { name: "UTF-8 BOM", request: request("", ok_auth(), &bom), status: 200, kept: Kept::Event },
        Case { name: "invalid UTF-8", request: request("", ok_auth(), &invalid_utf8), status: 200, kept: Kept::Quarantine },
        json_case("nesting 5000 deep", deep, Kept::Quarantine),
        json_case("metadata nested 100 deep", event("h_nest", &format!(",\"metadata\":{nested_meta}")), Kept::Event),
        json_case("number out of range", event("h_big", ",\"durationSec\":1e400"), Kept::Quarantine),
        json_case("huge integer", event("h_int", ",\"durationSec\":123456789012345678901234567890"), Kept::Event),
        json_case("duplicate keys", r#"{"event":"call.started","event":"call.failed","deliveryId":"h_dup","data":{"callId":"c_dup"}}"#.into(), Kept::Event),
        json_case("no data", r#"{"event":"call.started","deliveryId":"h_nodata"}"#.into(), Kept::Event),
        json_case("no event", r#"{"deliveryId":"h_noev","data":{"callId":"x"}}"#.into(), Kept::Quarantine),
        json_case("event null", r#"{"event":null,"deliveryId":"h_null"}"#.into(), Kept::Quarantine),
        json_case("event a number", r#"{"event":42}"#.into(), Kept::Quarantine),
        json_case("empty body", String::new(), Kept::Quarantine),
        json_case("body null", "null".into(), Kept::Quarantine),
        json_case("trailing garbage", format!("{} xyz", event("h_trail", "")), Kept::Quarantine),
        json_case("offset +14:00", event("h_off", "").replace("2026-01-01T12:00:00.000Z", "2026-01-02T02:00:00+14:00"), Kept::Event),
        json_case("time without offset", event("h_nooff", "").replace(".000Z", ""), Kept::Event),
        json_case("year 10000", event("h_y10k", "").replace("2026", "10000"), Kept::Event),
        json_case("very long callId", event("h_long", "").replace("c_h_long", &"L".repeat(100_000)), Kept::Event),
        json_case("NUL in a string", event("h_nul", ",\"endedReason\":\"a\\u0000b\""), Kept::Event),
        json_case("emoji and RTL text", event("h_uni", ",\"metadata\":{\"note\":\"📞 مرحبا <b>x</b>\"}"), Kept::Event),
        json_case("metadata a string", event("h_mstr", ",\"metadata\":\"plain\""), Kept::Event),
        json_case("empty deliveryId", event("", ""), Kept::Event),
        Case { name: "lower-case bearer", request: request("", Some(Box::leak(format!("bearer {KEY}").into_boxed_str())), event("h_lc", "").as_bytes()), status: 200, kept: Kept::Event },
        Case { name: "extra spaces in the token", request: request("", Some(Box::leak(format!("Bearer    {KEY}   ").into_boxed_str())), event("h_sp", "").as_bytes()), status: 200, kept: Kept::Event },
        Case { name: "space inside the token", request: request("", Some(Box::leak(format!("Bearer {} {}", &KEY[..4], &KEY[4..]).into_boxed_str())), event("h_in", "").as_bytes()), status: 401, kept: Kept::Rejected },
        Case { name: "Basic credentials", request: request("", Some("Basic dXNlcjpwYXNz"), event("h_basic", "").as_bytes()), status: 401, kept: Kept::Rejected },
        Case { name: "no Authorization", request: request("", None, event("h_none", "").as_bytes()), status: 401, kept: Kept::Rejected },
        Case { name: "key with one more character", request: request("", Some(Box::leak(format!("Bearer {KEY}x").into_boxed_str())), event("h_kx", "").as_bytes()), status: 200, kept: Kept::Rejected },
        Case { name: "key prefix only", request: request("", Some(Box::leak(format!("Bearer {}", &KEY[..6]).into_boxed_str())), event("h_kp", "").as_bytes()), status: 200, kept: Kept::Rejected },
        Case { name: "header injection (bare CR in a value)", request: format!("POST /hooks/calleague HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {KEY}\r\nX-Evil: a\rInjected: b\r\nContent-Length: 2\r\n\r\n{{}}").into_bytes(), status: 400, kept: Kept::Nothing },
        Case { name: "oversized metadata", request: request("", ok_auth(), event("h_huge", &format!(",\"metadata\":{{\"x\":\"{}\"}}", "m".repeat(1_100_000))).as_bytes()), status: 413, kept: Kept::Rejected },
        Case { name: "chunked body over the limit", request: chunked_big, status: 413, kept: Kept::Rejected },
        Case { name: "PUT", request: String::from_utf8(request("", ok_auth(), b"{}")).unwrap().replacen("POST ", "PUT ", 1).into_bytes(), status: 405, kept: Kept::Nothing },
        Case { name: "trailing slash in the path", request: String::from_utf8(request("", ok_auth(), b"{}")).unwrap().replacen("/hooks/calleague", "/hooks/calleague/", 1).into_bytes(), status: 404, kept: Kept::Nothing },
        Case { name: "query string", request: String::from_utf8(request("", ok_auth(), event("h_q", "").as_bytes())).unwrap().replacen("/hooks/calleague", "/hooks/calleague?x=1", 1).into_bytes(), status: 200, kept: Kept::Event },
        Case { name: "Expect: 100-continue", request: request("Expect: 100-continue\r\n", ok_auth(), event("h_100", "").as_bytes()), status: 200, kept: Kept::Event },
        Case { name: "HTTP/1.0", request: String::from_utf8(request("", ok_auth(), event("h_10", "").as_bytes())).unwrap().replacen("HTTP/1.1", "HTTP/1.0", 1).into_bytes(), status: 200, kept: Kept::Event },
        Case { name: "a 200-character header name", request: request(&format!("X-{}: v\r\n", "h".repeat(200)), ok_auth(), event("h_hdr", "").as_bytes()), status: 200, kept: Kept::Event },
    ]
}

fn send(addr: std::net::SocketAddr, raw: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The server may answer (413) and close before it has read everything.
    let _ = stream.write_all(raw);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    let status_line = text.lines().find(|l| l.starts_with("HTTP/1.") && !l.contains(" 100 ")).unwrap_or("");
    status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_odd_requests_get_their_reply_and_keep_what_they_should() {
    let h = common::start().await;
    let addr = h.receiver.local_addr();
    let cases = cases();
    assert!(cases.len() >= 30);
    for case in &cases {
        let before = (h.counts(), all_events(&h));
        let raw = case.request.clone();
        let status = tokio::task::spawn_blocking(move || send(addr, &raw)).await.unwrap();
        assert_eq!(status, case.status, "{}", case.name);
        h.receiver.flush_security_log().await;
        let after = (h.counts(), all_events(&h));
        let new_events = after.1 - before.1;
        let new_quarantine = after.0.quarantined - before.0.quarantined;
        let new_rejections = after.0.rejected - before.0.rejected;
        let kept = match (new_events, new_quarantine, new_rejections) {
            (1, 0, 0) => Kept::Event,
            (0, 1, 0) => Kept::Quarantine,
            (0, 0, 1) => Kept::Rejected,
            (0, 0, 0) => Kept::Nothing,
            other => panic!("{}: unexpected change {other:?}", case.name),
        };
        assert_eq!(kept, case.kept, "{}", case.name);
    }
    // Still healthy afterwards.
    assert_eq!(h.deliver(&common::event("call.started", "after_all", "c_after", "2026-01-01T12:00:00Z")).await.0, 200);

    // What was kept reads back as sent.
    let uni = h.store.call_detail("c_h_uni").unwrap().unwrap();
    assert_eq!(uni.call.record.metadata.unwrap()["note"], "📞 مرحبا <b>x</b>");
    let dup = h.store.call("c_dup").unwrap().unwrap();
    assert_eq!(dup.record.phase.map(|s| s.as_str()), Some("failed"), "the last duplicate key wins");
    let plus14 = h.store.call("c_h_off").unwrap().unwrap();
    assert_eq!(plus14.first_occurred_at.to_string(), "2026-01-01T12:00:00.000Z");
    let page = h
        .store
        .events_page(
            &EventFilter { call_id: Some("c_h_nooff".into()), ..Default::default() },
            &PageRequest::first(Order::NewestFirst, 5),
        )
        .unwrap();
    assert!(page.items[0].occurred_from_receipt, "a time without offset is not guessed");
    let quarantined = h.store.quarantine_page(None, 100).unwrap();
    assert!(quarantined.iter().filter(|q| q.body.contains("call.started")).count() >= 3, "raw bodies are kept as sent");
}

fn all_events(h: &common::Harness) -> i64 {
    let filter = EventFilter { include_hidden: true, ..Default::default() };
    let mut n = 0;
    let mut request = PageRequest::first(Order::OldestFirst, 1000);
    loop {
        let page = h.store.events_page(&filter, &request).unwrap();
        n += page.items.len() as i64;
        match page.next {
            Some(next) => request.after = Some(next),
            None => return n,
        }
    }
}
