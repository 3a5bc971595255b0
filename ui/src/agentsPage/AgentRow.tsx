// One agent's row: every count opens the timeline at exactly those calls.
import type { AgentSummary, SpreadStep } from "../bindings";
import type { Drill } from "../overview/range";
import { percent } from "../overview/range";
import { pointsChange } from "../overview/Totals";
import { CATEGORY_LABEL, failuresByCategory, type CategoryCount } from "../reasons";
import type { ReasonsView } from "../bindings";
import { percentileText, percentileTitle } from "./columns";
import { Sparkline } from "./Sparkline";

/** What a click opens, narrowed further than the agent and the range. */
type Narrow = Omit<Drill, "fromMs" | "toMs" | "agent">;

const TOP_REASONS = 3;

export function AgentRow({
  row,
  label,
  name,
  reasons,
  barMs,
  firstBarMs,
  range,
  most,
  onDrill,
}: {
  row: AgentSummary;
  label: string;
  name: string | null;
  reasons: ReasonsView | null;
  barMs: number;
  firstBarMs: number;
  range: { fromMs: number; toMs: number };
  most: number;
  onDrill: (d: Drill) => void;
}) {
  const agent = row.agentId ?? null;
  // Calls without an agent cannot be opened: the timeline has no filter for "no agent".
  const open = agent === null ? null : (narrow: Narrow, within = range) => onDrill({ ...within, agent, ...narrow });
  const change = pointsChange(row.failureRate, row.previousFailureRate);
  const categories = failuresByCategory(reasons, row.reasons);
  return (
    <tr data-testid="agent-row" data-agent={agent ?? ""}>
      <th scope="row" className="agent-name">
        <span className="agent-label" data-testid="agent-label" title={agent ? (name ? `${name} (${agent})` : agent) : "Calls that named no agent"}>
          {agent === null ? <span className="sub">(no agent)</span> : label}
        </span>
        <Sparkline
          counts={row.bars}
          most={most}
          barMs={barMs}
          firstMs={firstBarMs}
          label={label}
          onBar={
            open
              ? (at) => open({}, { fromMs: Math.max(at, range.fromMs), toMs: Math.min(at + barMs, range.toMs) })
              : undefined
          }
        />
      </th>
      <td className="num">
        <Count n={row.calls} testId="agent-calls" what="calls" onOpen={open && (() => open({}))} />
      </td>
      <td className="num">
        <Count n={row.completed} testId="agent-completed" what="completed calls" onOpen={open && (() => open({ phase: "completed" }))} />
      </td>
      <td className={`num ${row.failed ? "bad" : ""}`}>
        <Count n={row.failed} testId="agent-failed" what="failed calls" onOpen={open && (() => open({ phase: "failed" }))} />
      </td>
      <td className="num">
        <span className="rate" data-testid="agent-rate" title={`${row.failed} failed of ${row.completed + row.failed} that ended`}>
          {percent(row.failureRate)}
        </span>
        <span className="under" data-testid="agent-change" title={`The period before: ${percent(row.previousFailureRate)} (${row.previous.calls} calls)`}>
          {change ? <span className={change.worse ? "delta worse" : "delta"}>{change.text}</span> : <span className="sub">—</span>}
        </span>
      </td>
      <td className="num">
        <Percentile step={row.duration.p50} name="Duration p50" testId="agent-duration-p50" /> · <Percentile step={row.duration.p90} name="Duration p90" testId="agent-duration-p90" />
      </td>
      <td className="num">
        <Percentile step={row.wait.p50} name="Wait p50" testId="agent-wait-p50" /> · <Percentile step={row.wait.p90} name="Wait p90" testId="agent-wait-p90" />
      </td>
      <td data-testid="agent-reasons">
        <div className="chip-row">
          {row.reasons.slice(0, TOP_REASONS).map((t) => {
            const text = t.key ?? "(no reason given)";
            const body = (
              <>
                <span className="chip-label">{text}</span> <b>{t.calls}</b>
              </>
            );
            return t.key !== null && open ? (
              <button key={text} className={`chip ${t.failed ? "bad" : ""}`} title={`Open these ${t.calls} calls: ${text}`} onClick={() => open({ reason: t.key! })}>
                {body}
              </button>
            ) : (
              <span key={text} className="chip plain" title={text}>
                {body}
              </span>
            );
          })}
          {row.reasons.length > TOP_REASONS && <span className="sub"> +{row.reasons.length - TOP_REASONS}</span>}
        </div>
      </td>
      <td data-testid="agent-categories">
        <div className="chip-row">
          {categories.length === 0 ? <span className="sub">—</span> : categories.map((c) => <CategoryChip key={c.category ?? ""} count={c} onOpen={open} />)}
        </div>
      </td>
    </tr>
  );
}

function Count({ n, testId, what, onOpen }: { n: number; testId: string; what: string; onOpen: (() => void) | null }) {
  if (!onOpen || n === 0) {
    return <span data-testid={testId}>{n.toLocaleString()}</span>;
  }
  return (
    <button className="link count" data-testid={testId} title={`Open these ${n} ${what} on the timeline`} onClick={onOpen}>
      {n.toLocaleString()}
    </button>
  );
}

function Percentile({ step, name, testId }: { step: SpreadStep | null | undefined; name: string; testId: string }) {
  return (
    <span data-testid={testId} title={percentileTitle(name, step)}>
      {percentileText(step)}
    </span>
  );
}

function CategoryChip({ count, onOpen }: { count: CategoryCount; onOpen: ((narrow: Narrow) => void) | null }) {
  const label = count.category ? CATEGORY_LABEL[count.category] : "Not categorised";
  const body = (
    <>
      <span className="chip-label">{label}</span> <b>{count.failed}</b>
    </>
  );
  const title = `${count.failed} failed — reasons: ${count.reasons.join(", ")}`;
  return onOpen ? (
    <button className={`chip bad ${count.category ? "" : "uncategorised"}`} title={`Open these ${title}`} onClick={() => onOpen({ reasonGroup: { label, reasons: count.reasons }, phase: "failed" })}>
      {body}
    </button>
  ) : (
    <span className="chip plain" title={title}>
      {body}
    </span>
  );
}
