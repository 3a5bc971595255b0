// The Subscriptions page in the real window against calleague-sim: each change made
// through the forms is read back from the simulator's own GET /api/core/webhook.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";
import { sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const PUBLIC = "https://tunnel.e2e.example";
const HERE = `${PUBLIC}/hooks/calleague`;
const ALL = ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"];

const webhooks = async () => (await sim("GET", "/api/core/webhook?size=100")).list;
const ours = async () => (await webhooks()).filter((h) => h.url === HERE);

describe("subscriptions page", () => {
  let app;
  let before_ids;

  before(async () => {
    before_ids = (await webhooks()).map((h) => h.webhookId).sort();
    const dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "subs-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await connectAccount(app, process.env.SIM_KEY, process.env.SIM_URL);
  });

  after(async () => {
    await app?.close();
    // Leave the shared simulator as it was for the files after this one.
    for (const hook of await ours()) await sim("DELETE", `/api/core/webhook/${hook.webhookId}`);
  });

  test("the banner says when nothing sends here, and an API refusal shows by the URL field", async () => {
    await app.click("[data-testid=page-subscriptions]");
    const banner = await app.waitFor("the banner", () => app.text("[data-testid=subscription-problem]"));
    assert.match(banner, /No public address is set/);

    await app.click("[data-testid=public-url]");
    await app.type("#public-url-input", PUBLIC);
    await app.click("[data-testid=public-url-form] button.primary");
    await app.waitFor("the banner for this address", async () =>
      (await app.text("[data-testid=subscription-problem]")).includes(`No subscription sends to this computer (${HERE})`),
    );
    await app.waitFor("the status bar's notice", async () =>
      (await app.text("[data-testid=subscription-problem-status]")).includes("No subscription sends here"),
    );
    await app.screenshot(join(SHOTS, "subscriptions-banner.png"));

    await app.click("[data-testid=new-subscription]");
    await app.type("[data-testid=subscription-url]", "https://hooks.nowhere.invalid/calleague");
    await app.click("[data-testid=subscription-save]");
    const refused = await app.waitFor("the API's refusal by the URL", () => app.text("[data-testid=url-error]"));
    assert.match(refused, /hooks\.nowhere\.invalid does not resolve/);
    const typed = await app.exec(`return document.querySelector("[data-testid=subscription-url]").value`);
    assert.equal(typed, "https://hooks.nowhere.invalid/calleague", "what was typed stays");
    assert.deepEqual((await webhooks()).map((h) => h.webhookId).sort(), before_ids, "nothing was created");
    await app.screenshot(join(SHOTS, "subscriptions-form-error.png"));

    // A private address: the form says why, and asks; nothing is sent until confirmed.
    await app.type("[data-testid=subscription-url]", "https://192.168.1.20/hooks/calleague");
    await app.click("[data-testid=subscription-save]");
    const asked = await app.waitFor("the question about a private address", () => app.text("[data-testid=confirm-private-error]"));
    assert.match(asked, /192\.168\.1\.20 is a private network's address/);
    assert.match(asked, /account's key/);
    assert.equal(await app.exec(`return document.querySelector("[data-testid=subscription-confirm-private]").checked`), false);
    assert.deepEqual((await webhooks()).map((h) => h.webhookId).sort(), before_ids, "nothing was created");
    await app.screenshot(join(SHOTS, "subscriptions-form-private.png"));
  });

  test("'This computer' and save create it at the API; the banner and the status notice go", async () => {
    await app.click("[data-testid=this-computer]");
    assert.equal(await app.exec(`return document.querySelector("[data-testid=subscription-url]").value`), HERE);
    await app.click("[data-testid=subscription-save]");
    await app.waitFor("the form to close", async () => (await app.findAll("[data-testid=subscription-form]")).length === 0);
    const [created] = await ours();
    assert.ok(created, "the simulator has a webhook to this computer");
    assert.deepEqual([...created.events].sort(), [...ALL].sort());
    await app.waitFor("no banner", async () => (await app.findAll("[data-testid=subscription-problem]")).length === 0);
    await app.waitFor("no status notice", async () => (await app.findAll("[data-testid=subscription-problem-status]")).length === 0, 10000);
    const row = await app.text(`[data-id="${created.webhookId}"]`);
    assert.match(row, /this computer/);
  });

  test("an edit without call.failed is saved at the API, diagnosed, and fixed in one click", async () => {
    const [hook] = await ours();
    await app.click(`[data-id="${hook.webhookId}"] [data-testid=edit-subscription]`);
    await app.click(`[data-testid="sub-event-call.failed"]`);
    await app.click("[data-testid=subscription-save]");
    await app.waitFor("the edit at the API", async () => !(await ours())[0].events.includes("call.failed"));
    const [edited] = await ours();
    assert.equal(edited.webhookId, hook.webhookId, "edited in place");
    const banner = await app.waitFor("the missing event named", () => app.text("[data-testid=subscription-problem]"));
    assert.match(banner, /Subscribed without call\.failed/);
    await app.screenshot(join(SHOTS, "subscriptions-missing-event.png"));
    await app.click("[data-testid=fix-subscriptions]");
    await app.waitFor("call.failed back at the API", async () => (await ours())[0].events.includes("call.failed"));
    await app.waitFor("no banner", async () => (await app.findAll("[data-testid=subscription-problem]")).length === 0);
    await app.screenshot(join(SHOTS, "subscriptions-table.png"));
  });

  test("delete asks first, then removes it at the API", async () => {
    const [hook] = await ours();
    await app.click(`[data-id="${hook.webhookId}"] [data-testid=delete-subscription]`);
    await app.waitFor("the question", () => app.find("[data-testid=confirm-delete]"));
    assert.equal((await ours()).length, 1, "nothing deleted before the answer");
    await app.click("[data-testid=confirm-delete-yes]");
    await app.waitFor("gone at the API", async () => (await ours()).length === 0);
    await app.waitFor("the banner again", async () =>
      (await app.text("[data-testid=subscription-problem]")).includes("No subscription sends to this computer"),
    );
  });
});
