// The Overview's calls by one dimension's values (direction, language, or a metadata field
// chosen in Settings → Data): each value's calls and failures, live; a value opens its calls.
import { useCallback, useState } from "react";
import { api } from "../ipc";
import { ErrorLine } from "../Alert";
import { Drill, OverviewRange, percent } from "./range";
import { useLiveRange } from "./useLiveRange";
import { METADATA, drillOf, remember, remembered, useDimensionChoices } from "./dimensionChoices";

const STORAGE = "calleague.overview.by";

export function ByDimension({ range, onDrill }: { range: OverviewRange; onDrill: (d: Drill) => void }) {
  const { choices } = useDimensionChoices();
  const [dimension, setDimension] = useState(() => remembered(STORAGE, "direction"));
  const read = useCallback((fromMs: number, toMs: number) => api.breakdown(fromMs, toMs, dimension), [dimension]);
  const { value: breakdown, error } = useLiveRange(range, read);
  const choose = (next: string) => {
    setDimension(next);
    remember(STORAGE, next);
  };
  const known = choices.some(([d]) => d === dimension);
  const rows = breakdown?.dimension === dimension ? breakdown.values : [];
  const most = Math.max(1, ...rows.map((v) => v.calls));
  return (
    <section className="panel tallies" data-testid="overview-by">
      <h3>
        Calls by{" "}
        <select aria-label="Group the calls by" data-testid="overview-by-dimension" value={known ? dimension : ""} onChange={(e) => choose(e.target.value)}>
          {!known && <option value="">{dimension.replace(METADATA, "")}</option>}
          {choices.map(([d, label]) => (
            <option key={d} value={d}>
              {label}
            </option>
          ))}
        </select>{" "}
        <span className="sub">failed in red · choose metadata fields in Settings → Data</span>
      </h3>
      {error ? (
        <ErrorLine error={error} testId="overview-by-error" />
      ) : rows.length === 0 ? (
        <p className="sub">{breakdown ? "No calls in this range." : "Counting…"}</p>
      ) : (
        <ul>
          {rows.map((v) => {
            const label = v.value ?? "(none)";
            const bar = (
              <>
                <span className="tally-label" title={label}>
                  {label}
                </span>
                <span className="tally-track">
                  <span className="tally-fill" style={{ width: `${(v.calls / most) * 100}%` }} />
                  {v.failed > 0 && <span className="tally-failed" style={{ width: `${(v.failed / most) * 100}%` }} />}
                </span>
                <span className="tally-count" title={`${v.failed} failed · failure rate ${percent(v.failureRate)}`}>
                  {v.calls}
                </span>
              </>
            );
            return (
              <li key={v.value ?? ""} data-key={v.value ?? ""} data-calls={v.calls} data-failed={v.failed}>
                {v.value === null || v.value === undefined || !breakdown ? (
                  <div className="tally-row plain">{bar}</div>
                ) : (
                  <button
                    className="tally-row"
                    title={`Open these ${v.calls} calls (${v.failed} failed, ${percent(v.failureRate)})`}
                    onClick={() => onDrill({ fromMs: new Date(breakdown.from).getTime(), toMs: new Date(breakdown.to).getTime(), ...drillOf(dimension, v.value!) })}
                  >
                    {bar}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
