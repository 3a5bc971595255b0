import { useEffect, useState } from "react";
import { api, AppStatus, InProgress, StatusCounts } from "./ipc";
import { clock, startOfToday } from "./format";
import { PublicUrl } from "./PublicUrl";
import { useFeedTick } from "./feed";
import { problemShort } from "./subscriptions/subscriptionDraft";
import { SourceState } from "./SourceState";
import { useInProgress } from "./inProgress";
import { BarItem, OneLineBar } from "./OneLineBar";

export function StatusBar({
  status,
  onShow,
  onStatus,
  onSubscriptions,
  onForwarding,
  onAlerts,
}: {
  status: AppStatus;
  onShow: (kind: "rejected" | "quarantined") => void;
  onStatus: (s: AppStatus) => void;
  onSubscriptions: () => void;
  onForwarding: () => void;
  onAlerts: () => void;
}) {
  const [counts, setCounts] = useState<StatusCounts | null>(null);
  const inProgress = useInProgress();
  // Re-read at most twice a second: under a burst every batch would ask again.
  const tick = useFeedTick(500);
  useEffect(() => {
    api.counts(startOfToday()).then(setCounts, () => setCounts(null));
  }, [tick]);
  const team = status.mode === "team";
  // Watching a team's database that stopped answering is not up: the error says so.
  const up = team ? Boolean(status.teamDatabase) && !status.teamError : Boolean(status.receiverUrl);
  // What stays on the line when the window is narrow: the receiver's state and what needs
  // attention first; counts and news move behind "more" before them.
  const items: BarItem[] = [
    {
      key: "receiver",
      priority: 100,
      node: (
        <>
          <span className={`led ${up ? "up" : "down"}`} />
          {team ? (
            <span className="receiver-state long-text" data-testid="receiver-state" title={status.teamError?.message ?? status.teamDatabase ?? undefined}>
              {up ? `Watching ${status.teamDatabase}` : status.teamError ? "Team database unreachable: retrying" : "Connecting to the team database…"}
            </span>
          ) : (
            <span className="receiver-state long-text" data-testid="receiver-state" title={status.receiverError?.message ?? status.receiverUrl ?? undefined}>
              {up ? `Receiving on ${status.receiverUrl}` : status.receiverError ? `Receiver down (port ${status.port})` : "Receiver stopped"}
            </span>
          )}
        </>
      ),
    },
    { key: "public-url", priority: 40, node: !team && <PublicUrl status={status} onStatus={onStatus} /> },
    {
      key: "subscription-problem",
      priority: 90,
      node: status.subscriptionProblem && status.subscriptionProblem.kind !== "noPublicUrl" && (
        <button className="count warn" onClick={onSubscriptions} data-testid="subscription-problem-status" title="Open Subscriptions to fix it">
          {problemShort(status.subscriptionProblem)}
        </button>
      ),
    },
    { key: "source", priority: status.source?.notArriving ? 88 : 20, node: <SourceState status={status} onSubscriptions={onSubscriptions} /> },
    { key: "alerts", priority: 95, node: <AlertsState status={status} onAlerts={onAlerts} /> },
    { key: "forwarding", priority: 85, node: <ForwardingState status={status} onForwarding={onForwarding} /> },
    { key: "catch-up", priority: 30, node: <CatchUpState status={status} /> },
    { key: "notifications", priority: 80, node: <NotificationState status={status} /> },
  ];
  if (counts) {
    items.push(
      { key: "deliveries-today", priority: 10, end: true, node: <span data-testid="deliveries-today">{counted(counts.deliveriesSince, "delivery", "deliveries")} today</span> },
      { key: "in-progress", priority: 50, end: true, node: inProgress && <InProgressGauge gauge={inProgress} /> },
      { key: "calls", priority: 15, end: true, node: <span>{counted(counts.calls, "call", "calls")}</span> },
      { key: "failed", priority: counts.callsFailed ? 75 : 45, end: true, node: <span className={counts.callsFailed ? "warn" : ""}>{n(counts.callsFailed)} failed</span> },
      {
        key: "rejected",
        priority: counts.rejected ? 70 : 25,
        end: true,
        node: (
          <button className={`count ${counts.rejected ? "warn" : ""}`} onClick={() => onShow("rejected")} data-testid="show-rejected">
            {n(counts.rejected)} rejected
          </button>
        ),
      },
      {
        key: "quarantined",
        priority: counts.quarantined ? 70 : 25,
        end: true,
        node: (
          <button className={`count ${counts.quarantined ? "warn" : ""}`} onClick={() => onShow("quarantined")} data-testid="show-quarantined">
            {n(counts.quarantined)} quarantined
          </button>
        ),
      },
      { key: "last", priority: 35, end: true, node: <span data-testid="last-delivery">last {clock(counts.lastDeliveryAt)}</span> },
    );
  }
  return <OneLineBar className="statusbar" testId="statusbar" items={items} />;
}

/**
 * Notifications that cannot be shown, said once (dismissed, it stays away until a note
 * gets through and a later one fails again), and a pause, so that silence is never a
 * mystery.
 */
function NotificationState({ status }: { status: AppStatus }) {
  const [dismissed, setDismissed] = useState(false);
  const reason = status.alerts.unavailable;
  useEffect(() => {
    if (!reason) setDismissed(false);
  }, [reason]);
  if (reason && !dismissed) {
    return (
      <span className="warn notice" data-testid="notifications-unavailable" title={reason}>
        Notifications unavailable
        <button className="link" onClick={() => setDismissed(true)} aria-label="Dismiss">
          ×
        </button>
      </span>
    );
  }
  const pause = status.notifications.pause;
  const paused = pause?.kind === "untilResumed" || (pause?.kind === "until" && Date.parse(pause.until) > Date.now());
  if (paused) return <span className="warn" data-testid="notifications-paused">Notifications paused</span>;
  return null;
}

/** Counts with the reader's digit grouping: 600,040 rather than 600040. */
const n = (count: number) => count.toLocaleString();
/** "1 call", "2 calls". */
const counted = (count: number, one: string, many: string) => `${n(count)} ${count === 1 ? one : many}`;

function CatchUpState({ status }: { status: AppStatus }) {
  const c = status.catchUp;
  if (status.catchUpError) return <span className="warn" role="status" data-testid="catch-up" title={status.catchUpError.message}>Catch-up failed</span>;
  if (!c) return null;
  if (!c.done) {
    const pages = c.pages ? `/${c.pages}` : "";
    return (
      <span role="status" data-testid="catch-up">
        Catching up: window {c.window}/{c.windows}, page {c.page}
        {pages}, {c.callsMerged} calls merged
      </span>
    );
  }
  return c.windows > 0 ? <span role="status" data-testid="catch-up">Caught up {c.callsMerged} missed calls</span> : null;
}

/** Alert rules firing now: one line, the rules in its title; a click opens the Alerts page. */
function AlertsState({ status, onAlerts }: { status: AppStatus; onAlerts: () => void }) {
  const firing = status.alertsFiring;
  if (firing.length === 0) return null;
  const text = firing.length === 1 ? `Alert: ${firing[0].name}` : `${firing.length} alerts firing`;
  const why = firing.map((f) => `${f.name} (${f.severity}), firing since ${clock(new Date(f.sinceMs).toISOString())}`).join("\n");
  return (
    <button className={`count ${firing.some((f) => f.severity === "critical") ? "bad" : "warn"}`} onClick={onAlerts} data-testid="alerts-firing" title={`${why}\nOpen Alerts.`}>
      {text}
    </button>
  );
}

/** Forward targets that keep failing: one line, not a notification per delivery. */
function ForwardingState({ status, onForwarding }: { status: AppStatus; onForwarding: () => void }) {
  const failing = status.forwardingFailing;
  if (failing.length === 0) return null;
  const first = failing[0];
  const text =
    failing.length === 1
      ? `→ ${first.name} ${first.down ? "not answering" : "failing"}`
      : `→ ${failing.length} forward targets failing`;
  const why = failing.map((f) => `${f.url}: ${f.lastFailure ?? "failing"}`).join("\n");
  return (
    <button className="count warn" onClick={onForwarding} data-testid="forwarding-failing" title={`${why}\nDeliveries are kept and sent when the target answers. Open Forwarding.`}>
      {text}
    </button>
  );
}

/** Calls in progress now, with when the oldest started; stale ones (older than the longest a
 * call lasts) set apart, not counted. */
export function InProgressGauge({ gauge }: { gauge: InProgress }) {
  const oldest = gauge.oldestStartedAt ? `The oldest started at ${clock(gauge.oldestStartedAt)}.` : "None now.";
  return (
    <span data-testid="in-progress" title={oldest}>
      {n(gauge.calls)} in progress
      {gauge.stale > 0 && (
        <span
          className="warn"
          data-testid="in-progress-stale"
          title={`${n(gauge.stale)} started before ${clock(gauge.staleBefore)} and never ended: longer than the longest a call lasts (Settings), so not counted in progress.`}
        >
          {" "}
          (+{n(gauge.stale)} stale)
        </span>
      )}
    </span>
  );
}
