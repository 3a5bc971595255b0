// The Alerts page against a mocked IPC: rules with their value and state, on/off saved at
// once, the editor's refusal under its field and its preview sentence, a firing opening its
// calls, and the status bar's line.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { AlertRule, AlertsView, ChartView, FiringRow } from "../ipc";
import { mockCommands as mock, statusWith } from "../testing";
import type { Drill } from "../overview/range";
import { StatusBar } from "../StatusBar";
import { AlertsPage } from "./AlertsPage";
import { firingDrill } from "./drill";

afterEach(() => {
  cleanup();
  clearMocks();
});

const rate: AlertRule = {
  id: "failure-rate",
  name: "Failure rate over 20%",
  enabled: true,
  metric: { kind: "failureRate" },
  scope: { agentId: "ag_sales", direction: null, language: null },
  windowMinutes: 15,
  condition: { op: "above", threshold: 20 },
  minCalls: 10,
  severity: "critical",
  cooldownMinutes: 30,
  active: null,
};
const silence: AlertRule = { ...rate, id: "silence", name: "Quiet", metric: { kind: "silence" }, scope: { agentId: null, direction: null, language: null }, enabled: false };
const day: ChartView = { fromMs: 0, toMs: 86_400_000, stepMs: 120_000, values: [0, 10, 35, null, 5], firings: [{ startedMs: 3_600_000, resolvedMs: 7_200_000, peak: 35, notified: true }], notified: 1 };
const view: AlertsView = {
  rules: [
    {
      rule: rate,
      summary: "Failure rate above 20% over 15 min (agent ag_sales)",
      status: { ruleId: "failure-rate", evaluatedMs: Date.now(), value: 31.25, inactive: false, windowFromMs: 0, windowToMs: 900_000, firing: 7, firingSinceMs: Date.now() - 60_000, error: null, counting: false },
      day,
    },
    { rule: silence, summary: "No delivery for 15 min", status: null, day: null },
  ],
  chatHost: "hooks.slack.com",
  chatNote: null,
  unavailable: null,
};
const firing: FiringRow = {
  id: 7,
  ruleId: "failure-rate",
  ruleName: "Failure rate over 20%",
  severity: "critical",
  startedMs: Date.now() - 60_000,
  resolvedMs: null,
  value: 31.25,
  peak: 40,
  threshold: 20,
  windowFromMs: 1_000_000,
  windowToMs: 1_900_000,
  notified: true,
};

describe("Alerts page", () => {
  it("shows each rule's value, threshold and state, and saves a rule turned on at once", async () => {
    const calls = mock(({ cmd, args }) => {
      if (cmd === "alerts_view") return view;
      if (cmd === "alert_firings") return [firing];
      if (cmd === "save_alert_rules") return args.rules;
    });
    render(<AlertsPage onDrill={() => undefined} onRejected={() => undefined} />);
    expect((await screen.findByTestId("rule-failure-rate-value")).textContent).toBe("31.3% > 20%");
    expect(screen.getByTestId("rule-failure-rate-state").textContent).toMatch(/^Firing since/);
    expect(screen.getByTestId("rule-silence-state").textContent).toBe("Off");
    expect(screen.getByTestId("rule-failure-rate-chart").getAttribute("aria-label")).toBe("Failure rate over 20%: highest 35% over the span, 1 firing");
    expect(screen.getByTestId("chat-host").textContent).toContain("hooks.slack.com");
    fireEvent.click(screen.getByTestId("rule-silence-enabled"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "save_alert_rules")).toBe(true));
    const sent = calls.find((c) => c.cmd === "save_alert_rules")!.args.rules as AlertRule[];
    expect(sent.map((r) => [r.id, r.enabled])).toEqual([
      ["failure-rate", true],
      ["silence", true],
    ]);
  });

  it("opens a firing's calls: its window, its agent, failed calls", async () => {
    mock(({ cmd }) => {
      if (cmd === "alerts_view") return view;
      if (cmd === "alert_firings") return [firing];
    });
    let drilled: Drill | null = null;
    render(<AlertsPage onDrill={(d) => (drilled = d)} onRejected={() => undefined} />);
    await screen.findByTestId("alert-rules");
    fireEvent.click(await screen.findByTestId("firing-7-calls"));
    expect(drilled).toEqual({ fromMs: 1_000_000, toMs: 1_900_000, agent: "ag_sales", phase: "failed" });
    expect(screen.getByTestId("firing-7").textContent).toContain("31.3% (40%)");
  });

  it("shows the engine's refusal under its field, and the preview in a sentence", async () => {
    let refuse = true;
    const calls = mock(({ cmd, args }) => {
      if (cmd === "alerts_view") return view;
      if (cmd === "alert_firings") return [];
      if (cmd === "preview_alert_rule") return { ...day, firings: [...day.firings, { startedMs: 9_000_000, resolvedMs: null, peak: 50, notified: false }], notified: 1 };
      if (cmd === "save_alert_rules") {
        if (refuse) throw { code: "setting_invalid", message: "The window is 5 minutes to 24 hours (1440 minutes).", field: "rules.2.windowMinutes" };
        return args.rules;
      }
    });
    render(<AlertsPage onDrill={() => undefined} onRejected={() => undefined} />);
    fireEvent.click(await screen.findByTestId("new-rule"));
    fireEvent.change(screen.getByTestId("rule-name"), { target: { value: "Waits" } });
    fireEvent.change(screen.getByTestId("rule-metric"), { target: { value: "waitP90" } });
    // Waits are counted over all calls only: no narrowing offered.
    expect(screen.queryByTestId("rule-scope")).toBeNull();
    fireEvent.change(screen.getByTestId("rule-window"), { target: { value: "3" } });
    expect((await screen.findByTestId("preview-summary")).textContent).toBe(
      "Over the last 7 days this rule would have fired 2 times (1 within the cooldown, not notified).",
    );
    const previewed = calls.filter((c) => c.cmd === "preview_alert_rule").at(-1)!.args;
    expect(previewed.days).toBe(7);
    expect((previewed.rule as AlertRule).metric).toEqual({ kind: "waitP90" });
    fireEvent.click(screen.getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-window-error")).textContent).toBe("The window is 5 minutes to 24 hours (1440 minutes).");
    // A number the form cannot read is named without asking the engine.
    fireEvent.change(screen.getByTestId("rule-threshold"), { target: { value: "eight" } });
    const asked = calls.filter((c) => c.cmd === "save_alert_rules").length;
    fireEvent.click(screen.getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-threshold-error")).textContent).toBe("The threshold is a number.");
    expect(calls.filter((c) => c.cmd === "save_alert_rules").length).toBe(asked);

    refuse = false;
    fireEvent.change(screen.getByTestId("rule-threshold"), { target: { value: "8" } });
    fireEvent.change(screen.getByTestId("rule-window"), { target: { value: "30" } });
    fireEvent.click(screen.getByTestId("rule-save"));
    await screen.findByTestId("alerts-note");
    const saved = calls.filter((c) => c.cmd === "save_alert_rules").at(-1)!.args.rules as AlertRule[];
    expect(saved).toHaveLength(3);
    expect(saved[2]).toMatchObject({ id: "waits", name: "Waits", metric: { kind: "waitP90" }, windowMinutes: 30, condition: { op: "above", threshold: 8 } });
  });

  it("narrows a rule to one direction, and shows a refused narrowing under it", async () => {
    let refuse = true;
    const calls = mock(({ cmd, args }) => {
      if (cmd === "alerts_view") return view;
      if (cmd === "alert_firings") return [];
      if (cmd === "preview_alert_rule") return day;
      if (cmd === "save_alert_rules") {
        if (refuse) throw { code: "setting_invalid", message: "A value of 1 to 200 characters; leave it out for all calls.", field: "rules.2.scope.direction" };
        return args.rules;
      }
    });
    render(<AlertsPage onDrill={() => undefined} onRejected={() => undefined} />);
    fireEvent.click(await screen.findByTestId("new-rule"));
    fireEvent.change(screen.getByTestId("rule-name"), { target: { value: "Inbound failures" } });
    expect(screen.queryByTestId("rule-scope-value")).toBeNull();
    fireEvent.change(screen.getByTestId("rule-scope"), { target: { value: "direction" } });
    fireEvent.change(screen.getByTestId("rule-scope-value"), { target: { value: "  " } });
    fireEvent.click(screen.getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-scope-error")).textContent).toBe("A value of 1 to 200 characters; leave it out for all calls.");
    refuse = false;
    fireEvent.change(screen.getByTestId("rule-scope-value"), { target: { value: " inbound " } });
    fireEvent.click(screen.getByTestId("rule-save"));
    await screen.findByTestId("alerts-note");
    const saved = calls.filter((c) => c.cmd === "save_alert_rules").at(-1)!.args.rules as AlertRule[];
    expect(saved[2].scope).toEqual({ agentId: null, direction: "inbound", language: null, metadataField: null, metadataValue: null });
    // Its firings open the timeline narrowed the same way.
    expect(firingDrill({ windowFromMs: 1, windowToMs: 2 }, saved[2])).toEqual({ fromMs: 1, toMs: 2, direction: "inbound", phase: "failed" });
  });

  it("narrows a rule to a metadata field's value, offering the fields counted and seen", async () => {
    let refuse = true;
    const calls = mock(({ cmd, args }) => {
      if (cmd === "alerts_view") return view;
      if (cmd === "alert_firings") return [];
      if (cmd === "preview_alert_rule") return day;
      if (cmd === "dimensions") {
        return { chosen: [{ field: "tier", ready: true, countedCalls: 10, calls: 10 }], seen: [{ field: "tier", calls: 10 }, { field: "campaign", calls: 7 }], most: 5 };
      }
      if (cmd === "save_alert_rules") {
        if (refuse) throw { code: "setting_invalid", message: "Calls are counted by 5 fields already (a, b, c, d, e): drop one in Settings → Data first.", field: "rules.2.scope.metadataField" };
        return args.rules;
      }
    });
    render(<AlertsPage onDrill={() => undefined} onRejected={() => undefined} />);
    fireEvent.click(await screen.findByTestId("new-rule"));
    fireEvent.change(screen.getByTestId("rule-name"), { target: { value: "Spring sale failures" } });
    fireEvent.change(screen.getByTestId("rule-scope"), { target: { value: "metadata" } });
    // Offered: the field counted first, then the one only seen.
    await waitFor(() => expect([...document.querySelectorAll("#rule-scope-fields option")].map((o) => (o as HTMLOptionElement).value)).toEqual(["tier", "campaign"]));
    fireEvent.change(screen.getByTestId("rule-scope-field"), { target: { value: "campaign " } });
    fireEvent.change(screen.getByTestId("rule-scope-value"), { target: { value: "spring" } });
    // Not counted yet: saving will count it, and the form says so.
    expect(screen.getByTestId("rule-scope-counting").textContent).toContain("counts calls by campaign");
    fireEvent.click(screen.getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-scope-error")).textContent).toContain("drop one in Settings → Data");
    refuse = false;
    fireEvent.click(screen.getByTestId("rule-save"));
    await screen.findByTestId("alerts-note");
    const saved = calls.filter((c) => c.cmd === "save_alert_rules").at(-1)!.args.rules as AlertRule[];
    expect(saved[2].scope).toEqual({ agentId: null, direction: null, language: null, metadataField: "campaign", metadataValue: "spring" });
    expect(firingDrill({ windowFromMs: 1, windowToMs: 2 }, saved[2])).toEqual({
      fromMs: 1,
      toMs: 2,
      metadata: { field: "campaign", value: "spring" },
      phase: "failed",
    });
  });
});

describe("status bar", () => {
  it("says which rule fires and opens Alerts", () => {
    mock(() => null);
    let opened = false;
    const status = statusWith({ alertsFiring: [{ firing: 7, ruleId: "failure-rate", name: "Failure rate over 20%", severity: "critical", sinceMs: Date.now() }] });
    render(<StatusBar status={status} onShow={() => undefined} onStatus={() => undefined} onSubscriptions={() => undefined} onForwarding={() => undefined} onAlerts={() => (opened = true)} />);
    const line = screen.getByTestId("alerts-firing");
    expect(line.textContent).toBe("Alert: Failure rate over 20%");
    expect(line.className).toContain("bad");
    fireEvent.click(line);
    expect(opened).toBe(true);
  });
});
