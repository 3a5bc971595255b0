import { LongText } from "../LongText";
import { useCallback, useEffect, useState } from "react";
import type { AppStatus, Subscription, Subscriptions } from "../ipc";
import { api, errorCode, errorText } from "../ipc";
import { useAction } from "../useAction";
import { ProblemBanner } from "./ProblemBanner";
import { SubscriptionForm } from "./SubscriptionForm";
import { ErrorLine } from "../Alert";

type Editing = { kind: "new" } | { kind: "edit"; subscription: Subscription } | null;

/**
 * The account's webhook subscriptions (the simulator's in demo mode): the table as the
 * server has it, the diagnosis for this computer, and the form to create or edit one.
 */
export function SubscriptionsPage({ status, onChanged }: { status: AppStatus; onChanged: () => void }) {
  const [data, setData] = useState<Subscriptions | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [editing, setEditing] = useState<Editing>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const { busy, error, run } = useAction<"fix" | "delete">();

  const accept = useCallback(
    (next: Subscriptions) => {
      setData(next);
      setLoadError(null);
      onChanged();
    },
    [onChanged],
  );

  const load = useCallback(() => {
    setLoading(true);
    api
      .subscriptions()
      .then(accept, setLoadError)
      .finally(() => setLoading(false));
  }, [accept]);
  // Again when this computer's address changes: what points here changes with it.
  useEffect(load, [load, status.publicUrl, status.receiverUrl]);

  const remove = (id: string) =>
    run("delete", async () => {
      accept(await api.deleteSubscription(id));
      setConfirming(null);
    });

  return (
    <main className="settings-page" data-testid="subscriptions-page">
      <section className="settings-section wide" aria-labelledby="subscriptions-title">
        <div className="section-head">
          <h2 id="subscriptions-title">Webhook subscriptions</h2>
          <button className="primary" onClick={() => setEditing({ kind: "new" })} disabled={editing !== null || !data} data-testid="new-subscription">
            New subscription
          </button>
        </div>
        <p className="sub">
          {status.mode === "demo"
            ? "The built-in simulator's subscriptions: it delivers to what is listed here."
            : "Where Calleague sends your account's events. Changes are made at Calleague at once."}
        </p>
        {data?.problem && <ProblemBanner problem={data.problem} busy={busy === "fix"} onFix={() => run("fix", async () => accept(await api.fixSubscriptions()))} />}
        {editing && (
          <SubscriptionForm
            key={editing.kind === "edit" ? editing.subscription.webhookId : "new"}
            editing={editing.kind === "edit" ? editing.subscription : null}
            thisComputer={data?.thisComputer ?? null}
            onSaved={(next) => {
              accept(next);
              setEditing(null);
            }}
            onCancel={() => setEditing(null)}
          />
        )}
        <ErrorLine error={error} testId="subscriptions-action-error" />
        {loadError !== null && <LoadError error={loadError} onRetry={load} />}
        {loading && !data && <p className="sub">Loading subscriptions…</p>}
        {data && data.webhooks.length === 0 && (
          <p className="empty small" data-testid="no-subscriptions">
            No subscriptions yet: Calleague sends nothing anywhere. Create one with “New subscription”.
          </p>
        )}
        {data && data.webhooks.length > 0 && (
          <table className="subscriptions" data-testid="subscriptions-table">
            <thead>
              <tr>
                <th>URL</th>
                <th>Events</th>
                <th>Created</th>
                <th>Updated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.webhooks.map((w) => (
                <tr key={w.webhookId} data-testid="subscription-row" data-id={w.webhookId}>
                  <td className="url-cell">
                    <LongText className="mono" text={w.url} />
                    {w.pointsHere && <span className="here-badge">this computer</span>}
                    <LongText className="sub mono block" text={w.webhookId} />
                  </td>
                  <td className="events-cell">{w.events.join(", ")}</td>
                  <td className="sub">{when(w.createdAt)}</td>
                  <td className="sub">{when(w.updatedAt)}</td>
                  <td className="row-actions">
                    {confirming === w.webhookId ? (
                      <span className="confirm" data-testid="confirm-delete">
                        Delete?
                        <button className="link danger" onClick={() => remove(w.webhookId)} disabled={busy !== null} data-testid="confirm-delete-yes">
                          {busy === "delete" ? "Deleting…" : "Delete"}
                        </button>
                        <button className="link" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <>
                        <button className="link" onClick={() => setEditing({ kind: "edit", subscription: w })} disabled={editing !== null} data-testid="edit-subscription">
                          Edit
                        </button>
                        <button className="link danger" onClick={() => setConfirming(w.webhookId)} data-testid="delete-subscription">
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {data?.receiving && (
          <p className="sub" data-testid="receiving-events">
            The timeline shows {data.receiving.join(", ")}: what the subscriptions to this computer ask for. Other events are kept, hidden.
          </p>
        )}
      </section>
    </main>
  );
}

function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const code = errorCode(error);
  const text =
    code === "key_rejected"
      ? "Calleague refused the API key: it may have been revoked. Replace it from the key menu."
      : code === "unreachable" || code === "timed_out"
        ? `Calleague cannot be reached: ${errorText(error)}`
        : errorText(error);
  return (
    <div className="error" role="alert" data-testid="subscriptions-error">
      {text}{" "}
      <button className="link" onClick={onRetry} data-testid="subscriptions-retry">
        Retry
      </button>
    </div>
  );
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");
