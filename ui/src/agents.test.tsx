// Agents by name wherever an agent is shown: the timeline's row, the agent filter, the
// overview's failures by agent; an agent with no name (or unknown to the API) keeps its id.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRef } from "react";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { mockCommands as mock } from "./testing";
import type { AgentName, CallRow } from "./ipc";
import { forgetAgents, reloadAgents } from "./agents";
import { CallRowView } from "./calls/CallRowView";
import { FilterBar } from "./calls/FilterBar";
import { useCallFilters } from "./calls/useCallFilters";
import { Tallies } from "./overview/Tallies";

const AGENTS: AgentName[] = [
  { agentId: "ag_sales", name: "Sales desk", language: "en", known: true },
  { agentId: "ag_ghost", name: null, language: null, known: false },
];

beforeEach(() => forgetAgents());
afterEach(() => {
  cleanup();
  clearMocks();
});

function call(agentId: string | null): CallRow {
  return {
    callId: `c_${agentId}`,
    ...(agentId ? { agentId } : {}),
    direction: "inbound",
    phase: "failed",
    endedReason: "busy",
    language: "en",
    metadata: null,
    firstOccurredAt: "2026-12-03T10:00:00Z",
    sortMs: 0,
    lastOccurredAt: "2026-12-03T10:00:00Z",
    lastReceivedAt: "2026-12-03T10:00:00Z",
    eventCount: 1,
    lateCount: 0,
    caughtUp: false,
  };
}

describe("agents by name", () => {
  it("names the agent of a timeline row, its id a hover away, and keeps ids without a name", async () => {
    const calls = mock(({ cmd }) => (cmd === "agents" ? AGENTS : undefined));
    render(
      <>
        <CallRowView call={call("ag_sales")} selected={false} />
        <CallRowView call={call("ag_ghost")} selected={false} />
        <CallRowView call={call(null)} selected={false} />
      </>,
    );
    const shown = () => screen.getAllByTestId("call-agent").map((a) => a.textContent);
    expect(shown()).toEqual(["ag_sales", "ag_ghost", "unknown agent"]);
    await act(() => reloadAgents());
    expect(shown()).toEqual(["Sales desk", "ag_ghost", "unknown agent"]);
    expect(screen.getAllByTestId("call-agent")[0].title).toBe("ag_sales");
    expect(calls.filter((c) => c.cmd === "agents")).toHaveLength(1);
  });

  it("offers agents by name in the filter, filtering by the id", async () => {
    mock(({ cmd }) => {
      if (cmd === "agents") return AGENTS;
      if (cmd === "facets") return { agents: ["ag_ghost", "ag_sales"], directions: [], endedReasons: [], languages: [], dimensions: [] };
    });
    await reloadAgents();
    let agent = "";
    function Bar() {
      const { filters, set } = useCallFilters();
      agent = filters.agent;
      return <FilterBar filters={filters} set={set} search={createRef()} />;
    }
    render(<Bar />);
    const select = (await screen.findByTestId("facet-agent")) as HTMLSelectElement;
    await waitFor(() => expect(select.options).toHaveLength(3));
    expect([...select.options].map((o) => o.textContent)).toEqual(["Agent: any", "ag_ghost", "Sales desk (ag_sales)"]);
    fireEvent.change(select, { target: { value: "ag_sales" } });
    expect(agent).toBe("ag_sales");
  });

  it("names the overview's failures by agent and opens them by id", async () => {
    mock(({ cmd }) => (cmd === "agents" ? AGENTS : undefined));
    await reloadAgents();
    const opened: string[] = [];
    function Failures() {
      return (
        <Tallies
          title="Failures by agent"
          rows={[
            { key: "ag_sales", calls: 9, failed: 4 },
            { key: null, calls: 2, failed: 1 },
          ]}
          count={(t) => t.failed}
          empty="none"
          testId="overview-agents"
          noKey="(no agent)"
          onOpen={(key) => opened.push(key)}
          labelOf={(id) => (id === "ag_sales" ? "Sales desk" : id)}
        />
      );
    }
    render(<Failures />);
    const labels = [...screen.getByTestId("overview-agents").querySelectorAll(".tally-label")].map((l) => l.textContent);
    expect(labels).toEqual(["Sales desk", "(no agent)"]);
    fireEvent.click(screen.getByText("Sales desk"));
    expect(opened).toEqual(["ag_sales"]);
  });
});
