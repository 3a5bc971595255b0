import { useCallback, useEffect, useState } from "react";
import type { AttemptView, TargetOverview } from "../ipc";
import { api, errorText } from "../ipc";
import { clock } from "../format";
import { ErrorLine } from "../Alert";
import { answerText, succeeded } from "./answer";

/** Every attempt, newest first, by target and outcome; a row opens its call. */
export function AttemptList({ targets, tick, onOpenCall }: { targets: TargetOverview[]; tick: number; onOpenCall: (callId: string) => void }) {
  const [target, setTarget] = useState("");
  const [outcome, setOutcome] = useState<"" | "ok" | "failed">("");
  const [rows, setRows] = useState<AttemptView[]>([]);
  const [more, setMore] = useState<AttemptView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const query = useCallback(
    (before: number | null) =>
      api.forwardAttempts({ target: target || null, failed: outcome === "" ? null : outcome === "failed", before }),
    [target, outcome],
  );
  useEffect(() => {
    query(null).then(setRows, (e) => setError(errorText(e)));
  }, [query, tick]);
  useEffect(() => setMore([]), [target, outcome]);
  const all = [...rows, ...more.filter((m) => !rows.some((r) => r.id === m.id))];
  return (
    <section className="settings-section wide" aria-labelledby="attempts-title">
      <div className="section-head">
        <h2 id="attempts-title">Attempts</h2>
        <span className="range">
          <select className="facet" aria-label="Target" value={target} onChange={(e) => setTarget(e.target.value)} data-testid="attempts-target">
            <option value="">Every target</option>
            {targets.map((t) => (
              <option key={t.url} value={t.url}>
                {t.name}
              </option>
            ))}
          </select>
          <select className="facet" aria-label="Outcome" value={outcome} onChange={(e) => setOutcome(e.target.value as typeof outcome)} data-testid="attempts-outcome">
            <option value="">Any answer</option>
            <option value="ok">Answered 2xx</option>
            <option value="failed">Failed</option>
          </select>
        </span>
      </div>
      <ErrorLine error={error} />
      {all.length === 0 ? (
        <p className="empty small">No attempt {target || outcome ? "matches" : "yet"}.</p>
      ) : (
        <table className="subscriptions" data-testid="attempts">
          <thead>
            <tr>
              <th>When</th>
              <th>Target</th>
              <th>Event</th>
              <th>Answer</th>
              <th>Call</th>
            </tr>
          </thead>
          <tbody>
            {all.map((a) => (
              <tr key={a.id} data-testid="attempt-row" data-call={a.callId ?? ""}>
                <td className="sub">{clock(new Date(a.atMs).toISOString())}</td>
                <td className="mono">{a.targetName}</td>
                <td className="mono">
                  {a.event ?? "—"} {a.attempt > 1 && <span className="badge late">#{a.attempt}</span>} {a.replay && <span className="badge caught">replay</span>}
                </td>
                <td className={succeeded(a) ? "ok-text" : "warn-text"}>{answerText(a)}</td>
                <td>
                  {a.callId ? (
                    <button className="link mono" onClick={() => onOpenCall(a.callId!)} data-testid="attempt-open-call">
                      {a.callId}
                    </button>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {all.length >= 100 && (
        <button className="more" onClick={() => query(all[all.length - 1].id).then((page) => setMore((m) => [...m, ...page]), (e) => setError(errorText(e)))}>
          Older attempts
        </button>
      )}
    </section>
  );
}
