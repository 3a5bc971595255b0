// Small formatting helpers, pure so they can be tested alone.

export function duration(sec: number | undefined): string {
  if (sec === undefined || sec === null || !Number.isFinite(sec)) return "—";
  const s = Math.round(sec);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(s % 60).padStart(2, "0")}` : `0:${String(s).padStart(2, "0")}`;
}

export function clock(iso: string | undefined | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function day(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleDateString([], { month: "short", day: "numeric" });
}

/** The metadata's top-level entries as "key: value" text (never HTML). */
export function metadataEntries(metadata: unknown): [string, string][] {
  if (!metadata || typeof metadata !== "object" || Array.isArray(metadata)) {
    return metadata === undefined || metadata === null ? [] : [["value", String(JSON.stringify(metadata))]];
  }
  return Object.entries(metadata as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}

export function startOfToday(): number {
  return startOfDay(Date.now());
}

export type RangePreset = "" | "15m" | "1h" | "24h" | "7d" | "today" | "custom";
export type TimeRange = { from?: string; to?: string };

const SPAN_MS: Record<string, number> = { "15m": 15 * 60_000, "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };

/**
 * The `occurredAt` range a preset stands for at `now`, as UTC instants. A custom range comes
 * from two `datetime-local` values, which are local wall-clock times; either may be empty.
 */
export function rangeFor(preset: RangePreset, custom: { from: string; to: string }, now: number): TimeRange {
  if (preset === "") return {};
  if (preset === "today") return { from: new Date(startOfDay(now)).toISOString() };
  if (preset === "custom") {
    const at = (local: string) => {
      const ms = local ? new Date(local).getTime() : NaN;
      return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
    };
    return { from: at(custom.from), to: at(custom.to) };
  }
  return { from: new Date(now - SPAN_MS[preset]).toISOString() };
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
