// The overview, compact, above the timeline: totals, the failure rate and the bars. It
// folds away to one line, and remembers that.
import type { OverviewRange } from "./range";
import { Drill, PRESETS } from "./range";
import { CallsChart } from "./CallsChart";
import { barDrill } from "./OverviewPage";
import { Totals } from "./Totals";
import { useOverview } from "./useOverview";

export function OverviewStrip({
  range,
  open,
  onOpen,
  onDrill,
  onOverview,
}: {
  range: OverviewRange;
  open: boolean;
  onOpen: (open: boolean) => void;
  onDrill: (d: Drill) => void;
  onOverview: () => void;
}) {
  const label = PRESETS.find(([p]) => p === range.preset)?.[1] ?? "";
  return (
    <div className={`overview-strip ${open ? "open" : ""}`} data-testid="overview-strip">
      <button className="link strip-toggle" aria-expanded={open} onClick={() => onOpen(!open)} data-testid="strip-toggle">
        {open ? "▾" : "▸"} {label}
      </button>
      {open ? <StripBody range={range} onDrill={onDrill} /> : <span className="sub">Overview hidden</span>}
      <button className="link strip-more" onClick={onOverview}>
        Overview →
      </button>
    </div>
  );
}

function StripBody({ range, onDrill }: { range: OverviewRange; onDrill: (d: Drill) => void }) {
  const { overview, error } = useOverview(range);
  if (error) return <span className="sub">{error}</span>;
  if (!overview) return <span className="sub">Counting…</span>;
  return (
    <>
      <Totals overview={overview} compact />
      <div className="strip-chart">
        <CallsChart bars={overview.bars} barMs={overview.barMs} height={44} compact onBar={(bar) => onDrill(barDrill(overview, bar))} />
      </div>
    </>
  );
}
