// The overview's time range: a preset counting back from now, or two local date-times.
// The store works in whole minutes; so does everything here.
import { NO_FILTERS, type Filters } from "../calls/useCallFilters";
import type { CallPhase, MetadataMatch } from "../bindings";
import type { RangePreset } from "../format";

/** The timeline's presets the overview offers: a range with an end, never "any time". */
export type OverviewPreset = Extract<RangePreset, "1h" | "24h" | "7d" | "custom">;
export type OverviewRange = { preset: OverviewPreset; custom: { from: string; to: string } };

export const PRESETS: [OverviewPreset, string][] = [
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["custom", "Custom…"],
];
const SPAN_MS: Record<Exclude<OverviewPreset, "custom">, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };
const MINUTE = 60_000;

export const DEFAULT_RANGE: OverviewRange = { preset: "24h", custom: { from: "", to: "" } };

/**
 * `[fromMs, toMs)` for `range` at `now`, or why it cannot be read. A preset ends with the
 * current minute included, so the newest calls count.
 */
export function rangeMs(range: OverviewRange, now: number): { fromMs: number; toMs: number } | { problem: string } {
  if (range.preset !== "custom") {
    const toMs = Math.floor(now / MINUTE) * MINUTE + MINUTE;
    return { fromMs: toMs - SPAN_MS[range.preset], toMs };
  }
  const from = range.custom.from ? new Date(range.custom.from).getTime() : NaN;
  const to = range.custom.to ? new Date(range.custom.to).getTime() : NaN;
  if (Number.isNaN(from) || Number.isNaN(to)) return { problem: "Choose when the range starts and ends." };
  if (to - from < MINUTE) return { problem: "The range must end at least a minute after it starts." };
  return { fromMs: from, toMs: to };
}

/** A `datetime-local` value (local wall-clock time, to the minute) for an instant. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** What a click on the overview opens: the timeline, filtered to exactly the calls counted. */
export type Drill = {
  fromMs: number;
  toMs: number;
  reason?: string;
  agent?: string;
  direction?: string;
  language?: string;
  metadata?: MetadataMatch;
  /** A category's reasons (the overview's failures by what went wrong). */
  reasonGroup?: { label: string; reasons: string[] };
  phase?: CallPhase;
};

export function drillFilters(drill: Drill): Filters {
  return {
    ...NO_FILTERS,
    rangePreset: "custom",
    customRange: { from: localInput(drill.fromMs), to: localInput(drill.toMs) },
    reason: drill.reason ?? "",
    agent: drill.agent ?? "",
    direction: drill.direction ?? "",
    language: drill.language ?? "",
    metadata: drill.metadata ?? null,
    reasonGroup: drill.reasonGroup ?? null,
    phase: drill.phase ?? null,
  };
}

const STORAGE = "calleague.overview";

export type OverviewPrefs = { range: OverviewRange; stripOpen: boolean };

export function loadPrefs(): OverviewPrefs {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORAGE) ?? "null") as Partial<OverviewPrefs> | null;
    const preset = saved?.range?.preset;
    return {
      range: preset && PRESETS.some(([p]) => p === preset) ? { ...DEFAULT_RANGE, ...saved!.range! } : DEFAULT_RANGE,
      stripOpen: saved?.stripOpen ?? true,
    };
  } catch {
    return { range: DEFAULT_RANGE, stripOpen: true };
  }
}

export function savePrefs(prefs: OverviewPrefs) {
  try {
    window.localStorage.setItem(STORAGE, JSON.stringify(prefs));
  } catch {
    // A full or disabled storage only forgets the choice.
  }
}

/** "1m 30s", "250 ms", "2 h": a histogram edge in words. */
export function spanText(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s ? `${m}m ${s}s` : `${m} min`;
  }
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

/** "12.5%" */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}
