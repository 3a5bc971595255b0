import type { ReplayProgressView } from "../ipc";

/** How a replay of many is going, said as it goes, and its end. */
export function ReplayProgress({ progress, testId }: { progress: ReplayProgressView; testId: string }) {
  return (
    <span className="sub" role="status" data-testid={testId}>
      {progress.done
        ? `${progress.cancelled ? "Cancelled after" : "Sent"} ${progress.sent} of ${progress.total}: ${progress.answered} answered 2xx, ${progress.failed} not`
        : `Replaying ${progress.sent} of ${progress.total}…`}
      {!progress.done && progress.total > 0 && <progress max={progress.total} value={progress.sent} aria-label="Deliveries replayed" />}
    </span>
  );
}
