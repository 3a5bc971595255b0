// Component tests against a mocked IPC: what the window shows for each answer of the engine.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { App } from "./App";
import type { AppStatus, CallRow } from "./ipc";

const base: AppStatus = {
  mode: null,
  keyMasked: null,
  keychainError: null,
  receiverUrl: null,
  receiverError: null,
  port: 8787,
  publicUrl: null,
  apiBaseUrl: "https://app.calleague.ai",
};

function call(id: string, state: CallRow["state"], extra: Partial<CallRow> = {}): CallRow {
  return {
    callId: id,
    agentId: "ag_support",
    direction: "inbound",
    state,
    language: "en",
    metadata: { orderId: "A-1", note: "<img src=x onerror=alert(1)>" },
    firstOccurredAt: "2026-01-01T12:00:00.000Z",
    lastOccurredAt: "2026-01-01T12:01:00.000Z",
    lastReceivedAt: "2026-01-01T12:01:00.000Z",
    eventCount: 3,
    lateCount: 0,
    caughtUp: false,
    ...extra,
  };
}

const counts = {
  deliveriesTotal: 5, deliveriesSince: 5, repeats: 0, calls: 2, callsStarted: 0, callsConnected: 0,
  callsCompleted: 1, callsFailed: 1, rejected: 0, quarantined: 0, lastDeliveryAt: "2026-01-01T12:01:00.000Z",
};

let calls: Array<{ cmd: string; args: unknown }> = [];

beforeEach(() => {
  calls = [];
  // jsdom does no layout: give elements a size so the virtualized list renders rows.
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 800 });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1200 });
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe("onboarding", () => {
  it("sends the key to be checked and shows the engine's error plainly", async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return base;
      if (cmd === "connect_account") throw { code: "key_rejected", message: "Calleague rejected the API key (401): bad key" };
    });
    render(<App />);
    const input = await screen.findByLabelText("API key");
    fireEvent.change(input, { target: { value: "sk_live_123" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    expect(await screen.findByRole("alert")).toHaveProperty("textContent", "Calleague rejected the API key (401): bad key");
    expect(calls.find((c) => c.cmd === "connect_account")?.args).toMatchObject({ key: "sk_live_123" });
  });

  it("says so when the keychain is unavailable", async () => {
    mockIPC((cmd) => {
      if (cmd === "get_status") return { ...base, keychainError: { code: "keychain_unavailable", message: "No usable keychain: no Secret Service." } };
    });
    render(<App />);
    expect((await screen.findByRole("alert")).textContent).toContain("No usable keychain");
  });
});

describe("timeline", () => {
  it("lists calls with their state, as text, and asks SQLite to filter", async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [call("cl_1", "completed", { durationSec: 84, endedReason: "completed" }), call("cl_2", "failed", { endedReason: "busy" })], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "subscribe_feed") return null;
    });
    render(<App />);
    const rows = await screen.findAllByTestId("call-row");
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["completed", "failed"]);
    expect(screen.getByTestId("demo-badge").textContent).toContain("Demo");
    // The hostile metadata value is shown as text and creates no element.
    expect(document.querySelector("img")).toBeNull();
    expect(rows[0].textContent).toContain("<img src=x onerror=alert(1)>");
    fireEvent.click(screen.getByTestId("filter-failed"));
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1);
      expect(last?.args).toMatchObject({ filter: { states: ["failed"] } });
    });
    fireEvent.change(screen.getByTestId("search"), { target: { value: "A-1" } });
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1);
      expect(last?.args).toMatchObject({ filter: { text: "A-1" } });
    });
    expect(screen.getByTestId("statusbar").textContent).toContain("5 deliveries today");
  });
});
