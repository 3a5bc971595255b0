// The live feed's merge, pure: where each new or changed call goes in the loaded rows so
// that they stay exactly the store's order (`sort_ms`, then `call_id`, both descending for
// newest first), whatever order the feed brings them in.
//
// The loaded rows are always "every call the store orders up to the boundary", where the
// boundary is the cursor of the next page (none once every page is loaded). A call that
// now sorts within the boundary is shown where the store puts it; one that sorts beyond
// it is left for the page that will bring it, or the rows would skip calls not yet loaded.
import type { CallCursor, CallRow, Order } from "../bindings";

type Key = { sortMs: number; callId: string };
/** What the merge needs of a call: its place, and how many events it has (the newer version has more). */
export type Versioned = Key & { eventCount: number };

/** The store's order of two keys: negative when `a` comes first. */
export function compareKeys(a: Key, b: Key, order: Order): number {
  // call_id compares as SQLite compares text (bytes); call ids are ASCII.
  const byKey = a.sortMs !== b.sortMs ? a.sortMs - b.sortMs : a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0;
  return order === "newestFirst" ? -byKey : byKey;
}

export type Merged<T extends Versioned = CallRow> = {
  rows: T[];
  /** Calls new to the rows that land before the row that was at `firstVisible`. */
  insertedAbove: number;
  /** Where the row that was at `firstVisible` is now (-1 when it left the rows). */
  anchorIndex: number;
};

/**
 * Merges `updates` (the newest version of each call wins) into `rows`, the store's calls up to
 * `boundary` in `order`; `boundary` null means every call is loaded.
 */
export function mergeCalls<T extends Versioned>(
  rows: readonly T[],
  updates: Iterable<T>,
  order: Order,
  boundary: CallCursor | null,
  firstVisible = 0,
): Merged<T> {
  // The newest version of each updated call. A call's event count only grows: the version
  // with more events is the newer one, so a page read before a feed batch (or a batch
  // queued before a reload) never turns back time.
  const latest = new Map<string, T>();
  for (const call of updates) {
    const seen = latest.get(call.callId);
    if (!seen || call.eventCount >= seen.eventCount) latest.set(call.callId, call);
  }
  if (latest.size === 0) return { rows: rows as T[], insertedAbove: 0, anchorIndex: rows.length ? firstVisible : -1 };
  const anchor = rows[Math.min(firstVisible, rows.length - 1)]?.callId;
  // Only the updates are indexed, and the rows walked once: they can be 100,000 long, and
  // while scrolling a page of them arrives every few frames.
  const wasLoaded = new Set<string>();
  for (const row of rows) {
    const update = latest.get(row.callId);
    if (!update) continue;
    if (row.eventCount > update.eventCount) latest.delete(row.callId);
    else wasLoaded.add(row.callId);
  }
  if (latest.size === 0) return { rows: rows as T[], insertedAbove: 0, anchorIndex: rows.length ? firstVisible : -1 };
  const kept = wasLoaded.size ? rows.filter((r) => !wasLoaded.has(r.callId)) : (rows as T[]);
  const within = (c: T) => boundary === null || compareKeys(c, boundary, order) <= 0;
  const incoming = [...latest.values()].filter(within).sort((a, b) => compareKeys(a, b, order));
  let merged: T[];
  if (incoming.length === 0 || kept.length === 0 || compareKeys(kept[kept.length - 1], incoming[0], order) < 0) {
    // A page: every call after the loaded ones.
    merged = kept.concat(incoming);
  } else {
    // Both lists are sorted: one pass merges them.
    merged = [];
    let i = 0;
    for (const call of incoming) {
      while (i < kept.length && compareKeys(kept[i], call, order) < 0) merged.push(kept[i++]);
      merged.push(call);
    }
    while (i < kept.length) merged.push(kept[i++]);
  }
  const anchorIndex = anchor === undefined ? -1 : merged.findIndex((r) => r.callId === anchor);
  let insertedAbove = 0;
  for (let k = 0; k < anchorIndex; k++) if (latest.has(merged[k].callId) && !wasLoaded.has(merged[k].callId)) insertedAbove++;
  return { rows: merged, insertedAbove, anchorIndex };
}
