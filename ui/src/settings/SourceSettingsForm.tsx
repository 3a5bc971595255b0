import { FormEvent, useState } from "react";
import type { AppStatus, SourceSettings } from "../ipc";
import { api, isAppError } from "../ipc";
import { useAction } from "../useAction";
import { ErrorLine } from "../Alert";
import { Field } from "./Field";

type FieldName = "pollEverySecs" | "reconcileEveryMinutes" | "requestsPerMinute";
type Draft = Record<FieldName, string>;

const draftOf = (s: SourceSettings): Draft => ({
  pollEverySecs: String(s.pollEverySecs),
  reconcileEveryMinutes: String(s.reconcileEveryMinutes),
  requestsPerMinute: String(s.requestsPerMinute),
});

/** Whole numbers only; the engine checks the bounds and names the field it refuses. */
function parsed(draft: Draft): SourceSettings | { field: FieldName; message: string } {
  const numbers = {} as SourceSettings;
  for (const field of Object.keys(draft) as FieldName[]) {
    const n = Number(draft[field].trim());
    if (draft[field].trim() === "" || !Number.isInteger(n) || n < 0) return { field, message: "A whole number, please." };
    numbers[field] = n;
  }
  return numbers;
}

/** How Calleague's REST API is read: instead of webhooks, beside them, and how often at most. */
export function SourceSettingsForm({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(status.sourceSettings));
  const [fieldError, setFieldError] = useState<{ field: FieldName; message: string } | null>(null);
  const [applied, setApplied] = useState(false);
  const { busy, error, run } = useAction<"apply">();
  const change = (field: FieldName) => (value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setFieldError(null);
    setApplied(false);
  };
  const errorOf = (field: FieldName) => (fieldError?.field === field ? fieldError.message : null);

  function apply(e: FormEvent) {
    e.preventDefault();
    const settings = parsed(draft);
    if ("field" in settings) return setFieldError(settings);
    run("apply", async () => {
      try {
        onStatus(await api.setSourceSettings(settings));
        setApplied(true);
      } catch (err) {
        if (isAppError(err) && err.field && err.field in draft) return setFieldError({ field: err.field as FieldName, message: err.message });
        throw err;
      }
    });
  }

  return (
    <section className="settings-section" aria-labelledby="sources-title" data-testid="source-settings">
      <h2 id="sources-title">Sources</h2>
      <p className="sub">
        Calls come by webhook when a subscription sends to this computer. Without one, they are read from Calleague's REST API instead; with one,
        the REST API is read now and then to find what webhooks missed and to tell you when they stop arriving.
      </p>
      <form className="settings-form" onSubmit={apply}>
        <Field id="poll-every" label="Without webhooks, read the calls every" value={draft.pollEverySecs} onChange={change("pollEverySecs")} error={errorOf("pollEverySecs")} suffix={<span className="unit">seconds</span>} hint="5 seconds to an hour; 0 never reads without webhooks (when a tunnel this app does not know of delivers anyway)." />
        <Field id="reconcile-every" label="Beside webhooks, reconcile every" value={draft.reconcileEveryMinutes} onChange={change("reconcileEveryMinutes")} error={errorOf("reconcileEveryMinutes")} suffix={<span className="unit">minutes</span>} hint="0 turns it off (and the warning when webhooks stop)." />
        <Field id="requests-per-minute" label="At most" value={draft.requestsPerMinute} onChange={change("requestsPerMinute")} error={errorOf("requestsPerMinute")} suffix={<span className="unit">requests a minute</span>} hint="For catch-up and these reads together; each read is one request per 100 calls." />
        <div className="form-actions">
          <button className="primary" disabled={busy !== null} data-testid="sources-apply">
            {busy ? "Applying…" : "Apply"}
          </button>
          {applied && <span className="ok-text" data-testid="sources-applied">Applied: the next read follows these.</span>}
          <ErrorLine error={error} />
        </div>
      </form>
    </section>
  );
}
