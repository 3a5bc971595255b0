import type { Spread, SpreadStep } from "../bindings";
import { spanText } from "./range";

function stepText(step: SpreadStep): string {
  return step.toMs === null || step.toMs === undefined ? `${spanText(step.fromMs)}+` : `${spanText(step.fromMs)}–${spanText(step.toMs)}`;
}

/** A histogram with the steps that hold p50, p90 and p99 marked, counts on every bar. */
export function SpreadChart({ title, spread, testId, empty }: { title: string; spread: Spread; testId: string; empty: string }) {
  // Steps beyond the last with calls are left off, so that the bars are wide enough to read.
  const last = spread.steps.reduce((at, s, i) => (s.calls > 0 ? i : at), -1);
  const steps = spread.steps.slice(0, Math.max(last + 1, 1));
  const most = Math.max(1, ...steps.map((s) => s.calls));
  const marks: [string, SpreadStep | null | undefined][] = [
    ["p50", spread.p50],
    ["p90", spread.p90],
    ["p99", spread.p99],
  ];
  return (
    <section className="panel spread" data-testid={testId} data-count={spread.count}>
      <h3>
        {title} <span className="sub">{spread.count} calls</span>
      </h3>
      {spread.count === 0 ? (
        <p className="sub">{empty}</p>
      ) : (
        <>
          <div className="percentiles">
            {marks.map(([name, step]) => (
              <span key={name} data-testid={`${testId}-${name}`}>
                <b>{name}</b> {step ? stepText(step) : "—"}
              </span>
            ))}
          </div>
          <div className="histogram" role="img" aria-label={`${title}: ${steps.map((s) => `${stepText(s)} ${s.calls}`).join(", ")}`}>
            {steps.map((s) => {
              const tags = marks.filter(([, m]) => m?.fromMs === s.fromMs).map(([n]) => n);
              return (
                <div key={s.fromMs} className={`hist-col ${tags.length ? "marked" : ""}`} title={`${stepText(s)}: ${s.calls} calls`}>
                  <span className="hist-count">{s.calls || ""}</span>
                  <span className="hist-bar" style={{ height: `${(s.calls / most) * 100}%` }} />
                  <span className="hist-tag">{tags.join(" ")}</span>
                  <span className="hist-edge">{spanText(s.fromMs)}</span>
                </div>
              );
            })}
          </div>
        </>
      )}
    </section>
  );
}
