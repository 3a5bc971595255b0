//! Team mode's ingest: the receiver over PostgreSQL, one and two of them on one database,
//! against the SQLite receiver, in one run on this machine. The PostgreSQL server is a
//! throwaway cluster of Debian's (default settings: fsync and synchronous_commit on), so
//! an acknowledgement means a commit on disk in both.

use std::sync::Arc;

use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig};
use calleague_store::{DeliverySink, Store, StoreOptions};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::TestPostgres;

use crate::ingest::{header, row, verdict, wrk_row};
use crate::load::{closed_loop, closed_loop_with, combined, deliveries, LoadResult, CONNECTIONS};
use crate::wrk::WrkResult;

const KEY: &str = "sk_bench_team";
const DELIVERIES: usize = 30_000;
const WRK_SECONDS: u32 = 5;

/// CPU seconds used so far by each PostgreSQL process (by pid), and by this process.
fn cpu_seconds() -> (std::collections::HashMap<u32, f64>, f64) {
    fn of(stat: &str) -> Option<(String, f64)> {
        let (head, tail) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_owned();
        let fields: Vec<&str> = tail.split_whitespace().collect();
        // utime and stime: the 14th and 15th fields, 12th and 13th after the ")".
        let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some((comm, ticks / 100.0))
    }
    let mut postgres = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Some((comm, seconds)) = std::fs::read_to_string(entry.path().join("stat")).ok().as_deref().and_then(of) {
            if comm == "postgres" {
                postgres.insert(pid, seconds);
            }
        }
    }
    let own = std::fs::read_to_string("/proc/self/stat").ok().as_deref().and_then(of).map_or(0.0, |(_, s)| s);
    (postgres, own)
}

struct Cpu {
    postgres: f64,
    receivers: f64,
}

/// What `f` cost in CPU: PostgreSQL's processes (those that ended meanwhile are not
/// counted: short-lived workers), and this process.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Cpu) {
    let (pg0, own0) = cpu_seconds();
    let result = f();
    let (pg1, own1) = cpu_seconds();
    let postgres = pg1.iter().map(|(pid, after)| after - pg0.get(pid).copied().unwrap_or(0.0)).sum();
    (result, Cpu { postgres, receivers: own1 - own0 })
}

fn cpu_note(name: &str, cpu: &Cpu, seconds: f64) {
    println!(
        "  {name}: PostgreSQL's processes {:.2} cores, the receivers' process {:.2} cores (the generator included)",
        cpu.postgres / seconds,
        cpu.receivers / seconds
    );
}

pub fn run() -> anyhow::Result<()> {
    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let load_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let pg = TestPostgres::start()?;
    let url: DatabaseUrl =
        pg.create_database("bench").map_err(anyhow::Error::from)?.parse().map_err(anyhow::Error::msg)?;
    let dir = tempfile::tempdir()?;

    let start = |store: Arc<dyn DeliverySink>| {
        server_rt.block_on(async {
            let mut config = ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).expect("a key")));
            config.bind = "127.0.0.1:0".parse()?;
            let receiver = Receiver::start(config, store).await?;
            let url = receiver.url().to_owned();
            std::mem::forget(receiver); // lives for the whole run
            anyhow::Ok(url)
        })
    };
    let sqlite = server_rt.block_on(async { Store::open(dir.path().join("bench.db"), StoreOptions::default()) })?;
    let sqlite_url = start(sqlite.clone())?;
    // Each receiver with as many database connections as a generator's half has HTTP ones.
    let options = PgOptions { max_connections: CONNECTIONS / 2, ..PgOptions::default() };
    let (team_a, team_b) = server_rt.block_on(async {
        let a = PgStore::connect(&url, options.clone()).await?;
        let b = PgStore::connect(&url, options.clone()).await?;
        anyhow::Ok((a, b))
    })?;
    let (url_a, url_b) = (start(team_a.clone())?, start(team_b.clone())?);

    println!("\nTeam mode ingest: {DELIVERIES} realistic deliveries per run, {CONNECTIONS} connections in all\n");
    load_rt.block_on(closed_loop(&sqlite_url, KEY, deliveries(2_000, "warm_sqlite")));
    load_rt.block_on(closed_loop(&url_a, KEY, deliveries(2_000, "warm_a")));
    load_rt.block_on(closed_loop(&url_b, KEY, deliveries(2_000, "warm_b")));
    let mut acknowledged_pg = 4_000i64;
    header();
    let (lite, lite_cpu) =
        measured(|| load_rt.block_on(closed_loop(&sqlite_url, KEY, deliveries(DELIVERIES, "sqlite"))));
    row("SQLite receiver (baseline)", &lite);
    let (one, one_cpu) = measured(|| load_rt.block_on(closed_loop(&url_a, KEY, deliveries(DELIVERIES, "one"))));
    row("one receiver on PostgreSQL", &one);
    let (two, two_cpu) = measured(|| {
        let mut bodies = deliveries(DELIVERIES, "two");
        let second = bodies.split_off(DELIVERIES / 2);
        let (a, b): (LoadResult, LoadResult) = load_rt.block_on(async {
            tokio::join!(
                closed_loop_with(&url_a, KEY, bodies, CONNECTIONS / 2),
                closed_loop_with(&url_b, KEY, second, CONNECTIONS / 2)
            )
        });
        combined(a, b)
    });
    row("two receivers on one PostgreSQL", &two);
    acknowledged_pg += (one.sent - one.failed + two.sent - two.failed) as i64;
    println!(
        "\none receiver / SQLite: {:.2}; two receivers / SQLite: {:.2}; two / one: {:.2}",
        one.rate() / lite.rate(),
        two.rate() / lite.rate(),
        two.rate() / one.rate()
    );
    println!("where the CPU went (2 cores on this machine):");
    cpu_note("SQLite", &lite_cpu, lite.elapsed.as_secs_f64());
    cpu_note("one on PostgreSQL", &one_cpu, one.elapsed.as_secs_f64());
    cpu_note("two on PostgreSQL", &two_cpu, two.elapsed.as_secs_f64());

    if !crate::wrk::available() {
        println!("\nwrk is not installed (apt install wrk): not measured under an external generator");
    } else {
        println!(
            "\nUnder wrk ({WRK_SECONDS} s per run; two receivers: two wrk at once, 32 connections each), alternated:\n"
        );
        header();
        let scripts = tempfile::tempdir()?;
        let wrk = |url: &str, prefix: &str, connections: usize| {
            crate::wrk::run(url, KEY, prefix, WRK_SECONDS, connections, scripts.path())
        };
        let mut rates = [0.0f64; 3];
        let mut wrk_acked = 0u64;
        for round in 0..2 {
            let (lite, lite_cpu) = measured(|| wrk(&sqlite_url, &format!("wrk_sqlite{round}"), CONNECTIONS));
            let lite = lite?;
            wrk_row("SQLite receiver (baseline)", &lite);
            let (one, one_cpu) = measured(|| wrk(&url_a, &format!("wrk_one{round}"), CONNECTIONS));
            let one = one?;
            wrk_row("one receiver on PostgreSQL", &one);
            let (two, two_cpu) = measured(|| {
                std::thread::scope(|s| {
                    let a = s.spawn(|| wrk(&url_a, &format!("wrk_two_a{round}"), CONNECTIONS / 2));
                    let b = s.spawn(|| wrk(&url_b, &format!("wrk_two_b{round}"), CONNECTIONS / 2));
                    (a.join().expect("wrk a"), b.join().expect("wrk b"))
                })
            });
            let (a, b) = (two.0?, two.1?);
            let two = WrkResult {
                requests: a.requests + b.requests,
                rate: a.rate + b.rate,
                p50: a.p50.max(b.p50),
                p99: a.p99.max(b.p99),
                max: a.max.max(b.max),
                non_2xx: a.non_2xx + b.non_2xx,
                errors: a.errors + b.errors,
            };
            wrk_row("two receivers on one PostgreSQL", &two);
            rates[0] += lite.rate;
            rates[1] += one.rate;
            rates[2] += two.rate;
            wrk_acked += one.requests + two.requests;
            let seconds = f64::from(WRK_SECONDS);
            cpu_note(&format!("round {} SQLite", round + 1), &lite_cpu, seconds);
            cpu_note(&format!("round {} one on PostgreSQL", round + 1), &one_cpu, seconds);
            cpu_note(&format!("round {} two on PostgreSQL", round + 1), &two_cpu, seconds);
        }
        println!(
            "\nunder wrk: one receiver / SQLite: {:.2}; two receivers / SQLite: {:.2} (two p50/p99 are the worse of the two)",
            rates[1] / rates[0],
            rates[2] / rates[0]
        );
        acknowledged_pg += wrk_acked as i64;
        // wrk counts the replies it read; up to one request per connection was in flight
        // when it stopped, and may be stored too.
        let in_flight = 4 * CONNECTIONS as i64;
        let totals = server_rt.block_on(team_a.totals())?;
        let ok = (acknowledged_pg..=acknowledged_pg + in_flight).contains(&totals.deliveries)
            && totals.events == totals.deliveries
            && totals.attempts == totals.deliveries;
        println!(
            "\nPostgreSQL holds {} deliveries ({} events, {} attempts); acknowledged {acknowledged_pg} (+ up to {in_flight} in flight) -> {}",
            totals.deliveries,
            totals.events,
            totals.attempts,
            verdict(ok)
        );
        anyhow::ensure!(ok, "PostgreSQL holds {totals:?}, acknowledged {acknowledged_pg}");
        return Ok(());
    }
    let totals = server_rt.block_on(team_a.totals())?;
    let ok = totals.deliveries == acknowledged_pg && totals.events == totals.deliveries;
    println!("\nPostgreSQL holds {} deliveries; acknowledged {acknowledged_pg} -> {}", totals.deliveries, verdict(ok));
    anyhow::ensure!(ok, "PostgreSQL holds {totals:?}, acknowledged {acknowledged_pg}");
    Ok(())
}
