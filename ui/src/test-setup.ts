// Vitest: jsdom has no canvas (and no matchMedia), which uPlot needs as soon as it loads.
// The chart is replaced by a list of its bars as buttons, so that a test can still click
// one; the real chart is exercised in the real window (tests/e2e/overview.test.mjs).
import { createElement } from "react";
import { vi } from "vitest";
import type { OverviewBar } from "./bindings";

vi.mock("./overview/CallsChart", () => ({
  CallsChart: ({ bars, onBar, compact }: { bars: OverviewBar[]; onBar: (bar: OverviewBar) => void; compact?: boolean }) =>
    createElement(
      "div",
      { "data-testid": compact ? "strip-chart" : "overview-chart" },
      bars.map((bar) => createElement("button", { key: bar.at, "data-testid": "chart-bar", onClick: () => onBar(bar) }, `${bar.at} ${bar.calls}`)),
    ),
}));
