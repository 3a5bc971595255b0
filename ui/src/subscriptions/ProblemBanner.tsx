import type { SubscriptionProblem } from "../ipc";
import { problemText } from "./subscriptionDraft";

/** What the diagnosis found, with its one-click fix. */
export function ProblemBanner({ problem, busy, onFix }: { problem: SubscriptionProblem; busy: boolean; onFix: () => void }) {
  const { text, fix } = problemText(problem);
  return (
    <div className="problem-banner" role="status" data-testid="subscription-problem">
      <span>{text}</span>
      {fix ? (
        <button className="primary" onClick={onFix} disabled={busy} data-testid="fix-subscriptions">
          {busy ? "Fixing…" : fix}
        </button>
      ) : (
        <span className="sub">Set it from the status bar ("Set public URL…").</span>
      )}
    </div>
  );
}
