// The Agents page's columns: what each sorts by, and how a percentile is written small.
import type { AgentSummary, SpreadStep } from "../bindings";
import { spanText } from "../overview/range";

export type SortKey =
  | "agent"
  | "calls"
  | "completed"
  | "failed"
  | "rate"
  | "change"
  | "durationP50"
  | "durationP90"
  | "waitP50"
  | "waitP90";
export type Sort = { key: SortKey; descending: boolean };

export const DEFAULT_SORT: Sort = { key: "calls", descending: true };

/** A row's value for a sort key; none sorts last whichever the direction. */
export function sortValue(row: AgentSummary, key: SortKey, label: (id: string | null | undefined) => string): number | string | null {
  switch (key) {
    case "agent":
      return row.agentId === null || row.agentId === undefined ? null : label(row.agentId).toLocaleLowerCase();
    case "calls":
      return row.calls;
    case "completed":
      return row.completed;
    case "failed":
      return row.failed;
    case "rate":
      return row.failureRate ?? null;
    case "change":
      return row.failureRate === null || row.failureRate === undefined || row.previousFailureRate === null || row.previousFailureRate === undefined
        ? null
        : row.failureRate - row.previousFailureRate;
    case "durationP50":
      return row.duration.p50?.fromMs ?? null;
    case "durationP90":
      return row.duration.p90?.fromMs ?? null;
    case "waitP50":
      return row.wait.p50?.fromMs ?? null;
    case "waitP90":
      return row.wait.p90?.fromMs ?? null;
  }
}

/** The rows in `sort`'s order; ties by most calls, then by id, so the order is stable. */
export function sortRows(rows: AgentSummary[], sort: Sort, label: (id: string | null | undefined) => string): AgentSummary[] {
  const keyed = rows.map((row) => ({ row, value: sortValue(row, sort.key, label) }));
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value !== b.value) return a.value === null ? 1 : -1;
    } else if (a.value !== b.value) {
      const order = typeof a.value === "string" ? a.value.localeCompare(b.value as string) : (a.value as number) - (b.value as number);
      return sort.descending ? -order : order;
    }
    return b.row.calls - a.row.calls || (a.row.agentId ?? "~").localeCompare(b.row.agentId ?? "~");
  });
  return keyed.map((k) => k.row);
}

/** A percentile as the upper edge of its step, "≤45 s" (the last step "≥1 h"). */
export function percentileText(step: SpreadStep | null | undefined): string {
  if (!step) return "—";
  return step.toMs === null || step.toMs === undefined ? `≥${spanText(step.fromMs)}` : `≤${spanText(step.toMs)}`;
}

/** The step in full, for a tooltip: "between 30 s and 45 s". */
export function percentileTitle(name: string, step: SpreadStep | null | undefined): string {
  if (!step) return `${name}: no call measured`;
  return step.toMs === null || step.toMs === undefined
    ? `${name}: ${spanText(step.fromMs)} or more`
    : `${name}: between ${spanText(step.fromMs)} and ${spanText(step.toMs)}`;
}
