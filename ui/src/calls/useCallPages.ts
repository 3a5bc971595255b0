// The timeline's rows: the store's pages, kept in the store's order as the live feed
// brings new and changed calls (see merge.ts). Every paged call keeps its key; only the
// rows near the view are kept whole, and read again when scrolled back to (rowCache.ts).
import { RefObject, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { api, errorText } from "../ipc";
import { useFeed } from "../feed";
import type { CallCursor, CallFilter, CallRow, FeedBatch } from "../bindings";
import { Filters, toCallFilter } from "./useCallFilters";
import { mergeCalls } from "./merge";
import { CallKey, cacheRows, firstMissing, keepAround, keyOf } from "./rowCache";

export const PAGE = 200;
/** Every row is this tall; the list is virtualized on it. */
export const ROW_HEIGHT = 64;
/** Scrolled less than this from the top counts as "at the top". */
const TOP = 8;

export function useCallPages(filters: Filters, query: string, filtered: boolean, scroller: RefObject<HTMLDivElement | null>) {
  const [keys, setKeysState] = useState<CallKey[]>([]);
  const [next, setNextState] = useState<CallCursor | null>(null);
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<string | null>(null);
  // The whole rows near the view, by call id; `version` counts its changes, for a new render.
  const rows = useRef(new Map<string, CallRow>());
  const [version, setVersion] = useState(0);
  // The feed merges against what is loaded now, not what the last render saw.
  const current = useRef({ keys: [] as CallKey[], next: null as CallCursor | null });
  const shift = useRef(0);
  const loadingMore = useRef(false);
  const filling = useRef(false);
  // Rows a page read after their key's predecessor did not bring (the store changed since):
  // not asked for again until the next reload, so a missing row cannot loop.
  const unreadable = useRef(new Set<string>());
  // Bumped by each reload: a page asked for before it is dropped when it comes.
  const generation = useRef(0);
  const setKeys = (k: CallKey[]) => ((current.current.keys = k), setKeysState(k));
  const setNext = (n: CallCursor | null) => ((current.current.next = n), setNextState(n));
  const { order, customRange, rangePreset, phase, agent, direction, reason, language } = filters;
  // Later pages keep the first page's filter: keyset paging needs one fixed filter.
  const paged = useRef<CallFilter | null>(null);

  /** Keeps `items` whole, then only the rows nearest the view when there are too many. */
  const keep = useCallback(
    (items: Iterable<CallRow>) => {
      cacheRows(rows.current, items);
      const center = Math.floor((scroller.current?.scrollTop ?? 0) / ROW_HEIGHT);
      rows.current = keepAround(rows.current, current.current.keys, center);
      setVersion((v) => v + 1);
    },
    [scroller],
  );

  const reload = useCallback(async () => {
    const filter = toCallFilter(filters, query, Date.now());
    paged.current = filter;
    const asked = ++generation.current;
    try {
      const page = await api.callsPage(filter, { order, limit: PAGE });
      if (asked !== generation.current) return;
      rows.current = new Map();
      unreadable.current.clear();
      setKeys(page.items.map(keyOf));
      keep(page.items);
      setNext(page.next);
      setPending(0);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
    // The filter's parts, not the object: typing in the search box waits for `query`.
  }, [order, customRange, rangePreset, phase, agent, direction, reason, language, query]);

  useEffect(() => {
    reload();
  }, [reload]);

  const loadMore = useCallback(() => {
    const after = current.current.next;
    if (!after || loadingMore.current || !paged.current) return;
    loadingMore.current = true;
    const asked = generation.current;
    api
      .callsPage(paged.current, { order, after, limit: PAGE })
      .then((page) => {
        if (asked !== generation.current) return;
        // A page holds the store's next calls in order; merging drops any the feed brought.
        setKeys(mergeCalls(current.current.keys, page.items.map(keyOf), order, page.next).rows);
        setNext(page.next);
        keep(page.items);
      })
      .catch((e) => setError(errorText(e)))
      .finally(() => (loadingMore.current = false));
  }, [order, keep]);

  /** Reads again the first rows in [from, to) that are not kept: a page after the key before. */
  const fill = useCallback(
    (from: number, to: number) => {
      const { keys } = current.current;
      const missing = firstMissing(keys, rows.current, from, to);
      if (missing < 0 || filling.current || !paged.current || unreadable.current.has(keys[missing].callId)) return;
      filling.current = true;
      const asked = generation.current;
      const wanted = keys[missing].callId;
      const after = missing > 0 ? { sortMs: keys[missing - 1].sortMs, callId: keys[missing - 1].callId } : null;
      api
        .callsPage(paged.current, { order, after, limit: PAGE })
        .then((page) => {
          if (asked !== generation.current) return;
          keep(page.items);
          if (!rows.current.has(wanted)) unreadable.current.add(wanted);
        })
        .catch((e) => setError(errorText(e)))
        .finally(() => (filling.current = false));
    },
    [order, keep],
  );

  /** The whole row at `index`, when it is kept. */
  const rowAt = useCallback((index: number): CallRow | undefined => {
    const key = current.current.keys[index];
    return key && rows.current.get(key.callId);
    // A new function (and a new render of the rows) whenever the kept rows or the keys change.
  }, [version, keys]);

  // The live feed. With a filter the store decides what matches: re-read shortly after.
  const refetch = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(refetch.current), []);
  useFeed((batch: FeedBatch) => {
    const calls: CallRow[] = [];
    for (const item of batch.items) if (item.kind === "event" && item.call) calls.push(item.call);
    if (batch.resync || filtered) {
      window.clearTimeout(refetch.current);
      refetch.current = window.setTimeout(reload, 300);
      return;
    }
    if (calls.length === 0) return;
    const top = scroller.current?.scrollTop ?? 0;
    const firstVisible = top < TOP ? 0 : Math.floor(top / ROW_HEIGHT);
    const { rows: merged, insertedAbove, anchorIndex } = mergeCalls(
      current.current.keys,
      calls.map(keyOf),
      order,
      current.current.next,
      firstVisible,
    );
    if (firstVisible > 0 && anchorIndex > firstVisible) {
      // Keep the rows the person is reading where they are; the pill says what came in above.
      shift.current += (anchorIndex - firstVisible) * ROW_HEIGHT;
      setPending((p) => p + insertedAbove);
    }
    setKeys(merged);
    keep(calls);
  }, (e) => setError(errorText(e)));

  // After the rows grew above the view, move the view by as much (before the paint).
  useLayoutEffect(() => {
    if (shift.current && scroller.current) scroller.current.scrollTop += shift.current;
    shift.current = 0;
  }, [keys, scroller]);

  /** The view reached the top: everything new is in sight. */
  const seenTop = useCallback(() => {
    if ((scroller.current?.scrollTop ?? 0) < TOP) setPending(0);
  }, [scroller]);

  return { keys, rowAt, cached: rows.current.size, next, pending, error, reload, loadMore, fill, seenTop };
}
