// The merge against a model of the store: for random calls whose events arrive in random
// order (earlier events last, duplicates, retries), cut into random batches, with pages
// loaded along the way, the rows are at every step exactly the store's calls up to the
// next page's cursor, in the store's order.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CallCursor, CallRow, Order } from "../bindings";
import { mergeCalls } from "./merge";

type Delivery = { callId: string; at: number };
type Key = { sortMs: number; callId: string };

/**
 * The store's `ORDER BY sort_ms DESC, call_id DESC` (or both ascending), written apart from the
 * merge's own comparison: a model that borrowed it would agree with any mistake in it.
 */
function storeOrder(a: Key, b: Key, order: Order): number {
  let byTime = Math.sign(a.sortMs - b.sortMs);
  let byId = a.callId === b.callId ? 0 : a.callId < b.callId ? -1 : 1;
  if (order === "newestFirst") {
    byTime = -byTime;
    byId = -byId;
  }
  return byTime !== 0 ? byTime : byId;
}

/** The store: each call's earliest event time and its number of distinct events. */
class Store {
  calls = new Map<string, { sortMs: number; events: Set<number> }>();
  ingest(d: Delivery): CallRow {
    const c = this.calls.get(d.callId) ?? { sortMs: d.at, events: new Set<number>() };
    c.sortMs = Math.min(c.sortMs, d.at);
    c.events.add(d.at);
    this.calls.set(d.callId, c);
    return this.row(d.callId);
  }
  row(callId: string): CallRow {
    const c = this.calls.get(callId)!;
    const iso = new Date(c.sortMs).toISOString();
    return {
      callId, sortMs: c.sortMs, eventCount: c.events.size, firstOccurredAt: iso, lastOccurredAt: iso, lastReceivedAt: iso,
      lateCount: 0, caughtUp: false, metadata: null,
    };
  }
  ordered(order: Order): CallRow[] {
    return [...this.calls.keys()].map((id) => this.row(id)).sort((a, b) => storeOrder(a, b, order));
  }
  /** calls_page: up to `limit` calls after `after`, and the cursor of the last one. */
  page(order: Order, after: CallCursor | null, limit: number): { items: CallRow[]; next: CallCursor | null } {
    const all = this.ordered(order).filter((c) => after === null || storeOrder(c, after, order) > 0);
    const items = all.slice(0, limit);
    const last = items[items.length - 1];
    return { items, next: all.length > limit && last ? { sortMs: last.sortMs, callId: last.callId } : null };
  }
}

const scenario = fc
  .record({
    // Few distinct times and ids, so ties on sortMs and moves are common.
    deliveries: fc.array(fc.record({ callId: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), at: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 120 }),
    order: fc.constantFrom<Order>("newestFirst", "oldestFirst"),
    loadAfter: fc.nat(),
    pageSize: fc.integer({ min: 1, max: 6 }),
    cuts: fc.array(fc.nat(), { maxLength: 40 }),
    pageEvery: fc.integer({ min: 1, max: 8 }),
    duplicates: fc.array(fc.nat(), { maxLength: 30 }),
  })
  .map((s) => {
    // Duplicates and retries: the same delivery again, later.
    const deliveries = [...s.deliveries];
    for (const d of s.duplicates) deliveries.splice(d % (deliveries.length + 1), 0, s.deliveries[d % s.deliveries.length]);
    return { ...s, deliveries };
  });

describe("the live merge", () => {
  it("keeps the rows equal to the store's order up to the next page, whatever the feed brings", () => {
    fc.assert(
      fc.property(scenario, ({ deliveries, order, loadAfter, pageSize, cuts, pageEvery }) => {
        const store = new Store();
        const start = loadAfter % (deliveries.length + 1);
        for (const d of deliveries.slice(0, start)) store.ingest(d);
        let { items: rows, next } = store.page(order, null, pageSize);
        const check = () => {
          const expected = store.ordered(order).filter((c) => next === null || storeOrder(c, next, order) <= 0);
          expect(rows.map((r) => [r.callId, r.sortMs, r.eventCount])).toEqual(expected.map((r) => [r.callId, r.sortMs, r.eventCount]));
        };
        check();
        // The rest arrive in batches cut at random places.
        const rest = deliveries.slice(start);
        const ends = [...new Set(cuts.map((c) => c % (rest.length + 1))), rest.length].sort((a, b) => a - b);
        let from = 0;
        ends.forEach((end, batch) => {
          const items = rest.slice(from, end).map((d) => store.ingest(d));
          from = end;
          rows = mergeCalls(rows, items, order, next).rows;
          check();
          if (batch % pageEvery === 0 && next !== null) {
            const page = store.page(order, next, pageSize);
            rows = mergeCalls(rows, page.items, order, page.next).rows;
            next = page.next;
            check();
          }
        });
        // Scroll to the end: every page loaded, every call in the store's order.
        while (next !== null) {
          const page = store.page(order, next, pageSize);
          rows = mergeCalls(rows, page.items, order, page.next).rows;
          next = page.next;
        }
        expect(rows.map((r) => r.callId)).toEqual(store.ordered(order).map((r) => r.callId));
      }),
      { numRuns: 500 },
    );
  });

  it("breaks ties on occurredAt by call id on both sides of a page's edge", () => {
    const row = (id: string, sortMs: number, eventCount = 1): CallRow => ({ callId: id, sortMs, eventCount, firstOccurredAt: "", lastOccurredAt: "", lastReceivedAt: "", lateCount: 0, caughtUp: false, metadata: null });
    // The store's first page of three, newest first: the page ends inside the group at 20.
    const rows = [row("m", 30), row("k", 20), row("h", 20)];
    const boundary = { sortMs: 20, callId: "h" };
    // New calls at the same time: "j" sorts inside the page (between k and h), "b" beyond its
    // edge (the next page brings it), "z" first of the group.
    const merged = mergeCalls(rows, [row("b", 20), row("j", 20), row("z", 20)], "newestFirst", boundary);
    expect(merged.rows.map((r) => r.callId)).toEqual(["m", "z", "k", "j", "h"]);
    // Oldest first, the same ties go the other way round.
    const oldest = mergeCalls([row("a", 10), row("b", 20), row("h", 20)], [row("k", 20), row("c", 20), row("g", 20)], "oldestFirst", { sortMs: 20, callId: "h" });
    expect(oldest.rows.map((r) => r.callId)).toEqual(["a", "b", "c", "g", "h"]);
  });

  it("never turns a row back to an older version of its call", () => {
    const v = (events: number, sortMs: number): CallRow => ({ ...base, eventCount: events, sortMs });
    const base: CallRow = { callId: "a", sortMs: 0, eventCount: 1, firstOccurredAt: "", lastOccurredAt: "", lastReceivedAt: "", lateCount: 0, caughtUp: false, metadata: null };
    const rows = mergeCalls([v(3, 10)], [v(2, 20)], "newestFirst", null).rows;
    expect(rows).toEqual([v(3, 10)]);
  });

  it("counts new calls that land above the first row in view, and where that row went", () => {
    const row = (id: string, sortMs: number, eventCount = 1): CallRow => ({ callId: id, sortMs, eventCount, firstOccurredAt: "", lastOccurredAt: "", lastReceivedAt: "", lateCount: 0, caughtUp: false, metadata: null });
    const rows = [row("e", 50), row("d", 40), row("c", 30), row("b", 20), row("a", 10)];
    // "c" is the first row in view; two new calls land above it, one below, and "e" moves below it.
    const merged = mergeCalls(rows, [row("x", 60), row("y", 35), row("z", 5), row("e", 25, 2)], "newestFirst", null, 2);
    expect(merged.rows.map((r) => r.callId)).toEqual(["x", "d", "y", "c", "e", "b", "a", "z"]);
    expect(merged.insertedAbove).toBe(2);
    expect(merged.anchorIndex).toBe(3);
  });
});
