// The Overview page: how calls went in a range, at a glance, live. Every bar, reason and
// agent opens the timeline at exactly the calls it counts.
import type { Overview, OverviewBar } from "../bindings";
import { CallsChart } from "./CallsChart";
import { HealthPanel } from "./HealthPanel";
import { Drill, OverviewRange } from "./range";
import { PageRange, RetryLine } from "./PageRange";
import { SpreadChart } from "./SpreadChart";
import { Tallies } from "./Tallies";
import { FailureCategories } from "./FailureCategories";
import { ByDimension } from "./ByDimension";
import { Totals } from "./Totals";
import { useOverview } from "./useOverview";
import { useInProgress } from "../inProgress";
import { clock } from "../format";
import { useAgentLabels } from "../agents";

/** The drill-down of a bar: its own minute or hour, inside the range. */
export function barDrill(overview: Overview, bar: OverviewBar): Drill {
  const at = new Date(bar.at).getTime();
  return {
    fromMs: Math.max(at, new Date(overview.from).getTime()),
    toMs: Math.min(at + overview.barMs, new Date(overview.to).getTime()),
  };
}

export function OverviewPage({ range, onRange, onDrill }: { range: OverviewRange; onRange: (r: OverviewRange) => void; onDrill: (d: Drill) => void }) {
  const { overview, error, loading, reload } = useOverview(range);
  const whole = overview && { fromMs: new Date(overview.from).getTime(), toMs: new Date(overview.to).getTime() };
  const agents = useAgentLabels();
  return (
    <main className="overview" data-testid="overview" data-loading={loading ? "true" : "false"}>
      <div className="overview-head">
        <h2>Overview</h2>
        <PageRange range={range} onRange={onRange} id="overview" label="Overview range" />
        {overview && (
          <span className="sub">
            {overview.barMs === 60_000 ? "per minute" : "per hour"} · updated live
          </span>
        )}
        <NowGauge />
      </div>
      {error && <RetryLine error={error} testId="overview-error" onRetry={reload} />}
      {!overview ? (
        !error && <div className="empty">Counting…</div>
      ) : (
        <>
          <Totals overview={overview} />
          <section className="panel">
            <h3>
              Calls {overview.barMs === 60_000 ? "per minute" : "per hour"} <span className="sub">completed, failed, in progress · the line: most in progress at once · click a bar for its calls</span>
            </h3>
            <CallsChart bars={overview.bars} barMs={overview.barMs} height={200} onBar={(bar) => onDrill(barDrill(overview, bar))} />
          </section>
          <div className="overview-grid">
            <Tallies
              title="Outcomes by endedReason (failed in red)"
              rows={overview.reasons}
              count={(t) => t.calls}
              empty="No call ended in this range."
              testId="overview-reasons"
              noKey="(no reason given)"
              onOpen={(reason) => whole && onDrill({ ...whole, reason })}
            />
            <Tallies
              title="Failures by agent"
              rows={overview.failuresByAgent}
              count={(t) => t.failed}
              empty="No call failed in this range."
              testId="overview-agents"
              noKey="(no agent)"
              onOpen={(agent) => whole && onDrill({ ...whole, agent, phase: "failed" })}
              labelOf={agents.label}
            />
            <ByDimension range={range} onDrill={onDrill} />
            <FailureCategories
              reasons={overview.reasons}
              onOpen={(label, reasons) => whole && onDrill({ ...whole, reasonGroup: { label, reasons }, phase: "failed" })}
            />
            <SpreadChart title="Call duration" spread={overview.duration} testId="overview-duration" empty="No call with a duration in this range." />
            <SpreadChart title="Wait until connected" spread={overview.wait} testId="overview-wait" empty="No call was connected in this range." />
          </div>
          <HealthPanel health={overview.health} />
        </>
      )}
    </main>
  );
}

/** Calls in progress now, whatever the range: how many, since when, and the stale ones. */
function NowGauge() {
  const gauge = useInProgress();
  if (!gauge) return null;
  return (
    <span className="now-gauge" data-testid="overview-now">
      <strong>{gauge.calls.toLocaleString()}</strong> in progress now
      {gauge.oldestStartedAt && <> · the oldest since {clock(gauge.oldestStartedAt)}</>}
      {gauge.stale > 0 && (
        <span className="warn" title="Started longer ago than the longest a call lasts (Settings) and never ended: not counted.">
          {" "}
          · {gauge.stale.toLocaleString()} stale
        </span>
      )}
    </span>
  );
}
