// Settings → Reasons: what each endedReason means. Reasons calls ended with that have no entry
// come first, to categorise; then every entry (shipped or yours), each editable in place and
// one of yours reset to the default. The overview's failures by category and a call's details
// read the same table.
import { FormEvent, useEffect, useState } from "react";
import type { Category, ReasonRow } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { ErrorLine, FieldMessage } from "../Alert";
import { CATEGORIES, CATEGORY_LABEL, reloadReasons, setReasons, useReasons } from "../reasons";

type Draft = { reason: string; category: Category | ""; explanation: string };

function ReasonEditor({ row, code, fresh }: { row: ReasonRow | null; code: string; fresh?: boolean }) {
  const [draft, setDraft] = useState<Draft>({ reason: code, category: row?.category ?? "", explanation: row?.explanation ?? "" });
  const [refusal, setRefusal] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const changed = !row || draft.category !== row.category || draft.explanation !== row.explanation || draft.reason !== row.reason;

  async function save(e: FormEvent) {
    e.preventDefault();
    setRefusal(null);
    setError(null);
    if (draft.category === "") return setRefusal("Choose who or what ended these calls.");
    setBusy(true);
    try {
      setReasons(await api.setReason({ reason: draft.reason, category: draft.category, explanation: draft.explanation }));
      if (fresh) setDraft({ reason: "", category: "", explanation: "" });
    } catch (err) {
      if (isAppError(err) && err.field) setRefusal(err.message);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function reset() {
    setBusy(true);
    setError(null);
    try {
      setReasons(await api.resetReason(code));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const id = `reason-${fresh ? "new" : code}`;
  return (
    <form className="reason-row" onSubmit={save} data-testid={id}>
      {fresh ? (
        <input className="mono reason-code" value={draft.reason} placeholder="a-reason-code" aria-label="Reason code" onChange={(e) => setDraft({ ...draft, reason: e.target.value })} />
      ) : (
        <span className="mono reason-code" title={code}>
          {code}
        </span>
      )}
      <select aria-label={`Who ended calls with ${code || "this reason"}`} value={draft.category} onChange={(e) => setDraft({ ...draft, category: e.target.value as Category | "" })} data-testid={`${id}-category`}>
        <option value="">Choose…</option>
        {CATEGORIES.map((c) => (
          <option key={c} value={c}>
            {CATEGORY_LABEL[c]}
          </option>
        ))}
      </select>
      <input
        className="reason-explanation"
        value={draft.explanation}
        placeholder="What happened, in one line"
        title={draft.explanation}
        aria-label={`What ${code || "this reason"} means`}
        aria-invalid={Boolean(refusal)}
        data-testid={`${id}-explanation`}
        onChange={(e) => setDraft({ ...draft, explanation: e.target.value })}
      />
      <button className="small-button" disabled={busy || !changed} data-testid={`${id}-save`}>
        {busy ? "Saving…" : fresh ? "Add" : "Save"}
      </button>
      {row?.custom && (
        <button type="button" className="link" disabled={busy} onClick={reset} data-testid={`${id}-reset`}>
          {row.hasDefault ? "Reset" : "Remove"}
        </button>
      )}
      <FieldMessage message={refusal} testId={`${id}-error`} />
      <ErrorLine error={error} />
    </form>
  );
}

export function ReasonsSettings() {
  const view = useReasons();
  // Calls may bring reasons while the page is open: read again now and then.
  useEffect(() => {
    reloadReasons();
    const timer = window.setInterval(reloadReasons, 15_000);
    return () => window.clearInterval(timer);
  }, []);
  if (!view) return null;
  return (
    <section className="settings-section" aria-labelledby="reasons-title" data-testid="reasons-settings">
      <h2 id="reasons-title">Reasons</h2>
      <p className="sub">
        What each endedReason code means: who or what ended the call, in one line. The overview counts failures by these categories, and a call's details
        explain its reason.
      </p>
      {view.unknown.length > 0 && (
        <fieldset className="reason-group" data-testid="reasons-unknown">
          <legend>Not categorised yet ({view.unknown.length})</legend>
          {view.unknown.map((code) => (
            <ReasonEditor key={`unknown-${code}`} row={null} code={code} />
          ))}
        </fieldset>
      )}
      <fieldset className="reason-group">
        <legend>Known reasons</legend>
        {view.entries.map((row) => (
          <ReasonEditor key={`${row.reason}-${row.category}-${row.explanation}-${row.custom}`} row={row} code={row.reason} />
        ))}
        <ReasonEditor row={null} code="" fresh />
      </fieldset>
    </section>
  );
}
