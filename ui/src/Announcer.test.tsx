// What changes by itself, said to screen readers: arrivals gathered into one sentence at a
// time, alert rules as they start firing.
import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, render, screen } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { CallRow, EventRow, FeedItem } from "./bindings";
import { addArrivals, Announcer, noArrivals, sayArrivals } from "./Announcer";
import { mockCommands, statusWith } from "./testing";

afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
});

function event(callId: string, name: string, eventCount: number, endedReason?: string): FeedItem {
  const ev = { id: 1, callId, event: name, eventName: name, hidden: false } as unknown as EventRow;
  const call = { callId, eventCount, endedReason } as unknown as CallRow;
  return { kind: "event", event: ev, call };
}

describe("arrivals said", () => {
  it("counts new calls once, names the failed ones, and says nothing for nothing", () => {
    const a = noArrivals();
    expect(sayArrivals(a)).toBe("");
    addArrivals(a, [event("cl_1", "call.started", 1), event("cl_2", "call.started", 1), event("cl_1", "call.connected", 2)]);
    addArrivals(a, [event("cl_2", "call.failed", 2, "no-answer"), { kind: "rejected", entry: {} as never }]);
    expect(sayArrivals(a)).toBe("2 new calls. 1 failed: cl_2 (no-answer). 1 delivery refused.");
  });

  it("names three failures at most", () => {
    const a = noArrivals();
    addArrivals(a, ["a", "b", "c", "d", "e"].map((id) => event(id, "call.failed", 3)));
    expect(sayArrivals(a)).toBe("5 failed: a, b, c and 2 more.");
  });

  it("speaks through a polite live region, and an assertive one for alerts", async () => {
    vi.useFakeTimers();
    mockCommands(() => undefined);
    const { rerender } = render(<Announcer status={statusWith({})} everyMs={1000} />);
    const calls = screen.getByTestId("announce-calls");
    expect(calls.getAttribute("role")).toBe("status");
    expect(calls.getAttribute("aria-live")).toBe("polite");
    const firing = { name: "Failure rate", severity: "critical", sinceMs: 0 };
    rerender(<Announcer status={statusWith({ alertsFiring: [firing] } as never)} everyMs={1000} />);
    expect(screen.getByTestId("announce-alerts").textContent).toBe("Alert firing: Failure rate.");
    expect(screen.getByTestId("announce-alerts").getAttribute("aria-live")).toBe("assertive");
    await act(async () => vi.advanceTimersByTime(1100));
    expect(calls.textContent).toBe("");
  });
});
