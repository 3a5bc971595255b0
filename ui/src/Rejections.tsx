import { useEffect, useState } from "react";
import { api, errorText, QuarantineRow, SecurityRow } from "./ipc";
import { clock, day } from "./format";
import { pretty } from "./curl";

/** What did not become an event: rejected requests, and verified bodies kept in quarantine. */
export function Rejections({ kind, onClose }: { kind: "rejected" | "quarantined"; onClose: () => void }) {
  const [security, setSecurity] = useState<SecurityRow[] | null>(null);
  const [quarantine, setQuarantine] = useState<QuarantineRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (kind === "rejected") api.securityLog().then(setSecurity, (e) => setError(errorText(e)));
    else api.quarantine().then(setQuarantine, (e) => setError(errorText(e)));
  }, [kind]);
  return (
    <aside className="drawer" data-testid={`${kind}-list`} aria-label={kind}>
      <header className="drawer-head">
        <div>
          <div className="drawer-title">{kind === "rejected" ? "Rejected requests" : "Quarantined deliveries"}</div>
          <div className="sub">
            {kind === "rejected"
              ? "Requests without a valid key. Only when, from where and why are kept — never a body or a token."
              : "Deliveries with the right key that are not an event (not JSON, or no \"event\"). Kept as they came."}
          </div>
        </div>
        <button className="close" onClick={onClose} aria-label="Close (Esc)">
          ✕
        </button>
      </header>
      <div className="drawer-body">
        {error && <div className="error">{error}</div>}
        {security && security.length === 0 && <p className="sub">Nothing rejected.</p>}
        {security && (
          <ol className="events">
            {security.map((r) => (
              <li key={r.id} className="event">
                <div className="event-line">
                  <span className="event-name">{r.reason}</span>
                  <span className="sub">{r.peer ?? "unknown peer"}</span>
                  <span className="sub">
                    {day(r.at)} {clock(r.at)}
                  </span>
                </div>
              </li>
            ))}
          </ol>
        )}
        {quarantine && quarantine.length === 0 && <p className="sub">Nothing in quarantine.</p>}
        {quarantine && (
          <ol className="events">
            {quarantine.map((q) => (
              <li key={q.id} className="event">
                <div className="event-line">
                  <span className="event-name">{q.reason}</span>
                  <span className="sub">
                    {day(q.receivedAt)} {clock(q.receivedAt)}
                  </span>
                </div>
                <div className="raw">
                  <pre>{pretty(q.body)}</pre>
                </div>
              </li>
            ))}
          </ol>
        )}
      </div>
    </aside>
  );
}
