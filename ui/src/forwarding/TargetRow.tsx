import { LongText } from "../LongText";
import { useState } from "react";
import type { ReplayProgressView, TargetOverview } from "../ipc";
import { api, errorText } from "../ipc";
import { clock } from "../format";
import { ErrorLine } from "../Alert";
import { answerText, succeeded } from "./answer";
import { ReplayProgress } from "./ReplayProgress";

const SINCE = [
  ["1h", "the last hour", 3_600_000],
  ["24h", "the last 24 hours", 86_400_000],
  ["7d", "the last 7 days", 7 * 86_400_000],
] as const;

/** One target on the Forwarding page: its health on one line, its actions (retry what it
 * gave up on, replay its failures or everything received, with progress) on the next. */
export function TargetRow({ target: t, onChanged }: { target: TargetOverview; onChanged: () => void }) {
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
          <span className={`led ${t.down ? "down" : t.last && !succeeded(t.last) ? "warn" : "up"}`} /> <LongText className="mono" text={t.url} />
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
