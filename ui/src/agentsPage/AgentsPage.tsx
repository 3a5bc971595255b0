// The Agents page: one row per agent for the chosen range (the Overview's), live, sortable
// by any column; every count opens the timeline at exactly the calls it counts.
import { Fragment, useCallback, useMemo, useState } from "react";
import { api } from "../ipc";
import { Drill, OverviewRange } from "../overview/range";
import { PageRange, RetryLine } from "../overview/PageRange";
import { useLiveRange } from "../overview/useLiveRange";
import { useAgentLabels } from "../agents";
import { useReasons } from "../reasons";
import { AgentRow } from "./AgentRow";
import { AgentValues } from "./AgentValues";
import { remember, remembered, useDimensionChoices } from "../overview/dimensionChoices";
import { DEFAULT_SORT, Sort, SortKey, sortRows } from "./columns";

/** The sortable headers: a column's title and, under it, its other sort keys. */
const COLUMNS: { title: string; keys: { key: SortKey; label: string; hint?: string }[]; numeric?: boolean }[] = [
  { title: "Agent", keys: [{ key: "agent", label: "Agent" }] },
  { title: "Calls", keys: [{ key: "calls", label: "Calls" }], numeric: true },
  { title: "Completed", keys: [{ key: "completed", label: "Completed" }], numeric: true },
  { title: "Failed", keys: [{ key: "failed", label: "Failed" }], numeric: true },
  {
    title: "Failure rate",
    keys: [
      { key: "rate", label: "Failure rate", hint: "Failed of the calls that ended" },
      { key: "change", label: "vs before", hint: "The change against the period of the same length just before, in percentage points" },
    ],
    numeric: true,
  },
  {
    title: "Duration",
    keys: [
      { key: "durationP50", label: "p50", hint: "Duration, the middle call" },
      { key: "durationP90", label: "p90", hint: "Duration, 90% of the calls at or below" },
    ],
    numeric: true,
  },
  {
    title: "Wait",
    keys: [
      { key: "waitP50", label: "p50", hint: "From call.started to call.connected, the middle call" },
      { key: "waitP90", label: "p90", hint: "From call.started to call.connected, 90% at or below" },
    ],
    numeric: true,
  },
];

/** Where the page's grouping is remembered ('' for none). */
const BY_STORAGE = "calleague.agents.by";

export function AgentsPage({ range, onRange, onDrill }: { range: OverviewRange; onRange: (r: OverviewRange) => void; onDrill: (d: Drill) => void }) {
  const { choices, loaded } = useDimensionChoices();
  const [by, setBy] = useState(() => remembered(BY_STORAGE, ""));
  // A remembered field this store does not count (another data folder, a field dropped in
  // Settings → Data) leaves the page ungrouped, with a word next to the choice.
  const offered = choices.some(([d]) => d === by);
  const missing = by !== "" && loaded && !offered;
  const asked = offered ? by : null;
  const read = useCallback((fromMs: number, toMs: number) => api.agentsPage(fromMs, toMs, asked), [asked]);
  const { value: page, error, loading, reload } = useLiveRange(range, read);
  const chooseBy = (next: string) => {
    setBy(next);
    remember(BY_STORAGE, next);
  };
  const labelOf = (d: string) => choices.find(([c]) => c === d)?.[1] ?? d.replace("metadata.", "");
  const byLabel = labelOf(by);
  // The rows' grouping as read (a page read before a new choice has the old one).
  const groupedBy = page?.by ?? null;
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
        <PageRange range={range} onRange={onRange} id="agents" label="Agents range" />
        <label className="agents-by">
          by{" "}
          <select aria-label="Group each agent's calls by" data-testid="agents-by" value={by} onChange={(e) => chooseBy(e.target.value)}>
            <option value="">—</option>
            {!choices.some(([d]) => d === by) && by && <option value={by}>{byLabel}</option>}
            {choices.map(([d, label]) => (
              <option key={d} value={d}>
                {label}
              </option>
            ))}
          </select>
          {missing && (
            <span className="sub" data-testid="agents-by-missing">
              {" "}
              {byLabel} is not counted here: choose it in Settings → Data
            </span>
          )}
        </label>
        {page && (
          <span className="sub" data-testid="agents-count">
            {page.agents.length.toLocaleString()} {page.agents.length === 1 ? "agent" : "agents"} with calls · calls per {per} · updated live
          </span>
        )}
      </div>
      {error && <RetryLine error={error} testId="agents-error" onRetry={reload} />}
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
                  const on = c.keys.find((k) => k.key === sort.key);
                  return (
                    <th key={c.title} scope="col" aria-sort={on ? (sort.descending ? "descending" : "ascending") : "none"} className={c.numeric ? "num" : ""}>
                      {c.keys.length === 1 ? (
                        <SortButton sort={sort} column={c.keys[0]} onSort={sortBy} />
                      ) : (
                        <>
                          {c.keys[0].label === c.title ? <SortButton sort={sort} column={c.keys[0]} onSort={sortBy} /> : <span className="col-title">{c.title}</span>}
                          <span className="sub-sorts">
                            {c.keys.slice(c.keys[0].label === c.title ? 1 : 0).map((k) => (
                              <SortButton key={k.key} sort={sort} column={k} onSort={sortBy} />
                            ))}
                          </span>
                        </>
                      )}
                      {c.keys[0].key === "agent" && <span className="col-note">calls per {per}</span>}
                    </th>
                  );
                })}
                <th scope="col">Top reasons</th>
                <th scope="col" title="Failed calls by who or what ended them (Settings → Reasons)">What went wrong</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <Fragment key={row.agentId ?? ""}>
                <AgentRow
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
                {groupedBy && <AgentValues row={row} by={groupedBy} byLabel={labelOf(groupedBy)} columns={COLUMNS.length + 2} range={whole!} onDrill={onDrill} />}
                </Fragment>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </main>
  );
}

function SortButton({ sort, column, onSort }: { sort: Sort; column: { key: SortKey; label: string; hint?: string }; onSort: (key: SortKey) => void }) {
  const on = sort.key === column.key;
  return (
    <button
      className={`sort ${on ? "on" : ""}`}
      data-testid={`agents-sort-${column.key}`}
      aria-pressed={on}
      title={`${column.hint ? `${column.hint}. ` : ""}Sort by this`}
      onClick={() => onSort(column.key)}
    >
      {column.label}
      <span aria-hidden="true" className="sort-mark">
        {on ? (sort.descending ? " ▼" : " ▲") : ""}
      </span>
    </button>
  );
}
