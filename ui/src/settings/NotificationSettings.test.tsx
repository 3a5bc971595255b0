// The notification settings form against a mocked IPC: what it sends, and where each
// message appears.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { AlertSettings, AppStatus } from "../ipc";
import { NotificationSettings } from "./NotificationSettings";
import { checkDraft, settingsOf } from "./notificationDraft";
import { StatusBar } from "../StatusBar";
import { Call, mockCommands, statusWith } from "../testing";

const defaults: AlertSettings = { enabled: true, events: ["call.failed"], endedReasons: [], metadataField: null, pause: null };

const status = (patch: Partial<AppStatus> = {}) => statusWith({ notifications: defaults, ...patch });

/** The engine's answers, with the facets the form reads for its "seen so far" reasons. */
const mock = (answer: (call: Call) => unknown = () => undefined) =>
  mockCommands((call) =>
    call.cmd === "facets" ? { agents: [], directions: [], endedReasons: ["voicemail", "busy"], languages: [] } : answer(call),
  );

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("notification settings", () => {
  it("sends every choice at once and keeps the pause as it is", async () => {
    const paused = { ...defaults, pause: { kind: "untilResumed" as const } };
    const calls = mock(({ cmd, args }) => (cmd === "set_notifications" ? status({ notifications: args.settings as AlertSettings }) : undefined));
    render(<NotificationSettings status={status({ notifications: paused })} onStatus={() => undefined} />);
    fireEvent.click(screen.getByTestId("notify-event-call.completed"));
    fireEvent.change(screen.getByTestId("notify-other-events"), { target: { value: "agent.escalated, " } });
    fireEvent.click(await screen.findByRole("button", { name: "+ voicemail" }));
    fireEvent.change(screen.getByTestId("notify-field"), { target: { value: " orderId " } });
    fireEvent.click(screen.getByTestId("notify-apply"));
    await screen.findByTestId("notify-applied");
    expect(calls.find((c) => c.cmd === "set_notifications")?.args.settings).toEqual({
      enabled: true,
      events: ["call.failed", "call.completed", "agent.escalated"],
      endedReasons: ["voicemail"],
      metadataField: "orderId",
      pause: { kind: "untilResumed" },
    });
    expect(screen.getByTestId("pause-state").textContent).toContain("Paused until you resume");
  });

  it("explains a bad event name next to its field, keeps what was typed and sends nothing", async () => {
    const calls = mock();
    render(<NotificationSettings status={status()} onStatus={() => undefined} />);
    fireEvent.change(screen.getByTestId("notify-other-events"), { target: { value: "Agent Escalated" } });
    fireEvent.click(screen.getByTestId("notify-apply"));
    expect((await screen.findByTestId("other-events-error")).textContent).toContain('"Agent Escalated" is not an event name');
    expect(screen.getByTestId("notify-other-events")).toHaveProperty("value", "Agent Escalated");
    expect(calls.some((c) => c.cmd === "set_notifications")).toBe(false);
  });

  it("asks for something to notify of, unless notifications are off", async () => {
    const calls = mock(({ cmd }) => (cmd === "set_notifications" ? status() : undefined));
    render(<NotificationSettings status={status()} onStatus={() => undefined} />);
    fireEvent.click(screen.getByTestId("notify-event-call.failed"));
    fireEvent.click(screen.getByTestId("notify-apply"));
    expect((await screen.findByRole("alert")).textContent).toContain("Choose at least one event");
    fireEvent.click(screen.getByTestId("notify-enabled"));
    fireEvent.click(screen.getByTestId("notify-apply"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_notifications")?.args.settings).toMatchObject({ enabled: false, events: [] }));
  });

  it("shows the engine's refusal by the field it concerns", async () => {
    mock(({ cmd }) => {
      if (cmd === "set_notifications")
        throw { code: "notification_setting_invalid", message: '"call.x.y" is not an event name: names look like call.failed.' };
    });
    render(<NotificationSettings status={status()} onStatus={() => undefined} />);
    fireEvent.click(screen.getByTestId("notify-apply"));
    expect((await screen.findByRole("alert")).textContent).toContain("is not an event name");
    expect(screen.queryByTestId("notify-applied")).toBeNull();
  });

  it("pauses for an hour and resumes", async () => {
    const calls = mock(({ cmd }) => (cmd === "pause_notifications" ? status() : undefined));
    const { rerender } = render(<NotificationSettings status={status()} onStatus={() => undefined} />);
    fireEvent.click(screen.getByTestId("notify-pause-hour"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "pause_notifications")?.args).toEqual({ minutes: 60 }));
    const until = new Date(Date.now() + 3_600_000).toISOString();
    rerender(<NotificationSettings status={status({ notifications: { ...defaults, pause: { kind: "until", until } } })} onStatus={() => undefined} />);
    expect(screen.getByTestId("pause-state").textContent).toMatch(/Paused until \d/);
    fireEvent.click(screen.getByTestId("notify-resume"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "pause_notifications").at(-1)?.args).toEqual({ minutes: 0 }));
  });

  it("turns the draft into settings and checks it as the engine does", () => {
    const draft = { enabled: true, events: [], otherEvents: " ", endedReasons: "voicemail ,, busy", metadataField: "" };
    expect(checkDraft(draft)).toBeNull();
    expect(settingsOf(draft, null)).toEqual({ enabled: true, events: [], endedReasons: ["voicemail", "busy"], metadataField: null, pause: null });
    expect(checkDraft({ ...draft, otherEvents: "call.failed.now" })?.field).toBe("otherEvents");
  });
});

describe("status bar", () => {
  it("says once that notifications are unavailable, and that they are paused", async () => {
    mock(({ cmd }) => (cmd === "counts" ? null : undefined));
    const unavailable = status({ alerts: { unseen: 2, unavailable: "org.freedesktop.Notifications was not provided" } });
    const { rerender } = render(<StatusBar status={unavailable} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
    const notice = screen.getByTestId("notifications-unavailable");
    expect(notice.getAttribute("title")).toContain("org.freedesktop.Notifications");
    fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("notifications-unavailable")).toBeNull();
    const otherReason = status({ alerts: { unseen: 3, unavailable: "Connection refused" } });
    rerender(<StatusBar status={otherReason} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
    expect(screen.queryByTestId("notifications-unavailable")).toBeNull();
    // Once a note got through, a new failure is news again.
    rerender(<StatusBar status={status()} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
    rerender(<StatusBar status={otherReason} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
    expect(screen.getByTestId("notifications-unavailable")).toBeTruthy();
    rerender(<StatusBar status={status({ notifications: { ...defaults, pause: { kind: "untilResumed" } } })} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => undefined} />);
    expect(screen.getByTestId("notifications-paused")).toBeTruthy();
  });
});
