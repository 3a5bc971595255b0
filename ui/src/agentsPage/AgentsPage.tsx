// The Agents page: one row per agent for the chosen range (the Overview's), live, sortable
// by any column; every count opens the timeline at exactly the calls it counts.
import { useMemo, useState } from "react";
import { api } from "../ipc";
import { ErrorLine } from "../Alert";
import { TimeRangeSelect } from "../calls/TimeRangeSelect";
import { Drill, OverviewRange, PRESETS } from "../overview/range";
import { useLiveRange } from "../overview/useLiveRange";
import { useAgentLabels } from "../agents";
import { useReasons } from "../reasons";
import { AgentRow } from "./AgentRow";
import { DEFAULT_SORT, Sort, SortKey, sortRows } from "./columns";

const COLUMNS: { key: SortKey; title: string; hint?: string }[] = [
  { key: "agent", title: "Agent" },
  { key: "calls", title: "Calls" },
  { key: "completed", title: "Completed" },
  { key: "failed", title: "Failed" },
  { key: "rate", title: "Failure rate", hint: "Failed of the calls that ended" },
  { key: "change", title: "vs before", hint: "The failure rate's change against the period of the same length just before, in percentage points" },
  { key: "durationP50", title: "Duration p50" },
  { key: "durationP90", title: "Duration p90" },
  { key: "waitP50", title: "Wait p50", hint: "From call.started to call.connected" },
  { key: "waitP90", title: "Wait p90", hint: "From call.started to call.connected" },
];

export function AgentsPage({ range, onRange, onDrill }: { range: OverviewRange; onRange: (r: OverviewRange) => void; onDrill: (d: Drill) => void }) {
  const { value: page, error, loading, reload } = useLiveRange(range, api.agentsPage);
  const labels = useAgentLabels();
  const reasons = useReasons();
  const [sort, setSort] = useState<Sort>(DEFAULT_SORT);
  const rows = useMemo(() => (page ? sortRows(page.agents, sort, labels.label) : []), [page, sort, labels]);
  const most = useMemo(() => Math.max(1, ...(page?.agents ?? []).flatMap((a) => a.bars)), [page]);
  const whole = page && { fromMs: new Date(page.from).getTime(), toMs: new Date(page.to).getTime() };
  const per = page?.barMs === 60_000 ? "minute" : "hour";

  const sortBy = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, descending: !s.descending } : { key, descending: key !== "agent" }));

  return (
    <main className="overview agents-page" data-testid="agents-page" data-loading={loading ? "true" : "false"}>
      <div className="overview-head">
        <h2>Agents</h2>
        <TimeRangeSelect
          preset={range.preset}
          custom={range.custom}
          onPreset={(preset) => onRange({ ...range, preset })}
          onCustom={(custom) => onRange({ ...range, custom })}
          presets={PRESETS}
          ids={{ select: "agents-range", from: "agents-from", to: "agents-to" }}
          label="Agents range"
        />
        {page && (
          <span className="sub" data-testid="agents-count">
            {page.agents.length.toLocaleString()} {page.agents.length === 1 ? "agent" : "agents"} with calls · calls per {per} · updated live
          </span>
        )}
      </div>
      {error && (
        <div className="overview-error">
          <ErrorLine error={error} testId="agents-error" />
          <button onClick={reload}>Retry</button>
        </div>
      )}
      {!page ? (
        !error && <div className="empty">Counting…</div>
      ) : page.agents.length === 0 ? (
        <div className="empty" data-testid="agents-empty">
          No calls in this range.
        </div>
      ) : (
        <section className="panel agents-table-wrap">
          <table className="agents-table" data-testid="agents-table">
            <thead>
              <tr>
                {COLUMNS.map((c) => {
                  const on = sort.key === c.key;
                  return (
                    <th key={c.key} scope="col" aria-sort={on ? (sort.descending ? "descending" : "ascending") : "none"} className={c.key === "agent" ? "" : "num"}>
                      <button className={`sort ${on ? "on" : ""}`} data-testid={`agents-sort-${c.key}`} title={c.hint ? `${c.hint}. Sort by this column` : "Sort by this column"} onClick={() => sortBy(c.key)}>
                        {c.title}
                        <span aria-hidden="true" className="sort-mark">
                          {on ? (sort.descending ? " ▼" : " ▲") : ""}
                        </span>
                      </button>
                    </th>
                  );
                })}
                <th scope="col">Top reasons</th>
                <th scope="col">Failures by what went wrong</th>
                <th scope="col">Calls per {per}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <AgentRow
                  key={row.agentId ?? ""}
                  row={row}
                  label={labels.label(row.agentId)}
                  name={labels.name(row.agentId)}
                  reasons={reasons}
                  barMs={page.barMs}
                  firstBarMs={Math.floor(whole!.fromMs / page.barMs) * page.barMs}
                  range={whole!}
                  most={most}
                  onDrill={onDrill}
                />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </main>
  );
}
