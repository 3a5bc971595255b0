// Component tests against a mocked IPC: what the window shows for each answer of the engine.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { App } from "./App";
import type { AppStatus, CallRow, SourceStatus } from "./ipc";
import { statusWith } from "./testing";

// The welcome screen's status: no mode yet, nothing receiving.
const base: AppStatus = statusWith({ mode: null, receiverUrl: null });

function call(id: string, phase: CallRow["phase"], extra: Partial<CallRow> = {}): CallRow {
  return {
    callId: id,
    agentId: "ag_support",
    direction: "inbound",
    phase,
    language: "en",
    metadata: { orderId: "A-1", note: "<img src=x onerror=alert(1)>" },
    firstOccurredAt: "2026-01-01T12:00:00.000Z",
    sortMs: Date.parse(extra.firstOccurredAt ?? "2026-01-01T12:00:00.000Z"),
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
  // jsdom has no blob: URLs.
  URL.createObjectURL = () => "blob:mock-audio";
  URL.revokeObjectURL = () => undefined;
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

describe("team mode", () => {
  it("connects with the address and password typed, and shows the team's database instead of a receiver", async () => {
    let status: AppStatus = base;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return status;
      if (cmd === "connect_team") {
        status = { ...base, mode: "team", receiverUrl: null, teamDatabase: "postgres://calleague_viewer@db.internal:5432/calleague" };
        return status;
      }
      if (cmd === "calls_page") return { items: [call("cl_team", "failed", { endedReason: "busy" })], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "facets") return { agents: [], directions: [], endedReasons: [], languages: [] };
      return null;
    });
    render(<App />);
    fireEvent.change(await screen.findByLabelText("Database address"), { target: { value: "postgres://calleague_viewer@db.internal:5432/calleague" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "viewer-pw" } });
    fireEvent.click(screen.getByRole("button", { name: "Watch" }));
    expect(await screen.findByTestId("team-badge")).toBeTruthy();
    expect(calls.find((c) => c.cmd === "connect_team")?.args).toMatchObject({
      database: "postgres://calleague_viewer@db.internal:5432/calleague",
      password: "viewer-pw",
    });
    expect(screen.getByTestId("receiver-state").textContent).toBe("Watching postgres://calleague_viewer@db.internal:5432/calleague");
    expect(screen.queryByTestId("page-subscriptions")).toBeNull();
    expect((await screen.findAllByTestId("call-row")).length).toBe(1);
    expect(document.body.textContent).not.toContain("viewer-pw");
    // Nothing asks for this computer's subscriptions while watching a team's database.
    expect(calls.filter((c) => c.cmd === "subscriptions")).toHaveLength(0);
  });

  it("shows a call's details without fetching its recording or transcript, which need the account's key", async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === "get_status") return { ...base, mode: "team", receiverUrl: null, teamDatabase: "postgres://calleague_viewer@db/calleague" };
      if (cmd === "calls_page") return { items: [call("cl_t", "completed", { recordingId: "rec_t", transcriptId: "tr_t" })], next: null, prev: null };
      if (cmd === "call_detail") return { call: call("cl_t", "completed", { recordingId: "rec_t", transcriptId: "tr_t" }), events: [] };
      return null;
    });
    render(<App />);
    fireEvent.click((await screen.findAllByTestId("call-row"))[0]);
    const note = await screen.findByTestId("media-unavailable");
    expect(note.textContent).toContain("rec_t");
    expect(note.textContent).toContain("tr_t");
    expect(document.querySelector("audio")).toBeNull();
    expect(asked.filter((c) => c === "recording_audio" || c === "transcript")).toEqual([]);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("with the account's key added in Settings, a call's recording and transcript are fetched", async () => {
    let status: AppStatus = { ...base, mode: "team", receiverUrl: null, teamDatabase: "postgres://calleague_viewer@db/calleague" };
    const asked: Array<{ cmd: string; args: unknown }> = [];
    mockIPC((cmd, args) => {
      asked.push({ cmd, args });
      if (cmd === "get_status") return status;
      if (cmd === "set_team_api_key") {
        status = { ...status, keyMasked: "••••••…7e3a" };
        return status;
      }
      if (cmd === "calls_page") return { items: [call("cl_t", "completed", { recordingId: "rec_t", transcriptId: "tr_t" })], next: null, prev: null };
      if (cmd === "call_detail") return { call: call("cl_t", "completed", { recordingId: "rec_t", transcriptId: "tr_t" }), events: [] };
      if (cmd === "recording_audio") return new Uint8Array([82, 73, 70, 70]).buffer;
      if (cmd === "transcript") return { transcriptId: "tr_t", segments: [] };
      if (cmd === "facets") return { agents: [], directions: [], endedReasons: [], languages: [] };
      if (cmd === "counts") return counts;
      return null;
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId("page-settings"));
    fireEvent.change(await screen.findByTestId("team-key-input"), { target: { value: " sk_live_7e3a " } });
    fireEvent.click(screen.getByTestId("team-key-save"));
    expect((await screen.findByTestId("team-key")).textContent).toContain("7e3a");
    expect(asked.find((c) => c.cmd === "set_team_api_key")?.args).toMatchObject({ key: " sk_live_7e3a " });
    fireEvent.click(screen.getByTestId("page-calls"));
    fireEvent.click((await screen.findAllByTestId("call-row"))[0]);
    await waitFor(() => expect(asked.map((c) => c.cmd)).toEqual(expect.arrayContaining(["recording_audio", "transcript"])));
    expect(screen.queryByTestId("media-unavailable")).toBeNull();
  });

  it("says why the team's database is not watched", async () => {
    mockIPC((cmd) => {
      if (cmd === "get_status")
        return { ...base, mode: "team", receiverUrl: null, teamError: { code: "team_database_unavailable", message: "Cannot watch the team's database: connection refused" } };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      return null;
    });
    render(<App />);
    expect((await screen.findByTestId("team-problem")).textContent).toContain("connection refused");
    expect(screen.getByTestId("receiver-state").textContent).toBe("Team database unreachable: retrying");
  });

  it("says so when the watched team database stops answering", async () => {
    const teamDatabase = "postgres://calleague_viewer@db.internal:5432/calleague";
    mockIPC((cmd) => {
      if (cmd === "get_status")
        return { ...base, mode: "team", receiverUrl: null, teamDatabase, teamError: { code: "team_database_unavailable", message: "The team database stopped answering: live updates and failure notifications wait until it answers again (retrying)." } };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      return null;
    });
    render(<App />);
    await waitFor(() => expect(screen.getByTestId("receiver-state").textContent).toBe("Team database unreachable: retrying"));
    expect(screen.getByTestId("receiver-state").getAttribute("title")).toContain("stopped answering");
  });
});

describe("timeline", () => {
  it("lists calls with their state, as text, and asks SQLite to filter", async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [call("cl_1", "completed", { durationSec: 84, endedReason: "completed" }), call("cl_2", "failed", { endedReason: "busy" })], next: null, prev: null };
      if (cmd === "forwarding_settings") return { targets: [], retryWindowHours: 24, timeoutSecs: 10 };
      if (cmd === "counts") return counts;
      if (cmd === "subscribe_feed") return null;
      if (cmd === "facets") return { agents: ["ag_sales", "ag_support"], directions: ["inbound"], endedReasons: ["busy"], languages: ["en"] };
      if (cmd === "security_log")
        return [
          { id: 2, at: "2026-01-01T12:00:00.000Z", lastAt: "2026-01-01T12:00:59.000Z", count: 20000, peer: "10.0.0.7:5555", reason: "wrong token" },
          { id: 1, at: "2026-01-01T11:00:00.000Z", lastAt: "2026-01-01T11:00:00.000Z", count: 1, peer: "10.0.0.8:5555", reason: "missing Authorization header" },
        ];
    });
    render(<App />);
    const rows = await screen.findAllByTestId("call-row");
    expect(rows.map((r) => r.getAttribute("data-phase"))).toEqual(["completed", "failed"]);
    expect(screen.getByTestId("demo-badge").textContent).toContain("Demo");
    // The hostile metadata value is shown as text and creates no element.
    expect(document.querySelector("img:not(.logo)")).toBeNull();
    expect(rows[0].textContent).toContain("<img src=x onerror=alert(1)>");
    fireEvent.click(screen.getByTestId("filter-failed"));
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1);
      expect(last?.args).toMatchObject({ filter: { phases: ["failed"] } });
    });
    fireEvent.change(screen.getByTestId("search"), { target: { value: "A-1" } });
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1);
      expect(last?.args).toMatchObject({ filter: { text: "A-1" } });
    });
    expect(screen.getByTestId("statusbar").textContent).toContain("5 deliveries today");
    await waitFor(() => expect(screen.getByTestId("facet-agent").querySelectorAll("option").length).toBe(3));
    fireEvent.change(screen.getByTestId("facet-agent"), { target: { value: "ag_sales" } });
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1);
      expect(last?.args).toMatchObject({ filter: { agents: ["ag_sales"], phases: ["failed"] } });
    });
    fireEvent.click(screen.getByTestId("show-rejected"));
    expect((await screen.findByTestId("rejected-list")).textContent).toContain("wrong token");
    // A flood is one row that says how many: ×20,000; a single one says nothing more.
    const lines = await screen.findAllByTestId("rejected-row");
    expect(lines[0].textContent).toContain(`×${(20000).toLocaleString()}`);
    expect(lines[1].textContent).not.toContain("×");
  });
});

describe("time range and long lists", () => {
  it("sends the chosen time range to the store, relative and custom", async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [call("cl_1", "completed")], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "forwarding_settings") return { targets: [], retryWindowHours: 24, timeoutSecs: 10 };
    });
    render(<App />);
    await screen.findAllByTestId("call-row");
    const before = Date.now();
    fireEvent.change(screen.getByTestId("facet-time"), { target: { value: "1h" } });
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1)?.args as { filter: { range: { from?: string } } };
      const from = Date.parse(last.filter.range.from ?? "");
      expect(from).toBeGreaterThanOrEqual(before - 3_600_000);
      expect(from).toBeLessThanOrEqual(Date.now() - 3_600_000);
    });
    // The window rolls: the next query counts the hour back from its own moment.
    const firstFrom = (calls.filter((c) => c.cmd === "calls_page").at(-1)?.args as { filter: { range: { from: string } } }).filter.range.from;
    await new Promise((r) => setTimeout(r, 5));
    fireEvent.click(screen.getByTestId("filter-failed"));
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1)?.args as { filter: { phases: string[]; range: { from: string } } };
      expect(last.filter.phases).toEqual(["failed"]);
      expect(Date.parse(last.filter.range.from)).toBeGreaterThan(Date.parse(firstFrom));
    });
    fireEvent.change(screen.getByTestId("facet-time"), { target: { value: "custom" } });
    fireEvent.change(screen.getByTestId("range-from"), { target: { value: "2026-01-01T12:00" } });
    fireEvent.change(screen.getByTestId("range-to"), { target: { value: "2026-01-01T13:30" } });
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1);
      expect(last?.args).toMatchObject({
        filter: { range: { from: new Date("2026-01-01T12:00").toISOString(), to: new Date("2026-01-01T13:30").toISOString() } },
      });
    });
    // Esc clears every filter, the range too.
    fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => {
      const last = calls.filter((c) => c.cmd === "calls_page").at(-1)?.args as { filter: { range: object } };
      expect(last.filter.range).toEqual({});
    });
  });

  it("pages the quarantine list beyond its first 200 entries", async () => {
    const total = 450;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      if (cmd === "counts") return { ...counts, quarantined: total };
      if (cmd === "quarantine") {
        const { beforeId, limit } = args as { beforeId: number | null; limit: number };
        const top = beforeId ?? total + 1;
        const ids = Array.from({ length: Math.min(limit, top - 1) }, (_, i) => top - 1 - i);
        return ids.map((id) => ({ id, receivedAt: "2026-01-01T12:00:00.000Z", peer: null, reason: `not JSON #${id}`, headers: [], body: "x" }));
      }
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId("show-quarantined"));
    const list = await screen.findByTestId("quarantined-list");
    await waitFor(() => expect(list.querySelectorAll("[data-testid=list-rows] > li").length).toBe(200));
    fireEvent.click(screen.getByTestId("show-older"));
    await waitFor(() => expect(list.querySelectorAll("[data-testid=list-rows] > li").length).toBe(400));
    fireEvent.click(screen.getByTestId("show-older"));
    await waitFor(() => expect(list.querySelectorAll("[data-testid=list-rows] > li").length).toBe(total));
    expect(screen.queryByTestId("show-older")).toBeNull();
    const asked = calls.filter((c) => c.cmd === "quarantine").map((c) => (c.args as { beforeId: number | null }).beforeId);
    // The newest page is read again every second while the list is open (beforeId null);
    // the pages further back are asked for once each, in order.
    expect(asked[0]).toBeNull();
    expect(asked.filter((beforeId) => beforeId !== null)).toEqual([251, 51]);
    expect(list.textContent).toContain("not JSON #1");
  });
});

/** The app in demo mode on `page`, with its live feed in the test's hands: push calls. */
async function liveTimeline(page: CallRow[]) {
  let feed: ((batch: unknown) => void) | null = null;
  mockIPC((cmd, args) => {
    if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
    if (cmd === "calls_page") return { items: page, next: null, prev: null };
    if (cmd === "counts") return counts;
    if (cmd === "subscribe_feed") {
      const channel = (args as { onBatch: { onmessage: (b: unknown) => void } }).onBatch;
      feed = (b) => channel.onmessage(b);
      return null;
    }
  });
  render(<App />);
  await screen.findAllByTestId("call-row");
  await waitFor(() => expect(feed).not.toBeNull());
  const event = (id: string) => ({ id: 1, deliveryId: null, event: "x", eventName: "x", known: true, callId: id, occurredAt: "", occurredFromReceipt: false, receivedAt: "", lastSeenAt: "", attempts: 1, late: false, hidden: false, source: "webhook" });
  return (...cs: CallRow[]) => feed!({ items: cs.map((c) => ({ kind: "event", event: event(c.callId), call: c })), resync: false });
}

describe("live feed", () => {
  it("puts new calls on top, updates calls in place, and offers a pill when scrolled away", async () => {
    const push = await liveTimeline([call("cl_1", "started"), call("cl_2", "started")]);
    push(call("cl_2", "failed", { endedReason: "busy", firstOccurredAt: "2026-01-01T11:00:00.000Z" }));
    push(call("cl_3", "started", { firstOccurredAt: "2026-01-01T12:05:00.000Z" }));
    await waitFor(() => {
      const rows = screen.getAllByTestId("call-row");
      expect(rows.map((r) => [r.getAttribute("data-call-id"), r.getAttribute("data-phase")])).toEqual([
        ["cl_3", "started"],
        ["cl_1", "started"],
        ["cl_2", "failed"],
      ]);
    });
  });

  it("scrolled away, keeps the rows in view where they are and counts only the calls that land above", async () => {
    const minute = (m: number) => new Date(Date.UTC(2026, 0, 1, 12, m)).toISOString();
    const page = Array.from({ length: 30 }, (_, i) => call(`cl_${100 - i}`, "started", { firstOccurredAt: minute(40 - i) }));
    const push = await liveTimeline(page);
    const list = screen.getByTestId("timeline");
    list.scrollTop = 640; // the 11th row is the first in view
    fireEvent.scroll(list);
    push(call("cl_200", "started", { firstOccurredAt: minute(50) }), call("cl_201", "started", { firstOccurredAt: minute(51) }));
    expect((await screen.findByText("2 new calls ↑")).tagName).toBe("BUTTON");
    expect(list.scrollTop).toBe(640 + 2 * 64); // the same row stays in view
    // A call older than the rows in view lands below them: not counted.
    push(call("cl_1", "started", { firstOccurredAt: minute(0) }));
    await waitFor(() => expect(list.getAttribute("data-loaded")).toBe("33"));
    expect(screen.getByTestId("new-calls").textContent).toBe("2 new calls ↑");
    // Back at the top, everything new is in sight.
    list.scrollTop = 0;
    fireEvent.scroll(list);
    await waitFor(() => expect(screen.queryByTestId("new-calls")).toBeNull());
  });
});

describe("a long timeline", () => {
  it("keeps every call's place but only the rows near the view, and reads rows scrolled back to again", async () => {
    // 3,000 calls a second apart, newest first, paged by the store's keyset cursor.
    const store = Array.from({ length: 3000 }, (_, i) =>
      call(`cl_${String(3000 - i).padStart(4, "0")}`, "completed", { firstOccurredAt: new Date(Date.UTC(2026, 0, 1, 12) - i * 1000).toISOString() }),
    );
    const asked: Array<string | null> = [];
    mockIPC((cmd, args) => {
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") {
        const { after, limit } = (args as { page: { after?: { callId: string } | null; limit: number } }).page;
        asked.push(after?.callId ?? null);
        const from = after ? store.findIndex((c) => c.callId === after.callId) + 1 : 0;
        const items = store.slice(from, from + limit);
        const last = items[items.length - 1];
        return { items, next: from + limit < store.length ? { sortMs: last.sortMs, callId: last.callId } : null, prev: null };
      }
      if (cmd === "counts") return counts;
      if (cmd === "subscribe_feed") return null;
    });
    render(<App />);
    await screen.findAllByTestId("call-row");
    const list = screen.getByTestId("timeline");
    // Down to the oldest call, a screen at a time past each page's end.
    for (let loaded = 200; list.getAttribute("data-complete") !== "true"; ) {
      list.scrollTop = loaded * 64;
      fireEvent.scroll(list);
      await waitFor(() => expect(Number(list.getAttribute("data-loaded"))).toBeGreaterThan(loaded));
      loaded = Number(list.getAttribute("data-loaded"));
    }
    expect(list.getAttribute("data-loaded")).toBe("3000");
    expect(Number(list.getAttribute("data-kept"))).toBeLessThanOrEqual(2000);
    list.scrollTop = 3000 * 64 - 800;
    fireEvent.scroll(list);
    await waitFor(() => expect(screen.getAllByTestId("call-row").map((r) => r.getAttribute("data-call-id"))).toContain("cl_0001"));
    // The newest rows were let go; back at the top they are read again, after no cursor.
    const pagesBefore = asked.length;
    list.scrollTop = 0;
    fireEvent.scroll(list);
    await waitFor(() => expect(screen.getAllByTestId("call-row")[0].getAttribute("data-call-id")).toBe("cl_3000"));
    expect(asked.slice(pagesBefore)).toEqual([null]);
    expect(screen.queryAllByTestId("call-row-being-read")).toEqual([]);
    // Far down again (those rows were let go for the top's): the page read again starts after
    // the key of the row before the first missing one (half a page above the view, which
    // the list draws from four rows above the screen).
    list.scrollTop = 2500 * 64;
    fireEvent.scroll(list);
    await waitFor(() => expect(screen.getAllByTestId("call-row").map((r) => r.getAttribute("data-call-id"))).toContain("cl_0500"));
    expect(asked[pagesBefore + 1]).toBe(store[2500 - 4 - 100 - 1].callId);
    expect(Number(list.getAttribute("data-kept"))).toBeLessThanOrEqual(2000);
  });
});

describe("call details", () => {
  it("shows events, raw JSON as text, and a transcript that filters", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    mockIPC((cmd, args) => {
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [call("cl_1", "completed", { recordingId: "rec_1", transcriptId: "tr_1" })], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "call_forwarding") return [];
      if (cmd === "forwarding_settings") return { targets: [], retryWindowHours: 24, timeoutSecs: 10 };
      if (cmd === "subscribe_feed") return null;
      if (cmd === "call_detail")
        return {
          call: call("cl_1", "completed", { recordingId: "rec_1", transcriptId: "tr_1", metadata: { note: hostile } }),
          events: [
            { id: 1, deliveryId: "d1", event: "call.started", eventName: "call.started", callId: "cl_1", occurredAt: "2026-01-01T12:00:00.000Z",
              receivedAt: "2026-01-01T12:00:01.000Z", lastSeenAt: "2026-01-01T12:00:05.000Z", attempts: 2, late: false, hidden: false,
              occurredFromReceipt: false, source: "webhook", confirmedByWebhook: false, peer: "127.0.0.1:5", headers: [], body: JSON.stringify({ event: "call.started", data: { note: hostile } }) },
            { id: 2, deliveryId: null, event: "call.completed", eventName: "call.completed", callId: "cl_1", occurredAt: "2026-01-01T12:03:00.000Z",
              receivedAt: "2026-01-01T13:00:00.000Z", lastSeenAt: "2026-01-01T13:00:00.000Z", attempts: 1, late: false, hidden: false,
              occurredFromReceipt: false, source: "catchup", confirmedByWebhook: true, peer: "127.0.0.1:6", headers: [], body: "{}" },
          ],
        };
      if (cmd === "recording_audio") return new Uint8Array([82, 73, 70, 70]).buffer;
      if (cmd === "save_recording") {
        calls.push({ cmd, args });
        return "/home/ops/Downloads/cl_1.wav";
      }
      if (cmd === "transcript")
        return { transcriptId: "tr_1", segments: [
          { speaker: "agent", text: "Hello, how can I help?", startSec: 0, endSec: 2 },
          { speaker: "customer", text: "My order A-1042 is late", startSec: 2, endSec: 5 },
        ] };
    });
    render(<App />);
    fireEvent.click((await screen.findAllByTestId("call-row"))[0]);
    const details = await screen.findByTestId("details");
    expect((await screen.findByTestId("metadata")).textContent).toContain(hostile);
    expect(details.querySelector("img")).toBeNull();
    await waitFor(() => expect(details.querySelector("audio")?.getAttribute("src") ?? "").toMatch(/^blob:/));
    expect(screen.getByText("×2")).toBeTruthy();
    // A caught-up step whose webhook came too is one step that names both sources.
    expect(screen.getAllByText(/^caught up/).map((b) => b.textContent)).toEqual(["caught up + webhook"]);
    fireEvent.click(screen.getByText("call.started"));
    expect(details.querySelector("pre")?.textContent).toContain(hostile);
    const turns = await screen.findAllByRole("listitem", { name: undefined });
    expect(turns.length).toBeGreaterThan(0);
    fireEvent.change(screen.getByTestId("transcript-search"), { target: { value: "a-1042" } });
    await waitFor(() => expect(document.querySelectorAll(".turn.hit").length).toBe(1));
    fireEvent.click(screen.getByTestId("save-recording"));
    expect((await screen.findByTestId("saved-to")).textContent).toBe("Saved to /home/ops/Downloads/cl_1.wav");
    expect(calls.find((c) => c.cmd === "save_recording")?.args).toEqual({ recordingId: "rec_1", callId: "cl_1" });
    fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("details")).toBeNull());
  });
});

describe("receiver and key problems", () => {
  it("offers another port when the configured one is taken", async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status")
        return { ...base, mode: "demo", receiverError: { code: "port_in_use", message: "127.0.0.1:8787 is already in use" } };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "suggest_port") return 8791;
      if (cmd === "set_port") return { ...base, mode: "demo", port: 8791, receiverUrl: "http://127.0.0.1:8791/hooks/calleague" };
    });
    render(<App />);
    expect((await screen.findByTestId("receiver-problem")).textContent).toContain("Port 8787 is taken");
    fireEvent.click(await screen.findByTestId("use-port"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_port")?.args).toMatchObject({ port: 8791 }));
    await waitFor(() => expect(screen.queryByTestId("receiver-problem")).toBeNull());
  });

  it("sets the public URL from the status bar, with the engine's check", async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "set_public_url") {
        const { url } = args as { url: string | null };
        if (url && !url.startsWith("https://")) throw { code: "public_url_invalid", message: "The public address must start with https://" };
        return { ...base, mode: "demo", receiverUrl: "http://127.0.0.1:8787/hooks/calleague", publicUrl: url };
      }
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId("public-url"));
    // "/" goes into the field; it is the search shortcut only when no field has the keyboard.
    const field = screen.getByPlaceholderText("https://…");
    field.focus();
    fireEvent.keyDown(field, { key: "/" });
    expect(document.activeElement).toBe(field);
    fireEvent.change(screen.getByPlaceholderText("https://…"), { target: { value: "http://plain.example" } });
    fireEvent.click(screen.getByText("Save"));
    expect((await screen.findByRole("alert")).textContent).toBe("The public address must start with https://");
    fireEvent.change(screen.getByPlaceholderText("https://…"), { target: { value: "https://calls.example.dev/hooks/calleague" } });
    fireEvent.click(screen.getByText("Save"));
    await waitFor(() => expect(screen.getByTestId("public-url").textContent).toBe("Public: https://calls.example.dev/hooks/calleague"));
    expect(screen.queryByTestId("public-url-form")).toBeNull();
  });

  it("shows catch-up progress in the status bar", async () => {
    mockIPC((cmd) => {
      if (cmd === "get_status")
        return { ...base, mode: "account", keyMasked: "••••••…abcd", receiverUrl: "http://127.0.0.1:8787/hooks/calleague",
          catchUp: { window: 1, windows: 2, page: 3, pages: 5, callsRead: 250, callsMerged: 240, eventsAdded: 900, done: false } };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      if (cmd === "counts") return counts;
    });
    render(<App />);
    expect((await screen.findByTestId("catch-up")).textContent).toBe("Catching up: window 1/2, page 3/5, 240 calls merged");
  });

  it("says where calls come from, and when webhooks stop arriving, in the status bar", async () => {
    const source: SourceStatus = {
      mode: "restOnly", rounds: 3, callsFound: 0, eventsFound: 0, error: null, retryAt: null, notArriving: null,
      lastRound: { readBy: "rest-poll", at: "2026-01-01T12:00:00.000Z", from: "2026-01-01T11:45:00.000Z", to: "2026-01-01T12:00:00.000Z", callsListed: 7, callsFound: 2, eventsAdded: 6 },
    };
    let status: AppStatus = { ...base, mode: "account", keyMasked: "••••••…abcd", receiverUrl: "http://127.0.0.1:8787/hooks/calleague", source };
    mockIPC((cmd) => {
      if (cmd === "get_status") return status;
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      if (cmd === "counts") return counts;
    });
    const { unmount } = render(<App />);
    const shown = await screen.findByTestId("source-state");
    expect(shown.textContent).toBe("Source: REST only");
    expect(shown.getAttribute("title")).toContain("No subscription sends to this computer");
    expect(shown.getAttribute("title")).toContain("7 calls listed, 2 with steps webhooks had not brought");
    unmount();

    const causes = [
      { what: "The API key", fine: true, detail: "Calleague accepts it" },
      { what: "The subscription", fine: false, detail: "no webhook of the account sends to https://t.example/hooks/calleague any more" },
    ];
    const notArriving = { since: "2026-01-01T11:50:00.000Z", raisedAt: "2026-01-01T12:00:00.000Z", callsListed: 12, quietMinutes: 10, causes };
    status = { ...status, source: { ...source, mode: "both", notArriving } };
    render(<App />);
    const warned = await screen.findByTestId("source-state");
    expect(warned.textContent).toBe("Webhooks not arriving");
    expect(warned.getAttribute("title")).toContain("Calleague listed 12 calls in the last 10 minutes and none was delivered here.");
    expect(warned.getAttribute("title")).toContain("The subscription: no webhook of the account sends to");
    expect(warned.getAttribute("title")).not.toContain("The API key");
  });

  it("shows the key masked, and replaces it through the API check", async () => {
    // The backend's state: a status read after the replacement tells the new key, as the
    // engine's does (a status poll landing after connect_account used to put the old one back).
    let masked = "••••••…abcd";
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "get_status") return { ...base, mode: "account", keyMasked: masked, receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      if (cmd === "calls_page") return { items: [], next: null, prev: null };
      if (cmd === "counts") return counts;
      if (cmd === "connect_account") {
        masked = "••••••…wxyz";
        return { ...base, mode: "account", keyMasked: masked, receiverUrl: "http://127.0.0.1:8787/hooks/calleague" };
      }
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId("key-badge"));
    fireEvent.click(screen.getByText("Replace key"));
    fireEvent.change(screen.getByLabelText("New API key"), { target: { value: "sk_new_wxyz" } });
    fireEvent.click(screen.getByText("Save"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "connect_account")?.args).toMatchObject({ key: "sk_new_wxyz" }));
    await waitFor(() => expect(screen.getByTestId("key-badge").textContent).toContain("wxyz"));
    expect(document.body.textContent).not.toContain("sk_new_wxyz");
  });
});
