import { useEffect, useState } from "react";
import type { CallFilter, ReplayProgressView } from "../ipc";
import { api, errorText } from "../ipc";
import { ErrorLine } from "../Alert";
import { ReplayProgress } from "./ReplayProgress";

/** Under the timeline's filters: the deliveries of the calls they show, sent again to a
 * forward target, with progress and Cancel. Only with a filter set and a target known. */
export function ReplayCalls({ filter }: { filter: () => CallFilter }) {
  const [targets, setTargets] = useState<string[]>([]);
  const [to, setTo] = useState("");
  const [progress, setProgress] = useState<ReplayProgressView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.forwardingSettings().then(
      (s) => {
        const urls = s.targets.map((t) => t.url);
        setTargets(urls);
        setTo((current) => current || urls[0] || "");
      },
      () => undefined,
    );
  }, []);
  if (targets.length === 0) return null;
  const running = progress !== null && !progress.done;

  async function replay() {
    setError(null);
    setProgress({ total: 0, sent: 0, answered: 0, failed: 0, cancelled: false, done: false });
    try {
      // The answer is the last word (the channel's last message may come after it).
      setProgress(await api.replayMany({ kind: "calls", to, filter: filter() }, setProgress));
    } catch (e) {
      setError(errorText(e));
      setProgress(null);
    }
  }

  return (
    <div className="replay-calls" data-testid="replay-calls">
      <span className="sub">Replay these calls' deliveries to</span>
      <select className="facet" aria-label="Replay to" value={to} onChange={(e) => setTo(e.target.value)} disabled={running} data-testid="replay-calls-to">
        {targets.map((url) => (
          <option key={url} value={url}>
            {url}
          </option>
        ))}
      </select>
      {running ? (
        <button className="link danger" onClick={() => api.cancelReplay()} data-testid="replay-calls-cancel">
          Cancel
        </button>
      ) : (
        <button className="link" onClick={replay} data-testid="replay-calls-start">
          Replay
        </button>
      )}
      {progress && <ReplayProgress progress={progress} testId="replay-calls-progress" />}
      <ErrorLine error={error} />
    </div>
  );
}
