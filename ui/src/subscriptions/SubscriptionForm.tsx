import { FormEvent, useState } from "react";
import type { Subscription, Subscriptions } from "../ipc";
import { api } from "../ipc";
import { list } from "../settings/notificationDraft";
import { TextField } from "../TextField";
import { useAction } from "../useAction";
import { checkDraft, Draft, draftOf, draftToSend, EMPTY, FieldError, fieldErrorOf, KNOWN_EVENTS } from "./subscriptionDraft";
import { ErrorLine, FieldMessage } from "../Alert";

/**
 * Create or edit one subscription. Checked here, by the engine, then by the API; any
 * refusal shows by the field it concerns and what was typed stays. The table is replaced
 * only by the server's list after a save, so a failed save changes nothing there.
 */
export function SubscriptionForm({
  editing,
  thisComputer,
  onSaved,
  onCancel,
}: {
  editing: Subscription | null;
  thisComputer: string | null;
  onSaved: (s: Subscriptions) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => (editing ? draftOf(editing) : EMPTY));
  const [fieldError, setFieldError] = useState<FieldError | null>(null);
  const { busy, error, setError, run } = useAction<"save">();
  const change = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setFieldError(null);
  };
  const toggle = (event: string, on: boolean) =>
    change({ events: on ? [...draft.events, event] : draft.events.filter((e) => e !== event) });

  function save(e: FormEvent) {
    e.preventDefault();
    const problem = checkDraft(draft);
    if (problem) return setFieldError(problem);
    run("save", async () => {
      try {
        const send = draftToSend(draft);
        onSaved(editing ? await api.updateSubscription(editing.webhookId, send) : await api.createSubscription(send));
      } catch (err) {
        const byField = fieldErrorOf(err, draft);
        if (!byField) throw err;
        setFieldError(byField);
        setError(null);
      }
    });
  }

  const at = (field: FieldError["field"]) => fieldError?.field === field;
  return (
    <form className="settings-form subscription-form" onSubmit={save} data-testid="subscription-form" aria-label={editing ? "Edit subscription" : "New subscription"}>
      <h3>{editing ? `Edit ${editing.webhookId}` : "New subscription"}</h3>
      <div className="url-row">
        <TextField
          id="subscription-url"
          label="Deliver to"
          value={draft.url}
          onChange={(url) => change({ url, confirmPrivate: false })}
          placeholder="https://your-tunnel.example/hooks/calleague"
          invalid={at("url")}
        />
        <button
          type="button"
          className="secondary"
          disabled={!thisComputer}
          title={thisComputer ? `Fill in ${thisComputer}` : "Set this computer's public address first (in the status bar)"}
          onClick={() => thisComputer && change({ url: thisComputer, confirmPrivate: false })}
          data-testid="this-computer"
        >
          This computer
        </button>
      </div>
      <FieldMessage message={at("url") ? fieldError?.message : null} testId="url-error" />
      {(at("confirmPrivate") || draft.confirmPrivate) && (
        <div className="confirm-private" role="group" aria-label="A private address">
          <FieldMessage message={at("confirmPrivate") ? fieldError?.message : null} testId="confirm-private-error" />
          <label className="check">
            <input
              type="checkbox"
              checked={draft.confirmPrivate}
              onChange={(e) => setDraft((d) => ({ ...d, confirmPrivate: e.target.checked }))}
              data-testid="subscription-confirm-private"
            />
            Deliver to this private address, with the account's key
          </label>
        </div>
      )}
      <fieldset aria-invalid={at("events")}>
        <legend>Events</legend>
        <div className="checks">
          {KNOWN_EVENTS.map((event) => (
            <label key={event} className="check">
              <input type="checkbox" checked={draft.events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} data-testid={`sub-event-${event}`} />
              {event}
            </label>
          ))}
        </div>
        <FieldMessage message={at("events") ? fieldError?.message : null} testId="events-error" />
        <TextField
          id="subscription-other-events"
          label="Other events (names Calleague adds later, comma-separated)"
          value={draft.otherEvents}
          onChange={(otherEvents) => change({ otherEvents })}
          placeholder="call.transferred"
          invalid={at("otherEvents")}
        />
        <FieldMessage message={at("otherEvents") ? fieldError?.message : null} />
      </fieldset>
      <div className="form-actions">
        <button className="primary" disabled={busy !== null} data-testid="subscription-save">
          {busy ? "Saving…" : editing ? "Save changes" : "Create"}
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={busy !== null}>
          Cancel
        </button>
        <span className="sub">{list(draft.otherEvents).length + draft.events.length} events</span>
        <ErrorLine error={error} testId="subscription-form-error" />
      </div>
    </form>
  );
}
