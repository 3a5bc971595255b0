import { FormEvent, useEffect, useState } from "react";
import { api, AlertSettings, AppStatus, errorCode, errorText } from "../ipc";
import { clock } from "../format";
import { useAction } from "../useAction";

/** The events Calleague sends today; a name it adds later goes in "Other events". */
export const KNOWN_EVENTS = ["call.failed", "call.completed", "call.started", "call.connected", "recording.ready", "transcript.ready"];

type Draft = { enabled: boolean; events: string[]; otherEvents: string; endedReasons: string; metadataField: string };

function draftOf(s: AlertSettings): Draft {
  return {
    enabled: s.enabled,
    events: s.events.filter((e) => KNOWN_EVENTS.includes(e)),
    otherEvents: s.events.filter((e) => !KNOWN_EVENTS.includes(e)).join(", "),
    endedReasons: s.endedReasons.join(", "),
    metadataField: s.metadataField ?? "",
  };
}

const list = (text: string) =>
  text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

/** What the draft asks for, as the engine takes it (the pause stays as it is). */
export function settingsOf(d: Draft, pause: AlertSettings["pause"]): AlertSettings {
  return {
    enabled: d.enabled,
    events: [...d.events, ...list(d.otherEvents)],
    endedReasons: list(d.endedReasons),
    metadataField: d.metadataField.trim() || null,
    pause,
  };
}

/** The field a message is about, to show it there; checked again by the engine. */
export function checkDraft(d: Draft): { field: "events" | "otherEvents"; message: string } | null {
  const bad = list(d.otherEvents).find((e) => !/^[a-z0-9_]+\.[a-z0-9_]+$/.test(e));
  if (bad) return { field: "otherEvents", message: `"${bad}" is not an event name: names look like call.failed.` };
  if (d.enabled && d.events.length === 0 && list(d.otherEvents).length === 0 && list(d.endedReasons).length === 0)
    return { field: "events", message: "Choose at least one event or ended reason to be notified of, or switch notifications off." };
  return null;
}

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
    setDraft({ ...draft, ...patch });
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
          {fieldError?.field === "events" && (
            <p className="field-error" id="events-error" role="alert">
              {fieldError.message}
            </p>
          )}
          <label htmlFor="notify-other-events">Other events (comma separated, for names Calleague adds later)</label>
          <input
            id="notify-other-events"
            value={draft.otherEvents}
            onChange={(e) => change({ otherEvents: e.target.value })}
            placeholder="agent.escalated"
            aria-invalid={fieldError?.field === "otherEvents"}
            data-testid="notify-other-events"
          />
          {fieldError?.field === "otherEvents" && (
            <p className="field-error" role="alert" data-testid="other-events-error">
              {fieldError.message}
            </p>
          )}
          <label htmlFor="notify-reasons">…and ended calls with these ended reasons (comma separated)</label>
          <input
            id="notify-reasons"
            value={draft.endedReasons}
            onChange={(e) => change({ endedReasons: e.target.value })}
            placeholder="voicemail, customer-did-not-answer"
            data-testid="notify-reasons"
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
          <label htmlFor="notify-field">Show this metadata field in the notification</label>
          <input
            id="notify-field"
            value={draft.metadataField}
            onChange={(e) => change({ metadataField: e.target.value })}
            placeholder="orderId"
            data-testid="notify-field"
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
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}

function PauseState({ status, busy, onPause }: { status: AppStatus; busy: boolean; onPause: (minutes: number | null) => void }) {
  const pause = status.notifications.pause;
  const pausedUntil = pause?.kind === "until" && Date.parse(pause.until) > Date.now() ? pause.until : null;
  const paused = pause?.kind === "untilResumed" || pausedUntil !== null;
  return (
    <div className="pause-row" data-testid="pause-state">
      {paused ? (
        <>
          <span className="warn">{pausedUntil ? `Paused until ${clock(pausedUntil)}` : "Paused until you resume"}</span>
          <button className="small-button" onClick={() => onPause(0)} disabled={busy} data-testid="notify-resume">
            Resume
          </button>
        </>
      ) : (
        <>
          <span>{status.notifications.enabled ? "On" : "Off"}</span>
          <button className="small-button" onClick={() => onPause(60)} disabled={busy || !status.notifications.enabled} data-testid="notify-pause-hour">
            Pause for 1 hour
          </button>
          <button className="small-button" onClick={() => onPause(null)} disabled={busy || !status.notifications.enabled} data-testid="notify-pause">
            Pause until resumed
          </button>
        </>
      )}
    </div>
  );
}
