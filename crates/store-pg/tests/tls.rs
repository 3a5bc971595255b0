//! TLS to the database: `sslmode=verify-full` encrypts and checks the server's certificate
//! (its chain against `sslrootcert`, its name against the host), against a real PostgreSQL
//! serving TLS with a certificate made for the test.

use calleague_store::StoreError;
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::{lifecycle_bodies, Rng, TestPostgres};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_encrypts_and_refuses_a_server_it_cannot_verify() {
    let server = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pg = TestPostgres::start_with_tls(&server.cert.pem(), &server.signing_key.serialize_pem())
        .expect("a PostgreSQL server with TLS for the test");
    pg.create_database("tls").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.pem");
    std::fs::write(&root, server.cert.pem()).unwrap();
    let url_as = |role: &str, host: &str, root: &std::path::Path| -> DatabaseUrl {
        format!("postgres://{role}@{host}:{}/tls?sslmode=verify-full&sslrootcert={}", pg.port, root.display())
            .parse()
            .unwrap()
    };
    let url = |host: &str, root: &std::path::Path| url_as("postgres", host, root);

    // The certificate's name and a root that signed it: encrypted, as the server says.
    let store = PgStore::connect(&url("localhost", &root), PgOptions::default()).await.unwrap();
    let mut rng = Rng(5);
    let bodies = lifecycle_bodies(1, &mut rng);
    for body in &bodies {
        let parsed = calleague_events::parse_delivery(body).unwrap();
        let item = calleague_store::IncomingDelivery {
            received_at: calleague_events::Timestamp::now(),
            peer: None,
            headers: Vec::new(),
            body: body.clone(),
            parsed,
            hidden: false,
            source: calleague_store::Source::Webhook,
        };
        store.ingest(item).await.unwrap();
    }
    assert_eq!(store.totals().await.unwrap().deliveries, 5);
    // The server's view of the connections to this database, psql's own left out.
    let count = |ssl: bool| -> u32 {
        pg.psql(
            "tls",
            &format!(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.datname = 'tls' AND a.pid <> pg_backend_pid() AND s.ssl = {ssl}"
            ),
        )
        .unwrap()
        .parse()
        .unwrap()
    };
    assert!(count(true) >= 1, "the store's connections are encrypted");
    assert_eq!(count(false), 0, "and none of them is plain");
    // The control: the same query sees a plain connection when there is one.
    let plain_url: DatabaseUrl =
        format!("postgres://postgres@localhost:{}/tls?sslmode=disable", pg.port).parse().unwrap();
    let plain = PgStore::connect(&plain_url, PgOptions::default()).await.unwrap();
    assert!(count(false) >= 1);
    drop(plain);

    // A viewer over TLS too (its LISTEN connection included), with a role that only reads.
    pg.psql("tls", "CREATE ROLE tls_viewer LOGIN PASSWORD 'tls-viewer-pw'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO tls_viewer;")
        .unwrap();
    let mut viewer_url = url_as("tls_viewer", "localhost", &root);
    viewer_url.set_password("tls-viewer-pw");
    let viewer = PgStore::connect_viewer(&viewer_url, PgOptions::default()).await.unwrap();
    assert_eq!(viewer.all_calls().await.unwrap().len(), 1);

    // Another name than the certificate's: refused, not connected unverified.
    let wrong_name = PgStore::connect(&url("127.0.0.1", &root), PgOptions::default()).await.err().unwrap();
    assert!(matches!(wrong_name, StoreError::Open { .. }), "{wrong_name}");
    // A root that did not sign it: refused.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let other_root = dir.path().join("other.pem");
    std::fs::write(&other_root, other.cert.pem()).unwrap();
    let untrusted = PgStore::connect(&url("localhost", &other_root), PgOptions::default()).await.err().unwrap();
    let message = untrusted.to_string();
    assert!(message.to_lowercase().contains("certificate") || message.contains("tls"), "{message}");
    // A root file that is not there: a clear error naming it.
    let missing =
        PgStore::connect(&url("localhost", &dir.path().join("nope.pem")), PgOptions::default()).await.err().unwrap();
    assert!(missing.to_string().contains("nope.pem"), "{missing}");
}
