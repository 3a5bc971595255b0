// The Settings page in the real window: the receiver's settings applied and kept over a
// restart, a taken port refused by its field, retention removing an old call whole, and
// an export through the native save dialog whose rows are exactly the range's calls.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";
import { answerSaveDialog } from "./desktop.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const KEY = process.env.SIM_KEY;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NEW_URL = "http://127.0.0.1:8787/in/e2e";

/** One call (started, then failed a minute later) delivered straight to `url`. */
async function deliverCall(url, callId, startMs, endedReason = "customer-busy") {
  for (const [event, at] of [["call.started", startMs], ["call.failed", startMs + 60_000]]) {
    const body = { event, deliveryId: `${callId}_${event}`, occurredAt: new Date(at).toISOString(), data: { callId, agentId: "ag_settings", endedReason } };
    const reply = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.equal(reply.status, 200, `${callId} ${event}`);
  }
}

/** A `datetime-local` value for `ms` in this machine's zone (what the input shows). */
const local = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);

/** Scrolls a section into view and takes the screen. */
async function shoot(app, css, name) {
  await app.exec(`document.querySelector(arguments[0]).scrollIntoView({ block: "start" })`, [css]);
  await app.screenshot(join(SHOTS, name));
}

describe("settings page", () => {
  let app;
  let dataDir;
  const start = async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
  };

  before(async () => {
    dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "settings-"));
    await start();
    await connectAccount(app, KEY, process.env.SIM_URL);
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the receiver's form", () => app.find("[data-testid=receiver-path]"));
  });

  after(async () => {
    await app?.close();
  });

  test("the receiver's settings apply with a restart, and a taken port is refused by its field", async () => {
    await shoot(app, "[data-testid=account-settings]", "settings-account.png");
    await app.type("[data-testid=receiver-path]", "/in/e2e");
    await app.type("[data-testid=receiver-public-url]", "https://settings.e2e.example");
    await app.type("[data-testid=receiver-body-limit]", "512");
    await app.type("[data-testid=receiver-key-grace]", "5");
    assert.match(await app.text("[data-testid=receiver-restart-note]"), /restarts the receiver/);
    await app.click("[data-testid=receiver-apply]");
    const applied = await app.waitFor("applied", () => app.text("[data-testid=receiver-applied]"));
    assert.equal(applied, `Applied: the receiver restarted and receives on ${NEW_URL}.`);
    assert.match(await app.text("[data-testid=receiver-state]"), new RegExp(`Receiving on ${NEW_URL}`));

    // A port another program holds: the message by the port field; still receiving as before.
    const holder = createServer();
    await new Promise((r) => holder.listen(0, "127.0.0.1", r));
    const taken = holder.address().port;
    try {
      await app.type("[data-testid=receiver-port]", String(taken));
      await app.click("[data-testid=receiver-apply]");
      const refused = await app.waitFor("the port's message", () => app.text("[data-testid=receiver-port-error]"));
      assert.match(refused, new RegExp(`127\\.0\\.0\\.1:${taken} is already in use.*previous settings are kept`));
      await shoot(app, "[data-testid=receiver-settings]", "settings-receiver-error.png");
      assert.match(await app.text("[data-testid=receiver-state]"), new RegExp(`Receiving on ${NEW_URL}`));
    } finally {
      holder.close();
    }
    await app.type("[data-testid=receiver-port]", "8787");
  });

  test("retention of one day removes a call dated two days ago and keeps today's", async () => {
    const now = Date.now();
    await deliverCall(NEW_URL, "cl_ret_old", now - 2 * DAY);
    await deliverCall(NEW_URL, "cl_ret_today", now - HOUR);
    await app.click("[data-testid=retention-by-age]");
    await app.type("[data-testid=retention-days]", "1");
    await app.click("[data-testid=retention-apply]");
    await app.waitFor("applied", () => app.find("[data-testid=retention-applied]"));
    await app.waitFor("the prune's report", async () => /[1-9]\d* calls? removed/.test(await app.text("[data-testid=last-prune]")), 30000);
    await shoot(app, "[data-testid=data-settings]", "settings-data.png");
    await app.click("[data-testid=page-calls]");
    await app.type("[data-testid=search]", "cl_ret_");
    await app.waitFor("only today's call", async () => {
      const rows = await app.exec(`return [...document.querySelectorAll("[data-call-id]")].map((r) => r.dataset.callId)`);
      return rows.length === 1 && rows[0] === "cl_ret_today";
    });
    await app.type("[data-testid=search]", "");
    await app.click("[data-testid=page-settings]");
  });

  test("an export of a time range writes exactly the range's calls, in order, through the save dialog", async () => {
    const from = Date.now() - 5 * HOUR;
    const inside = ["cl_exp_1", "cl_exp_2", "cl_exp_3", "cl_exp_4"];
    await deliverCall(NEW_URL, "cl_exp_before", from - 10 * 60_000);
    for (const [i, id] of [...inside].reverse().entries()) await deliverCall(NEW_URL, id, from + (inside.length - i) * 5 * 60_000);
    await deliverCall(NEW_URL, "cl_exp_after", from + HOUR + 60_000);
    await app.waitFor("the export form", () => app.find("[data-testid=export-from]"));
    await app.set("[data-testid=export-from]", local(from));
    await app.set("[data-testid=export-to]", local(from + HOUR));
    await app.set("[data-testid=export-format]", "ndjson");
    const target = join(mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "export-")), "calls.ndjson");
    await app.click("[data-testid=export-start]");
    answerSaveDialog("Export", target);
    const done = await app.waitFor("the export", () => app.text("[data-testid=export-done]"));
    assert.equal(done, `Exported 4 rows to ${target}`);
    const rows = readFileSync(target, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(rows.map((r) => r.callId), inside, "the range's calls, ordered by occurredAt");
    for (const row of rows) assert.equal(row.phase, "failed");
    await shoot(app, "[data-testid=export]", "settings-export.png");
  });

  test("a reason found in calls is categorised in Settings, and the call's details explain it", async () => {
    await deliverCall(NEW_URL, "cl_reason_new", Date.now() - 5 * 60_000, "x-e2e-trunk-dropped");
    // Opened anew: the page reads the reasons calls have as it opens.
    await app.click("[data-testid=page-calls]");
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the reason listed as not categorised", () => app.find("[data-testid=reason-x-e2e-trunk-dropped]"));
    await app.exec(`const s = document.querySelector("[data-testid=reason-x-e2e-trunk-dropped-category]"); s.value = "provider"; s.dispatchEvent(new Event("change", { bubbles: true }));`);
    await app.click("[data-testid=reason-x-e2e-trunk-dropped-save]");
    await app.waitFor("the refusal of a missing explanation", () => app.find("[data-testid=reason-x-e2e-trunk-dropped-error]"));
    await app.type("[data-testid=reason-x-e2e-trunk-dropped-explanation]", "Our SIP trunk dropped the call.");
    await app.click("[data-testid=reason-x-e2e-trunk-dropped-save]");
    await app.waitFor("no reason left to categorise", async () => (await app.findAll("[data-testid=reasons-unknown]")).length === 0);
    await app.waitFor("the entry kept as the user's", () => app.find("[data-testid=reason-x-e2e-trunk-dropped-reset]"));
    await shoot(app, "[data-testid=reasons-settings]", "settings-reasons.png");
    await app.click("[data-testid=page-calls]");
    await app.type("[data-testid=search]", "cl_reason_new");
    await app.waitFor("the call", async () => (await app.findAll('[data-call-id="cl_reason_new"]')).length === 1);
    await app.click('[data-call-id="cl_reason_new"]');
    await app.waitFor("its reason explained", async () =>
      (await app.exec("return document.querySelector('[data-testid=details-reason]')?.textContent ?? ''")) ===
      "x-e2e-trunk-dropped: A provider — Our SIP trunk dropped the call.");
    await app.empty("[data-testid=search]");
  });

  test("the settings survive a restart", async () => {
    await app.close();
    await start();
    await app.waitFor("receiving on the saved path", async () => (await app.text("[data-testid=receiver-state]")).includes(`Receiving on ${NEW_URL}`), 30000);
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the receiver's form", () => app.find("[data-testid=receiver-path]"));
    const value = (css) => app.exec(`return document.querySelector(arguments[0]).value`, [css]);
    assert.equal(await value("[data-testid=receiver-path]"), "/in/e2e");
    assert.equal(await value("[data-testid=receiver-public-url]"), "https://settings.e2e.example");
    assert.equal(await value("[data-testid=receiver-body-limit]"), "512");
    assert.equal(await value("[data-testid=receiver-key-grace]"), "5");
    assert.equal(await value("[data-testid=retention-days]"), "1");
    await shoot(app, "[data-testid=receiver-settings]", "settings-receiver.png");
  });
});
