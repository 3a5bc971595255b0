import { FormEvent, useEffect, useState } from "react";
import { api, AppStatus, errorCode, errorText } from "../ipc";
import { useAction } from "../useAction";
import { checkDraft, Draft, draftOf, KNOWN_EVENTS, list, settingsOf } from "./notificationDraft";
import { PauseState } from "./PauseState";
import { TextField } from "../TextField";
import { ErrorLine, FieldMessage } from "../Alert";

/** Notifications: on or off, what notifies, the detail shown, and pausing. */
export function NotificationSettings({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const saved = status.notifications;
  const [draft, setDraft] = useState<Draft>(() => draftOf(saved));
  const [reasons, setReasons] = useState<string[]>([]);
  const [fieldError, setFieldError] = useState<ReturnType<typeof checkDraft>>(null);
  const [applied, setApplied] = useState(false);
  const { busy, error, setError, run } = useAction<"apply" | "pause">();

  useEffect(() => {
    api.facets().then((f) => setReasons(f.endedReasons), () => setReasons([]));
  }, []);

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setFieldError(null);
    setApplied(false);
  };

  function apply(e: FormEvent) {
    e.preventDefault();
    const problem = checkDraft(draft);
    if (problem) return setFieldError(problem);
    run("apply", async () => {
      try {
        onStatus(await api.setNotifications(settingsOf(draft, saved.pause)));
        setApplied(true);
      } catch (err) {
        // The engine's check, shown by the field it concerns; what was typed stays.
        if (errorCode(err) === "notification_setting_invalid" && /event/.test(errorText(err))) {
          setFieldError({ field: list(draft.otherEvents).length ? "otherEvents" : "events", message: errorText(err) });
          setError(null);
          return;
        }
        throw err;
      }
    });
  }

  const pause = (minutes: number | null) => run("pause", async () => onStatus(await api.pauseNotifications(minutes)));
  const chosenReasons = list(draft.endedReasons);
  const addReason = (r: string) => change({ endedReasons: [...chosenReasons, r].join(", ") });

  return (
    <section className="settings-section" aria-labelledby="notifications-title" data-testid="notification-settings">
      <h2 id="notifications-title">Notifications</h2>
      <p className="sub">A desktop notification when a call fails. Several failures within seconds become one summary; calls found by catch-up after the app was closed become one summary too.</p>
      {status.alerts.unavailable && (
        <p className="error" role="alert" data-testid="notifications-unavailable-detail">
          Notifications cannot be shown on this desktop: {status.alerts.unavailable}
        </p>
      )}
      <PauseState status={status} busy={busy === "pause"} onPause={pause} />
      <form onSubmit={apply} className="settings-form">
        <label className="check">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => change({ enabled: e.target.checked })} data-testid="notify-enabled" />
          Notify me of failed calls
        </label>
        <fieldset disabled={!draft.enabled} aria-describedby={fieldError?.field === "events" ? "events-error" : undefined}>
          <legend>Notify for these events</legend>
          <div className="checks">
            {KNOWN_EVENTS.map((event) => (
              <label key={event} className="check">
                <input
                  type="checkbox"
                  checked={draft.events.includes(event)}
                  onChange={(e) => change({ events: e.target.checked ? [...draft.events, event] : draft.events.filter((x) => x !== event) })}
                  data-testid={`notify-event-${event}`}
                />
                <code>{event}</code>
              </label>
            ))}
          </div>
          <FieldMessage message={fieldError?.field === "events" ? fieldError.message : null} id="events-error" />
          <TextField
            id="notify-other-events"
            label="Other events (comma separated, for names Calleague adds later)"
            value={draft.otherEvents}
            onChange={(otherEvents) => change({ otherEvents })}
            placeholder="agent.escalated"
            invalid={fieldError?.field === "otherEvents"}
          />
          <FieldMessage message={fieldError?.field === "otherEvents" ? fieldError.message : null} testId="other-events-error" />
          <TextField
            id="notify-reasons"
            label="…and ended calls with these ended reasons (comma separated)"
            value={draft.endedReasons}
            onChange={(endedReasons) => change({ endedReasons })}
            placeholder="voicemail, customer-did-not-answer"
          />
          {reasons.filter((r) => !chosenReasons.includes(r)).length > 0 && (
            <div className="suggestions">
              Seen so far:
              {reasons
                .filter((r) => !chosenReasons.includes(r))
                .slice(0, 12)
                .map((r) => (
                  <button type="button" key={r} className="chip" onClick={() => addReason(r)}>
                    + {r}
                  </button>
                ))}
            </div>
          )}
          <TextField
            id="notify-field"
            label="Show this metadata field in the notification"
            value={draft.metadataField}
            onChange={(metadataField) => change({ metadataField })}
            placeholder="orderId"
          />
        </fieldset>
        <div className="form-actions">
          <button className="primary" disabled={busy !== null} data-testid="notify-apply">
            {busy === "apply" ? "Applying…" : "Apply"}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft(draftOf(saved));
              setFieldError(null);
            }}
            disabled={busy !== null}
          >
            Revert
          </button>
          {applied && <span className="ok-text" data-testid="notify-applied">Applied.</span>}
          <ErrorLine error={error} />
        </div>
      </form>
    </section>
  );
}
