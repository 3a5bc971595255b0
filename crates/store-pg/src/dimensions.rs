//! The team's dimensions (migration 8): the metadata fields a fleet's windows filter, group
//! and export calls by, chosen once for everyone by a receiver's operator and read by every
//! viewer. Nothing is counted ahead, as SQLite's rollups do: a field is read from the calls
//! themselves, so a field is ready as soon as it is chosen.

use calleague_events::Timestamp;
use calleague_store::{check_dimension_fields, DimensionFacet, DimensionStatus, Result, SeenField, ValueCount};

use crate::{unavailable, PgStore};

/// A metadata field's value as SQLite's `metadata_value` reads it (text cut to 200
/// characters, a number or a boolean as JSON writes it, '' for anything else), for the
/// field in the SQL parameter `field`.
pub(crate) fn metadata_value_sql(field: &str) -> String {
    format!(
        "(CASE jsonb_typeof(metadata::jsonb -> {field}) WHEN 'string' THEN left(metadata::jsonb ->> {field}, 200)
           WHEN 'number' THEN metadata::jsonb ->> {field} WHEN 'boolean' THEN metadata::jsonb ->> {field}
           ELSE '' END)"
    )
}

impl PgStore {
    /// Chooses the team's dimensions (in order; at most five), replacing those chosen before.
    pub async fn set_dimensions(&self, fields: &[String]) -> Result<()> {
        check_dimension_fields(fields)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("DELETE FROM dimensions", &[]).await.map_err(unavailable)?;
        let now = Timestamp::now().unix_millis();
        for (position, field) in fields.iter().enumerate() {
            tx.execute(
                "INSERT INTO dimensions (field, position, chosen_ms) VALUES ($1, $2, $3)",
                &[field, &(position as i32), &now],
            )
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    /// The team's fields, in order: each ready (read from the calls), every call counted.
    pub async fn dimensions(&self) -> Result<Vec<DimensionStatus>> {
        let fields = self.dimension_fields().await?;
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let calls: i64 = self
            .client()
            .await?
            .query_one("SELECT count(*) FROM calls WHERE event_count > 0", &[])
            .await
            .map_err(unavailable)?
            .get(0);
        Ok(fields
            .into_iter()
            .map(|field| DimensionStatus { field, ready: true, counted_calls: calls, calls })
            .collect())
    }

    /// Top-level metadata fields of the newest `sample` calls, most common first (as
    /// SQLite's `metadata_fields_seen`): what an operator may choose from.
    pub async fn metadata_fields_seen(&self, sample: u32) -> Result<Vec<SeenField>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT k COLLATE \"C\" AS k, count(*) FROM
                   (SELECT metadata::jsonb AS m FROM calls WHERE metadata IS NOT NULL AND event_count > 0
                     ORDER BY sort_ms DESC LIMIT $1) c,
                   jsonb_object_keys(CASE WHEN jsonb_typeof(c.m) = 'object' THEN c.m ELSE '{}'::jsonb END) k
                 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50",
                &[&i64::from(sample)],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|r| SeenField { field: r.get(0), calls: r.get(1) }).collect())
    }

    /// Each of the team's fields with its values and their calls, most first, at most 200
    /// (the timeline's menus); calls without the field are not a value. Read from the calls.
    pub(crate) async fn dimension_facets(&self) -> Result<Vec<DimensionFacet>> {
        let fields = self.dimension_fields().await?;
        let client = self.client().await?;
        let mut facets = Vec::with_capacity(fields.len());
        for field in fields {
            let values = client
                .query(
                    &format!(
                        "SELECT v COLLATE \"C\" AS v, count(*) FROM
                           (SELECT {} AS v FROM calls WHERE event_count > 0 AND metadata IS NOT NULL) s
                         WHERE v <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 200",
                        metadata_value_sql("$1")
                    ),
                    &[&field],
                )
                .await
                .map_err(unavailable)?;
            let values = values.iter().map(|r| ValueCount { value: r.get(0), calls: r.get(1) }).collect();
            facets.push(DimensionFacet { field, values });
        }
        Ok(facets)
    }

    /// The team's fields, in order.
    pub(crate) async fn dimension_fields(&self) -> Result<Vec<String>> {
        let client = self.client().await?;
        let rows = client.query("SELECT field FROM dimensions ORDER BY position", &[]).await.map_err(unavailable)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
