import { ReactNode, useCallback, useEffect, useState } from "react";
import { api, errorText, QuarantineRow, SecurityRow } from "./ipc";
import { clock, day } from "./format";
import { pretty } from "./curl";
import { Drawer } from "./Drawer";

/** What did not become an event: rejected requests, and verified bodies kept in quarantine. */
export function Rejections({ kind, onClose }: { kind: "rejected" | "quarantined"; onClose: () => void }) {
  return (
    <Drawer
      title={kind === "rejected" ? "Rejected requests" : "Quarantined deliveries"}
      label={kind}
      testId={`${kind}-list`}
      onClose={onClose}
      sub={
        kind === "rejected"
          ? "Requests without a valid key. Only when, from where and why are kept — never a body or a token."
          : "Deliveries with the right key that are not an event (not JSON, or no \"event\"). Kept as they came."
      }
    >
      <div className="drawer-body">
        {kind === "rejected" ? (
          <OlderPages<SecurityRow>
            fetch={api.securityLog}
            empty="Nothing rejected."
            row={(r) => (
              <div className="event-line" data-testid="rejected-row" data-count={r.count}>
                <span className="event-name">{r.reason}</span>
                {r.count > 1 && (
                  <span className="badge" title="Requests from this address for this reason within the minute">
                    ×{r.count.toLocaleString()}
                  </span>
                )}
                <span className="sub">{r.peer ?? "unknown peer"}</span>
                <span className="sub">
                  {day(r.at)} {clock(r.at)}
                  {r.count > 1 && ` – ${clock(r.lastAt)}`}
                </span>
              </div>
            )}
          />
        ) : (
          <OlderPages<QuarantineRow>
            fetch={api.quarantine}
            empty="Nothing in quarantine."
            row={(q) => (
              <>
                <div className="event-line">
                  <span className="event-name">{q.reason}</span>
                  <span className="sub">
                    {day(q.receivedAt)} {clock(q.receivedAt)}
                  </span>
                </div>
                <div className="raw">
                  <pre>{pretty(q.body)}</pre>
                </div>
              </>
            )}
          />
        )}
      </div>
    </Drawer>
  );
}

const PAGE = 200;
const REFRESH_MS = 1000;

/** A list read newest first, a page at a time: these lists can hold far more than a screen. */
function OlderPages<T extends { id: number }>({
  fetch,
  empty,
  row,
}: {
  fetch: (beforeId: number | null, limit: number) => Promise<T[]>;
  empty: string;
  row: (item: T) => ReactNode;
}) {
  const [rows, setRows] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const load = useCallback(
    (before: T[]) => {
      setLoading(true);
      const beforeId = before.length ? before[before.length - 1].id : null;
      fetch(beforeId, PAGE)
        .then(
          (page) => {
            setRows([...before, ...page]);
            setMore(page.length === PAGE);
          },
          (e) => setError(errorText(e)),
        )
        .finally(() => setLoading(false));
    },
    [fetch],
  );
  useEffect(() => load([]), [load]);
  // Live while open: rejections are written a second after they arrive, and a row's count
  // grows; the newest page is read again, the older pages already shown kept below it.
  useEffect(() => {
    const timer = window.setInterval(() => {
      fetch(null, PAGE).then(
        (page) =>
          setRows((shown) => {
            if (!shown) return page;
            const oldest = page.length ? Math.min(...page.map((r) => r.id)) : Infinity;
            return [...page, ...shown.filter((r) => r.id < oldest)];
          }),
        () => undefined,
      );
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [fetch]);

  return (
    <>
      {error && <div className="error">{error}</div>}
      {rows && rows.length === 0 && <p className="sub">{empty}</p>}
      {rows && rows.length > 0 && (
        <ol className="events" data-testid="list-rows">
          {rows.map((item) => (
            <li key={item.id} className="event">
              {row(item)}
            </li>
          ))}
        </ol>
      )}
      {rows && more && (
        <button className="more" onClick={() => load(rows)} disabled={loading} data-testid="show-older">
          {loading ? "Loading…" : `Showing the newest ${rows.length} — show older`}
        </button>
      )}
    </>
  );
}
