// A small chart of an agent's calls per bar; a bar opens its calls.

/** Bars of `counts` scaled to `most` (the page's busiest bar, so agents compare). */
export function Sparkline({
  counts,
  most,
  barMs,
  firstMs,
  label,
  onBar,
}: {
  counts: number[];
  most: number;
  barMs: number;
  firstMs: number;
  label: string;
  onBar?: (atMs: number) => void;
}) {
  const width = 140;
  const height = 18;
  const step = width / Math.max(1, counts.length);
  const per = barMs === 60_000 ? "minute" : "hour";
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${label}: ${total} calls, per ${per}`}>
      {counts.map((n, i) =>
        n === 0 ? null : (
          <rect
            key={i}
            x={i * step}
            width={Math.max(1, step - (step > 3 ? 1 : 0))}
            y={height - Math.max(1, (n / Math.max(1, most)) * height)}
            height={Math.max(1, (n / Math.max(1, most)) * height)}
            className={onBar ? "open" : undefined}
            onClick={onBar && (() => onBar(firstMs + i * barMs))}
          >
            <title>{`${new Date(firstMs + i * barMs).toLocaleString([], { dateStyle: "short", timeStyle: "short" })}: ${n} calls`}</title>
          </rect>
        ),
      )}
    </svg>
  );
}
