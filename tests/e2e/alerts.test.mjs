// Alert rules in the real window: a starter rule turned on, the simulator's burst of failed
// calls, the rule's desktop note in the notification server's log (NOTIFY_LOG), the firing on
// the Alerts page, its calls opened by a click on the note, and the editor's preview over
// the stored history.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount, rowsOnScreen } from "./flows.mjs";
import { clickNote, notes } from "./desktop.mjs";
import { settle, sim } from "./sim.mjs";
import { listeningUrl } from "./processes.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";
const EVENTS = ["call.started", "call.connected", "call.completed", "call.failed"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A simulator of this file's own: the failure rate is of this file's calls alone.
let KEY;
let simulator;

before(async () => {
  KEY = `sk_alerts_${Math.random().toString(16).slice(2)}`;
  simulator = spawn("timeout", ["900", process.env.CALLEAGUE_SIM, "serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http",
    "--time-scale", "25"], { stdio: ["ignore", "pipe", "ignore"] });
  process.env.SIM_URL = await listeningUrl(simulator, "the simulator");
  process.env.SIM_KEY = KEY;
});

after(() => simulator?.kill());

describe("alert rules", () => {
  let app;

  before(async () => {
    assert.ok(process.env.NOTIFY_LOG, "NOTIFY_LOG names the notification server's log");
    const dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "alerts-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await connectAccount(app, KEY, process.env.SIM_URL);
    await sim("POST", "/api/core/webhook", { url: RECEIVER, events: EVENTS });
  });

  after(async () => {
    await app?.close();
  });

  test("a starter rule turned on fires once on a burst of failures; its note opens the calls behind it", async () => {
    await app.click("[data-testid=page-alerts]");
    await app.waitFor("the starter rules", async () => (await app.text('[data-testid="rule-failure-rate-state"]')) === "Off");
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-starter-rules.png"));
    await app.click('[data-testid="rule-failure-rate-enabled"]');
    await app.waitFor("the rule evaluated", async () => (await app.text('[data-testid="rule-failure-rate-state"]')) === "OK");

    const from = notes().length;
    await sim("POST", "/sim/calls", {
      calls: 12, rate: 4, failedShare: 1, minDurationSec: 10, maxDurationSec: 20, agents: ["ag_alerting"],
      recordings: false, transcripts: false,
    });
    await settle();
    const truth = (await sim("GET", "/sim/calls")).list;
    assert.equal(truth.length, 12);

    const note = await app.waitFor("the rule's note", async () => notes().slice(from).find((n) => n.summary === "Alert: Failure rate over 20%"), 30000);
    assert.ok(note.body.startsWith("Failure rate 100% (above 20%) over the last 15 min"), note.body);
    assert.ok(note.body.includes("Agents: ag_alerting ("), note.body);
    await app.waitFor("the firing on the page", async () => (await app.text('[data-testid="rule-failure-rate-state"]')).startsWith("Firing since"));
    assert.equal(await app.text('[data-testid="rule-failure-rate-value"]'), "100% > 20%");
    await app.waitFor("the firing listed", async () => (await app.findAll("[data-testid=alert-firings] tbody tr")).length === 1);
    await app.waitFor("the status bar's line", async () => (await app.text("[data-testid=alerts-firing]")) === "Alert: Failure rate over 20%");
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-firing.png"));

    // One note per firing: more failures while it fires add none.
    await sim("POST", "/sim/calls", { calls: 3, rate: 4, failedShare: 1, minDurationSec: 10, maxDurationSec: 10, agents: ["ag_alerting"], recordings: false, transcripts: false });
    await settle();
    await sleep(3000);
    assert.equal(notes().slice(from).filter((n) => n.summary.startsWith("Alert:")).length, 1);

    // A click on the note: the timeline over the firing's window, failed calls only.
    clickNote(note.id);
    await app.waitFor("the timeline from the click", async () => (await app.findAll("[data-testid=call-row]")).length >= 12);
    const rows = await rowsOnScreen(app);
    for (const call of truth) assert.equal(rows[call.callId], "failed", `${call.callId} on the timeline`);
    assert.ok(Object.values(rows).every((phase) => phase === "failed"), JSON.stringify(rows));
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-calls-from-note.png"));
  });

  test("the editor tries a rule against the stored history and refuses a field by name", async () => {
    await app.click("[data-testid=page-alerts]");
    // The page reads its rules when it opens.
    await app.waitFor("the rules", () => app.find('[data-testid="rule-failure-rate-edit"]'));
    await app.click('[data-testid="rule-failure-rate-edit"]');
    await app.waitFor("the preview", async () => (await app.text("[data-testid=preview-summary]")).startsWith("Over the last 7 days this rule would have fired once"));
    await app.set("[data-testid=rule-threshold]", "150");
    await app.click("[data-testid=rule-save]");
    await app.waitFor("the refusal", async () => (await app.text("[data-testid=rule-threshold-error]")) === "A rate's threshold is a percentage, 0 to 100.");
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-editor-refused.png"));
    // Above every value it had: the preview says it would not have fired.
    await app.set("[data-testid=rule-threshold]", "100");
    await app.waitFor("the preview again", async () => (await app.text("[data-testid=preview-summary]")) === "Over the last 7 days this rule would not have fired.");
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-editor.png"));
    // Back at 20%, narrowed to a direction no call has: its own rollup holds nothing.
    await app.set("[data-testid=rule-threshold]", "20");
    await app.waitFor("the preview at 20% again", async () => (await app.text("[data-testid=preview-summary]")).startsWith("Over the last 7 days this rule would have fired once"));
    await app.set("[data-testid=rule-scope]", "direction");
    await app.waitFor("the direction's field", () => app.find("[data-testid=rule-scope-value]"));
    await app.set("[data-testid=rule-scope-value]", "sideways");
    await app.waitFor("the narrowed preview", async () => (await app.text("[data-testid=preview-summary]")) === "Over the last 7 days this rule would not have fired.");
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-editor-direction.png"));
    // Narrowed to an agent: the account's agents are offered by name, the one typed named.
    await app.set("[data-testid=rule-scope]", "agentId");
    await app.set("[data-testid=rule-scope-value]", "ag_sales");
    const offered = () => app.exec("return [...document.querySelectorAll('#rule-scope-agents option')].map((o) => `${o.value}=${o.label}`)");
    await app.waitFor("the agents offered by name", async () => (await offered()).includes("ag_sales=Sales desk"), 70000);
    await app.waitFor("the agent typed named", async () => (await app.exec("return document.querySelector('[data-testid=rule-scope-agent-name]')?.textContent ?? ''")) === "Sales desk", 70000);
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-editor-agent.png"));
    await app.click("[data-testid=rule-cancel]");
  });

  test("a rule narrowed by a metadata field counts the field, fires on its calls, and opens exactly them", async () => {
    // Stored before the rule exists: the field is counted in the background when it is saved.
    const known = new Set((await sim("GET", "/sim/calls")).list.map((c) => c.callId));
    const burst = { rate: 4, failedShare: 1, minDurationSec: 10, maxDurationSec: 20, recordings: false, transcripts: false };
    await sim("POST", "/sim/calls", { ...burst, calls: 12, metadata: { campaign: "spring" } });
    await sim("POST", "/sim/calls", { ...burst, calls: 5, metadata: { campaign: "autumn" } });
    await settle();
    const spring = (await sim("GET", "/sim/calls")).list.filter((c) => !known.has(c.callId) && c.metadata?.campaign === "spring");
    assert.equal(spring.length, 12);

    const from = notes().length;
    await app.click("[data-testid=page-alerts]");
    await app.waitFor("the rules", () => app.find("[data-testid=new-rule]"));
    await app.click("[data-testid=new-rule]");
    await app.set("[data-testid=rule-name]", "Spring failing");
    await app.set("[data-testid=rule-scope]", "metadata");
    await app.waitFor("the metadata field", () => app.find("[data-testid=rule-scope-field]"));
    await app.set("[data-testid=rule-scope-field]", "campaign");
    await app.set("[data-testid=rule-scope-value]", "spring");
    await app.waitFor("the note that saving counts it", async () => (await app.text("[data-testid=rule-scope-counting]")).includes("counts calls by campaign"));
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-editor-metadata.png"));
    await app.click("[data-testid=rule-save]");

    const note = await app.waitFor("the spring rule's note", async () => notes().slice(from).find((n) => n.summary === "Alert: Spring failing"), 30000);
    assert.ok(note.body.startsWith("Failure rate 100% (above 20%) over the last 15 min for campaign = spring"), note.body);
    await app.waitFor("the firing on the page", async () => (await app.text('[data-testid="rule-spring-failing-state"]')).startsWith("Firing since"));

    // The click: the firing's window, failed calls, and the campaign's value as a filter — in
    // the campaign's own menu (a dimension now), with each value's calls.
    clickNote(note.id);
    const menu = () =>
      app.exec(`const s = document.querySelector('[data-testid=facet-metadata-campaign]');
                return s && { value: s.value, options: [...s.options].map((o) => o.textContent) };`);
    await app.waitFor("the campaign's menu set to spring", async () => (await menu())?.value === "spring");
    assert.deepEqual((await menu()).options, ["campaign: any", "campaign: spring (12)", "campaign: autumn (5)"]);
    await app.waitFor("the spring calls", async () => (await app.findAll("[data-testid=call-row]")).length === 12);
    const rows = await rowsOnScreen(app);
    assert.deepEqual(Object.keys(rows).sort(), spring.map((c) => c.callId).sort());
    if (SHOTS) await app.screenshot(join(SHOTS, "alerts-calls-from-metadata-note.png"));

    // Settings → Data: the field counted; a field a rule uses cannot be dropped.
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the dimension", async () => (await app.text("[data-testid=dimension-campaign]")).includes("counted"));
    await app.click("[data-testid=dimension-remove-campaign]");
    await app.waitFor("the refusal", async () => (await app.text("[data-testid=dimension-error]")).includes("“Spring failing” is narrowed by campaign"));
    await app.exec("document.querySelector('[data-testid=dimensions]').scrollIntoView()");
    if (SHOTS) await app.screenshot(join(SHOTS, "settings-dimensions.png"));
  });
});
