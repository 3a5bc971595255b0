// Settings → Data → Dimensions: the metadata fields calls are counted by (at most five), the
// fields seen in stored calls offered, and each new field's count in the background. In team
// mode the team's fields, shown as chosen for the fleet (by a receiver's operator), not here.
import { FormEvent, useCallback, useEffect, useState } from "react";
import type { DimensionsView } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { ErrorLine, FieldMessage } from "../Alert";

export function DimensionsSettings() {
  const [view, setView] = useState<DimensionsView | null>(null);
  const [adding, setAdding] = useState("");
  // A refusal: of the field typed (marks the box) or of a removal (said under the list).
  const [refusal, setRefusal] = useState<{ of: "add" | "remove"; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const counting = view?.chosen.some((d) => !d.ready) ?? false;

  const load = useCallback(() => api.dimensions().then(setView, (e) => setError(errorText(e))), []);
  useEffect(() => {
    load();
  }, [load]);
  // A count in progress: its progress once a second until it ends.
  useEffect(() => {
    if (!counting) return;
    const timer = window.setInterval(() => api.dimensions().then(setView, () => undefined), 1000);
    return () => window.clearInterval(timer);
  }, [counting]);

  async function apply(fields: string[], of: "add" | "remove") {
    setBusy(true);
    setRefusal(null);
    setError(null);
    try {
      setView(await api.setDimensions(fields));
      return true;
    } catch (err) {
      if (isAppError(err) && err.field?.startsWith("fields")) setRefusal({ of, message: err.message });
      else setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add(e: FormEvent) {
    e.preventDefault();
    if (!view) return;
    if (adding.trim() === "") return setRefusal({ of: "add", message: "Type or pick a metadata field." });
    if (await apply([...view.chosen.map((d) => d.field), adding], "add")) setAdding("");
  }

  if (!view) return <ErrorLine error={error} />;
  if (view.team) return <TeamDimensions view={view} />;
  const chosen = view.chosen.map((d) => d.field);
  const offered = view.seen.filter((s) => !chosen.includes(s.field));
  const full = chosen.length >= view.most;
  return (
    <div className="settings-form dimensions">
    <fieldset data-testid="dimensions">
      <legend>Dimensions</legend>
      <p className="sub">
        Count calls by up to {view.most} metadata fields you pass when calls start (an order, a campaign, a region): alert rules can then watch one
        value of them. A field added is counted over the stored calls in the background; deliveries keep arriving meanwhile.
      </p>
      {view.chosen.length === 0 ? (
        <p className="sub" data-testid="dimensions-none">
          No field chosen yet.
        </p>
      ) : (
        <ul className="dimension-list">
          {view.chosen.map((d) => (
            <li key={d.field} data-testid={`dimension-${d.field}`}>
              <span className="mono">{d.field}</span>
              {d.ready ? (
                <span className="ok-text">counted</span>
              ) : (
                <span className="counting" role="status">
                  <progress max={Math.max(d.calls, 1)} value={d.countedCalls} aria-label={`Counting calls by ${d.field}`} />
                  counting… {d.countedCalls.toLocaleString()} of {d.calls.toLocaleString()} calls
                </span>
              )}
              <button
                type="button"
                className="link"
                disabled={busy}
                aria-label={`Stop counting calls by ${d.field}`}
                data-testid={`dimension-remove-${d.field}`}
                onClick={() => apply(chosen.filter((f) => f !== d.field), "remove")}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-limit" onSubmit={add}>
        <input
          value={adding}
          list="dimension-fields"
          placeholder={offered[0]?.field ?? "campaign"}
          aria-label="Metadata field to count calls by"
          aria-invalid={refusal?.of === "add"}
          disabled={full || busy}
          data-testid="dimension-field"
          onChange={(e) => {
            setAdding(e.target.value);
            setRefusal(null);
          }}
        />
        <datalist id="dimension-fields">
          {offered.map((s) => (
            <option key={s.field} value={s.field} label={`in ${s.calls.toLocaleString()} of the newest calls`} />
          ))}
        </datalist>
        <button className="small-button" disabled={full || busy} data-testid="dimension-add">
          {busy ? "Saving…" : "Add"}
        </button>
        {full && <span className="sub">{view.most} fields at most: remove one to add another.</span>}
      </form>
      <FieldMessage message={refusal?.message ?? null} testId="dimension-error" />
      <ErrorLine error={error} />
    </fieldset>
    </div>
  );
}

/** The team's fields: read from its database, chosen there for every window of the fleet. */
function TeamDimensions({ view }: { view: DimensionsView }) {
  return (
    <div className="settings-form dimensions">
      <fieldset data-testid="dimensions">
        <legend>Dimensions</legend>
        <p className="sub" data-testid="dimensions-team">
          The team's metadata fields, the same in every window of the fleet: the timeline filters by them, the Overview and the Agents page group by
          them, exports have them as columns. A receiver's operator chooses them:{" "}
          <code>calleague-receiver dimensions --database … FIELD…</code>
        </p>
        {view.chosen.length === 0 ? (
          <p className="sub" data-testid="dimensions-none">
            The team has chosen none yet{view.seen.length > 0 ? `; fields in its newest calls: ${view.seen.map((s) => s.field).join(", ")}` : ""}.
          </p>
        ) : (
          <ul className="dimension-list">
            {view.chosen.map((d) => (
              <li key={d.field} data-testid={`dimension-${d.field}`}>
                <span className="mono">{d.field}</span>
                <span className="ok-text">read from the team's calls</span>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
    </div>
  );
}
