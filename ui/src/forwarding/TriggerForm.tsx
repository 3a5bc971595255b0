import { FormEvent, useEffect, useState } from "react";
import type { TriggerResult } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { ErrorLine, FieldMessage } from "../Alert";
import { EVENTS } from "../settings/ForwardingSettingsForm";
import { answerText } from "./answer";

/** The fields a made-up delivery lets a person choose; the rest come from a real one. */
const FIELDS = [
  ["agentId", "Agent"],
  ["endedReason", "endedReason"],
  ["durationSec", "durationSec"],
  ["metadata", "metadata (JSON)"],
] as const;
type FieldName = (typeof FIELDS)[number][0];

/** A made-up delivery of any event, to a target or to this app's own receiver (to try
 * notifications and filters). Its values start from the newest real delivery of the event. */
export function TriggerForm({ targets }: { targets: string[] }) {
  const [event, setEvent] = useState("call.failed");
  const [to, setTo] = useState("");
  const [values, setValues] = useState<Record<FieldName, string>>({ agentId: "", endedReason: "", durationSec: "", metadata: "" });
  const [result, setResult] = useState<TriggerResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.triggerDefaults(event).then(
      (text) => {
        const data = (JSON.parse(text) as { data?: Record<string, unknown> }).data ?? {};
        const show = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
        setValues({ agentId: show(data.agentId), endedReason: show(data.endedReason), durationSec: show(data.durationSec), metadata: show(data.metadata) });
      },
      (e) => setError(errorText(e)),
    );
  }, [event]);

  async function send(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setFieldError(null);
    if (values.metadata.trim()) {
      try {
        JSON.parse(values.metadata);
      } catch {
        return setFieldError("metadata is not JSON, e.g. {\"campaign\": \"spring\"}.");
      }
    }
    setBusy(true);
    try {
      const fields = FIELDS.filter(([name]) => values[name].trim() !== "").map(([name]) => [name, values[name].trim()] as [string, string]);
      setResult(await api.triggerDelivery({ event, to: to || null, fields }));
    } catch (err) {
      if (isAppError(err) && err.field) setFieldError(err.message);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="settings-section wide" aria-labelledby="trigger-title" data-testid="trigger">
      <h2 id="trigger-title">Send a made-up delivery</h2>
      <p className="sub">To try your handler, or this app's notifications and filters. The other values come from the newest real {event}.</p>
      <form className="trigger-form" onSubmit={send}>
        <label>
          Event
          <select className="facet" value={event} onChange={(e) => setEvent(e.target.value)} data-testid="trigger-event">
            {EVENTS.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          To
          <select className="facet" value={to} onChange={(e) => setTo(e.target.value)} data-testid="trigger-to">
            <option value="">This app's receiver</option>
            {targets.map((url) => (
              <option key={url} value={url}>
                {url}
              </option>
            ))}
          </select>
        </label>
        {FIELDS.map(([name, label]) => (
          <label key={name}>
            {label}
            <input value={values[name]} onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))} data-testid={`trigger-${name}`} />
          </label>
        ))}
        <button className="primary" disabled={busy} data-testid="trigger-send">
          {busy ? "Sending…" : "Send"}
        </button>
      </form>
      <FieldMessage message={fieldError} testId="trigger-error" />
      <ErrorLine error={error} />
      {result && (
        <div className="trigger-result" role="status" data-testid="trigger-result">
          <strong>{answerText({ status: result.status, error: result.error, latencyMs: result.latencyMs })}</strong>
          {result.responseBody && <pre>{result.responseBody}</pre>}
          <details>
            <summary className="sub">What was sent</summary>
            <pre>{result.body}</pre>
          </details>
        </div>
      )}
    </section>
  );
}
