// The status bar: its gauge of calls in progress (the count, when the oldest started, the
// stale ones set apart), and its one line at any width.
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { InProgress, StatusCounts } from "./ipc";
import { mockCommands as mock, statusWith } from "./testing";
import { StatusBar } from "./StatusBar";
import { fitOnOneLine } from "./OneLineBar";

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

describe("one line at any width", () => {
  it("keeps the most important items that fit, in their places", () => {
    const items = [
      { key: "receiver", priority: 100 },
      { key: "public-url", priority: 40 },
      { key: "alerts", priority: 95 },
      { key: "calls", priority: 15 },
      { key: "last", priority: 35 },
    ];
    const widths = new Map([
      ["receiver", 200],
      ["public-url", 150],
      ["alerts", 100],
      ["calls", 60],
      ["last", 60],
    ]);
    // All of it: 570 + 4 gaps of 10.
    expect([...fitOnOneLine(items, widths, 610, 10, 50)]).toEqual(items.map((i) => i.key));
    // One pixel less: "more" (50 with its gap) takes room, and the least important go first.
    const narrow = fitOnOneLine(items, widths, 609, 10, 50);
    expect([...narrow].sort()).toEqual(["alerts", "last", "public-url", "receiver"]);
    expect([...fitOnOneLine(items, widths, 400, 10, 50)].sort()).toEqual(["alerts", "receiver"]);
    // Not laid out yet (no width): everything, to be measured.
    expect(fitOnOneLine(items, widths, 0, 10, 50).size).toBe(5);
  });

  it("moves what does not fit behind a button whose list shows it, and closes with Escape", async () => {
    const width = (el: Element) => {
      if (el.getAttribute("data-testid") === "statusbar") return 700;
      const item = (el as HTMLElement).dataset?.barItem;
      return item ? ({ receiver: 300, "public-url": 120, source: 110, "deliveries-today": 130 } as Record<string, number>)[item] ?? 70 : 0;
    };
    const restore = [
      vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockImplementation(function (this: HTMLElement) {
        return width(this);
      }),
      vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
        return { width: width(this) } as DOMRect;
      }),
    ];
    try {
      renderWith({ calls: 1, oldestStartedAt: null, stale: 0, staleBefore: "2026-12-03T06:00:00Z" });
      const more = await screen.findByTestId("statusbar-more");
      const bar = screen.getByTestId("statusbar");
      // The receiver stays; the deliveries of today (least important) are behind "more".
      expect(bar.querySelector("[data-bar-item=receiver]")).not.toBeNull();
      expect(bar.dataset.hiddenItems).toContain("deliveries-today");
      expect(bar.querySelector("[data-bar-item=deliveries-today]")).toBeNull();
      const onLine = [...bar.querySelectorAll<HTMLElement>("[data-bar-item]")].reduce((sum, el) => sum + width(el) + 16, 0);
      expect(onLine).toBeLessThanOrEqual(700);
      expect(more.textContent).toMatch(/^\d+ more…$/);
      expect(more.getAttribute("aria-expanded")).toBe("false");
      fireEvent.click(more);
      const list = screen.getByTestId("statusbar-more-list");
      expect(list.textContent).toContain("12 deliveries today");
      expect(more.getAttribute("aria-expanded")).toBe("true");
      fireEvent.keyDown(document, { key: "Escape" });
      expect(screen.queryByTestId("statusbar-more-list")).toBeNull();
      expect(document.activeElement).toBe(more);
    } finally {
      restore.forEach((r) => r.mockRestore());
    }
  });
});
