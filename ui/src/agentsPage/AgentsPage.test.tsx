// The Agents page against a mocked engine: one row per agent by name, sorting by a column,
// and every count opening the timeline at exactly its calls.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { App } from "../App";
import type { AgentSummary, AgentsPage, ReasonsView } from "../bindings";
import { Call, mockCommands, statusWith } from "../testing";
import { forgetAgents } from "../agents";
import { forgetReasons } from "../reasons";
import { percentileText, sortRows } from "./columns";

const FROM = "2026-11-27T16:00:00.000Z";
const TO = "2026-11-27T17:00:00.000Z";
const step = (fromMs: number, toMs: number | null) => ({ fromMs, toMs, calls: 1 });

function agent(id: string | null, calls: number, failed: number, patch: Partial<AgentSummary> = {}): AgentSummary {
  const completed = calls - failed - 1;
  return {
    agentId: id,
    calls,
    completed,
    failed,
    inProgress: 1,
    failureRate: failed / (completed + failed),
    previous: { calls: 10, completed: 9, failed: 1, inProgress: 0 },
    previousFailureRate: 0.1,
    duration: { count: calls - 1, p50: step(30_000, 45_000), p90: step(3_600_000, null) },
    wait: { count: calls - 1, p50: step(500, 750), p90: step(2_000, 3_000) },
    reasons: [
      { key: "customer-ended-call", calls: completed, failed: 0 },
      { key: "customer-busy", calls: failed, failed },
    ],
    bars: Array.from({ length: 60 }, (_, i) => (i === 2 ? calls : 0)),
    values: [],
    ...patch,
  };
}

const PAGE: AgentsPage = {
  from: FROM,
  to: TO,
  barMs: 60_000,
  by: null,
  agents: [
    agent("ag_support", 20, 2),
    agent("ag_sales", 12, 6, { reasons: [{ key: "x-trunk-dropped", calls: 6, failed: 6 }, { key: null, calls: 5, failed: 0 }] }),
    agent(null, 3, 1, { previousFailureRate: null }),
  ],
};

const REASONS: ReasonsView = {
  entries: [{ reason: "customer-busy", category: "caller", explanation: "The line was busy.", custom: false, hasDefault: true }],
  unknown: ["x-trunk-dropped"],
};

let calls: Call[] = [];

/** The page grouped by a dimension: each agent's calls split between two values and none. */
function grouped(page: AgentsPage, by: string): AgentsPage {
  const values = (a: AgentSummary) => [
    { value: "spring", calls: a.calls - 2, completed: a.completed - 1, failed: a.failed, inProgress: 0, failureRate: 0.5 },
    { value: "autumn", calls: 1, completed: 1, failed: 0, inProgress: 0, failureRate: 0 },
    { value: null, calls: 1, completed: 0, failed: 0, inProgress: 1, failureRate: null },
  ];
  return { ...page, by, agents: page.agents.map((a) => ({ ...a, values: values(a) })) };
}
const asked = (cmd: string) => calls.filter((c) => c.cmd === cmd);

function engine(page: AgentsPage = PAGE) {
  calls = mockCommands(({ cmd, args }) => {
    if (cmd === "get_status") return statusWith();
    if (cmd === "agents_page") return args.by ? grouped(page, args.by as string) : page;
    if (cmd === "dimensions") return { chosen: [{ field: "campaign", ready: true, countedCalls: 10, calls: 10 }, { field: "tier", ready: false, countedCalls: 2, calls: 10 }], seen: [], most: 5 };
    if (cmd === "agents") return [{ agentId: "ag_sales", name: "Sales desk", language: null, known: true }];
    if (cmd === "reasons") return REASONS;
    if (cmd === "calls_page") return { items: [], next: null };
    if (cmd === "facets") return { agents: [], directions: [], endedReasons: [], languages: [] };
    if (cmd === "counts") return null;
    if (cmd === "forwarding_settings") return { targets: [], retryWindowHours: 24, timeoutSecs: 10 };
    return undefined;
  });
}

async function openPage() {
  render(<App />);
  fireEvent.click(await screen.findByTestId("page-agents"));
  await screen.findByTestId("agents-table");
  await waitFor(() => expect(rowIds()).toContain("ag_sales"));
}

const rowIds = () => screen.queryAllByTestId("agent-row").map((r) => r.getAttribute("data-agent"));
const rowOf = (id: string) => screen.getAllByTestId("agent-row").find((r) => r.getAttribute("data-agent") === id)!;
const lastFilter = () => asked("calls_page").at(-1)!.args.filter as Record<string, unknown>;

beforeEach(() => {
  window.localStorage.clear();
  forgetAgents();
  forgetReasons();
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe("Agents page", () => {
  it("shows one row per agent by name, with its counts, rates, percentiles, reasons and categories", async () => {
    engine();
    await openPage();
    expect(rowIds()).toEqual(["ag_support", "ag_sales", ""]);
    await waitFor(() => expect(within(rowOf("ag_sales")).getByTestId("agent-label").textContent).toBe("Sales desk"));
    // An agent the store has no name for shows its id; calls with no agent say so.
    expect(within(rowOf("ag_support")).getByTestId("agent-label").textContent).toBe("ag_support");
    expect(within(rowOf("")).getByTestId("agent-label").textContent).toBe("(no agent)");
    const sales = within(rowOf("ag_sales"));
    expect(sales.getByTestId("agent-calls").textContent).toBe("12");
    expect(sales.getByTestId("agent-failed").textContent).toBe("6");
    expect(sales.getByTestId("agent-rate").textContent).toBe("54.5%");
    expect(sales.getByTestId("agent-change").textContent).toBe("+44.5 pts");
    expect(sales.getByTestId("agent-duration-p50").textContent).toBe("≤45 s");
    expect(sales.getByTestId("agent-duration-p90").textContent).toBe("≥1 h");
    expect(sales.getByTestId("agent-wait-p90").textContent).toBe("≤3 s");
    expect(sales.getByTestId("agent-reasons").textContent).toContain("x-trunk-dropped 6");
    // A reason with no entry in Settings → Reasons is "not categorised"; a known one by its category.
    await waitFor(() => expect(sales.getByTestId("agent-categories").textContent).toBe("Not categorised 6"));
    expect(within(rowOf("ag_support")).getByTestId("agent-categories").textContent).toBe("The caller 2");
    expect(within(rowOf("")).getByTestId("agent-change").textContent).toBe("—");
    // The page's range is the overview's: the last 24 hours by default.
    const { fromMs, toMs } = asked("agents_page")[0].args as { fromMs: number; toMs: number };
    expect(toMs - fromMs).toBe(86_400_000);
  });

  it("sorts by a column, and back the other way", async () => {
    engine();
    await openPage();
    fireEvent.click(screen.getByTestId("agents-sort-failed"));
    expect(rowIds()).toEqual(["ag_sales", "ag_support", ""]);
    expect(screen.getByTestId("agents-sort-failed").closest("th")!.getAttribute("aria-sort")).toBe("descending");
    fireEvent.click(screen.getByTestId("agents-sort-failed"));
    expect(rowIds()).toEqual(["", "ag_support", "ag_sales"]);
    expect(screen.getByTestId("agents-sort-failed").closest("th")!.getAttribute("aria-sort")).toBe("ascending");
    // By name, A to Z: "Sales desk" before "ag_support" ignoring case; no agent last.
    fireEvent.click(screen.getByTestId("agents-sort-agent"));
    await waitFor(() => expect(rowIds()).toEqual(["ag_support", "ag_sales", ""]));
  });

  it("opens the timeline at an agent's calls, its failures, a reason's, a category's or a bar's", async () => {
    engine();
    await openPage();
    fireEvent.click(within(rowOf("ag_sales")).getByTestId("agent-calls"));
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    expect([lastFilter().agents, lastFilter().phases, lastFilter().range]).toEqual([["ag_sales"], [], { from: FROM, to: TO }]);

    const again = async (click: () => void) => {
      calls.length = 0;
      fireEvent.click(await screen.findByTestId("page-agents"));
      await screen.findByTestId("agents-table");
      click();
      await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
      return lastFilter();
    };
    let filter = await again(() => fireEvent.click(within(rowOf("ag_sales")).getByTestId("agent-failed")));
    expect([filter.agents, filter.phases]).toEqual([["ag_sales"], ["failed"]]);
    filter = await again(() => fireEvent.click(within(rowOf("ag_support")).getByText("customer-busy")));
    expect([filter.agents, filter.endedReasons]).toEqual([["ag_support"], ["customer-busy"]]);
    filter = await again(() => fireEvent.click(within(rowOf("ag_support")).getByText("The caller")));
    expect([filter.agents, filter.endedReasons, filter.phases]).toEqual([["ag_support"], ["customer-busy"], ["failed"]]);
    filter = await again(() => fireEvent.click(rowOf("ag_support").querySelector("rect")!));
    expect([filter.agents, filter.range]).toEqual([["ag_support"], { from: "2026-11-27T16:02:00.000Z", to: "2026-11-27T16:03:00.000Z" }]);
  });

  it("cannot open the calls without an agent: the timeline has no filter for them", async () => {
    engine();
    await openPage();
    expect(within(rowOf("")).queryAllByRole("button")).toEqual([]);
  });

  it("groups each agent's calls by a dimension chosen on the page, remembered, each value opening its calls", async () => {
    engine();
    await openPage();
    expect(screen.queryAllByTestId("agent-values")).toEqual([]);
    // The choices: direction, language and the fields counted through (not "tier", still counting).
    await waitFor(() => expect(within(screen.getByTestId("agents-by")).queryByText("campaign")).not.toBeNull());
    const options = [...screen.getByTestId("agents-by").querySelectorAll("option")].map((o) => o.value);
    expect(options).toEqual(["", "direction", "language", "metadata.campaign"]);
    fireEvent.change(screen.getByTestId("agents-by"), { target: { value: "metadata.campaign" } });
    await waitFor(() => expect(screen.getAllByTestId("agent-values").length).toBe(3));
    expect(asked("agents_page").at(-1)!.args.by).toBe("metadata.campaign");
    expect(window.localStorage.getItem("calleague.agents.by")).toBe("metadata.campaign");
    const sales = screen.getAllByTestId("agent-values").find((r) => r.getAttribute("data-agent") === "ag_sales")!;
    expect(sales.textContent).toBe("by campaign:spring 10 · 6 failedautumn 1(none) 1");
    // A value opens the agent's calls with it; "(none)" and the calls without an agent cannot.
    expect(within(sales).getByText("(none)").closest("button")).toBeNull();
    const none = screen.getAllByTestId("agent-values").find((r) => r.getAttribute("data-agent") === "")!;
    expect(within(none).queryAllByRole("button")).toEqual([]);
    fireEvent.click(within(sales).getByText("spring"));
    await waitFor(() => expect(asked("calls_page").length).toBeGreaterThan(0));
    expect([lastFilter().agents, lastFilter().metadata, lastFilter().range]).toEqual([["ag_sales"], { field: "campaign", value: "spring" }, { from: FROM, to: TO }]);
    // Back to the page: still grouped; "—" ungroups.
    fireEvent.click(await screen.findByTestId("page-agents"));
    await waitFor(() => expect(screen.getAllByTestId("agent-values").length).toBe(3));
    fireEvent.change(screen.getByTestId("agents-by"), { target: { value: "" } });
    await waitFor(() => expect(screen.queryAllByTestId("agent-values")).toEqual([]));
    expect(asked("agents_page").at(-1)!.args.by).toBeNull();
  });

  it("leaves the page ungrouped, and says so, when the remembered field is not counted here", async () => {
    window.localStorage.setItem("calleague.agents.by", "metadata.region");
    engine();
    await openPage();
    expect((await screen.findByTestId("agents-by-missing")).textContent).toContain("region is not counted here: choose it in Settings → Data");
    expect(screen.queryAllByTestId("agent-values")).toEqual([]);
    expect(asked("agents_page").every((c) => c.args.by === null)).toBe(true);
  });

  it("says when no call is in the range", async () => {
    engine({ ...PAGE, agents: [] });
    render(<App />);
    fireEvent.click(await screen.findByTestId("page-agents"));
    expect((await screen.findByTestId("agents-empty")).textContent).toBe("No calls in this range.");
  });
});

describe("the Agents page's columns", () => {
  it("writes a percentile as its step's upper edge, the last step open", () => {
    expect(percentileText(step(30_000, 45_000))).toBe("≤45 s");
    expect(percentileText(step(3_600_000, null))).toBe("≥1 h");
    expect(percentileText(null)).toBe("—");
  });

  it("sorts rows without a value last in either direction", () => {
    const label = (id: string | null | undefined) => id ?? "";
    const rows = [agent("a", 5, 1), agent("b", 9, 0, { failureRate: null }), agent("c", 7, 3)];
    expect(sortRows(rows, { key: "rate", descending: true }, label).map((r) => r.agentId)).toEqual(["c", "a", "b"]);
    expect(sortRows(rows, { key: "rate", descending: false }, label).map((r) => r.agentId)).toEqual(["a", "c", "b"]);
  });
});
