//! A burst's first stage: each webhook delivery appended to the inbox as it came, and
//! acknowledged once that commit is synced. The inbox has no index but its row id, so a
//! commit writes its last page and little else; the log's own insert (deduplicated on a
//! text key, with an index by arrival) writes a few scattered pages per commit, which cost
//! a third of the receiver's time under load (measured: `docs/ingest.md`).
//!
//! Between acknowledgements, the writer takes inbox rows into the log in id order, deleting
//! them in the same transaction, so a delivery is in exactly one of the two whatever
//! moment a crash comes; from the log the projection takes them as before. A repeat is
//! recognised there: its reply already went out as "accepted" (it was stored), and its
//! attempt is counted on the delivery it repeats.
//!
//! Like the projection's, what is in the inbox is held parsed in memory while it is little
//! (`held.rs`); beyond that, and after a restart, it is read back from the table.

use calleague_events::{parse_delivery, Timestamp};
use rusqlite::{params, Connection, TransactionBehavior};
use tokio::sync::broadcast;

use crate::held::Held;
use crate::ingest::{headers_json, log_delivery, write_quarantine, Logged};
use crate::model::{FeedItem, IncomingDelivery, QuarantineItem, Source};
use crate::projection::Projection;
use crate::schema;
use crate::Result;

/// A row as read back: id, received_ms, peer, headers, body, hidden.
type InboxRow = (i64, i64, Option<String>, String, Vec<u8>, bool);

pub(crate) struct Inbox {
    /// In id order: a cache of the table's first rows.
    held: Held,
    /// Rows in the table.
    len: usize,
}

impl Inbox {
    pub fn open(conn: &Connection) -> Result<Self> {
        let len: i64 = conn.query_row("SELECT count(*) FROM inbox", [], |r| r.get(0))?;
        Ok(Self { held: Held::new(len > 0), len: len as usize })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a delivery inside the caller's transaction; [`Inbox::appended`] once it commits.
    pub fn append(conn: &Connection, item: &IncomingDelivery) -> Result<i64> {
        conn.prepare_cached(
            // The time as milliseconds, not text: formatting it was a fifth of this insert's cost.
            "INSERT INTO inbox (received_ms, peer, headers, body, hidden) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            item.received_at.unix_millis(),
            item.peer,
            headers_json(&item.headers),
            item.body,
            item.hidden,
        ])?;
        Ok(conn.last_insert_rowid())
    }

    /// A delivery whose append committed as `id` (ids grow with the table's order).
    pub fn appended(&mut self, id: i64, item: Box<IncomingDelivery>) {
        self.len += 1;
        self.held.push(id, item);
    }

    /// Takes up to `limit` deliveries into the log, in one transaction; hands each new one to
    /// the projection and announces each repeat. Returns how many it took.
    pub fn take_into_log(
        &mut self,
        conn: &mut Connection,
        limit: usize,
        projection: &mut Projection,
        feed: &broadcast::Sender<FeedItem>,
    ) -> Result<usize> {
        if self.held.needs_read_back() {
            self.read_back(conn, limit)?;
        }
        let take = self.held.len().min(limit);
        if take == 0 {
            // Nothing held and nothing more in the table: the count was off (it cannot be).
            self.len = 0;
            return Ok(0);
        }
        // Everything here can be done again from the inbox: no sync of its own.
        let logged = schema::unsynced(conn, |conn| self.take_chunk(conn, take))?;
        for ((_, item), outcome) in self.held.take(take).zip(logged) {
            match outcome {
                Logged::New(id) => projection.logged(id, item),
                Logged::Repeat { id, attempts } => {
                    let _ = feed.send(FeedItem::Repeat { id, attempts });
                }
            }
        }
        self.len = self.len.saturating_sub(take);
        Ok(take)
    }

    fn take_chunk(&self, conn: &mut Connection, take: usize) -> Result<Vec<Logged>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut logged = Vec::with_capacity(take);
        let mut last = 0;
        for (id, item) in self.held.first(take) {
            logged.push(log_delivery(&tx, item)?);
            last = *id;
        }
        tx.prepare_cached("DELETE FROM inbox WHERE id <= ?1")?.execute([last])?;
        tx.commit()?;
        Ok(logged)
    }

    /// Loads the table's first `limit` rows (called with nothing held: taken rows are gone
    /// from it). A row that no longer reads as a delivery (it did when it was acknowledged)
    /// goes to the quarantine, never lost.
    fn read_back(&mut self, conn: &mut Connection, limit: usize) -> Result<()> {
        let rows: Vec<InboxRow> = conn
            .prepare_cached("SELECT id, received_ms, peer, headers, body, hidden FROM inbox ORDER BY id LIMIT ?1")?
            .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<std::result::Result<_, _>>()?;
        if rows.len() < limit {
            self.held.read_through();
        }
        for (id, received_ms, peer, headers, body, hidden) in rows {
            let headers: Vec<(String, String)> = serde_json::from_str(&headers).unwrap_or_default();
            let received = Timestamp::from_unix_millis(received_ms);
            match (received, parse_delivery(&body)) {
                (Ok(received_at), Ok(parsed)) => {
                    let item =
                        IncomingDelivery { received_at, peer, headers, body, parsed, hidden, source: Source::Webhook };
                    self.held.push_read_back(id, Box::new(item));
                }
                (received, parsed) => {
                    tracing::error!(row = id, "an inbox row cannot be read back; it goes to the quarantine");
                    let reason = match parsed {
                        Err(e) => format!("could not be read back from the inbox: {e}"),
                        Ok(_) => format!("could not be read back from the inbox: bad time {received_ms}"),
                    };
                    let item = QuarantineItem {
                        received_at: received.unwrap_or_else(|_| Timestamp::now()),
                        peer,
                        headers,
                        body,
                        reason,
                    };
                    let tx = conn.transaction()?;
                    write_quarantine(&tx, &item)?;
                    tx.execute("DELETE FROM inbox WHERE id = ?1", [id])?;
                    tx.commit()?;
                    self.len = self.len.saturating_sub(1);
                }
            }
        }
        Ok(())
    }
}
