// The timeline's rows: the store's pages, kept in the store's order as the live feed
// brings new and changed calls (see merge.ts).
import { RefObject, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { api, errorText } from "../ipc";
import { useFeed } from "../feed";
import type { CallCursor, CallFilter, CallRow, FeedBatch } from "../bindings";
import { Filters, toCallFilter } from "./useCallFilters";
import { mergeCalls } from "./merge";

export const PAGE = 200;
/** Every row is this tall; the list is virtualized on it. */
export const ROW_HEIGHT = 64;
/** Scrolled less than this from the top counts as "at the top". */
const TOP = 8;

export function useCallPages(filters: Filters, query: string, filtered: boolean, scroller: RefObject<HTMLDivElement | null>) {
  const [rows, setRowsState] = useState<CallRow[]>([]);
  const [next, setNextState] = useState<CallCursor | null>(null);
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<string | null>(null);
  // The feed merges against what is loaded now, not what the last render saw.
  const current = useRef({ rows: [] as CallRow[], next: null as CallCursor | null });
  const shift = useRef(0);
  const loadingMore = useRef(false);
  const setRows = (r: CallRow[]) => ((current.current.rows = r), setRowsState(r));
  const setNext = (n: CallCursor | null) => ((current.current.next = n), setNextState(n));
  const { order, customRange, rangePreset, phase, agent, direction, reason, language } = filters;
  // Later pages keep the first page's filter: keyset paging needs one fixed filter.
  const paged = useRef<CallFilter | null>(null);

  const reload = useCallback(async () => {
    const filter = toCallFilter(filters, query, Date.now());
    paged.current = filter;
    try {
      const page = await api.callsPage(filter, { order, limit: PAGE });
      setRows(page.items);
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
    api
      .callsPage(paged.current, { order, after, limit: PAGE })
      .then((page) => {
        // A page holds the store's next calls in order; merging drops any the feed brought.
        setRows(mergeCalls(current.current.rows, page.items, order, page.next).rows);
        setNext(page.next);
      })
      .catch((e) => setError(errorText(e)))
      .finally(() => (loadingMore.current = false));
  }, [order]);

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
      current.current.rows,
      calls,
      order,
      current.current.next,
      firstVisible,
    );
    if (firstVisible > 0 && anchorIndex > firstVisible) {
      // Keep the rows the person is reading where they are; the pill says what came in above.
      shift.current += (anchorIndex - firstVisible) * ROW_HEIGHT;
      setPending((p) => p + insertedAbove);
    }
    setRows(merged);
  }, (e) => setError(errorText(e)));

  // After the rows grew above the view, move the view by as much (before the paint).
  useLayoutEffect(() => {
    if (shift.current && scroller.current) scroller.current.scrollTop += shift.current;
    shift.current = 0;
  }, [rows, scroller]);

  /** The view reached the top: everything new is in sight. */
  const seenTop = useCallback(() => {
    if ((scroller.current?.scrollTop ?? 0) < TOP) setPending(0);
  }, [scroller]);

  return { rows, next, pending, error, reload, loadMore, seenTop };
}
