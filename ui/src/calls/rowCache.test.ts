import { describe, expect, it } from "vitest";
import type { CallRow } from "../bindings";
import { cacheRows, firstMissing, keepAround, keyOf } from "./rowCache";

const row = (n: number, eventCount = 1): CallRow => ({
  callId: `cl_${n}`,
  sortMs: 1_000_000 - n,
  eventCount,
  firstOccurredAt: "",
  lastOccurredAt: "",
  lastReceivedAt: "",
  lateCount: 0,
  caughtUp: false,
  metadata: null,
});
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => row(from + i));

describe("the timeline's row cache", () => {
  it("keeps the newer version of a call, whichever comes last", () => {
    const cache = new Map<string, CallRow>();
    cacheRows(cache, [row(1, 3)]);
    cacheRows(cache, [row(1, 2)]);
    expect(cache.get("cl_1")?.eventCount).toBe(3);
    cacheRows(cache, [row(1, 4)]);
    expect(cache.get("cl_1")?.eventCount).toBe(4);
  });

  it("keeps only the rows nearest the view, and all of them while under the limit", () => {
    const keys = rows(0, 10_000).map(keyOf);
    const cache = new Map<string, CallRow>();
    cacheRows(cache, rows(0, 100));
    expect(keepAround(cache, keys, 5_000, 200)).toBe(cache);
    cacheRows(cache, rows(4_000, 6_000));
    const near = keepAround(cache, keys, 5_000, 200);
    expect([...near.keys()]).toEqual(rows(4_900, 5_100).map((r) => r.callId));
    // At the ends the window stays whole: the last 200, not 100.
    expect(keepAround(cache, rows(0, 6_000).map(keyOf), 5_990, 200).size).toBe(200);
    expect(keepAround(cache, keys, 0, 200).size).toBe(100);
  });

  it("finds the first row not kept in a range, within the keys", () => {
    const keys = rows(0, 1_000).map(keyOf);
    const cache = new Map<string, CallRow>();
    cacheRows(cache, rows(0, 300));
    expect(firstMissing(keys, cache, -50, 250)).toBe(-1);
    expect(firstMissing(keys, cache, 200, 400)).toBe(300);
    expect(firstMissing(keys, cache, 900, 2_000)).toBe(900);
    expect(firstMissing(keys, cache, 1_000, 2_000)).toBe(-1);
  });
});
