// The status bar's gauge of calls in progress: the count, when the oldest started, and the
// stale ones set apart.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { InProgress, StatusCounts } from "./ipc";
import { mockCommands as mock, statusWith } from "./testing";
import { StatusBar } from "./StatusBar";

afterEach(() => {
  cleanup();
  clearMocks();
});

const counts: StatusCounts = {
  deliveriesTotal: 40,
  deliveriesSince: 12,
  repeats: 0,
  calls: 9,
  callsStarted: 2,
  callsConnected: 3,
  callsCompleted: 3,
  callsFailed: 1,
  rejected: 0,
  quarantined: 0,
  lastDeliveryAt: "2026-12-03T10:00:00Z",
};

function renderWith(gauge: InProgress) {
  const calls = mock(({ cmd }) => {
    if (cmd === "counts") return counts;
    if (cmd === "in_progress") return gauge;
  });
  render(<StatusBar status={statusWith({})} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
  return calls;
}

describe("calls in progress", () => {
  it("shows how many, when the oldest started, and the stale ones apart", async () => {
    const calls = renderWith({ calls: 3, oldestStartedAt: "2026-12-03T09:56:00Z", stale: 2, staleBefore: "2026-12-03T06:00:00Z" });
    const gauge = await screen.findByTestId("in-progress");
    expect(gauge.textContent).toBe("3 in progress (+2 stale)");
    expect(gauge.title).toMatch(/^The oldest started at /);
    expect(screen.getByTestId("in-progress-stale").title).toContain("never ended");
    expect(calls.some((c) => c.cmd === "in_progress")).toBe(true);
  });

  it("says none without a stale part", async () => {
    renderWith({ calls: 0, oldestStartedAt: null, stale: 0, staleBefore: "2026-12-03T06:00:00Z" });
    expect((await screen.findByTestId("in-progress")).textContent).toBe("0 in progress");
    expect(screen.queryByTestId("in-progress-stale")).toBeNull();
  });
});
