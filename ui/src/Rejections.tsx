import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "./ipc";
import { clock, day } from "./format";
import { pretty } from "./curl";

/** What did not become an event: rejected requests, and verified bodies kept in quarantine. */
export function Rejections({ kind, onClose }: { kind: "rejected" | "quarantined"; onClose: () => void }) {
  const security = useOlderPages(kind === "rejected" ? api.securityLog : null);
  const quarantine = useOlderPages(kind === "quarantined" ? api.quarantine : null);
  const error = security.error ?? quarantine.error;
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
        {security.rows && security.rows.length === 0 && <p className="sub">Nothing rejected.</p>}
        {security.rows && (
          <ol className="events" data-testid="list-rows">
            {security.rows.map((r) => (
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
        {quarantine.rows && quarantine.rows.length === 0 && <p className="sub">Nothing in quarantine.</p>}
        {quarantine.rows && (
          <ol className="events" data-testid="list-rows">
            {quarantine.rows.map((q) => (
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
        <OlderButton pages={kind === "rejected" ? security : quarantine} />
      </div>
    </aside>
  );
}

const PAGE = 200;

type Paged<T> = { rows: T[] | null; error: string | null; more: boolean; loading: boolean; loadOlder: () => void };

/** Newest first, a page at a time: the lists can hold far more than one screen. */
function useOlderPages<T extends { id: number }>(fetch: ((beforeId: number | null, limit: number) => Promise<T[]>) | null): Paged<T> {
  const [rows, setRows] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const load = useCallback(
    (before: T[] | null) => {
      if (!fetch) return;
      setLoading(true);
      const beforeId = before && before.length ? before[before.length - 1].id : null;
      fetch(beforeId, PAGE)
        .then(
          (page) => {
            setRows([...(before ?? []), ...page]);
            setMore(page.length === PAGE);
          },
          (e) => setError(errorText(e)),
        )
        .finally(() => setLoading(false));
    },
    [fetch],
  );
  useEffect(() => load(null), [load]);
  return { rows, error, more, loading, loadOlder: () => load(rows) };
}

function OlderButton({ pages }: { pages: Paged<unknown> }) {
  if (!pages.rows || !pages.more) return null;
  return (
    <button className="more" onClick={pages.loadOlder} disabled={pages.loading} data-testid="show-older">
      {pages.loading ? "Loading…" : `Showing the newest ${pages.rows.length} — show older`}
    </button>
  );
}
