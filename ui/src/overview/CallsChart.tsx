// Calls per minute (or hour), completed / failed / in progress stacked, drawn by uPlot on
// a canvas, with the peak of calls in progress at once in each bar as a line on a scale of
// its own (the right axis). The count of each bar is written above it when there is room;
// a click on a bar opens the timeline at that bar's calls.
import { KeyboardEvent, useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { OverviewBar } from "../bindings";
import { useResolvedTheme } from "../theme";
import { ChartTable } from "./ChartTable";

/** Calls come whole: the counts' axes step by 1, 2, 5, 10… and never show 0.25. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

const SERIES = [
  { label: "In progress", key: "inProgress", color: "--live" },
  { label: "Failed", key: "failed", color: "--bad" },
  { label: "Completed", key: "completed", color: "--ok" },
] as const;

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The bars as uPlot's columns: the times, then cumulative heights drawn tallest first,
 *  then (the full chart only) each bar's peak in progress, none for a bar still to come. */
function columns(bars: OverviewBar[], barMs: number, compact: boolean): uPlot.AlignedData {
  const x = bars.map((b) => (new Date(b.at).getTime() + barMs / 2) / 1000);
  const completed = bars.map((b) => b.completed);
  const ended = bars.map((b) => b.completed + b.failed);
  const all = bars.map((b) => b.calls);
  if (compact) return [x, all, ended, completed];
  return [x, all, ended, completed, bars.map((b) => b.peakInProgress ?? null)];
}

/** The peak's line: the most calls in progress at once during each bar. */
function peakSeries(latest: { current: { bars: OverviewBar[] } }): uPlot.Series {
  const color = cssColor("--warn", "#d97706");
  return {
    label: "Peak in progress",
    scale: "live",
    stroke: color,
    width: 2,
    spanGaps: false,
    // uPlot draws the points only where the bars are far enough apart.
    points: { size: 5, fill: color, stroke: color },
    // The bar's peak under the pointer, and the range's highest elsewhere.
    value: (_u: uPlot, _v: number, _si: number, idx: number | null) => {
      const bars = latest.current.bars;
      if (idx !== null) return String(bars[idx]?.peakInProgress ?? "—");
      const peaks = bars.map((b) => b.peakInProgress).filter((p): p is number => typeof p === "number");
      return peaks.length ? `${Math.max(...peaks)} at most` : "—";
    },
  };
}

export function CallsChart({
  bars,
  barMs,
  height,
  compact = false,
  onBar,
}: {
  bars: OverviewBar[];
  barMs: number;
  height: number;
  compact?: boolean;
  onBar: (bar: OverviewBar) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ bars, onBar });
  latest.current = { bars, onBar };
  // The canvas takes its colours from the palette when drawn: drawn anew when it changes.
  const theme = useResolvedTheme();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ink = cssColor("--muted", "#6b7290");
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: !compact },
      cursor: { y: false, points: { show: false }, drag: { x: false, y: false } },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: compact
        ? [{ show: false }, { show: false }]
        : [
            { stroke: ink, grid: { show: false }, ticks: { show: false } },
            { stroke: ink, grid: { stroke: cssColor("--line", "#e3e6ef") }, ticks: { show: false }, size: 40, label: "calls", labelSize: 14, incrs: WHOLE_STEPS },
            { scale: "live", side: 1, stroke: cssColor("--warn", "#d97706"), grid: { show: false }, ticks: { show: false }, size: 40, label: "in progress at once", labelSize: 14, incrs: WHOLE_STEPS },
          ],
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        live: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      series: [
        { label: "Time", value: (_u: uPlot, v: number | null) => (v === null ? "whole range" : new Date(v * 1000).toLocaleString()) },
        ...SERIES.map((s) => ({
          label: s.label,
          fill: cssColor(s.color, "#888"),
          stroke: cssColor(s.color, "#888"),
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.8, 48], gap: 1 }),
          points: { show: false },
          // The legend shows the bar's own count (not the stacked height), and the whole
          // range's while the pointer is elsewhere.
          value: (_u: uPlot, _v: number, _si: number, idx: number | null) => {
            const bars = latest.current.bars;
            return String(idx === null ? bars.reduce((sum, b) => sum + b[s.key], 0) : (bars[idx]?.[s.key] ?? "—"));
          },
        })),
        ...(compact ? [] : [peakSeries(latest)]),
      ],
      hooks: {
        draw: [
          (u) => {
            const data = latest.current.bars;
            // Where each bar is drawn (CSS pixels across the plot) and how many calls it
            // holds, for the end-to-end tests.
            el.dataset.barX = JSON.stringify(data.map((_, i) => Math.round(u.valToPos(u.data[0][i], "x"))));
            el.dataset.barCalls = JSON.stringify(data.map((b) => b.calls));
            el.dataset.barPeaks = JSON.stringify(data.map((b) => b.peakInProgress ?? null));
            el.dataset.barAt = JSON.stringify(data.map((b) => new Date(b.at).getTime()));
            // Counts above the bars, when each bar is wide enough to carry its number.
            const width = u.bbox.width / Math.max(1, data.length);
            if (compact || width < 16 * devicePixelRatio) return;
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = ink;
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            ctx.textAlign = "center";
            data.forEach((b, i) => {
              if (!b.calls) return;
              const x = u.valToPos(u.data[0][i], "x", true);
              const y = u.valToPos(b.calls, "y", true);
              ctx.fillText(String(b.calls), x, y - 3 * devicePixelRatio);
            });
            ctx.restore();
          },
        ],
      },
    };
    const u = new uPlot(opts, columns(latest.current.bars, barMs, compact), el);
    plot.current = u;
    const click = () => {
      const idx = u.cursor.idx;
      const bar = idx === null || idx === undefined ? undefined : latest.current.bars[idx];
      if (bar) latest.current.onBar(bar);
    };
    u.over.addEventListener("click", click);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener("click", click);
      u.destroy();
      plot.current = null;
    };
  }, [barMs, height, compact, theme]);

  useEffect(() => {
    plot.current?.setData(columns(bars, barMs, compact));
  }, [bars, barMs, compact]);

  // The keyboard: arrows (Home, End) move between bars as the pointer would, Enter opens one.
  function onKeyDown(e: KeyboardEvent) {
    const u = plot.current;
    const count = latest.current.bars.length;
    if (!u || count === 0) return;
    const at = u.cursor.idx ?? -1;
    const moves: Record<string, number> = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: count - 1 };
    if (e.key in moves) {
      e.preventDefault();
      const idx = Math.max(0, Math.min(count - 1, at < 0 && e.key === "ArrowLeft" ? count - 1 : moves[e.key]));
      u.setCursor({ left: u.valToPos(u.data[0][idx], "x"), top: u.bbox.height / devicePixelRatio / 2 });
    } else if (e.key === "Enter" && at >= 0 && latest.current.bars[at]) {
      e.preventDefault();
      latest.current.onBar(latest.current.bars[at]);
    }
  }

  return (
    <>
      <div
        className={`calls-chart ${compact ? "compact" : ""}`}
        ref={box}
        data-testid={compact ? "strip-chart" : "overview-chart"}
        data-bars={bars.length}
        tabIndex={0}
        role="group"
        aria-label="Calls per bar: arrow keys choose a bar, Enter opens its calls"
        onKeyDown={onKeyDown}
      />
      {!compact && <ChartTable bars={bars} />}
    </>
  );
}
