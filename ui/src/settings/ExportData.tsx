import { useState } from "react";
import type { ExportFormat, ExportProgress, ExportWhat } from "../ipc";
import { api, errorCode, errorText } from "../ipc";
import { FieldMessage } from "../Alert";

type State = { kind: "idle" } | { kind: "running"; progress: ExportProgress | null } | { kind: "done"; path: string; rows: number } | { kind: "cancelled" } | { kind: "failed"; message: string };

/** `datetime-local` text as the instant it names in this computer's zone; empty is open. */
const instant = (text: string) => (text ? new Date(text).toISOString() : null);

/** Export of calls or events for a time range: the native save dialog, then progress and Cancel. */
export function ExportData() {
  const [what, setWhat] = useState<ExportWhat>("calls");
  const [format, setFormat] = useState<ExportFormat>("ndjson");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [state, setState] = useState<State>({ kind: "idle" });
  const rangeError = from && to && new Date(from) >= new Date(to) ? "The range ends before it starts." : null;

  async function start() {
    setState({ kind: "running", progress: null });
    try {
      const done = await api.exportData({ what, format, range: { from: instant(from), to: instant(to) } }, (progress) => setState({ kind: "running", progress }));
      setState(done ? { kind: "done", path: done.path, rows: done.rows } : { kind: "idle" });
    } catch (e) {
      setState(errorCode(e) === "cancelled" ? { kind: "cancelled" } : { kind: "failed", message: errorText(e) });
    }
  }

  const running = state.kind === "running";
  const p = running ? state.progress : null;
  return (
    <div className="export" data-testid="export">
      <h3>Export</h3>
      <div className="export-row">
        <select value={what} onChange={(e) => setWhat(e.target.value as ExportWhat)} disabled={running} aria-label="What to export" data-testid="export-what">
          <option value="calls">Calls</option>
          <option value="events">Events</option>
        </select>
        <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} disabled={running} aria-label="Format" data-testid="export-format">
          <option value="ndjson">NDJSON</option>
          <option value="csv">CSV</option>
        </select>
        <label>
          From <input type="datetime-local" step="1" value={from} onChange={(e) => setFrom(e.target.value)} disabled={running} data-testid="export-from" />
        </label>
        <label>
          to <input type="datetime-local" step="1" value={to} onChange={(e) => setTo(e.target.value)} disabled={running} data-testid="export-to" />
        </label>
        {running ? (
          <button className="secondary" onClick={() => api.cancelExport()} data-testid="export-cancel">
            Cancel
          </button>
        ) : (
          <button className="primary" onClick={start} disabled={Boolean(rangeError)} data-testid="export-start">
            Export…
          </button>
        )}
      </div>
      <p className="sub">Empty ends are open: from the first, or to the last. Times are this computer's; rows are ordered by occurredAt.</p>
      <FieldMessage message={rangeError} />
      {running && (
        <div className="progress-line" role="status" data-testid="export-progress">
          <progress max={p?.total || 1} value={p?.written ?? 0} aria-label="Rows exported" />
          <span>{p ? `${p.written.toLocaleString()} of ${p.total.toLocaleString()} rows` : "Choose where to save…"}</span>
        </div>
      )}
      {state.kind === "done" && (
        <p className="ok-text" role="status" data-testid="export-done">
          Exported {state.rows.toLocaleString()} rows to {state.path}
        </p>
      )}
      {state.kind === "cancelled" && <p className="sub" data-testid="export-cancelled">Export cancelled; no file was left behind.</p>}
      {state.kind === "failed" && (
        <p className="error" role="alert" data-testid="export-error">
          {state.message}
        </p>
      )}
    </div>
  );
}
