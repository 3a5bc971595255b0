// The Overview page and the strip against a mocked engine: what they show, what they ask
// the store for, and where their clicks lead.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { App } from "../App";
import type { Overview } from "../bindings";
import { Call, mockCommands, statusWith } from "../testing";
import { rangeMs } from "./range";
import { rateChange } from "./Totals";
import { ChartTable } from "./ChartTable";

const FROM = "2026-11-27T16:00:00.000Z";
const TO = "2026-11-27T17:00:00.000Z";

function overview(patch: Partial<Overview> = {}): Overview {
  const steps = (edges: number[], counts: number[]) =>
    edges.map((fromMs, i) => ({ fromMs, toMs: edges[i + 1] ?? null, calls: counts[i] ?? 0 }));
  const duration = steps([0, 5_000, 10_000, 15_000], [1, 6, 2, 1]);
  return {
    from: FROM,
    to: TO,
    barMs: 60_000,
    bars: [
      { at: "2026-11-27T16:00:00.000Z", calls: 3, completed: 2, failed: 1, inProgress: 0 },
      { at: "2026-11-27T16:01:00.000Z", calls: 0, completed: 0, failed: 0, inProgress: 0 },
      { at: "2026-11-27T16:02:00.000Z", calls: 7, completed: 3, failed: 2, inProgress: 2 },
    ],
    totals: { calls: 10, completed: 5, failed: 3, inProgress: 2 },
    failureRate: 3 / 8,
    previous: { calls: 8, completed: 6, failed: 2, inProgress: 0 },
    previousFailureRate: 0.25,
    reasons: [
      { key: "customer-ended-call", calls: 4, failed: 0 },
      { key: "customer-busy", calls: 3, failed: 3 },
      { key: null, calls: 1, failed: 0 },
    ],
    failuresByAgent: [
      { key: "ag_sales", calls: 2, failed: 2 },
      { key: "ag_support", calls: 1, failed: 1 },
    ],
    duration: { steps: duration, count: 10, p50: duration[1], p90: duration[2], p99: duration[3] },
    wait: { steps: [], count: 0, p50: null, p90: null, p99: null },
    health: { webhooks: 31, duplicates: 2, late: 1, caughtUp: 4, fromRest: 9, rejected: 5, quarantined: 0, gaps: [{ from: FROM, to: "2026-11-27T16:10:00.000Z", caughtUpCalls: 4 }] },
    ...patch,
  };
}

let calls: Call[] = [];

function engine(answer: Overview = overview()) {
  calls = mockCommands(({ cmd, args }) => {
    if (cmd === "get_status") return statusWith();
    if (cmd === "overview") return answer;
    if (cmd === "calls_page") return { items: [], next: null };
    if (cmd === "facets") return { agents: ["ag_sales"], directions: [], endedReasons: ["customer-busy"], languages: [] };
    if (cmd === "counts") return null;
    if (cmd === "in_progress") return { calls: 4, oldestStartedAt: "2026-11-27T16:20:00.000Z", stale: 2, staleBefore: "2026-11-27T12:00:00.000Z" };
    if (cmd === "forwarding_settings") return { targets: [], retryWindowHours: 24, timeoutSecs: 10 };
    if (cmd === "dimensions") return { chosen: [{ field: "campaign", ready: true, countedCalls: 10, calls: 10 }, { field: "tier", ready: false, countedCalls: 2, calls: 10 }], seen: [], most: 5 };
    if (cmd === "breakdown") {
      const dimension = (args as { dimension: string }).dimension;
      const value = (v: string | null, calls: number, failed: number) => ({ value: v, calls, completed: calls - failed, failed, inProgress: 0, failureRate: failed / calls });
      return { from: FROM, to: TO, dimension, values: dimension === "direction" ? [value("inbound", 7, 2), value(null, 3, 1)] : [value("spring", 6, 3), value("autumn", 4, 0)] };
    }
    return undefined;
  });
}

const asked = (cmd: string) => calls.filter((c) => c.cmd === cmd);

beforeEach(() => window.localStorage.clear());
afterEach(() => {
  cleanup();
  clearMocks();
});

describe("Overview", () => {
  it("shows the totals, the failure rate against the period before, reasons, agents, percentiles and health", async () => {
    engine();
    render(<App />);
    fireEvent.click(await screen.findByTestId("page-overview"));
    const page = await screen.findByTestId("overview");
    await waitFor(() => expect(screen.getByTestId("overview-total").textContent).toBe("10"));
    expect(screen.getByTestId("overview-failed").textContent).toBe("3");
    // Now, whatever the range: in progress, since when, and the stale ones apart.
    await waitFor(() => expect(screen.getByTestId("overview-now").textContent).toMatch(/^4 in progress now · the oldest since .+ · 2 stale$/));
    expect(screen.getByTestId("overview-failure-rate").textContent).toBe("37.5%");
    expect(screen.getByTestId("overview-rate-change").textContent).toBe("+12.5 pts vs before");
    const reasons = within(screen.getByTestId("overview-reasons")).getAllByRole("listitem");
    expect(reasons.map((li) => [li.getAttribute("data-key"), li.getAttribute("data-calls")])).toEqual([
      ["customer-ended-call", "4"],
      ["customer-busy", "3"],
      ["", "1"],
    ]);
    // Calls without a reason are counted but cannot be opened: the timeline has no such filter.
    expect(within(reasons[2]).queryByRole("button")).toBeNull();
    expect(within(screen.getByTestId("overview-agents")).getAllByTestId("tally-count").map((e) => e.textContent)).toEqual(["2", "1"]);
    expect(screen.getByTestId("overview-duration-p50").textContent).toBe("p50 5 s–10 s");
    expect(screen.getByTestId("overview-duration-p99").textContent).toBe("p99 15 s+");
    expect(within(page).getByTestId("overview-wait").textContent).toContain("No call was connected");
    expect(screen.getByTestId("health-webhooks").textContent).toBe("31");
    expect(screen.getByTestId("health-rejected").textContent).toBe("5");
    expect(screen.getByTestId("health-from-rest").textContent).toBe("9");
    expect(screen.getByTestId("health-gaps").textContent).toContain("caught up: 4 calls");
    // The default range: the last 24 hours, in whole minutes, the current one included.
    const { fromMs, toMs } = asked("overview")[0].args as { fromMs: number; toMs: number };
    expect(toMs - fromMs).toBe(86_400_000);
    expect(toMs % 60_000).toBe(0);
    expect(toMs).toBeGreaterThan(Date.now());
  });

  it("opens the timeline at exactly a reason's, an agent's failures' or a bar's calls", async () => {
    engine();
    render(<App />);
    fireEvent.click(await screen.findByTestId("page-overview"));
    const reasons = await screen.findByTestId("overview-reasons");
    fireEvent.click(within(reasons).getByText("customer-busy"));
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    let filter = asked("calls_page").at(-1)!.args.filter as Record<string, unknown>;
    expect(filter.endedReasons).toEqual(["customer-busy"]);
    expect(filter.range).toEqual({ from: FROM, to: TO });
    expect(filter.phases).toEqual([]);

    calls.length = 0;
    fireEvent.click(await screen.findByTestId("page-overview"));
    fireEvent.click(within(await screen.findByTestId("overview-agents")).getByText("ag_sales"));
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    filter = asked("calls_page").at(-1)!.args.filter as Record<string, unknown>;
    expect([filter.agents, filter.phases, filter.endedReasons]).toEqual([["ag_sales"], ["failed"], []]);

    calls.length = 0;
    fireEvent.click(await screen.findByTestId("page-overview"));
    const bars = within(await screen.findByTestId("overview-chart")).getAllByTestId("chart-bar");
    fireEvent.click(bars[2]);
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    filter = asked("calls_page").at(-1)!.args.filter as Record<string, unknown>;
    expect(filter.range).toEqual({ from: "2026-11-27T16:02:00.000Z", to: "2026-11-27T16:03:00.000Z" });

    // The Calls tab itself opens the timeline unfiltered, as before.
    calls.length = 0;
    fireEvent.click(screen.getByTestId("page-calls"));
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    expect((asked("calls_page").at(-1)!.args.filter as Record<string, unknown>).range).toEqual({});
  });

  it("groups the calls by a dimension chosen from the built-in ones and the counted fields; a value opens its calls", async () => {
    engine();
    render(<App />);
    fireEvent.click(await screen.findByTestId("page-overview"));
    const by = await screen.findByTestId("overview-by");
    await waitFor(() => expect(within(by).getAllByRole("listitem").map((li) => [li.dataset.key, li.dataset.calls, li.dataset.failed])).toEqual([["inbound", "7", "2"], ["", "3", "1"]]));
    // A value none of the calls had is counted but cannot be opened.
    expect(within(within(by).getAllByRole("listitem")[1]).queryByRole("button")).toBeNull();
    // Offered: direction, language and the fields counted through (not one still counting).
    await waitFor(() => expect([...(screen.getByTestId("overview-by-dimension") as HTMLSelectElement).options].map((o) => o.value)).toEqual(["direction", "language", "metadata.campaign"]));
    fireEvent.change(screen.getByTestId("overview-by-dimension"), { target: { value: "metadata.campaign" } });
    await waitFor(() => expect(asked("breakdown").at(-1)!.args.dimension).toBe("metadata.campaign"));
    await waitFor(() => expect(within(by).getAllByRole("listitem")[0].dataset.key).toBe("spring"));
    fireEvent.click(within(by).getByText("spring"));
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    const filter = asked("calls_page").at(-1)!.args.filter as Record<string, unknown>;
    expect([filter.metadata, filter.range]).toEqual([{ field: "campaign", value: "spring" }, { from: FROM, to: TO }]);
    // Remembered for the next time the page opens.
    expect(window.localStorage.getItem("calleague.overview.by")).toBe("metadata.campaign");
  });

  it("folds the strip above the timeline away, and remembers it", async () => {
    engine();
    const { unmount } = render(<App />);
    const strip = await screen.findByTestId("overview-strip");
    await waitFor(() => expect(within(strip).getByTestId("overview-failure-rate").textContent).toBe("37.5%"));
    fireEvent.click(within(strip).getByTestId("strip-toggle"));
    expect(within(strip).queryByTestId("overview-failure-rate")).toBeNull();
    unmount();
    const before = asked("overview").length;
    render(<App />);
    const again = await screen.findByTestId("overview-strip");
    expect(within(again).getByTestId("strip-toggle").getAttribute("aria-expanded")).toBe("false");
    expect(asked("overview").length).toBe(before); // folded: nothing counted
  });

  it("says what is wrong with a custom range instead of asking the store", async () => {
    engine();
    render(<App />);
    fireEvent.click(await screen.findByTestId("page-overview"));
    await screen.findByTestId("overview-total");
    const before = asked("overview").length;
    fireEvent.change(screen.getByTestId("overview-range"), { target: { value: "custom" } });
    fireEvent.change(screen.getByTestId("overview-from"), { target: { value: "2026-11-27T10:00" } });
    fireEvent.change(screen.getByTestId("overview-to"), { target: { value: "2026-11-27T09:00" } });
    expect((await screen.findByTestId("overview-error")).textContent).toContain("at least a minute after it starts");
    expect(asked("overview").length).toBe(before);
    fireEvent.change(screen.getByTestId("overview-to"), { target: { value: "2026-11-27T12:30" } });
    await waitFor(() => expect(asked("overview").length).toBe(before + 1));
    const args = asked("overview").at(-1)!.args;
    expect(args.toMs as number - (args.fromMs as number)).toBe(2.5 * 3_600_000);
  });
});

describe("rateChange", () => {
  it("rounds before it signs: no negative zero", () => {
    expect(rateChange(overview({ failureRate: 0.2, previousFailureRate: 0.2001 }))?.text).toBe("±0.0 pts");
    expect(rateChange(overview({ failureRate: 0.2001, previousFailureRate: 0.2 }))?.text).toBe("±0.0 pts");
    expect(rateChange(overview({ failureRate: 0.2, previousFailureRate: 0.2006 }))).toEqual({ text: "−0.1 pts", worse: false, points: -0.1 });
    expect(rateChange(overview({ failureRate: 0.3, previousFailureRate: 0.2 }))).toEqual({ text: "+10.0 pts", worse: true, points: 10 });
  });
});

describe("rangeMs", () => {
  it("ends a preset with the current minute and refuses a backwards custom range", () => {
    const now = Date.parse("2026-11-27T16:59:30.000Z");
    expect(rangeMs({ preset: "1h", custom: { from: "", to: "" } }, now)).toEqual({
      fromMs: Date.parse("2026-11-27T16:00:00.000Z"),
      toMs: Date.parse("2026-11-27T17:00:00.000Z"),
    });
    expect(rangeMs({ preset: "custom", custom: { from: "", to: "2026-11-27T10:00" } }, now)).toHaveProperty("problem");
  });
});

describe("the chart's text alternative", () => {
  it("lists each bar with calls as a row of its numbers, for screen readers", () => {
    const bars = overview().bars.map((b, i) => ({ ...b, peakInProgress: i === 2 ? 4 : null }));
    render(<ChartTable bars={bars} />);
    const table = screen.getByTestId("overview-chart-table");
    expect(table.className).toBe("visually-hidden");
    expect(within(table).getByText(/^Calls per bar/).textContent).toBe("Calls per bar: the 2 of 3 bars with calls");
    const rows = within(table).getAllByRole("row").slice(1).map((r) => [...r.children].slice(1).map((c) => c.textContent));
    expect(rows).toEqual([
      ["3", "2", "1", "0", "—"],
      ["7", "3", "2", "2", "4"],
    ]);
  });
});
