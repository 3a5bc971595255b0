// The timeline's filters as one typed object, with a reset and the query the store runs.
import { useEffect, useMemo, useState } from "react";
import type { CallFilter, CallPhase, MetadataMatch, Order } from "../bindings";
import { RangePreset, rangeFor } from "../format";

export type Filters = {
  phase: CallPhase | null;
  agent: string;
  direction: string;
  reason: string;
  language: string;
  /** One metadata field's value (an alert rule's firing narrowed by it opens the timeline so). */
  metadata: MetadataMatch | null;
  /** Several reasons at once: a category of the overview's failures by what went wrong. */
  reasonGroup: { label: string; reasons: string[] } | null;
  /** What is typed in the search box; the query follows it after a pause. */
  text: string;
  rangePreset: RangePreset;
  customRange: { from: string; to: string };
  order: Order;
};

export const NO_FILTERS: Filters = {
  phase: null,
  agent: "",
  direction: "",
  reason: "",
  language: "",
  metadata: null,
  reasonGroup: null,
  text: "",
  rangePreset: "",
  customRange: { from: "", to: "" },
  order: "newestFirst",
};

const one = (v: string) => (v ? [v] : []);

/** The store's filter for `filters` at `now` (a relative range counts back from it). */
export function toCallFilter(filters: Filters, query: string, now: number): CallFilter {
  return {
    phases: filters.phase ? [filters.phase] : [],
    agents: one(filters.agent),
    directions: one(filters.direction),
    endedReasons: filters.reason ? [filters.reason] : (filters.reasonGroup?.reasons ?? []),
    languages: one(filters.language),
    metadata: filters.metadata,
    text: query.trim() || null,
    range: rangeFor(filters.rangePreset, filters.customRange, now),
  };
}

/** True when anything but the sort order narrows the list. */
export function isFiltered(filters: Filters): boolean {
  const { order: _order, customRange: _custom, ...rest } = filters;
  return Object.entries(rest).some(([, v]) => v !== null && v !== "");
}

/** `initial`: what the timeline opens with (the overview's drill-down), else no filter. */
export function useCallFilters(initial: Filters = NO_FILTERS) {
  const [filters, setFilters] = useState<Filters>(initial);
  // The search runs in SQLite, not in the browser: debounce the box.
  const [query, setQuery] = useState(initial.text);
  useEffect(() => {
    const t = window.setTimeout(() => setQuery(filters.text), 250);
    return () => window.clearTimeout(t);
  }, [filters.text]);
  const set = useMemo(
    () =>
      <K extends keyof Filters>(key: K, value: Filters[K]) =>
        setFilters((f) => ({ ...f, [key]: value })),
    [],
  );
  /** Clears every filter; the sort order stays. */
  const reset = useMemo(() => () => setFilters((f) => ({ ...NO_FILTERS, order: f.order })), []);
  return { filters, query, set, reset, filtered: isFiltered({ ...filters, text: query.trim() }) };
}
