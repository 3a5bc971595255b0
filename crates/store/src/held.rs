//! Deliveries waiting for the writer's next stage (the inbox's to be logged, the log's to be
//! projected), in id order: held parsed in memory while they are few; beyond that, and
//! after a restart, the stage reads them back from its table.

use std::collections::VecDeque;

use crate::model::IncomingDelivery;

/// A waiting delivery: its id in its table, and the delivery.
pub(crate) type HeldDelivery = (i64, Box<IncomingDelivery>);

/// The most deliveries held parsed in memory; more are read back from the table.
const CAPACITY: usize = 4_096;

pub(crate) struct Held {
    items: VecDeque<HeldDelivery>,
    /// The table holds waiting deliveries that are not in `items`, after them.
    in_table_only: bool,
}

impl Held {
    /// Nothing held yet; `in_table` when the table already holds waiting deliveries.
    pub fn new(in_table: bool) -> Self {
        Self { items: VecDeque::new(), in_table_only: in_table }
    }

    /// A delivery just committed to the table as `id`: held while there is room and no older
    /// one waits in the table only (so that the held ones stay the table's first).
    pub fn push(&mut self, id: i64, item: Box<IncomingDelivery>) {
        if self.items.len() < CAPACITY && !self.in_table_only {
            self.items.push_back((id, item));
        } else {
            self.in_table_only = true;
        }
    }

    /// Whether the next deliveries must be read back from the table first.
    pub fn needs_read_back(&self) -> bool {
        self.items.is_empty() && self.in_table_only
    }

    /// The next delivery, as read back from the table.
    pub fn push_read_back(&mut self, id: i64, item: Box<IncomingDelivery>) {
        self.items.push_back((id, item));
    }

    /// The table has no waiting delivery beyond the held ones.
    pub fn read_through(&mut self) {
        self.in_table_only = false;
    }

    /// Some waiting deliveries are in the table only.
    pub fn in_table_only(&self) -> bool {
        self.in_table_only
    }

    /// Nothing waits, held or in the table.
    pub fn is_done(&self) -> bool {
        self.items.is_empty() && !self.in_table_only
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn first(&self, n: usize) -> impl Iterator<Item = &HeldDelivery> {
        self.items.iter().take(n)
    }

    /// Removes the first `n`, once their stage has committed them.
    pub fn take(&mut self, n: usize) -> impl Iterator<Item = HeldDelivery> + '_ {
        self.items.drain(..n)
    }
}
