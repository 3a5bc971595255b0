// Forwarding's views against a mocked IPC: the Settings form's refusals by field, the
// status bar's one line, and a delivery's attempts with a replay (edited or not).
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { AttemptView, ForwardingSettings } from "../ipc";
import { mockCommands as mock, statusWith } from "../testing";
import { ForwardingSettingsForm } from "../settings/ForwardingSettingsForm";
import { StatusBar } from "../StatusBar";
import { DeliveryAttempts } from "./DeliveryAttempts";

afterEach(() => {
  cleanup();
  clearMocks();
});

const none: ForwardingSettings = { targets: [], retryWindowHours: 24, timeoutSecs: 10 };

describe("Settings → Forwarding", () => {
  it("adds a target, shows the engine's refusal under its field, and applies all at once", async () => {
    let refuse = true;
    const calls = mock(({ cmd, args }) => {
      if (cmd === "forwarding_settings") return none;
      if (cmd === "apply_forwarding") {
        if (refuse) throw { code: "setting_invalid", message: "Plain http is only for this computer.", field: "targets.0.url" };
        return args.settings;
      }
    });
    render(<ForwardingSettingsForm />);
    expect(await screen.findByTestId("no-targets")).toBeTruthy();
    fireEvent.click(screen.getByTestId("add-target"));
    fireEvent.change(screen.getByTestId("target-0-url"), { target: { value: "http://10.0.0.5/hooks" } });
    fireEvent.click(screen.getByTestId("target-0-event-call.failed"));
    fireEvent.click(screen.getByTestId("forwarding-apply"));
    expect((await screen.findByTestId("target-0-url-error")).textContent).toBe("Plain http is only for this computer.");
    // What was typed stays.
    expect((screen.getByTestId("target-0-url") as HTMLInputElement).value).toBe("http://10.0.0.5/hooks");

    refuse = false;
    fireEvent.change(screen.getByTestId("target-0-url"), { target: { value: "http://localhost:3000/hooks" } });
    expect(screen.queryByTestId("target-0-url-error")).toBeNull();
    fireEvent.click(screen.getByTestId("forwarding-apply"));
    await screen.findByTestId("forwarding-applied");
    const sent = calls.filter((c) => c.cmd === "apply_forwarding").at(-1)!.args.settings;
    expect(sent).toEqual({ targets: [{ url: "http://localhost:3000/hooks", events: ["call.failed"], enabled: true }], retryWindowHours: 24, timeoutSecs: 10 });
  });

  it("refuses a retry window that is not a number without asking the engine", async () => {
    const calls = mock(({ cmd }) => (cmd === "forwarding_settings" ? none : undefined));
    render(<ForwardingSettingsForm />);
    fireEvent.change(await screen.findByTestId("forward-retry-window"), { target: { value: "a day" } });
    fireEvent.click(screen.getByTestId("forwarding-apply"));
    expect(screen.getByTestId("forward-retry-window-error").textContent).toContain("whole number");
    expect(calls.some((c) => c.cmd === "apply_forwarding")).toBe(false);
  });
});

describe("status bar", () => {
  it("says in one line that a forward target keeps failing, and opens Forwarding", () => {
    mock(() => null);
    let opened = false;
    const failing = statusWith({
      forwardingFailing: [{ url: "http://localhost:3000/hooks", name: "localhost:3000", down: true, lastFailure: "connection refused", sinceMs: 1 }],
    });
    render(<StatusBar status={failing} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => (opened = true)} onAlerts={() => undefined} />);
    const line = screen.getByTestId("forwarding-failing");
    expect(line.textContent).toBe("→ localhost:3000 not answering");
    expect(line.getAttribute("title")).toContain("http://localhost:3000/hooks: connection refused");
    fireEvent.click(line);
    expect(opened).toBe(true);
    cleanup();
    render(<StatusBar status={statusWith()} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
    expect(screen.queryByTestId("forwarding-failing")).toBeNull();
  });
});

const attempt: AttemptView = {
  id: 7,
  target: "http://localhost:3000/hooks",
  targetName: "localhost:3000",
  delivery: 42,
  attempt: 1,
  replay: false,
  atMs: 1_700_000_000_000,
  latencyMs: 12,
  status: 500,
  error: null,
  responseHeaders: [["content-type", "text/plain"]],
  responseBody: "handler error: no such order",
  callId: "c1",
  event: null,
};

describe("a delivery's attempts", () => {
  const body = '{"event":"call.failed","data":{"callId":"c1"}}';

  it("shows each attempt and, a click away, what the handler answered", () => {
    mock(() => undefined);
    render(<DeliveryAttempts delivery={42} body={body} attempts={[attempt]} targets={[attempt.target]} showReplay={false} onReplayed={() => undefined} />);
    const line = screen.getByTestId("attempt-line");
    expect(line.textContent).toBe("→ localhost:3000 500 in 12 ms");
    expect(screen.queryByTestId("replay-open")).toBeNull();
    fireEvent.click(line);
    expect(screen.getByTestId("attempt-body").textContent).toBe("handler error: no such order");
  });

  it("replays as stored, or edited JSON, and refuses what is not JSON", async () => {
    let replayed = 0;
    const calls = mock(({ cmd }) => (cmd === "replay_delivery" ? { ...attempt, id: 8, replay: true, status: 200 } : undefined));
    render(<DeliveryAttempts delivery={42} body={body} attempts={[attempt]} targets={[attempt.target]} showReplay onReplayed={() => replayed++} />);
    fireEvent.click(screen.getByTestId("replay-open"));
    fireEvent.click(screen.getByTestId("replay-send"));
    await waitFor(() => expect(replayed).toBe(1));
    expect(calls.find((c) => c.cmd === "replay_delivery")!.args).toEqual({ delivery: 42, to: attempt.target, body: null });

    fireEvent.click(screen.getByTestId("replay-open"));
    fireEvent.change(screen.getByTestId("replay-body"), { target: { value: "{not json" } });
    fireEvent.click(screen.getByTestId("replay-send"));
    expect(screen.getByTestId("replay-body-error").textContent).toContain("not JSON");
    expect(calls.filter((c) => c.cmd === "replay_delivery")).toHaveLength(1);

    const edited = '{"event":"call.failed","data":{"callId":"c1","endedReason":"edited"}}';
    fireEvent.change(screen.getByTestId("replay-body"), { target: { value: edited } });
    expect(screen.getByTestId("replay-send").textContent).toBe("Send edited");
    fireEvent.click(screen.getByTestId("replay-send"));
    await waitFor(() => expect(replayed).toBe(2));
    expect(calls.filter((c) => c.cmd === "replay_delivery").at(-1)!.args).toEqual({ delivery: 42, to: attempt.target, body: edited });
  });
});

describe("replaying the timeline's calls", () => {
  it("sends the filter the timeline shows to the chosen target and says how it went", async () => {
    const { ReplayCalls } = await import("./ReplayCalls");
    const calls = mock(({ cmd }) => {
      if (cmd === "forwarding_settings") return { ...none, targets: [{ url: "http://localhost:3000/hooks", events: [], enabled: true }] };
      if (cmd === "replay_many") return { total: 4, sent: 4, answered: 3, failed: 1, cancelled: false, done: true };
    });
    const filter = { phases: ["failed" as const], agents: [], directions: [], endedReasons: [], languages: [], range: { from: null, to: null }, text: null };
    render(<ReplayCalls filter={() => filter} />);
    fireEvent.click(await screen.findByTestId("replay-calls-start"));
    expect((await screen.findByText(/^Sent 4 of 4/)).textContent).toBe("Sent 4 of 4: 3 answered 2xx, 1 not");
    const sent = calls.find((c) => c.cmd === "replay_many")!.args.request;
    expect(sent).toEqual({ kind: "calls", to: "http://localhost:3000/hooks", filter });
  });

  it("is not offered without a target", async () => {
    const { ReplayCalls } = await import("./ReplayCalls");
    mock(({ cmd }) => (cmd === "forwarding_settings" ? none : undefined));
    render(<ReplayCalls filter={() => ({ phases: [], agents: [], directions: [], endedReasons: [], languages: [], range: { from: null, to: null }, text: null })} />);
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByTestId("replay-calls")).toBeNull();
  });
});
