import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { api, AppStatus, CallCursor, CallFilter, CallRow, errorText, Facets, Order } from "./ipc";
import { CallRowView } from "./CallRowView";
import { StatusBar } from "./StatusBar";
import { CallDetails } from "./CallDetails";
import { Rejections } from "./Rejections";
import { FacetSelect } from "./FacetSelect";
import { KeyMenu } from "./KeyMenu";
import { ReceiverProblem } from "./ReceiverProblem";
import { TimeRangeSelect } from "./TimeRangeSelect";
import { RangePreset, rangeFor } from "./format";

const PAGE = 200;
const STATES = ["started", "connected", "completed", "failed"] as const;

export function Timeline({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [rows, setRows] = useState<CallRow[]>([]);
  const [next, setNext] = useState<CallCursor | null>(null);
  const [order, setOrder] = useState<Order>("newestFirst");
  const [stateFilter, setStateFilter] = useState<string>("");
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [pending, setPending] = useState(0);
  const [selected, setSelected] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [feedTick, setFeedTick] = useState(0);
  const [opened, setOpened] = useState<string | null>(null);
  const [listing, setListing] = useState<null | "rejected" | "quarantined">(null);
  const [facets, setFacets] = useState<Facets>({ agents: [], directions: [], endedReasons: [], languages: [] });
  const [agent, setAgent] = useState("");
  const [direction, setDirection] = useState("");
  const [reason, setReason] = useState("");
  const [language, setLanguage] = useState("");
  const [rangePreset, setRangePreset] = useState<RangePreset>("");
  const [customRange, setCustomRange] = useState({ from: "", to: "" });
  const loadFacets = useCallback(() => {
    api.facets().then((f) => f && setFacets(f), () => undefined);
  }, []);
  useEffect(loadFacets, [loadFacets]);
  const scroller = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const loadingMore = useRef(false);

  const one = (v: string) => (v ? [v] : []);
  const filter: Omit<CallFilter, "range"> = useMemo(
    () => ({
      states: one(stateFilter),
      agents: one(agent),
      directions: one(direction),
      endedReasons: one(reason),
      languages: one(language),
      text: query.trim() || null,
    }),
    [stateFilter, agent, direction, reason, language, query],
  );
  // A relative range ("last hour") is counted from each reload, so it rolls forward as the
  // feed brings calls; the pages that follow keep the first page's range (keyset paging
  // needs one fixed filter).
  const paged = useRef<CallFilter>({ ...filter, range: {} });
  const filtered = Boolean(stateFilter || agent || direction || reason || language || rangePreset || query.trim());

  const reload = useCallback(async () => {
    try {
      const current = { ...filter, range: rangeFor(rangePreset, customRange, Date.now()) };
      paged.current = current;
      const page = await api.callsPage(current, { order, limit: PAGE });
      setRows(page.items);
      setNext(page.next);
      setPending(0);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [filter, order, rangePreset, customRange]);

  useEffect(() => {
    reload();
  }, [reload]);

  // Debounce the search box: the query runs in SQLite, not in the browser.
  useEffect(() => {
    const t = window.setTimeout(() => setQuery(text), 250);
    return () => window.clearTimeout(t);
  }, [text]);

  // The live feed: calls already on screen update in place; new ones go on top, or into
  // the "new calls" pill when the user has scrolled away.
  const live = useRef({ filtered, order, reload });
  live.current = { filtered, order, reload };
  useEffect(() => {
    let refetch: number | undefined;
    api
      .subscribeFeed((batch) => {
        setFeedTick((t) => t + 1);
        const calls = new Map<string, CallRow>();
        for (const item of batch.items) if (item.kind === "event" && item.call) calls.set(item.call.callId, item.call);
        if (batch.resync || live.current.filtered || live.current.order !== "newestFirst") {
          window.clearTimeout(refetch);
          refetch = window.setTimeout(() => live.current.reload(), 300);
          return;
        }
        if (calls.size === 0) return;
        setRows((current) => {
          const index = new Map(current.map((r, i) => [r.callId, i]));
          const updated = current.slice();
          const fresh: CallRow[] = [];
          for (const call of calls.values()) {
            const at = index.get(call.callId);
            if (at !== undefined) updated[at] = call;
            else fresh.push(call);
          }
          if (fresh.length === 0) return updated;
          const atTop = (scroller.current?.scrollTop ?? 0) < 8;
          if (!atTop) {
            setPending((p) => p + fresh.length);
            return updated;
          }
          fresh.sort((a, b) => b.firstOccurredAt.localeCompare(a.firstOccurredAt));
          return [...fresh, ...updated];
        });
      })
      .catch((e) => setError(errorText(e)));
    return () => window.clearTimeout(refetch);
  }, []);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    overscan: 12,
    // jsdom has no layout; real sizes replace this at once.
    initialRect: { width: 1200, height: 800 },
  });

  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (!next || loadingMore.current || lastIndex < rows.length - 30) return;
    loadingMore.current = true;
    api
      .callsPage(paged.current, { order, after: next, limit: PAGE })
      .then((page) => {
        setRows((r) => [...r, ...page.items]);
        setNext(page.next);
      })
      .catch((e) => setError(errorText(e)))
      .finally(() => (loadingMore.current = false));
  }, [lastIndex, next, rows.length, order]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      // Shortcuts only while no field has the keyboard: "/" is part of a URL too.
      const typing = isField(document.activeElement);
      if (e.key === "/" && !typing) {
        e.preventDefault();
        search.current?.focus();
      } else if (e.key === "Escape") {
        if (typing) (document.activeElement as HTMLElement).blur();
        else if (opened) setOpened(null);
        else if (listing) setListing(null);
        else {
          setText("");
          setStateFilter("");
          setAgent("");
          setDirection("");
          setReason("");
          setLanguage("");
          setRangePreset("");
        }
      } else if (e.key === "Enter" && !typing && rows[selected]) {
        setOpened(rows[selected].callId);
      } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && !typing) {
        e.preventDefault();
        setSelected((s) => {
          const n = Math.max(0, Math.min(rows.length - 1, s + (e.key === "ArrowDown" ? 1 : -1)));
          virtualizer.scrollToIndex(n);
          return n;
        });
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rows, selected, opened, listing, virtualizer]);

  async function leaveDemo() {
    onStatus(await api.leaveDemo());
  }

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand small">
          <span className="logo" aria-hidden>◆</span>
          <span>Calleague Monitor</span>
        </div>
        {status.mode === "demo" && (
          <span className="demo-badge" data-testid="demo-badge">
            Demo — simulated calls
            <button className="link light" onClick={leaveDemo}>
              Leave demo
            </button>
          </span>
        )}
        {status.mode === "account" && status.keyMasked && <KeyMenu status={status} onStatus={onStatus} />}
      </header>
      <ReceiverProblem status={status} onStatus={onStatus} />
      <div className="filters">
        <input
          ref={search}
          className="search"
          data-testid="search"
          placeholder="Search call id or metadata  ( / )"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <div className="segmented" role="group" aria-label="State">
          <button className={stateFilter === "" ? "on" : ""} onClick={() => setStateFilter("")}>
            All
          </button>
          {STATES.map((s) => (
            <button key={s} className={stateFilter === s ? `on ${s}` : s} onClick={() => setStateFilter(s)} data-testid={`filter-${s}`}>
              {s[0].toUpperCase() + s.slice(1)}
            </button>
          ))}
        </div>
        <div className="selects" onFocus={loadFacets}>
          <FacetSelect label="Agent" value={agent} options={facets.agents} onChange={setAgent} />
          <FacetSelect label="Direction" value={direction} options={facets.directions} onChange={setDirection} />
          <FacetSelect label="Reason" value={reason} options={facets.endedReasons} onChange={setReason} />
          <FacetSelect label="Language" value={language} options={facets.languages} onChange={setLanguage} />
          <TimeRangeSelect
            preset={rangePreset}
            custom={customRange}
            onPreset={setRangePreset}
            onCustom={setCustomRange}
          />
        </div>
        <button className="sort" onClick={() => setOrder(order === "newestFirst" ? "oldestFirst" : "newestFirst")}>
          {order === "newestFirst" ? "Newest first ↓" : "Oldest first ↑"}
        </button>
      </div>
      {error && <div className="error banner">{error}</div>}
      {pending > 0 && (
        <button
          className="pill"
          onClick={() => {
            scroller.current?.scrollTo({ top: 0 });
            reload();
          }}
        >
          {pending} new call{pending === 1 ? "" : "s"} ↑
        </button>
      )}
      {/* data-loaded / data-complete: how much history is paged in, for tests and benchmarks. */}
      <div className="list" ref={scroller} data-testid="timeline" data-loaded={rows.length} data-complete={next ? "false" : "true"}>
        {rows.length === 0 ? (
          <div className="empty">
            {filtered ? "No calls match these filters." : status.mode === "demo" ? "The first simulated calls are on their way…" : "Waiting for the first delivery…"}
          </div>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {items.map((item) => (
              <div
                key={rows[item.index].callId}
                className="row-slot"
                style={{ transform: `translateY(${item.start}px)`, height: item.size }}
              >
                <CallRowView
                  call={rows[item.index]}
                  selected={item.index === selected}
                  onOpen={() => {
                    setSelected(item.index);
                    setOpened(rows[item.index].callId);
                  }}
                />
              </div>
            ))}
          </div>
        )}
      </div>
      {opened && <CallDetails callId={opened} receiverUrl={status.receiverUrl} onClose={() => setOpened(null)} />}
      {listing && <Rejections kind={listing} onClose={() => setListing(null)} />}
      <StatusBar status={status} tick={feedTick} onShow={setListing} onStatus={onStatus} />
    </div>
  );
}

function isField(element: Element | null): boolean {
  if (!element) return false;
  return element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement || (element as HTMLElement).isContentEditable;
}
