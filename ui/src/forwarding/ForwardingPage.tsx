// The Forwarding page: each target's health, what it gave up on, a replay of its failures
// with progress, a made-up delivery, and every attempt (each opening its call).
import { useEffect, useState } from "react";
import type { ForwardingOverview } from "../ipc";
import { api, errorText } from "../ipc";
import { ErrorLine } from "../Alert";
import { useFeedTick } from "../feed";
import { AttemptList } from "./AttemptList";
import { TargetRow } from "./TargetRow";
import { TriggerForm } from "./TriggerForm";

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
      <AttemptList targets={overview?.targets ?? []} tick={tick + again} onOpenCall={onOpenCall} />
    </main>
  );
}
