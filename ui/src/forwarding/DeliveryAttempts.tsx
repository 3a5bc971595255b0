import { useState } from "react";
import type { AttemptView } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { pretty } from "../curl";
import { ErrorLine, FieldMessage } from "../Alert";
import { answerText, succeeded } from "./answer";

/** Under a delivery in a call's details: where it was forwarded and what came back (the
 * body a click away), and a replay, its JSON editable first. */
export function DeliveryAttempts({
  delivery,
  body,
  attempts,
  targets,
  showReplay,
  onReplayed,
}: {
  /** The replay button: when the delivery is open. */
  showReplay: boolean;
  delivery: number;
  body: string;
  attempts: AttemptView[];
  targets: string[];
  onReplayed: () => void;
}) {
  const [shown, setShown] = useState<number | null>(null);
  const [replaying, setReplaying] = useState(false);
  return (
    <div className="attempts" data-testid="delivery-attempts">
      {attempts.map((a) => {
        const ok = succeeded(a);
        return (
          <div key={a.id}>
            <button className={`attempt-line ${ok ? "ok-text" : "warn-text"}`} onClick={() => setShown(shown === a.id ? null : a.id)} aria-expanded={shown === a.id} data-testid="attempt-line">
              → {a.targetName} {answerText(a)}
              {a.attempt > 1 && ` · attempt ${a.attempt}`}
              {a.replay && " · replay"}
            </button>
            {shown === a.id && (
              <div className="attempt-answer" data-testid="attempt-answer">
                {a.responseHeaders.length > 0 && (
                  <pre className="sub">{a.responseHeaders.map(([n, v]) => `${n}: ${v}`).join("\n")}</pre>
                )}
                <pre data-testid="attempt-body">{a.responseBody || (a.error ? a.error : "(empty body)")}</pre>
              </div>
            )}
          </div>
        );
      })}
      {replaying ? (
        <ReplayPanel delivery={delivery} body={body} targets={targets} onDone={() => { setReplaying(false); onReplayed(); }} onCancel={() => setReplaying(false)} />
      ) : (
        showReplay && (
          <button className="small-button" onClick={() => setReplaying(true)} data-testid="replay-open">
            Replay…
          </button>
        )
      )}
    </div>
  );
}

function ReplayPanel({ delivery, body, targets, onDone, onCancel }: { delivery: number; body: string; targets: string[]; onDone: () => void; onCancel: () => void }) {
  const original = pretty(body);
  const [to, setTo] = useState(targets[0] ?? "");
  const [other, setOther] = useState("");
  const [text, setText] = useState(original);
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const address = to === "" ? other : to;

  async function send() {
    setError(null);
    setFieldError(null);
    try {
      JSON.parse(text);
    } catch (e) {
      return setFieldError({ field: "body", message: `The body is not JSON: ${(e as Error).message}.` });
    }
    setBusy(true);
    try {
      // Unedited, the stored bytes go out exactly as they came.
      await api.replayDelivery(delivery, address, text === original ? null : text);
      onDone();
    } catch (err) {
      if (isAppError(err) && err.field) setFieldError({ field: err.field, message: err.message });
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="replay-panel" data-testid="replay-panel">
      <label>
        To{" "}
        <select className="facet" value={to} onChange={(e) => setTo(e.target.value)} data-testid="replay-to">
          {targets.map((url) => (
            <option key={url} value={url}>
              {url}
            </option>
          ))}
          <option value="">Another address…</option>
        </select>
      </label>
      {to === "" && <input className="search" placeholder="http://localhost:3000/webhooks" value={other} onChange={(e) => setOther(e.target.value)} data-testid="replay-other" aria-label="Address" />}
      <FieldMessage message={fieldError?.field === "to" ? fieldError.message : null} testId="replay-to-error" />
      <textarea className="json-editor" value={text} onChange={(e) => setText(e.target.value)} rows={10} spellCheck={false} aria-label="Body to send" data-testid="replay-body" />
      <FieldMessage message={fieldError?.field === "body" ? fieldError.message : null} testId="replay-body-error" />
      <div className="form-actions">
        <button className="primary" onClick={send} disabled={busy || !address.trim()} data-testid="replay-send">
          {busy ? "Sending…" : text === original ? "Send" : "Send edited"}
        </button>
        <button className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorLine error={error} />
    </div>
  );
}
