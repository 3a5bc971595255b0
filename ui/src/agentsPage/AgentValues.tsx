// Under an agent's row when the page is grouped by a dimension: the agent's calls by each
// of its values, failures in red; a value opens exactly those calls (the agent, the range
// and the value's filter).
import type { AgentSummary } from "../bindings";
import type { Drill } from "../overview/range";
import { percent } from "../overview/range";
import { drillOf } from "../overview/dimensionChoices";

export function AgentValues({
  row,
  by,
  byLabel,
  columns,
  range,
  onDrill,
}: {
  row: AgentSummary;
  by: string;
  byLabel: string;
  columns: number;
  range: { fromMs: number; toMs: number };
  onDrill: (d: Drill) => void;
}) {
  const agent = row.agentId ?? null;
  return (
    <tr className="agent-values" data-testid="agent-values" data-agent={agent ?? ""}>
      <td colSpan={columns}>
        <div className="chip-row">
          <span className="sub">by {byLabel}:</span>
          {row.values.map((v) => {
            const text = v.value ?? "(none)";
            const body = (
              <>
                <span className="chip-label">{text}</span> <b>{v.calls.toLocaleString()}</b>
                {v.failed > 0 && <span className="chip-failed"> · {v.failed.toLocaleString()} failed</span>}
              </>
            );
            const summary = `${v.calls} calls, ${v.failed} failed (${percent(v.failureRate)} of those that ended)`;
            // Calls without the value, or without an agent, have no filter to open them by.
            return v.value !== null && v.value !== undefined && agent !== null ? (
              <button
                key={text}
                className={`chip ${v.failed ? "bad" : ""}`}
                data-testid="agent-value"
                data-value={v.value}
                data-calls={v.calls}
                data-failed={v.failed}
                title={`Open these ${summary}`}
                onClick={() => onDrill({ ...range, agent, ...drillOf(by, v.value!) })}
              >
                {body}
              </button>
            ) : (
              <span key={text} className="chip plain" data-testid="agent-value" data-value="" data-calls={v.calls} data-failed={v.failed} title={summary}>
                {body}
              </span>
            );
          })}
        </div>
      </td>
    </tr>
  );
}
