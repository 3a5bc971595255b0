import type { Overview } from "../bindings";
import { percent } from "./range";

/** The failure rate's change against the period before, in percentage points. */
export function rateChange(o: Overview): { text: string; worse: boolean; points: number } | null {
  return pointsChange(o.failureRate, o.previousFailureRate);
}

/** A rate's change against an earlier one, in percentage points; none without both. */
export function pointsChange(rate: number | null | undefined, before: number | null | undefined): { text: string; worse: boolean; points: number } | null {
  if (rate === null || rate === undefined || before === null || before === undefined) return null;
  // Rounded to what is shown before the sign is chosen: a change of −0.01 pts is "±0.0", never "−0.0".
  const points = Math.round((rate - before) * 1000) / 10;
  const sign = points > 0 ? "+" : points < 0 ? "−" : "±";
  return { text: `${sign}${Math.abs(points).toFixed(1)} pts`, worse: points > 0, points };
}

/** Calls, completed, failed, in progress and the failure rate, big. */
export function Totals({ overview, compact = false }: { overview: Overview; compact?: boolean }) {
  const t = overview.totals;
  const change = rateChange(overview);
  return (
    <div className={`totals ${compact ? "compact" : ""}`}>
      <Stat label="Calls" value={t.calls.toLocaleString()} id="overview-total" />
      <Stat label="Completed" value={t.completed.toLocaleString()} id="overview-completed" tone="ok" />
      <Stat label="Failed" value={t.failed.toLocaleString()} id="overview-failed" tone={t.failed ? "bad" : undefined} />
      {!compact && <Stat label="In progress" value={t.inProgress.toLocaleString()} id="overview-in-progress" />}
      <div className="stat">
        <span className="stat-value" data-testid="overview-failure-rate">
          {percent(overview.failureRate)}
        </span>
        <span className="stat-label">
          Failure rate{" "}
          {change ? (
            <span className={change.worse ? "delta worse" : "delta"} data-testid="overview-rate-change" title={`The period before: ${percent(overview.previousFailureRate)}`}>
              {change.text} vs before
            </span>
          ) : (
            <span className="sub">(nothing to compare)</span>
          )}
        </span>
      </div>
    </div>
  );
}

function Stat({ label, value, id, tone }: { label: string; value: string; id: string; tone?: "ok" | "bad" }) {
  return (
    <div className={`stat ${tone ?? ""}`}>
      <span className="stat-value" data-testid={id}>
        {value}
      </span>
      <span className="stat-label">{label}</span>
    </div>
  );
}
