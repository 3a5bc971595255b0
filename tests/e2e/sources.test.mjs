// A new user with a key and no public address: no webhook can reach this computer, so the
// calls come from Calleague's REST API, and the status bar says so.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount, rowsOnScreen } from "./flows.mjs";
import { sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;

describe("REST only", () => {
  let app;

  before(async () => {
    const dir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "rest-only-"));
    // A port no webhook of the shared simulator sends to, and the shortest poll allowed
    // (with room for the pages of every earlier test's calls in the account's list).
    writeFileSync(join(dir, "settings.json"), JSON.stringify({ port: 8797, sources: { pollEverySecs: 5, requestsPerMinute: 60 } }));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dir]);
    await connectAccount(app, process.env.SIM_KEY, process.env.SIM_URL);
  });

  after(async () => {
    await app?.close();
  });

  test("calls read from the REST API reach the timeline in their final phase, and the status bar names the source", async () => {
    await app.waitFor("the source in the status bar", async () => (await app.text("[data-testid=source-state]")) === "Source: REST only");
    const { callIds } = await sim("POST", "/sim/calls", { calls: 6, rate: 20, failedShare: 0.5 });
    // These six calls ended (the simulator as a whole may still be retrying deliveries to
    // the webhooks earlier tests left behind).
    const ours = async () => (await sim("GET", "/sim/calls")).list.filter((c) => callIds.includes(c.callId));
    const truth = await app.waitFor("the six calls to end", async () => {
      const calls = await ours();
      return calls.length === 6 && calls.every((c) => c.status === "completed" || c.status === "failed") ? calls : null;
    }, 60000);
    await app.waitFor("the six calls in their final phase", async () => {
      const rows = await rowsOnScreen(app);
      const wrong = truth.filter((c) => rows[c.callId] !== c.status);
      if (wrong.length) throw new Error(`not yet: ${wrong.map((c) => `${c.callId} ${rows[c.callId]} (${c.status})`).join(", ")}`);
      return true;
    }, 60000);
    // Nothing was delivered to this app's receiver: each step says it came from the API.
    const call = truth[0];
    await app.click(`[data-call-id="${call.callId}"]`);
    await app.waitFor("the call's steps, read from REST", async () => (await app.findAll("[data-testid=events] .badge.caught")).length >= 2);
    const badges = await app.exec("return [...document.querySelectorAll('[data-testid=events] .event-line')].map(l => l.querySelector('.badge.caught')?.textContent ?? '')");
    assert.ok(badges.every((b) => b === "from REST"), `every step from REST: ${JSON.stringify(badges)}`);
    await app.screenshot(join(SHOTS, "call-details-from-rest.png"));
    await app.click("button.close");
    const title = await app.exec("return document.querySelector('[data-testid=source-state]').title");
    assert.match(title, /No subscription sends to this computer/);
    await app.screenshot(join(SHOTS, "rest-only.png"));
  });

  test("the Sources settings are checked and applied without a restart", async () => {
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the Sources section", () => app.find("[data-testid=source-settings]"));
    await app.type("[data-testid=poll-every]", "2");
    await app.click("[data-testid=sources-apply]");
    await app.waitFor("the refusal under its field", async () => (await app.text("[data-testid=poll-every-error]")) === "Read every 5 seconds to an hour, or 0 for never.");
    await app.type("[data-testid=poll-every]", "10");
    await app.click("[data-testid=sources-apply]");
    await app.waitFor("applied", () => app.find("[data-testid=sources-applied]"));
    const receiving = await app.text("[data-testid=receiver-state]");
    assert.ok(receiving.startsWith("Receiving on"), `the receiver kept running: ${receiving}`);
    assert.equal(await app.text("[data-testid=source-state]"), "Source: REST only");
    await app.exec("document.querySelector('[data-testid=source-settings]').scrollIntoView()");
    await app.screenshot(join(SHOTS, "settings-sources.png"));
  });
});
