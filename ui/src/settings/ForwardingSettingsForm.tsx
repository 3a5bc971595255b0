import { FormEvent, useEffect, useState } from "react";
import type { ForwardingSettings, TargetSettings } from "../ipc";
import { api, isAppError } from "../ipc";
import { useAction } from "../useAction";
import { ErrorLine, FieldMessage } from "../Alert";
import { Field } from "./Field";

export const EVENTS = ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"];

type Draft = { targets: TargetSettings[]; retryWindowHours: string; timeoutSecs: string };

const draftOf = (s: ForwardingSettings): Draft => ({
  targets: s.targets.map((t) => ({ ...t, events: [...t.events] })),
  retryWindowHours: String(s.retryWindowHours),
  timeoutSecs: String(s.timeoutSecs),
});

/**
 * Settings → Forwarding: the user's own handlers, each with the events it takes and on/off,
 * and how long and how patiently deliveries are retried. Checked field by field by the
 * engine (a target's address, its events); applied all or nothing.
 */
export function ForwardingSettingsForm() {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [applied, setApplied] = useState(false);
  const { busy, error, setError, run } = useAction<"apply">();

  useEffect(() => {
    api.forwardingSettings().then((s) => setDraft(draftOf(s)), (e) => setError(String(e?.message ?? e)));
  }, [setError]);

  if (!draft) return null;
  const changed = (next: Draft) => {
    setDraft(next);
    setFieldError(null);
    setApplied(false);
  };
  const setTarget = (i: number, change: Partial<TargetSettings>) =>
    changed({ ...draft, targets: draft.targets.map((t, j) => (j === i ? { ...t, ...change } : t)) });
  const errorOf = (field: string) => (fieldError?.field === field ? fieldError.message : null);

  function apply(e: FormEvent) {
    e.preventDefault();
    if (!draft) return;
    const whole = (field: "retryWindowHours" | "timeoutSecs") => {
      const n = Number(draft[field].trim());
      return draft[field].trim() !== "" && Number.isInteger(n) && n >= 0 ? n : null;
    };
    const [retryWindowHours, timeoutSecs] = [whole("retryWindowHours"), whole("timeoutSecs")];
    if (retryWindowHours === null) return setFieldError({ field: "retryWindowHours", message: "A whole number of hours, please." });
    if (timeoutSecs === null) return setFieldError({ field: "timeoutSecs", message: "A whole number of seconds, please." });
    run("apply", async () => {
      try {
        const saved = await api.applyForwarding({ targets: draft.targets, retryWindowHours, timeoutSecs });
        setDraft(draftOf(saved));
        setApplied(true);
      } catch (err) {
        if (isAppError(err) && err.field) return setFieldError({ field: err.field, message: err.message });
        throw err;
      }
    });
  }

  return (
    <section className="settings-section" aria-labelledby="forwarding-title" data-testid="forwarding-settings">
      <h2 id="forwarding-title">Forwarding</h2>
      <p className="sub">
        Each delivery, once stored, is sent on to your own handler as Calleague sent it (its body byte for byte, its headers, the account's key as
        the Bearer token). A handler that is down gets it when it is back; every attempt and its answer are kept.
      </p>
      <form className="settings-form" onSubmit={apply}>
        {draft.targets.length === 0 && <p className="sub" data-testid="no-targets">No target yet: deliveries are only stored.</p>}
        {draft.targets.map((t, i) => (
          <fieldset className="target-row" key={i} data-testid={`target-${i}`}>
            <legend className="sub">Target {i + 1}</legend>
            <div className="url-row">
              <Field
                id={`target-${i}-url`}
                label="Address"
                value={t.url}
                placeholder="http://localhost:3000/webhooks"
                onChange={(url) => setTarget(i, { url })}
                error={errorOf(`targets.${i}.url`)}
                hint="Plain http only to this computer; https anywhere."
              />
              <button type="button" className="link danger" onClick={() => changed({ ...draft, targets: draft.targets.filter((_, j) => j !== i) })} data-testid={`target-${i}-remove`}>
                Remove
              </button>
            </div>
            <div className="checks" role="group" aria-label={`Events for target ${i + 1}`}>
              {EVENTS.map((name) => (
                <label className="check" key={name}>
                  <input
                    type="checkbox"
                    checked={t.events.includes(name)}
                    onChange={(e) => setTarget(i, { events: e.target.checked ? [...t.events, name] : t.events.filter((n) => n !== name) })}
                    data-testid={`target-${i}-event-${name}`}
                  />
                  {name}
                </label>
              ))}
            </div>
            <p className="sub hint">{t.events.length === 0 ? "No event ticked: every event goes to this target." : `Only ${t.events.join(", ")}.`}</p>
            <FieldMessage message={errorOf(`targets.${i}.events`)} />
            <label className="check">
              <input type="checkbox" checked={t.enabled} onChange={(e) => setTarget(i, { enabled: e.target.checked })} data-testid={`target-${i}-enabled`} />
              On
            </label>
          </fieldset>
        ))}
        <div>
          <button
            type="button"
            className="small-button"
            onClick={() => changed({ ...draft, targets: [...draft.targets, { url: "", events: [], enabled: true }] })}
            disabled={draft.targets.length >= 10}
            data-testid="add-target"
          >
            Add a target
          </button>
        </div>
        <FieldMessage message={errorOf("targets")} />
        <Field
          id="forward-retry-window"
          label="Retry a delivery not answered 2xx for"
          value={draft.retryWindowHours}
          onChange={(v) => changed({ ...draft, retryWindowHours: v })}
          error={errorOf("retryWindowHours")}
          suffix={<span className="unit">hours</span>}
          hint="After 1 s, then doubling to 5 minutes; then it is given up, and can be retried from the Forwarding page."
        />
        <Field
          id="forward-timeout"
          label="Give each request"
          value={draft.timeoutSecs}
          onChange={(v) => changed({ ...draft, timeoutSecs: v })}
          error={errorOf("timeoutSecs")}
          suffix={<span className="unit">seconds</span>}
        />
        <div className="form-actions">
          <button className="primary" disabled={busy !== null} data-testid="forwarding-apply">
            {busy ? "Applying…" : "Apply"}
          </button>
          {applied && (
            <span className="ok-text" data-testid="forwarding-applied" role="status">
              Applied: new deliveries go to these targets.
            </span>
          )}
          <ErrorLine error={error} />
        </div>
      </form>
    </section>
  );
}
