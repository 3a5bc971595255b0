//! A writer and a viewer on one database, with the roles of docs/team-mode.md as written
//! there: the viewer gets what the writer commits through LISTEN/NOTIFY, also after the
//! server restarted, and the database refuses its writes.

use std::time::{Duration, Instant};

use calleague_events::{parse_delivery, CallPhase, Timestamp};
use calleague_store::{FeedItem, IncomingDelivery, IngestOutcome, QuarantineItem, Source, StoreError};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::{lifecycle_bodies, Rng, TestPostgres};
use tokio::sync::broadcast;

/// The SQL block of docs/team-mode.md marked `roles.sql`.
fn roles_sql() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/team-mode.md")).unwrap();
    let marked = doc.split("<!-- roles.sql").nth(1).expect("docs/team-mode.md marks its roles block");
    let block = marked.split("```sql").nth(1).and_then(|b| b.split("```").next()).expect("an sql block");
    block.to_owned()
}

fn incoming(body: &[u8]) -> IncomingDelivery {
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: Some("10.0.0.7:51000".into()),
        headers: Vec::new(),
        body: body.to_vec(),
        parsed: parse_delivery(body).unwrap(),
        hidden: false,
        source: Source::Webhook,
    }
}

/// Reads the feed until the event `id` comes (each within 10 s).
async fn until_event(feed: &mut broadcast::Receiver<FeedItem>, id: i64) {
    loop {
        if let FeedItem::Event { event, .. } = next_event(feed, Duration::from_secs(10)).await {
            if event.id == id {
                return;
            }
        }
    }
}

/// The next event on the feed, within `limit`.
async fn next_event(feed: &mut broadcast::Receiver<FeedItem>, limit: Duration) -> FeedItem {
    tokio::time::timeout(limit, feed.recv()).await.expect("a live update in time").expect("the feed is open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_viewer_follows_the_receivers_live_and_cannot_write() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    pg.create_database("calleague").unwrap();
    pg.psql("calleague", &roles_sql()).expect("the roles of docs/team-mode.md apply as written");
    // The passwords the roles block sets.
    let as_role = |role: &str| -> DatabaseUrl {
        let mut url: DatabaseUrl = format!("postgres://{role}@127.0.0.1:{}/calleague", pg.port).parse().unwrap();
        url.set_password(&format!("change-me-{}", role.trim_start_matches("calleague_")));
        url
    };

    // A viewer before any receiver made the schema: a clear refusal.
    let early = PgStore::connect_viewer(&as_role("calleague_viewer"), PgOptions::default()).await.err().unwrap();
    assert!(early.to_string().contains("start a receiver on it first"), "{early}");

    let writer = PgStore::connect(&as_role("calleague_writer"), PgOptions::default()).await.unwrap();
    // Committed just before the viewer connects: its announcement may be heard by the
    // viewer, but it is history, not news (the first event below must be the next one).
    let before = br#"{"event":"call.failed","deliveryId":"dl_before_viewer","occurredAt":"2026-11-26T09:00:00.000Z","data":{"callId":"call_before_viewer"}}"#;
    writer.ingest(incoming(before)).await.unwrap();
    let options = PgOptions { connect_timeout: Duration::from_secs(2), ..PgOptions::default() };
    // A role that can write the tables is no viewer's: refused, naming the role to use.
    for role in ["calleague_writer", "postgres"] {
        let mut url = as_role(role);
        if role == "postgres" {
            url = format!("postgres://postgres@127.0.0.1:{}/calleague", pg.port).parse().unwrap();
        }
        let refused = PgStore::connect_viewer(&url, options.clone()).await.err().expect("refused");
        let message = refused.to_string();
        assert!(
            message.contains(&format!("the role {role} can change")) && message.contains("calleague_viewer"),
            "{message}"
        );
    }
    let viewer = PgStore::connect_viewer(&as_role("calleague_viewer"), options).await.unwrap();
    let mut feed = viewer.subscribe();
    let mut rng = Rng(11);
    let bodies = lifecycle_bodies(3, &mut rng);
    let mut slowest = Duration::ZERO;
    for body in &bodies[..5] {
        let sent = Instant::now();
        let IngestOutcome::Stored(stored) = writer.ingest(incoming(body)).await.unwrap() else { panic!("stored") };
        let FeedItem::Event { event, call } = next_event(&mut feed, Duration::from_secs(5)).await else {
            panic!("an event")
        };
        slowest = slowest.max(sent.elapsed());
        assert_eq!(event.id, stored.id);
        assert_eq!(call.unwrap().record.call_id, "call_00000");
    }
    assert!(slowest < Duration::from_secs(1), "each commit reached the viewer within a second (slowest {slowest:?})");
    let call = viewer.call("call_00000").await.unwrap().unwrap();
    assert_eq!(call.record.phase, Some(CallPhase::Failed));
    assert_eq!(call.event_count, 5);

    // The database, not the program, refuses the viewer's writes: its sessions are
    // read-only (before the grants are even looked at).
    match viewer.ingest(incoming(&bodies[5])).await {
        Err(StoreError::Unavailable(reason)) => assert!(reason.contains("read-only transaction"), "{reason}"),
        other => panic!("a viewer must not write: {other:?}"),
    }
    let quarantine = QuarantineItem {
        received_at: Timestamp::now(),
        peer: None,
        headers: Vec::new(),
        body: b"not json".to_vec(),
        reason: "test".into(),
    };
    assert!(viewer.quarantine(quarantine).await.is_err());
    assert_eq!(writer.totals().await.unwrap().deliveries, 6);

    // The server restarts: the watcher reconnects, and what committed meanwhile arrives.
    pg.stop().unwrap();
    pg.restart().unwrap();
    let mut written = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    for body in &bodies[5..] {
        loop {
            match writer.ingest(incoming(body)).await {
                Ok(IngestOutcome::Stored(event)) => {
                    written.push(event.id);
                    break;
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("the writer did not recover: {e}"),
            }
        }
    }
    let mut seen = Vec::new();
    while seen.len() < written.len() {
        if let FeedItem::Event { event, .. } = next_event(&mut feed, Duration::from_secs(10)).await {
            seen.push(event.id);
        }
    }
    seen.sort();
    assert_eq!(seen, written, "every delivery committed around the restart reached the viewer");

    // NOTIFY needs no privilege: a flood on the channel (here 3.6 million made-up ids, sent
    // by the viewer's own role) is held in bounded memory, and a real commit right after it
    // still comes through promptly.
    let flood = "SELECT pg_notify('calleague_feed', (SELECT string_agg((900000000000 + n * 1000 + k)::text, ',')
                                                       FROM generate_series(1, 450) k))
                 FROM generate_series(1, 8000) n";
    let mut as_viewer = std::process::Command::new("psql");
    as_viewer
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port.to_string(),
            "-U",
            "calleague_viewer",
            "-d",
            "calleague",
            "-q",
            // The role's read-only default is no barrier: any session may turn it off.
            "-c",
            "SET default_transaction_read_only = off",
            "-c",
            flood,
        ])
        .env("PGPASSWORD", "change-me-viewer")
        .stdout(std::process::Stdio::null());
    let flooded = as_viewer.output().unwrap();
    assert!(flooded.status.success(), "the viewer's role may NOTIFY: {}", String::from_utf8_lossy(&flooded.stderr));
    let real = br#"{"event":"call.failed","deliveryId":"dl_after_flood","occurredAt":"2026-11-26T10:00:00.000Z","data":{"callId":"call_after_flood"}}"#;
    let IngestOutcome::Stored(stored) = writer.ingest(incoming(real)).await.unwrap() else { panic!("stored") };
    until_event(&mut feed, stored.id).await;
}

/// A TCP relay to the server that can go silent without closing anything: a half-open link,
/// as a NAT that forgot the connection leaves it.
struct Relay {
    port: u16,
    silent: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    async fn start(upstream: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let quiet = silent.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pipe(client_read, server_write, quiet.clone()));
                tokio::spawn(pipe(server_read, client_write, quiet.clone()));
            }
        });
        Self { port, silent }
    }
}

/// Copies `from` to `to`; while `quiet`, holds what arrives: nothing sent, nothing closed.
async fn pipe(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    quiet: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buf).await else { return };
        if n == 0 {
            return;
        }
        while quiet.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A link that goes silent (half-open: no error, no close) is found by the viewer's own
/// question within its check's time and said to be down; once the server answers again
/// the viewer listens again, says so, and commits come through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_link_is_reported_down_and_comes_back() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    pg.create_database("calleague").unwrap();
    pg.psql("calleague", &roles_sql()).unwrap();
    let mut writer_url: DatabaseUrl =
        format!("postgres://calleague_writer@127.0.0.1:{}/calleague", pg.port).parse().unwrap();
    writer_url.set_password("change-me-writer");
    let writer = PgStore::connect(&writer_url, PgOptions::default()).await.unwrap();
    let relay = Relay::start(pg.port).await;
    let mut viewer_url: DatabaseUrl =
        format!("postgres://calleague_viewer@127.0.0.1:{}/calleague", relay.port).parse().unwrap();
    viewer_url.set_password("change-me-viewer");
    let options = PgOptions {
        live_check_every: Duration::from_millis(500),
        connect_timeout: Duration::from_secs(2),
        ..PgOptions::default()
    };
    let viewer = PgStore::connect_viewer(&viewer_url, options).await.unwrap();
    let mut link = viewer.live_link();
    tokio::time::timeout(Duration::from_secs(5), link.wait_for(|up| *up)).await.expect("up").unwrap();

    relay.silent.store(true, std::sync::atomic::Ordering::SeqCst);
    let went_silent = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), link.wait_for(|up| !*up)).await.expect("reported down").unwrap();
    println!("a silent link reported down after {:?}", went_silent.elapsed());

    relay.silent.store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(15), link.wait_for(|up| *up)).await.expect("up again").unwrap();
    let mut feed = viewer.subscribe();
    let body = br#"{"event":"call.failed","deliveryId":"dl_after_silence","occurredAt":"2026-11-26T11:00:00.000Z","data":{"callId":"call_after_silence"}}"#;
    let IngestOutcome::Stored(stored) = writer.ingest(incoming(body)).await.unwrap() else { panic!("stored") };
    until_event(&mut feed, stored.id).await;
}
