// The Forwarding page: each target's health, what it gave up on, a replay of its failures
// with progress, a made-up delivery, and every attempt (each opening its call).
import { useCallback, useEffect, useState } from "react";
import type { AttemptView, ForwardingOverview, ReplayProgressView, TargetOverview } from "../ipc";
import { api, errorText } from "../ipc";
import { clock } from "../format";
import { ErrorLine } from "../Alert";
import { useFeedTick } from "../feed";
import { TriggerForm } from "./TriggerForm";
import { answerText } from "./answer";
import { ReplayProgress } from "./ReplayProgress";

const SINCE = [
  ["1h", "the last hour", 3_600_000],
  ["24h", "the last 24 hours", 86_400_000],
  ["7d", "the last 7 days", 7 * 86_400_000],
] as const;

export function ForwardingPage({ onOpenCall, onSettings }: { onOpenCall: (callId: string) => void; onSettings: () => void }) {
  const [overview, setOverview] = useState<ForwardingOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tick = useFeedTick(1000);
  const [again, setAgain] = useState(0);
  useEffect(() => {
    api.forwardingOverview().then(
      (o) => {
        setOverview(o);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [tick, again]);
  // Health moves with time too (retries, a target coming back): every few seconds.
  useEffect(() => {
    const timer = window.setInterval(() => setAgain((n) => n + 1), 3000);
    return () => window.clearInterval(timer);
  }, []);

  return (
    <main className="settings-page" data-testid="forwarding-page">
      <section className="settings-section wide" aria-labelledby="targets-title">
        <div className="section-head">
          <h2 id="targets-title">Forwarding</h2>
          <button className="small-button" onClick={onSettings} data-testid="forwarding-settings-link">
            Targets in Settings…
          </button>
        </div>
        <ErrorLine error={error} />
        {overview?.unavailable && <p className="sub">{overview.unavailable}</p>}
        {overview && overview.targets.length === 0 && !overview.unavailable && (
          <p className="empty small" data-testid="no-forward-targets">
            No target yet. Add your handler's address in Settings → Forwarding, e.g. http://localhost:3000/webhooks.
          </p>
        )}
        {overview && overview.targets.length > 0 && (
          <table className="subscriptions" data-testid="forward-targets">
            <thead>
              <tr>
                <th>Target</th>
                <th>Last answer</th>
                <th>Last hour</th>
                <th>Latency p50 / p99</th>
                <th>Owed</th>
              </tr>
            </thead>
            <tbody>
              {overview.targets.map((t) => (
                <TargetRow key={t.url} target={t} onChanged={() => setAgain((n) => n + 1)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {overview && !overview.unavailable && <TriggerForm targets={overview.targets.map((t) => t.url)} />}
      <Attempts targets={overview?.targets ?? []} tick={tick + again} onOpenCall={onOpenCall} />
    </main>
  );
}

function TargetRow({ target: t, onChanged }: { target: TargetOverview; onChanged: () => void }) {
  const [since, setSince] = useState<(typeof SINCE)[number][0]>("24h");
  const [what, setWhat] = useState<"failures" | "received">("failures");
  const [progress, setProgress] = useState<ReplayProgressView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = progress !== null && !progress.done;

  async function replayFailures() {
    setError(null);
    const span = SINCE.find(([key]) => key === since)![2];
    setProgress({ total: 0, sent: 0, answered: 0, failed: 0, cancelled: false, done: false });
    const now = Date.now();
    try {
      const done = await api.replayMany(
        what === "failures"
          ? { kind: "failures", to: t.url, sinceMs: now - span }
          : { kind: "received", to: t.url, fromMs: now - span, toMs: now + 1, events: t.events },
        setProgress,
      );
      // The answer is the last word (the channel's last message may come after it).
      setProgress(done);
    } catch (e) {
      setError(errorText(e));
      setProgress(null);
    }
    onChanged();
  }

  return (
    <>
      <tr data-testid="forward-target" data-url={t.url}>
        <td className="url-cell">
          <span className={`led ${t.down ? "down" : t.last && !ok(t.last) ? "warn" : "up"}`} /> <span className="mono">{t.url}</span>
          <div className="sub">
            {t.events.length ? t.events.join(", ") : "every event"}
            {!t.enabled && " · off"}
            {t.down && " · not answering: retrying with a growing wait"}
          </div>
        </td>
        <td data-testid="target-last">{t.last ? `${answerText(t.last)} · ${clock(new Date(t.last.atMs).toISOString())}` : "—"}</td>
        <td>
          {t.attemptsLastHour} sent{t.failuresLastHour > 0 && <span className="warn-text"> · {t.failuresLastHour} failed</span>}
        </td>
        <td>{t.p50Ms === null ? "—" : `${t.p50Ms} / ${t.p99Ms} ms`}</td>
        <td data-testid="target-owed">
          {t.owed} retrying{t.givenUp > 0 && <span className="warn-text"> · {t.givenUp} given up</span>}
        </td>
      </tr>
      {/* Its actions on a line of their own under it: the numbers keep their room. */}
      <tr className="target-actions">
        <td colSpan={5}>
          {t.givenUp > 0 && (
            <button
              className="link"
              onClick={() => api.retryGivenUp(t.url).then(onChanged, (e) => setError(errorText(e)))}
              data-testid="retry-given-up"
            >
              Retry the {t.givenUp} given up
            </button>
          )}
          <div className="replay-failures">
            <select className="facet" aria-label="What to replay" value={what} onChange={(e) => setWhat(e.target.value as typeof what)} disabled={running} data-testid="replay-what">
              <option value="failures">Replay its failures</option>
              <option value="received">Replay everything received</option>
            </select>
            <label className="sub" htmlFor={`since-${t.url}`}>
              of
            </label>
            <select id={`since-${t.url}`} className="facet" value={since} onChange={(e) => setSince(e.target.value as typeof since)} disabled={running} data-testid="replay-since">
              {SINCE.map(([key, text]) => (
                <option key={key} value={key}>
                  {text}
                </option>
              ))}
            </select>
            {running ? (
              <button className="link danger" onClick={() => api.cancelReplay()} data-testid="replay-cancel">
                Cancel
              </button>
            ) : (
              <button className="link" onClick={replayFailures} data-testid="replay-failures">
                Replay
              </button>
            )}
          </div>
          {progress && <ReplayProgress progress={progress} testId="replay-progress" />}
          <ErrorLine error={error} />
        </td>
      </tr>
    </>
  );
}

const ok = (a: AttemptView) => a.status !== null && a.status >= 200 && a.status < 300;

/** Every attempt, newest first, by target and outcome; a row opens its call. */
function Attempts({ targets, tick, onOpenCall }: { targets: TargetOverview[]; tick: number; onOpenCall: (callId: string) => void }) {
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
                <td className={ok(a) ? "ok-text" : "warn-text"}>{answerText(a)}</td>
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
