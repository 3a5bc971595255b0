import { CATEGORY_LABEL, failuresByCategory, useReasons } from "../reasons";
import type { Tally } from "../bindings";

/**
 * Failed calls by who or what ended them (Settings → Reasons), reasons with no entry apart;
 * a row opens the timeline at those failures.
 */
export function FailureCategories({ reasons, onOpen }: { reasons: Tally[]; onOpen?: (label: string, reasons: string[]) => void }) {
  const table = useReasons();
  const rows = failuresByCategory(table, reasons);
  const most = Math.max(1, ...rows.map((r) => r.failed));
  return (
    <section className="panel tallies" data-testid="overview-categories">
      <h3>Failures by what went wrong</h3>
      {rows.length === 0 ? (
        <p className="sub">No call failed in this range.</p>
      ) : (
        <ul>
          {rows.map((r) => {
            const label = r.category ? CATEGORY_LABEL[r.category] : "Not categorised";
            return (
              <li key={r.category ?? ""} data-key={r.category ?? ""} data-calls={r.failed}>
                <button
                  className={`tally-row category ${r.category ? "" : "uncategorised"}`}
                  title={`Open these ${r.failed} failed calls — reasons: ${r.reasons.join(", ")}${r.category ? "" : " (categorise them in Settings → Reasons)"}`}
                  onClick={() => onOpen?.(label, r.reasons)}
                >
                  <span className="tally-label">{label}</span>
                  <span className="tally-track">
                    <span className="tally-failed" style={{ width: `${(r.failed / most) * 100}%` }} />
                  </span>
                  <span className="tally-count" data-testid="tally-count">
                    {r.failed}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
