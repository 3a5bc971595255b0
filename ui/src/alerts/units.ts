// A rule's value in its unit, as the engine writes it in notices: "31.3%", "9.5 s", "14".
import type { AlertRule, Metric } from "../ipc";

export function isPercent(metric: Metric): boolean {
  return metric.kind === "failureRate" || metric.kind === "reasonShare";
}

export function isSeconds(metric: Metric): boolean {
  return metric.kind === "durationP90" || metric.kind === "waitP90";
}

export function formatValue(metric: Metric, value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  const rounded = Math.round(value * 10) / 10;
  // Never "-0".
  const text = (Object.is(rounded, -0) ? 0 : rounded).toLocaleString("en", { maximumFractionDigits: 1 });
  if (isPercent(metric)) return `${text}%`;
  if (isSeconds(metric)) return `${text} s`;
  return text;
}

export const METRICS: { kind: Metric["kind"]; label: string; unit: string }[] = [
  { kind: "failureRate", label: "Failure rate", unit: "%" },
  { kind: "failedCalls", label: "Failed calls", unit: "calls" },
  { kind: "callsStarted", label: "Calls started", unit: "calls" },
  { kind: "reasonCount", label: "Calls ended with a reason", unit: "calls" },
  { kind: "reasonShare", label: "Share ended with a reason", unit: "%" },
  { kind: "durationP90", label: "Call duration p90", unit: "s" },
  { kind: "waitP90", label: "Wait to connect p90", unit: "s" },
  { kind: "inProgress", label: "Calls in progress", unit: "calls" },
  { kind: "rejectedDeliveries", label: "Rejected deliveries", unit: "requests" },
  { kind: "silence", label: "Silence (no delivery)", unit: "" },
];

/** Counted over all calls only: no agent scope. */
export function allCallsOnly(metric: Metric): boolean {
  return ["durationP90", "waitP90", "rejectedDeliveries", "silence"].includes(metric.kind);
}

export function thresholdText(rule: AlertRule): string {
  if (rule.metric.kind === "silence") return "no delivery";
  return `${rule.condition.op === "above" ? ">" : "<"} ${formatValue(rule.metric, rule.condition.threshold)}`;
}

/** "15 min", "2 h", "1 h 30 min". */
export function minutesText(total: number): string {
  const h = Math.floor(total / 60);
  const m = total % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
