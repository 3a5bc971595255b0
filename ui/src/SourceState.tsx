import { AppStatus, SourceStatus } from "./ipc";
import { clock } from "./format";

const MODE_LABEL: Record<SourceStatus["mode"], string> = {
  webhooks: "Source: webhooks",
  restOnly: "Source: REST only",
  both: "Source: webhooks + REST check",
};

const MODE_WHY: Record<SourceStatus["mode"], string> = {
  webhooks: "Calls arrive by webhook; the REST API is not read (reconciliation is off).",
  restOnly: "No subscription sends to this computer, so the calls list is read from Calleague's REST API every few seconds.",
  both: "Calls arrive by webhook; the REST API is read every few minutes to find what webhooks missed.",
};

/**
 * Where calls come from, in the status bar: webhooks, the REST API instead of them, or
 * both; and, while it stands, that webhooks are not arriving although Calleague lists calls.
 */
export function SourceState({ status, onSubscriptions }: { status: AppStatus; onSubscriptions: () => void }) {
  const source = status.source;
  if (!source) return null;
  const notice = source.notArriving;
  if (notice) {
    const problems = notice.causes.filter((c) => c.fine === false).map((c) => `${c.what}: ${c.detail}`);
    const title = [
      `Calleague listed ${notice.callsListed} calls in the last ${notice.quietMinutes} minutes and none was delivered here.`,
      ...problems,
      "Missing calls are read from the REST API meanwhile.",
    ].join("\n");
    return (
      <button className="count warn" onClick={onSubscriptions} data-testid="source-state" title={title}>
        Webhooks not arriving
      </button>
    );
  }
  const last = source.lastRound;
  const lines = [MODE_WHY[source.mode]];
  if (last) lines.push(`Last read ${clock(last.at)}: ${last.callsListed} calls listed, ${last.callsFound} with steps webhooks had not brought.`);
  if (source.callsFound > 0) lines.push(`Found by reconciliation since start: ${source.callsFound} calls.`);
  if (source.error) lines.push(`The last read failed: ${source.error.message}`);
  return (
    <span className={source.error ? "warn" : ""} data-testid="source-state" title={lines.join("\n")}>
      {MODE_LABEL[source.mode]}
      {source.error ? " (retrying)" : ""}
    </span>
  );
}
