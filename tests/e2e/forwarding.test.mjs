// Forwarding in the real window: a target set in Settings, a delivery forwarded to a real
// handler (a Node server here) byte for byte with the key as its Bearer token, its attempt
// and the handler's answer in the call's details, a replay from there, and the status
// bar's one line when the handler stops answering.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const KEY = process.env.SIM_KEY;

/** A handler that records each request and answers with a body of its own. */
function startHandler() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(202, { "content-type": "text/plain" });
      res.end(`handler took ${received.length}`);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, received, port: server.address().port })));
}

async function deliver(receiverUrl, body) {
  const reply = await fetch(receiverUrl, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body });
  assert.equal(reply.status, 200);
}

describe("forwarding", () => {
  let app;
  let handler;
  let receiverUrl;

  before(async () => {
    handler = await startHandler();
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP);
    await connectAccount(app, KEY, process.env.SIM_URL);
    receiverUrl = (await app.text("[data-testid=receiver-state]")).replace("Receiving on ", "").trim();
  });

  after(async () => {
    await app?.close();
    handler?.server.close();
  });

  test("a target set in Settings gets a delivery as Calleague sent it; the call shows the attempt and the answer", async () => {
    const target = `http://127.0.0.1:${handler.port}/hooks`;
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the forwarding form", () => app.find("[data-testid=add-target]"));
    // Plain http to another computer is refused by its field.
    await app.click("[data-testid=add-target]");
    await app.type("[data-testid=target-0-url]", "http://192.0.2.10/hooks");
    await app.click("[data-testid=forwarding-apply]");
    const refused = await app.waitFor("the address's message", () => app.text("[data-testid=target-0-url-error]"));
    assert.match(refused, /Plain http is only for this computer/);
    await app.exec(`document.querySelector("[data-testid=forwarding-settings]").scrollIntoView({ block: "start" })`);
    await app.screenshot(join(SHOTS, "forwarding-settings-refused.png"));
    await app.type("[data-testid=target-0-url]", target);
    await app.click(`[data-testid="target-0-event-call.failed"]`);
    await app.click("[data-testid=forwarding-apply]");
    await app.waitFor("applied", () => app.find("[data-testid=forwarding-applied]"));
    await app.screenshot(join(SHOTS, "forwarding-settings.png"));

    // The forwarder starts at the log's end: a moment, then a failure and a start.
    await new Promise((r) => setTimeout(r, 1000));
    const failed = `{"event":"call.failed","deliveryId":"dl_e2e_fwd","occurredAt":"${new Date().toISOString()}","data":{"callId":"cl_e2e_fwd","agentId":"ag_fwd","endedReason":"no-answer"}}`;
    await deliver(receiverUrl, `{"event":"call.started","deliveryId":"dl_e2e_start","occurredAt":"${new Date().toISOString()}","data":{"callId":"cl_e2e_fwd"}}`);
    await deliver(receiverUrl, failed);
    await app.waitFor("the delivery at the handler", async () => handler.received.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(handler.received.length, 1, "only call.failed goes to this target");
    assert.equal(handler.received[0].body, failed, "byte for byte");
    assert.equal(handler.received[0].headers.authorization, `Bearer ${KEY}`);
    assert.equal(handler.received[0].headers["calleague-monitor-attempt"], "1");
    assert.equal(handler.received[0].headers.host, `127.0.0.1:${handler.port}`);

    // The Forwarding page lists the attempt; it opens the call.
    await app.click("[data-testid=page-forwarding]");
    const last = await app.waitFor("the target's last answer", async () => {
      const text = await app.text("[data-testid=target-last]").catch(() => "");
      return text.startsWith("202 in") ? text : null;
    });
    assert.match(last, /^202 in \d+ ms/);
    await app.waitFor("the attempt row", () => app.find("[data-testid=attempt-open-call]"));
    await app.screenshot(join(SHOTS, "forwarding-page.png"));
    await app.click("[data-testid=attempt-open-call]");
    const line = await app.waitFor("the attempt in the call's details", async () => {
      const text = await app.text("[data-testid=details] [data-testid=attempt-line]").catch(() => "");
      return text.includes("202 in") ? text : null;
    });
    assert.match(line, new RegExp(`^→ 127\\.0\\.0\\.1:${handler.port} 202 in \\d+ ms$`));
    await app.click("[data-testid=details] [data-testid=attempt-line]");
    assert.equal(await app.waitFor("the handler's answer", () => app.text("[data-testid=attempt-body]")), "handler took 1");
    await app.screenshot(join(SHOTS, "forwarding-call-details.png"));
  });

  test("a replay from the call's details, its JSON edited, reaches the handler", async () => {
    // The failure's event, opened: its replay button.
    const opened = await app.exec(`
      const lines = [...document.querySelectorAll('[data-testid=details] .event-line')];
      const failed = lines.find((l) => l.textContent.includes('call.failed'));
      failed?.click();
      return Boolean(failed);
    `);
    assert.ok(opened);
    await app.waitFor("the replay button", () => app.find("[data-testid=replay-open]"));
    await app.click("[data-testid=replay-open]");
    await app.waitFor("the editor", () => app.find("[data-testid=replay-body]"));
    const edited = '{"event":"call.failed","deliveryId":"dl_e2e_fwd","data":{"callId":"cl_e2e_fwd","endedReason":"edited-in-e2e"}}';
    await app.set("[data-testid=replay-body]", edited);
    assert.equal(await app.text("[data-testid=replay-send]"), "Send edited");
    await app.screenshot(join(SHOTS, "forwarding-replay-editor.png"));
    await app.click("[data-testid=replay-send]");
    await app.waitFor("the replay at the handler", async () => handler.received.length >= 2);
    const replayed = handler.received[1];
    assert.equal(replayed.body, edited);
    assert.equal(replayed.headers["calleague-monitor-replay"], "1");
    assert.equal(replayed.headers["calleague-monitor-attempt"], "2");
    const lines = await app.waitFor("the replay among the attempts", async () => {
      const texts = await app.exec("return [...document.querySelectorAll('[data-testid=details] [data-testid=attempt-line]')].map((l) => l.textContent)");
      return texts.some((t) => t.includes("replay")) ? texts : null;
    });
    assert.ok(lines.some((t) => /202 in \d+ ms · attempt 2 · replay/.test(t)), JSON.stringify(lines));
    await app.screenshot(join(SHOTS, "forwarding-replayed.png"));
  });

  test("a handler that stops answering is one line in the status bar, and gets the delivery when it is back", async () => {
    await app.exec("document.querySelector('[data-testid=details] .close')?.click()");
    const port = handler.port;
    await new Promise((r) => handler.server.close(r));
    handler.server.closeAllConnections?.();
    const failed = `{"event":"call.failed","deliveryId":"dl_e2e_down","occurredAt":"${new Date().toISOString()}","data":{"callId":"cl_e2e_down","endedReason":"busy"}}`;
    await deliver(receiverUrl, failed);
    const line = await app.waitFor("the status bar's line", () => app.text("[data-testid=forwarding-failing]"), 30000);
    assert.equal(line, `→ 127.0.0.1:${port} not answering`);
    assert.match(await app.exec("return document.querySelector('[data-testid=forwarding-failing]').title"), /connection refused/);
    await app.screenshot(join(SHOTS, "forwarding-status-failing.png"));
    // Back on the same port: the delivery arrives, and the line goes.
    const back = await new Promise((resolve) => {
      const server = createServer((req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
          handler.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
          res.writeHead(200);
          res.end("back");
        });
      });
      server.listen(port, "127.0.0.1", () => resolve(server));
    });
    handler.server = back;
    await app.waitFor("the delivery after the handler came back", async () => handler.received.some((r) => r.body === failed), 30000);
    await app.waitFor("the status bar's line gone", async () => !(await app.exec("return Boolean(document.querySelector('[data-testid=forwarding-failing]'))")), 15000);
  });
});

describe("forwarding in demo mode", () => {
  let app;
  let handler;

  before(async () => {
    handler = await startHandler();
    const dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "forwarding-demo-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await app.waitFor("the welcome screen", () => app.find("button.secondary"));
    await app.click("button.secondary");
    await app.waitFor("the demo badge", async () => (await app.text("[data-testid=demo-badge]")).includes("Demo"));
  });

  after(async () => {
    await app?.close();
    handler?.server.close();
  });

  test("a demo call is forwarded, and its details show the attempt and the handler's answer", async () => {
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the forwarding form", () => app.find("[data-testid=add-target]"));
    await app.click("[data-testid=add-target]");
    await app.type("[data-testid=target-0-url]", `http://127.0.0.1:${handler.port}/hooks`);
    await app.click("[data-testid=forwarding-apply]");
    await app.waitFor("applied", () => app.find("[data-testid=forwarding-applied]"));
    const first = await app.waitFor("a demo delivery at the handler", async () => handler.received[0] ?? null, 60000);
    assert.match(first.headers.authorization, /^Bearer \S+$/, "the demo's key, as the simulator sends it");
    const callId = JSON.parse(first.body).data.callId;
    await app.click("[data-testid=page-calls]");
    await app.waitFor("the call on the timeline", () => app.find(`[data-testid=call-row][data-call-id="${callId}"]`), 30000);
    await app.click(`[data-testid=call-row][data-call-id="${callId}"]`);
    const line = await app.waitFor("the attempt in the details", async () => {
      const text = await app.text("[data-testid=details] [data-testid=attempt-line]").catch(() => "");
      return text.includes("202 in") ? text : null;
    });
    assert.match(line, new RegExp(`^→ 127\\.0\\.0\\.1:${handler.port} 202 in \\d+ ms`));
    await app.click("[data-testid=details] [data-testid=attempt-line]");
    assert.match(await app.waitFor("the handler's answer", () => app.text("[data-testid=attempt-body]")), /^handler took \d+$/);
    await app.screenshot(join(SHOTS, "forwarding-demo-call.png"));
  });
});
