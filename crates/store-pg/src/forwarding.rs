//! What a replay or a made-up delivery reads from the team's database: deliveries as a
//! handler gets them (the raw body and the headers kept of Calleague's request). Team mode
//! keeps no forwarding attempts (yet): a replay from here is sent and printed, not recorded.

use calleague_store::{headers_from_json, ForwardDelivery, Result};
use tokio_postgres::Row;

use crate::{unavailable, PgStore};

const DELIVERY_COLUMNS: &str = "d.id, d.received_ms, d.headers, d.body";

fn delivery_row(row: &Row) -> ForwardDelivery {
    ForwardDelivery {
        id: row.get(0),
        received_ms: row.get(1),
        headers: headers_from_json(row.get::<_, &str>(2)),
        body: row.get(3),
    }
}

impl PgStore {
    /// The delivery Calleague sent with `deliveryId`, or the one at this number in the log.
    pub async fn forward_delivery(&self, given: &str) -> Result<Option<ForwardDelivery>> {
        let client = self.client().await?;
        let row = match given.parse::<i64>() {
            Ok(id) => {
                client.query_opt(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = $1"), &[&id]).await
            }
            Err(_) => {
                client
                    .query_opt(
                        &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.dedupe_key = 'd:' || $1"),
                        &[&given],
                    )
                    .await
            }
        }
        .map_err(unavailable)?;
        Ok(row.as_ref().map(delivery_row))
    }

    /// Webhook deliveries received in `[from_ms, to_ms)`, of these events (canonical names;
    /// empty: all), hidden ones left out, oldest first, at most `limit`.
    pub async fn received_deliveries(
        &self,
        from_ms: i64,
        to_ms: i64,
        events: &[String],
        limit: i64,
    ) -> Result<Vec<ForwardDelivery>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.id
                     WHERE d.received_ms >= $1 AND d.received_ms < $2 AND NOT d.hidden AND d.source = 'webhook'
                       AND (cardinality($3::text[]) = 0 OR e.event = ANY($3))
                     ORDER BY d.id LIMIT $4"
                ),
                &[&from_ms, &to_ms, &events, &limit],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(delivery_row).collect())
    }

    /// The newest webhook delivery of `event` (canonical name).
    pub async fn latest_delivery_of(&self, event: &str) -> Result<Option<ForwardDelivery>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM events e JOIN deliveries d ON d.id = e.id
                     WHERE e.event = $1 AND d.source = 'webhook' ORDER BY e.id DESC LIMIT 1"
                ),
                &[&event],
            )
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(delivery_row))
    }
}
