import { FormEvent, useEffect, useState } from "react";
import type { DataInfo } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { useAction } from "../useAction";
import { DimensionsSettings } from "./DimensionsSettings";
import { ExportData } from "./ExportData";
import { ErrorLine, FieldMessage } from "../Alert";

type Draft = { byAge: boolean; keepDays: string; bySize: boolean; maxGb: string };

const draftOf = (d: DataInfo): Draft => ({
  byAge: d.retention.keepDays !== null,
  keepDays: String(d.retention.keepDays ?? 90),
  bySize: d.retention.maxGb !== null,
  maxGb: String(d.retention.maxGb ?? 5),
});

/** Where the data lives, how big it is, how much of it is kept, and export. */
export function DataSettings() {
  const [info, setInfo] = useState<DataInfo | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [fieldError, setFieldError] = useState<{ field: "keepDays" | "maxGb"; message: string } | null>(null);
  const [applied, setApplied] = useState(false);
  const { busy, error, setError, run } = useAction<"apply">();

  useEffect(() => {
    api.dataInfo().then((d) => {
      setInfo(d);
      setDraft(draftOf(d));
    }, (e) => setError(errorText(e)));
    // The size and what retention removed, again now and then while the page is open.
    const timer = window.setInterval(() => api.dataInfo().then(setInfo, () => undefined), 5000);
    return () => window.clearInterval(timer);
  }, [setError]);

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => (d ? { ...d, ...patch } : d));
    setFieldError(null);
    setApplied(false);
  };

  function apply(e: FormEvent) {
    e.preventDefault();
    if (!draft) return;
    const days = Number(draft.keepDays);
    const gb = Number(draft.maxGb);
    if (draft.byAge && !(Number.isInteger(days) && days >= 1)) return setFieldError({ field: "keepDays", message: "Keep at least 1 whole day." });
    if (draft.bySize && !(gb >= 0.01)) return setFieldError({ field: "maxGb", message: "At least 0.01 GB (10 MB)." });
    run("apply", async () => {
      try {
        setInfo(await api.applyRetention({ keepDays: draft.byAge ? days : null, maxGb: draft.bySize ? gb : null }));
        setApplied(true);
      } catch (err) {
        if (isAppError(err) && (err.field === "keepDays" || err.field === "maxGb")) return setFieldError({ field: err.field, message: err.message });
        throw err;
      }
    });
  }

  return (
    <section className="settings-section" aria-labelledby="data-title" data-testid="data-settings">
      <h2 id="data-title">Data</h2>
      {info && (
        <dl className="facts">
          <div>
            <dt>Database</dt>
            <dd className="mono" data-testid="data-path">{info.path}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd data-testid="data-size">
              {bytes(info.size.fileBytes)} on disk ({bytes(info.size.usedBytes)} in use)
            </dd>
          </div>
          {info.lastPrune && (
            <div>
              <dt>Retention</dt>
              <dd data-testid="last-prune">
                {info.lastPrune.error
                  ? `Could not prune at ${new Date(info.lastPrune.at).toLocaleTimeString()}: ${info.lastPrune.error}`
                  : `Last run ${new Date(info.lastPrune.at).toLocaleTimeString()}: ${info.lastPrune.calls.toLocaleString()} ${info.lastPrune.calls === 1 ? "call" : "calls"} removed`}
              </dd>
            </div>
          )}
        </dl>
      )}
      {draft && (
        <form className="settings-form" onSubmit={apply}>
          <fieldset>
            <legend>Keep</legend>
            <p className="sub">Nothing is removed unless you choose a limit. Old calls go whole, in the background; deliveries keep arriving meanwhile.</p>
            <div className="inline-limit">
              <label className="check">
                <input type="checkbox" checked={draft.byAge} onChange={(e) => change({ byAge: e.target.checked })} data-testid="retention-by-age" />
                Only the calls of the last
              </label>
              <input className="small-number" value={draft.keepDays} onChange={(e) => change({ keepDays: e.target.value })} disabled={!draft.byAge} aria-label="Days to keep" aria-invalid={fieldError?.field === "keepDays"} data-testid="retention-days" />
              days
            </div>
            <FieldMessage message={fieldError?.field === "keepDays" ? fieldError.message : null} testId="retention-days-error" />
            <div className="inline-limit">
              <label className="check">
                <input type="checkbox" checked={draft.bySize} onChange={(e) => change({ bySize: e.target.checked })} data-testid="retention-by-size" />
                At most
              </label>
              <input className="small-number" value={draft.maxGb} onChange={(e) => change({ maxGb: e.target.value })} disabled={!draft.bySize} aria-label="Most data to keep, in GB" aria-invalid={fieldError?.field === "maxGb"} data-testid="retention-gb" />
              GB of data (the oldest calls go first)
            </div>
            <FieldMessage message={fieldError?.field === "maxGb" ? fieldError.message : null} testId="retention-gb-error" />
          </fieldset>
          <div className="form-actions">
            <button className="primary" disabled={busy !== null} data-testid="retention-apply">
              {busy ? "Applying…" : "Apply"}
            </button>
            {applied && <span className="ok-text" data-testid="retention-applied">Applied: pruning runs now and every hour.</span>}
            <ErrorLine error={error} />
          </div>
        </form>
      )}
      <DimensionsSettings />
      <ExportData />
    </section>
  );
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
