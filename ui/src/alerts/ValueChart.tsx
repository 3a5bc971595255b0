// A rule's value over time as a small line, its threshold dashed and its firings shaded:
// drawn as SVG (a row's chart over a day, the editor's preview over up to 30 days). The
// numbers are also given as text for screen readers.
import type { AlertRule, ChartView } from "../ipc";
import { formatValue } from "./units";

export function ValueChart({
  chart,
  rule,
  width = 180,
  height = 36,
  testId,
}: {
  chart: ChartView;
  rule: AlertRule;
  width?: number;
  height?: number;
  testId?: string;
}) {
  const values = chart.values;
  const known = values.filter((v): v is number => v !== null);
  // A threshold being typed ("eight") is not drawn until it reads as a number.
  const threshold = rule.metric.kind === "silence" || !Number.isFinite(rule.condition.threshold) ? null : rule.condition.threshold;
  const top = Math.max(1, threshold ?? 0, ...known) * 1.1;
  const span = Math.max(1, chart.toMs - chart.fromMs);
  const x = (i: number) => (values.length <= 1 ? 0 : (i / (values.length - 1)) * width);
  const y = (v: number) => height - (v / top) * height;
  // One path, broken where the value could not be told; a value alone between gaps is a dot.
  let d = "";
  const dots: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null) return;
    const before = i > 0 && values[i - 1] !== null;
    const after = i + 1 < values.length && values[i + 1] !== null;
    if (!before && !after) dots.push([x(i), y(v)]);
    d += `${before ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  const at = (ms: number) => ((ms - chart.fromMs) / span) * width;
  const worst = known.length ? formatValue(rule.metric, Math.max(...known)) : "no value";
  const label = `${rule.name}: highest ${worst} over the span, ${chart.firings.length} firing${chart.firings.length === 1 ? "" : "s"}`;
  return (
    <svg className="value-chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid={testId}>
      {chart.firings.map((f) => (
        <rect
          key={f.startedMs}
          className="firing-span"
          x={at(f.startedMs)}
          y={0}
          width={Math.max(2, at(f.resolvedMs ?? chart.toMs) - at(f.startedMs))}
          height={height}
        />
      ))}
      {threshold !== null && <line className="threshold" x1={0} x2={width} y1={y(threshold)} y2={y(threshold)} />}
      <path className="value-line" d={d} />
      {dots.map(([cx, cy]) => (
        <circle key={`${cx},${cy}`} className="value-dot" cx={cx} cy={cy} r={2} />
      ))}
    </svg>
  );
}
