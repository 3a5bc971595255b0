// The timeline's memory: every paged call keeps only its key (where it sorts, and how many
// events the version seen has); its whole row (times, agent, reason, metadata…) is kept
// only near the view. A store of 100,000 calls scrolled end to end then holds 100,000 keys
// and a couple of thousand rows, not 100,000 rows: the page's memory stays that of the
// window, whatever the store's size. A row scrolled back into sight is read again from
// the store, a page at a time, after the key before it (keyset paging).
import type { CallRow } from "../bindings";
import type { Versioned } from "./merge";

/** A call's place on the timeline and its version: all the list keeps of every call. */
export type CallKey = Versioned;

/** Whole rows kept at most: ten pages, about 150 screens of rows around the view. */
export const ROWS_KEPT = 2_000;

export function keyOf(row: CallRow): CallKey {
  return { callId: row.callId, sortMs: row.sortMs, eventCount: row.eventCount };
}

/** Keeps `rows` in `cache`; a version with fewer events never replaces a newer one. */
export function cacheRows(cache: Map<string, CallRow>, rows: Iterable<CallRow>) {
  for (const row of rows) {
    const seen = cache.get(row.callId);
    if (!seen || row.eventCount >= seen.eventCount) cache.set(row.callId, row);
  }
}

/**
 * The rows of the `kept` keys nearest `center` (an index into `keys`), dropping the others;
 * `cache` itself when it holds no more than `kept`.
 */
export function keepAround(cache: Map<string, CallRow>, keys: readonly CallKey[], center: number, kept = ROWS_KEPT): Map<string, CallRow> {
  if (cache.size <= kept) return cache;
  const from = Math.max(0, Math.min(center - Math.floor(kept / 2), keys.length - kept));
  const near = new Map<string, CallRow>();
  for (let i = from; i < Math.min(keys.length, from + kept); i++) {
    const row = cache.get(keys[i].callId);
    if (row) near.set(keys[i].callId, row);
  }
  return near;
}

/** The first index in [from, to) whose row is not kept, or -1. */
export function firstMissing(keys: readonly CallKey[], cache: Map<string, CallRow>, from: number, to: number): number {
  for (let i = Math.max(0, from); i < Math.min(keys.length, to); i++) if (!cache.has(keys[i].callId)) return i;
  return -1;
}
