//! Timeline queries: filters, and keyset pages in either direction.

use calleague_events::{CallPhase, Timestamp};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::model::{CallDetail, CallRow, EventDetail, EventRow, Facets, QuarantineRow, SecurityEntry, SecurityRow};
use crate::rows::{call_row, event_row, headers_from_json, CALL_COLUMNS, EVENT_COLUMNS};
use crate::{Result, Store, StoreError};

/// `from` inclusive, `to` exclusive, on `occurredAt`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields = nullable)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Filters on the call timeline. An empty list means "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields = nullable)]
pub struct CallFilter {
    pub phases: Vec<CallPhase>,
    pub agents: Vec<String>,
    pub directions: Vec<String>,
    pub ended_reasons: Vec<String>,
    pub languages: Vec<String>,
    pub range: TimeRange,
    /// Matched, case-insensitively, inside the callId or any part of the metadata.
    pub text: Option<String>,
    /// Calls whose metadata field has this value, as dimensions read it
    /// ([`crate::metadata_value`]: a number or boolean as JSON writes it).
    pub metadata: Option<MetadataMatch>,
}

/// One metadata field's value, for the timeline's filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct MetadataMatch {
    pub field: String,
    pub value: String,
}

/// Filters on the event timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventFilter {
    pub events: Vec<String>,
    pub call_id: Option<String>,
    pub range: TimeRange,
    /// Matched inside the callId.
    pub text: Option<String>,
    /// Show events outside the user's subscriptions too.
    pub include_hidden: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// A page of at most `limit` items, strictly `after` a cursor, strictly `before` one, or from
/// the start. Directions are in the page's `order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct PageRequest<C> {
    #[serde(default)]
    pub order: Order,
    /// Missing reads as `None` (serde's rule for `Option` fields).
    pub after: Option<C>,
    pub before: Option<C>,
    pub limit: u32,
}

impl<C> PageRequest<C> {
    pub fn first(order: Order, limit: u32) -> Self {
        Self { order, after: None, before: None, limit }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Page<T, C> {
    pub items: Vec<T>,
    /// Pass as `after` for the page that follows, when there is one.
    pub next: Option<C>,
    /// Pass as `before` for the page that precedes, when there is one.
    pub prev: Option<C>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CallCursor {
    pub sort_ms: i64,
    pub call_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCursor {
    pub occurred_ms: i64,
    pub tie: String,
    pub id: i64,
}

const MAX_PAGE: u32 = 1000;

/// A WHERE clause under construction.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    fn push(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }

    fn any_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.push(format!("{column} IN ({marks})"), values.iter().map(|v| Value::Text(v.clone())));
    }

    fn range(&mut self, column: &str, range: &TimeRange) {
        if let Some(from) = range.from {
            self.push(format!("{column} >= ?"), [Value::Integer(from.unix_millis())]);
        }
        if let Some(to) = range.to {
            self.push(format!("{column} < ?"), [Value::Integer(to.unix_millis())]);
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// A LIKE pattern matching `text` anywhere, its wildcards escaped with a backslash.
pub fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// How a store reads a page: which way it walks its index, and whether the rows it reads
/// come back reversed (a page `before` a cursor is read backwards, then turned around).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    pub descending: bool,
    pub reversed: bool,
}

impl<C> PageRequest<C> {
    pub fn walk(&self) -> Walk {
        let newest_first = self.order == Order::NewestFirst;
        let backwards = self.after.is_none() && self.before.is_some();
        Walk { descending: newest_first != backwards, reversed: backwards }
    }

    /// The limit a store reads (it reads one row more, to know whether more follow).
    pub fn clamped_limit(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE) as usize
    }

    /// The cursor the page starts from, whichever way it goes.
    pub fn cursor(&self) -> Option<&C> {
        self.after.as_ref().or(self.before.as_ref())
    }
}

impl<T, C> Page<T, C> {
    /// The page from up to `clamped_limit() + 1` rows read along `request.walk()`.
    pub fn from_rows(mut items: Vec<T>, request: &PageRequest<C>, cursor: impl Fn(&T) -> C) -> Self {
        let (limit, reversed) = (request.clamped_limit(), request.walk().reversed);
        let more = items.len() > limit;
        items.truncate(limit);
        if reversed {
            items.reverse();
        }
        let (more_after, more_before) = if reversed { (true, more) } else { (more, request.after.is_some()) };
        Page {
            next: if more_after { items.last().map(&cursor) } else { None },
            prev: if more_before { items.first().map(&cursor) } else { None },
            items,
        }
    }
}

/// Each counted dimension's values with their calls (from the hour rows of its rollup, never
/// the calls), most first, at most 200; calls without the field are not a value.
fn dimension_facets(conn: &rusqlite::Connection) -> Result<Vec<crate::model::DimensionFacet>> {
    let mut facets = Vec::new();
    for field in crate::tracked::Tracked::load(conn)?.counted_fields() {
        let mut stmt = conn.prepare_cached(
            "SELECT value, sum(calls) FROM overview_dimensions WHERE span = 3600000 AND dimension = ?1 AND value <> ''
             GROUP BY value HAVING sum(calls) > 0 ORDER BY 2 DESC, 1 LIMIT 200",
        )?;
        let values = stmt
            .query_map([format!("{}{field}", crate::tracked::METADATA_PREFIX)], |r| {
                Ok(crate::model::ValueCount { value: r.get(0)?, calls: r.get(1)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        facets.push(crate::model::DimensionFacet { field: field.to_owned(), values });
    }
    Ok(facets)
}

impl Store {
    /// Each counted dimension's values with their calls (the part of [`Store::facets`] that
    /// reads the rollups).
    pub fn dimension_facets(&self) -> Result<Vec<crate::model::DimensionFacet>> {
        self.with_reader(dimension_facets)
    }

    /// A page of the call timeline, ordered by each call's earliest `occurredAt`.
    pub fn calls_page(&self, filter: &CallFilter, page: &PageRequest<CallCursor>) -> Result<Page<CallRow, CallCursor>> {
        let mut w = Where::default();
        let phases: Vec<String> = filter.phases.iter().map(|p| p.as_str().to_owned()).collect();
        w.any_of("phase", &phases);
        w.any_of("agent_id", &filter.agents);
        w.any_of("direction", &filter.directions);
        w.any_of("ended_reason", &filter.ended_reasons);
        w.any_of("language", &filter.languages);
        w.range("sort_ms", &filter.range);
        if let Some(m) = &filter.metadata {
            // A scan of the range's calls (the reader's own function reads each one's JSON).
            w.push("metadata_value(metadata, ?) = ?", [Value::Text(m.field.clone()), Value::Text(m.value.clone())]);
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if text.chars().count() >= 3 {
                // The trigram index answers substring searches without a scan. A phrase
                // query, so the text is matched as typed (quotes doubled).
                let phrase = format!("\"{}\"", text.replace('"', "\"\""));
                w.push("rowid IN (SELECT rowid FROM calls_search WHERE calls_search MATCH ?)", [Value::Text(phrase)]);
            } else {
                // Too short for trigrams: a scan, which stops as soon as a page is full.
                let pattern = Value::Text(like_pattern(text));
                w.push("(call_id LIKE ? ESCAPE '\\' OR metadata LIKE ? ESCAPE '\\')", [pattern.clone(), pattern]);
            }
        }
        let walk = page.walk();
        if let Some(c) = page.cursor() {
            let op = if walk.descending { "<" } else { ">" };
            w.push(
                format!("(sort_ms, call_id) {op} (?, ?)"),
                [Value::Integer(c.sort_ms), Value::Text(c.call_id.clone())],
            );
        }
        let dir = if walk.descending { "DESC" } else { "ASC" };
        let limit = page.clamped_limit();
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls {} ORDER BY sort_ms {dir}, call_id {dir} LIMIT {}",
            w.sql(),
            limit + 1
        );
        let items = self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(w.params.iter()), call_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        Ok(Page::from_rows(items, page, |c: &CallRow| CallCursor {
            sort_ms: c.first_occurred_at.unix_millis(),
            call_id: c.record.call_id.clone(),
        }))
    }

    /// A page of the event timeline, ordered by `occurredAt`, ties by `deliveryId`.
    pub fn events_page(
        &self,
        filter: &EventFilter,
        page: &PageRequest<EventCursor>,
    ) -> Result<Page<EventRow, EventCursor>> {
        let mut w = Where::default();
        w.any_of("e.event", &filter.events);
        if let Some(call) = &filter.call_id {
            w.push("e.call_id = ?", [Value::Text(call.clone())]);
        }
        w.range("e.occurred_ms", &filter.range);
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            w.push("e.call_id LIKE ? ESCAPE '\\'", [Value::Text(like_pattern(text))]);
        }
        if !filter.include_hidden {
            w.push("e.hidden = 0", []);
        }
        let walk = page.walk();
        if let Some(c) = page.cursor() {
            let op = if walk.descending { "<" } else { ">" };
            w.push(
                format!("(e.occurred_ms, e.tie, e.id) {op} (?, ?, ?)"),
                [Value::Integer(c.occurred_ms), Value::Text(c.tie.clone()), Value::Integer(c.id)],
            );
        }
        let dir = if walk.descending { "DESC" } else { "ASC" };
        let limit = page.clamped_limit();
        let sql = format!(
            "SELECT {EVENT_COLUMNS}, e.tie FROM events e JOIN deliveries d ON d.id = e.id {}
             ORDER BY e.occurred_ms {dir}, e.tie {dir}, e.id {dir} LIMIT {}",
            w.sql(),
            limit + 1
        );
        let items = self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(w.params.iter()), |row| Ok((event_row(row)?, row.get::<_, String>(15)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let page = Page::from_rows(items, page, |(e, tie): &(EventRow, String)| EventCursor {
            occurred_ms: e.occurred_at.unix_millis(),
            tie: tie.clone(),
            id: e.id,
        });
        Ok(Page { items: page.items.into_iter().map(|(e, _)| e).collect(), next: page.next, prev: page.prev })
    }

    pub fn call(&self, call_id: &str) -> Result<Option<CallRow>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE call_id = ?1"))?
                .query_row([call_id], call_row)
                .optional()?)
        })
    }

    /// A call with every one of its events (hidden ones included), in timeline order.
    pub fn call_detail(&self, call_id: &str) -> Result<Option<CallDetail>> {
        let Some(call) = self.call(call_id)? else {
            return Ok(None);
        };
        let events = self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                // A confirmed step shows its webhook's delivery: the request Calleague sent.
                "SELECT {EVENT_COLUMNS}, coalesce(w.peer, d.peer), coalesce(w.headers, d.headers), coalesce(w.body, d.body)
                 FROM events e JOIN deliveries d ON d.id = e.id LEFT JOIN deliveries w ON w.id = e.confirmed_by
                 WHERE e.call_id = ?1 ORDER BY e.occurred_ms, e.tie, e.id"
            ))?;
            let rows = stmt.query_map([call_id], |row| {
                let headers: String = row.get(16)?;
                let body: Vec<u8> = row.get(17)?;
                Ok(EventDetail {
                    event: event_row(row)?,
                    peer: row.get(15)?,
                    headers: headers_from_json(&headers),
                    body: String::from_utf8_lossy(&body).into_owned(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        Ok(Some(CallDetail { call, events }))
    }

    /// Quarantined bodies, newest first, `before_id` for the next page.
    pub fn quarantine_page(&self, before_id: Option<i64>, limit: u32) -> Result<Vec<QuarantineRow>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, received_at, peer, reason, headers, body FROM quarantine
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows =
                stmt.query_map(rusqlite::params![before_id.unwrap_or(i64::MAX), limit.clamp(1, MAX_PAGE)], |row| {
                    let received: String = row.get(1)?;
                    let headers: String = row.get(4)?;
                    let body: Vec<u8> = row.get(5)?;
                    Ok(QuarantineRow {
                        id: row.get(0)?,
                        received_at: Timestamp::parse(&received).unwrap_or_else(|_| Timestamp::now()),
                        peer: row.get(2)?,
                        reason: row.get(3)?,
                        headers: headers_from_json(&headers),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    })
                })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Rejected requests, newest first.
    pub fn security_page(&self, before_id: Option<i64>, limit: u32) -> Result<Vec<SecurityRow>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, at_ms, peer, reason, count, coalesce(last_ms, at_ms) FROM security_log
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows =
                stmt.query_map(rusqlite::params![before_id.unwrap_or(i64::MAX), limit.clamp(1, MAX_PAGE)], |row| {
                    Ok(SecurityRow {
                        id: row.get(0)?,
                        entry: SecurityEntry {
                            at: Timestamp::from_unix_millis(row.get(1)?).unwrap_or_else(|_| Timestamp::now()),
                            peer: row.get(2)?,
                            reason: row.get(3)?,
                        },
                        count: row.get(4)?,
                        last_at: Timestamp::from_unix_millis(row.get(5)?).unwrap_or_else(|_| Timestamp::now()),
                    })
                })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// SQLite's own consistency check: `Ok(())` when the database is sound, otherwise
    /// what it found.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let problems = self.with_reader(|conn| {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        if problems == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Corrupt(problems.join("; ")))
        }
    }

    /// Distinct agents, directions, ended reasons and languages, for the filter menus.
    /// Each is read from its index; at most 200 of each.
    pub fn facets(&self) -> Result<Facets> {
        self.with_reader(|conn| {
            // Each distinct value found by a seek in an index, from the one before it: as many
            // seeks as values, however many calls (a DISTINCT scanned every call, 2 s at a
            // million). Agents and reasons from the calls' own indexes; directions and
            // languages, which have none, from their rollup's key (every stored call counted).
            let seek = |first: &str, next: &str, args: &[&dyn rusqlite::ToSql]| -> Result<Vec<String>> {
                let mut stmt = conn.prepare_cached(&format!(
                    "WITH RECURSIVE v(value) AS (SELECT ({first}) UNION ALL
                       SELECT ({next}) FROM v WHERE v.value IS NOT NULL LIMIT 201)
                     SELECT value FROM v WHERE value IS NOT NULL LIMIT 200"
                ))?;
                let rows = stmt.query_map(args, |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            };
            let column = |name: &str| {
                seek(
                    &format!("SELECT min({name}) FROM calls"),
                    &format!("SELECT min({name}) FROM calls WHERE {name} > v.value"),
                    &[],
                )
            };
            let rolled_up = |dimension: &str| {
                seek(
                    "SELECT min(value) FROM overview_dimensions WHERE span = ?1 AND dimension = ?2 AND value > ''",
                    "SELECT min(value) FROM overview_dimensions WHERE span = ?1 AND dimension = ?2 AND value > v.value",
                    &[&crate::ranges::HOUR_MS, &dimension],
                )
            };
            Ok(Facets {
                agents: column("agent_id")?,
                directions: rolled_up("direction")?,
                ended_reasons: column("ended_reason")?,
                languages: rolled_up("language")?,
                dimensions: dimension_facets(conn)?,
            })
        })
    }
}
