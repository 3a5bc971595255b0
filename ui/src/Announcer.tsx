import { useEffect, useRef, useState } from "react";
import type { AppStatus, FeedItem } from "./bindings";
import { useFeed } from "./feed";

/** What arrived since the last announcement. */
export type Arrivals = { calls: Set<string>; failed: Map<string, string | null>; rejected: number };

export const noArrivals = (): Arrivals => ({ calls: new Set(), failed: new Map(), rejected: 0 });

/** Adds a batch's items: new calls (their first event), failed calls, refused deliveries. */
export function addArrivals(into: Arrivals, items: FeedItem[]) {
  for (const item of items) {
    if (item.kind === "rejected") into.rejected++;
    if (item.kind !== "event" || !item.event.callId || item.event.hidden) continue;
    if (item.call && item.call.eventCount === 1) into.calls.add(item.event.callId);
    if (item.event.event === "call.failed") into.failed.set(item.event.callId, item.call?.endedReason ?? null);
  }
}

/** One sentence for a screen reader, or nothing: "3 new calls. 1 failed: cl_9 (no-answer)." */
export function sayArrivals(a: Arrivals): string {
  const parts: string[] = [];
  if (a.calls.size > 0) parts.push(a.calls.size === 1 ? "1 new call." : `${a.calls.size} new calls.`);
  if (a.failed.size > 0) {
    const named = [...a.failed].slice(0, 3).map(([id, reason]) => (reason ? `${id} (${reason})` : id));
    const more = a.failed.size > 3 ? ` and ${a.failed.size - 3} more` : "";
    parts.push(`${a.failed.size} failed: ${named.join(", ")}${more}.`);
  }
  if (a.rejected > 0) parts.push(a.rejected === 1 ? "1 delivery refused." : `${a.rejected} deliveries refused.`);
  return parts.join(" ");
}

/**
 * What changes by itself, said to screen readers through polite live regions: calls and
 * failures as they arrive (gathered, at most one sentence every `everyMs`, so that a burst
 * is one line, not a hundred), and alert rules as they start firing.
 */
export function Announcer({ status, everyMs = 5000 }: { status: AppStatus; everyMs?: number }) {
  const pending = useRef(noArrivals());
  const [said, setSaid] = useState("");
  useFeed((batch) => addArrivals(pending.current, batch.items));
  useEffect(() => {
    const timer = window.setInterval(() => {
      const text = sayArrivals(pending.current);
      pending.current = noArrivals();
      if (text) setSaid(text);
    }, everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);

  // Rules that began firing since the last status (the status bar shows them too).
  const firing = status.alertsFiring.map((f) => f.name).join("\n");
  const known = useRef<string[] | null>(null);
  const [alertSaid, setAlertSaid] = useState("");
  useEffect(() => {
    const names = firing ? firing.split("\n") : [];
    const fresh = known.current === null ? [] : names.filter((n) => !known.current!.includes(n));
    known.current = names;
    if (fresh.length > 0) setAlertSaid(`Alert firing: ${fresh.join(", ")}.`);
  }, [firing]);

  return (
    <>
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="announce-calls">
        {said}
      </div>
      <div className="visually-hidden" aria-live="assertive" aria-atomic="true" data-testid="announce-alerts">
        {alertSaid}
      </div>
    </>
  );
}
