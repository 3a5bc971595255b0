import { ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { CallRow, Mode } from "../bindings";
import { CallRowView } from "./CallRowView";
import { FilterBar } from "./FilterBar";
import { Filters, toCallFilter, useCallFilters } from "./useCallFilters";
import { ReplayCalls } from "../forwarding/ReplayCalls";
import { ROW_HEIGHT, useCallPages } from "./useCallPages";
import { useShortcuts } from "./useShortcuts";

/**
 * The live call timeline: the overview's strip, filters, and every call in the store's
 * order, virtualized. `initialFilters` is where the overview's drill-down lands.
 */
export function CallsPage({
  mode,
  drawerOpen,
  onOpenCall,
  initialFilters,
  strip,
}: {
  mode: Mode | null;
  drawerOpen: boolean;
  onOpenCall: (callId: string) => void;
  initialFilters?: Filters;
  strip?: ReactNode;
}) {
  const { filters, query, set, reset, filtered } = useCallFilters(initialFilters);
  const scroller = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const { rows, next, pending, error, loadMore, seenTop } = useCallPages(filters, query, filtered, scroller);
  const [selected, setSelected] = useState(0);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    // A few rows beyond the screen: enough for a wheel's step; each one more is drawn anew
    // on every frame of a fast scroll.
    overscan: 4,
    // jsdom has no layout; real sizes replace this at once.
    initialRect: { width: 1200, height: 800 },
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (next && lastIndex >= rows.length - 30) loadMore();
  }, [lastIndex, next, rows.length, loadMore]);

  const move = useCallback(
    (by: 1 | -1) =>
      setSelected((s) => {
        const n = Math.max(0, Math.min(rows.length - 1, s + by));
        virtualizer.scrollToIndex(n);
        return n;
      }),
    [rows.length, virtualizer],
  );
  // When a row has the keyboard, it follows the selection (the row may be drawn a frame later).
  useEffect(() => {
    const list = scroller.current;
    if (!list || !list.contains(document.activeElement) || !rows[selected]) return;
    const frame = requestAnimationFrame(() => list.querySelector<HTMLElement>(`[data-call-id="${CSS.escape(rows[selected].callId)}"]`)?.focus());
    return () => cancelAnimationFrame(frame);
  }, [selected, rows]);
  // One function for every row (rows are memoized): it finds the row's place when clicked.
  const latest = useRef({ rows, onOpenCall });
  latest.current = { rows, onOpenCall };
  const openRow = useCallback((call: CallRow) => {
    const index = latest.current.rows.indexOf(call);
    if (index >= 0) setSelected(index);
    latest.current.onOpenCall(call.callId);
  }, []);
  const openSelected = useCallback(() => rows[selected] && onOpenCall(rows[selected].callId), [rows, selected, onOpenCall]);
  useShortcuts({ search, drawerOpen, rowCount: rows.length, resetFilters: reset, move, openSelected });

  const waiting = mode === "demo" ? "The first simulated calls are on their way…" : "Waiting for the first delivery…";
  return (
    <>
      {strip}
      <FilterBar filters={filters} set={set} search={search} />
      {/* The calls a filter shows, sent again to a forward target (this computer's own receiver only). */}
      {filtered && (mode === "account" || mode === "demo") && <ReplayCalls filter={() => toCallFilter(filters, query, Date.now())} />}
      {error && <div className="error banner">{error}</div>}
      {/* The pill floats over the top of the list, wherever the strip and filters end. */}
      <div className="list-area">
        {pending > 0 && (
          <button className="pill" onClick={() => scroller.current?.scrollTo({ top: 0 })} data-testid="new-calls">
            {pending} new call{pending === 1 ? "" : "s"} ↑
          </button>
        )}
        {/* data-loaded / data-complete: how much history is paged in, for tests and benchmarks. */}
        <div className="list" ref={scroller} onScroll={seenTop} data-testid="timeline" data-loaded={rows.length} data-complete={next ? "false" : "true"}>
          {rows.length === 0 ? (
            <div className="empty">{filtered ? "No calls match these filters." : waiting}</div>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
              {items.map((item) => (
                <div key={rows[item.index].callId} className="row-slot" style={{ transform: `translateY(${item.start}px)`, height: item.size }}>
                  <CallRowView
                    call={rows[item.index]}
                    selected={item.index === selected}
                    onOpen={openRow}
                  />
                </div>
              ))}
            </div>
          )}
        </div>
      </div>
    </>
  );
}
