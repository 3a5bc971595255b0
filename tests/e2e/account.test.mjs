// The app connected to the simulator as an account: a scenario with duplicates and
// reordering, filters and search, a call's details, and hostile metadata.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { answerSaveDialog } from "./desktop.mjs";
import { connectAccount, rowsOnScreen } from "./flows.mjs";
import { settle, sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const SIM = process.env.SIM_URL;
const KEY = process.env.SIM_KEY;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";

describe("connected to an account", () => {
  let app;
  let truth;

  before(async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "acct-"))]);
    await connectAccount(app, KEY, SIM);
    await sim("POST", "/api/core/webhook", {
      url: RECEIVER,
      events: ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"],
    });
  });

  after(async () => {
    await app?.close();
  });

  test("50 calls with duplicates and reordering end with exactly the ground truth on screen", async () => {
    await sim("POST", "/sim/calls", { calls: 50, rate: 20, failedShare: 0.25 });
    await settle();
    truth = (await sim("GET", "/sim/calls")).list;
    assert.equal(truth.length, 50);
    const status = await sim("GET", "/sim/status");
    assert.ok(status.duplicates > 0 && status.reordered > 0, `chaos happened: ${JSON.stringify(status)}`);
    const expected = Object.fromEntries(truth.map((c) => [c.callId, c.status]));
    const seen = await app.waitFor("every call in its final phase", async () => {
      const rows = await rowsOnScreen(app);
      return JSON.stringify(Object.entries(rows).sort()) === JSON.stringify(Object.entries(expected).sort()) ? rows : null;
    }, 30000);
    assert.equal(Object.keys(seen).length, 50);
    await app.screenshot(join(SHOTS, "scenario-50-calls.png"));
  });

  test("a filter and a search narrow the list", async () => {
    const failed = truth.filter((c) => c.status === "failed");
    await app.click("[data-testid=filter-failed]");
    const onlyFailed = await app.waitFor("only failed calls", async () => {
      const rows = await rowsOnScreen(app);
      const phases = new Set(Object.values(rows));
      return Object.keys(rows).length === failed.length && phases.size === 1 && phases.has("failed") ? rows : null;
    });
    assert.deepEqual(Object.keys(onlyFailed).sort(), failed.map((c) => c.callId).sort());
    await app.screenshot(join(SHOTS, "filter-failed.png"));
    await app.click(".segmented button");
    const target = truth[7];
    await app.type("[data-testid=search]", target.metadata.orderId);
    const found = await app.waitFor("the one call with that order id", async () => {
      const rows = await rowsOnScreen(app);
      const ids = Object.keys(rows);
      const sameOrder = truth.filter((c) => c.metadata.orderId === target.metadata.orderId).length;
      return ids.length === sameOrder && ids.includes(target.callId) ? ids : null;
    });
    assert.ok(found.includes(target.callId));
    await app.screenshot(join(SHOTS, "search.png"));
    await app.type("[data-testid=search]", "");

    // The time range: every call just happened, so the last 15 minutes hold them all, and a
    // range that starts tomorrow holds none.
    await app.set("[data-testid=facet-time]", "15m");
    await app.waitFor("all 50 calls in the last 15 minutes", async () => Object.keys(await rowsOnScreen(app)).length === 50);
    await app.set("[data-testid=facet-time]", "custom");
    const tomorrow = new Date(Date.now() + 86_400_000);
    const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await app.set("[data-testid=range-from]", local(tomorrow));
    await app.waitFor("no calls from tomorrow on", async () => (await app.exec("return document.querySelector('.empty')?.textContent")) === "No calls match these filters.");
    await app.screenshot(join(SHOTS, "time-range.png"));
    await app.set("[data-testid=facet-time]", "");
    await app.waitFor("every call again", async () => Object.keys(await rowsOnScreen(app)).length === 50);
  });

  test("opening a call shows its transcript and the recording's duration", async () => {
    const call = truth.find((c) => c.status === "completed" && c.recordingId && c.transcriptId);
    assert.ok(call, "a completed call with media");
    const recording = await sim("GET", `/api/core/recording/${call.recordingId}`);
    await app.type("[data-testid=search]", call.callId);
    await app.waitFor("the call's row", async () => (await app.findAll(`[data-call-id="${call.callId}"]`)).length === 1);
    await app.click(`[data-call-id="${call.callId}"]`);
    await app.waitFor("the transcript", async () => (await app.findAll("[data-testid=transcript] li")).length >= 2);
    const seconds = await app.waitFor("the recording's duration", async () => {
      const d = await app.exec("return document.querySelector('[data-testid=audio]')?.duration");
      return Number.isFinite(d) && d > 0 ? d : null;
    });
    assert.ok(Math.abs(seconds - recording.durationSec) < 0.1, `audio ${seconds} s, recording ${recording.durationSec} s`);
    const turns = await app.findAll("[data-testid=transcript] li");
    const transcript = await sim("GET", `/api/core/transcript/${call.transcriptId}`);
    assert.equal(turns.length, transcript.segments.length);
    await app.screenshot(join(SHOTS, "call-details.png"));

    // Save the recording through the native dialog: the file is the simulator's audio, byte for byte.
    const target = join(mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "saved-")), `${call.callId}.wav`);
    await app.click("[data-testid=save-recording]");
    answerSaveDialog("Save recording", target);
    const saved = await app.waitFor("the saved path", async () => {
      const text = await app.exec("return document.querySelector('[data-testid=saved-to]')?.textContent");
      return text ? text : null;
    });
    assert.equal(saved, `Saved to ${target}`);
    const original = Buffer.from(await (await fetch(recording.url)).arrayBuffer());
    const written = readFileSync(target);
    assert.equal(written.subarray(0, 4).toString(), "RIFF");
    assert.ok(written.equals(original), `saved ${written.length} bytes, the recording has ${original.length}`);
    await app.screenshot(join(SHOTS, "recording-saved.png"));
    await app.click("button.close");
    await app.type("[data-testid=search]", "");
  });

  test("a hostile metadata value shows as text", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const reply = await fetch(RECEIVER, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        event: "call.started",
        deliveryId: "dl_xss",
        occurredAt: new Date().toISOString(),
        data: { callId: "cl_xss", agentId: "ag_<b>bold</b>", metadata: { note: hostile } },
      }),
    });
    assert.equal(reply.status, 200);
    await app.type("[data-testid=search]", "cl_xss");
    await app.waitFor("the hostile call", async () => (await app.findAll('[data-call-id="cl_xss"]')).length === 1);
    const rowText = await app.exec(`return document.querySelector('[data-call-id="cl_xss"]').textContent`);
    assert.ok(rowText.includes(hostile), rowText);
    assert.ok(rowText.includes("ag_<b>bold</b>"), rowText);
    await app.click('[data-call-id="cl_xss"]');
    await app.waitFor("the metadata", async () => (await app.text("[data-testid=metadata]")).includes(hostile));
    // The app's own logo is the one image on the page.
    const injected = await app.exec("return document.querySelectorAll('img:not(.logo), b').length");
    assert.equal(injected, 0, "no element was created from the payload");
    await app.screenshot(join(SHOTS, "hostile-metadata.png"));
    await app.click("button.close");

    // A verified body that is not an event lands in quarantine, shown as it came, as text.
    const odd = await fetch(RECEIVER, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "text/plain" },
      body: "not json <script>alert(1)</script>",
    });
    assert.equal(odd.status, 200);
    await app.waitFor("the quarantine count", async () => (await app.exec("return document.querySelector('[data-testid=show-quarantined]').textContent")) === "1 quarantined");
    await app.click("[data-testid=show-quarantined]");
    const listed = await app.waitFor("the quarantined body", () => app.exec("return document.querySelector('[data-testid=quarantined-list] pre')?.textContent"));
    assert.equal(listed, "not json <script>alert(1)</script>");
    assert.equal(await app.exec("return document.querySelector('[data-testid=quarantined-list] pre').children.length"), 0, "the body is text, no element");
    await app.screenshot(join(SHOTS, "quarantined-list.png"));
    await app.click("button.close");
  });
});
