import { ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { CallRow, Mode } from "../bindings";
import { CallRowView } from "./CallRowView";
import { FilterBar } from "./FilterBar";
import { Filters, toCallFilter, useCallFilters } from "./useCallFilters";
import { ReplayCalls } from "../forwarding/ReplayCalls";
import { ROW_HEIGHT, useCallPages } from "./useCallPages";
import { useShortcuts } from "./useShortcuts";

/** Rows read again on each side of the view when scrolling back: half a page. */
const FILL_AHEAD = 100;

/** A row scrolled back to whose call is being read again: its id, and still opens. */
function RowBeingRead({ callId, selected, onOpen }: { callId: string; selected: boolean; onOpen: (callId: string) => void }) {
  return (
    <div
      className={`call being-read ${selected ? "selected" : ""}`}
      data-testid="call-row-being-read"
      data-call-id={callId}
      aria-busy="true"
      role="button"
      tabIndex={selected ? 0 : -1}
      onClick={() => onOpen(callId)}
    >
      <span className="being-read-label">Reading…</span>
      <div className="id" title={callId}>
        {callId}
      </div>
    </div>
  );
}

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
  const { keys, rowAt, cached, next, pending, error, loadMore, fill, seenTop } = useCallPages(filters, query, filtered, scroller);
  const [selected, setSelected] = useState(0);

  const virtualizer = useVirtualizer({
    count: keys.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    // A few rows beyond the screen: enough for a wheel's step; each one more is drawn anew
    // on every frame of a fast scroll.
    overscan: 4,
    // jsdom has no layout; real sizes replace this at once.
    initialRect: { width: 1200, height: 800 },
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items.length ? items[0].index : 0;
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (next && lastIndex >= keys.length - 30) loadMore();
  }, [lastIndex, next, keys.length, loadMore]);
  // Rows scrolled back to after they were let go: read again, a little ahead of the view,
  // and looked for again whenever the kept rows change (`rowAt`): one page at a time.
  useEffect(() => fill(firstIndex - FILL_AHEAD, lastIndex + FILL_AHEAD), [firstIndex, lastIndex, rowAt, fill]);

  const move = useCallback(
    (by: 1 | -1) =>
      setSelected((s) => {
        const n = Math.max(0, Math.min(keys.length - 1, s + by));
        virtualizer.scrollToIndex(n);
        return n;
      }),
    [keys.length, virtualizer],
  );
  // When a row has the keyboard, it follows the selection (the row may be drawn a frame later).
  useEffect(() => {
    const list = scroller.current;
    if (!list || !list.contains(document.activeElement) || !keys[selected]) return;
    const frame = requestAnimationFrame(() => list.querySelector<HTMLElement>(`[data-call-id="${CSS.escape(keys[selected].callId)}"]`)?.focus());
    return () => cancelAnimationFrame(frame);
  }, [selected, keys]);
  // One function for every row (rows are memoized): it finds the row's place when clicked.
  const latest = useRef({ keys, onOpenCall });
  latest.current = { keys, onOpenCall };
  const openRow = useCallback((call: CallRow) => {
    const index = latest.current.keys.findIndex((k) => k.callId === call.callId);
    if (index >= 0) setSelected(index);
    latest.current.onOpenCall(call.callId);
  }, []);
  const openSelected = useCallback(() => keys[selected] && onOpenCall(keys[selected].callId), [keys, selected, onOpenCall]);
  useShortcuts({ search, drawerOpen, rowCount: keys.length, resetFilters: reset, move, openSelected });

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
        {/* data-loaded / data-complete: how much history is paged in; data-kept: how many
            rows are kept whole (rowCache.ts). For tests and benchmarks. */}
        <div
          className="list"
          ref={scroller}
          onScroll={seenTop}
          data-testid="timeline"
          data-loaded={keys.length}
          data-kept={cached}
          data-complete={next ? "false" : "true"}
        >
          {keys.length === 0 ? (
            <div className="empty">{filtered ? "No calls match these filters." : waiting}</div>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
              {items.map((item) => {
                const call = rowAt(item.index);
                const { callId } = keys[item.index];
                return (
                  <div key={callId} className="row-slot" style={{ transform: `translateY(${item.start}px)`, height: item.size }}>
                    {call ? (
                      <CallRowView call={call} selected={item.index === selected} onOpen={openRow} />
                    ) : (
                      <RowBeingRead callId={callId} selected={item.index === selected} onOpen={onOpenCall} />
                    )}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
    </>
  );
}
