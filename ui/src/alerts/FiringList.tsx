// Every firing, newest first: when, which rule, its value and worst, how long, and a link
// to the calls behind it.
import { useEffect, useState } from "react";
import type { AlertRule, FiringRow } from "../ipc";
import { api, errorText } from "../ipc";
import { ErrorLine } from "../Alert";
import { clock } from "../format";
import type { Drill } from "../overview/range";
import { firingDrill, opensCalls } from "./drill";
import { formatValue, minutesText } from "./units";

export function FiringList({
  rules,
  tick,
  onDrill,
  onRejected,
}: {
  rules: AlertRule[];
  tick: number;
  onDrill: (drill: Drill) => void;
  onRejected: () => void;
}) {
  const [firings, setFirings] = useState<FiringRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.alertFirings(null, 100).then(
      (f) => {
        setFirings(f);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [tick]);

  return (
    <section className="settings-section wide" aria-labelledby="firings-title">
      <h2 id="firings-title">Firings</h2>
      <ErrorLine error={error} />
      {firings && firings.length === 0 && <p className="empty small">No rule has fired.</p>}
      {firings && firings.length > 0 && (
        <table className="subscriptions" data-testid="alert-firings">
          <thead>
            <tr>
              <th>Started</th>
              <th>Rule</th>
              <th>When it fired (worst)</th>
              <th>Lasted</th>
              <th>
                <span className="visually-hidden">Calls</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {firings.map((f) => {
              const rule = rules.find((r) => r.id === f.ruleId);
              const metric = rule?.metric ?? { kind: "failedCalls" as const };
              const lasted = f.resolvedMs ? minutesText(Math.round((f.resolvedMs - f.startedMs) / 60_000)) : "firing now";
              return (
                <tr key={f.id} data-testid={`firing-${f.id}`} className={f.resolvedMs ? "" : "firing"}>
                  <td>{clock(new Date(f.startedMs).toISOString())}</td>
                  <td>
                    <span className={`severity ${f.severity}`}>{f.ruleName}</span>
                    {!f.notified && <span className="sub" title="Within the rule's cooldown: kept, not notified"> (quiet)</span>}
                  </td>
                  <td>
                    {formatValue(metric, f.value)} ({formatValue(metric, f.peak)})
                  </td>
                  <td className={f.resolvedMs ? "" : "warn"}>{lasted}</td>
                  <td>
                    {opensCalls(rule) ? (
                      <button className="link" onClick={() => onDrill(firingDrill(f, rule))} data-testid={`firing-${f.id}-calls`}>
                        Show calls
                      </button>
                    ) : (
                      <button className="link" onClick={onRejected} data-testid={`firing-${f.id}-rejected`}>
                        Show refusals
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
