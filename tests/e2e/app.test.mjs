// The real app under Xvfb, driven over WebDriver. Each test saves a screenshot of the
// screen it checked to $SCREENSHOT_DIR.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fillAccountForm } from "./flows.mjs";
import { Session } from "./webdriver.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const APP = process.env.CALLEAGUE_APP;
const SHOTS = process.env.SCREENSHOT_DIR;

const PUBLIC_URL = "https://calls-e2e.example.dev/hooks/calleague";

function profile() {
  return mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "profile-"));
}

async function open(dataDir) {
  return Session.start(DRIVER, APP, {}, ["--data-dir", dataDir]);
}

test("demo mode shows calls moving through their phases", async () => {
  const app = await open(profile());
  try {
    await app.waitFor("the welcome screen", () => app.find("button.secondary"));
    await app.click("button.secondary");
    await app.waitFor("the demo badge", async () => (await app.text("[data-testid=demo-badge]")).includes("Demo"));
    // Phases seen over time, and at least three calls on the list together: the first two
    // calls can already show both kinds of phase (a run met that with fewer than three rows).
    const phases = new Set();
    await app.waitFor(
      "three calls or more, some started and some ended",
      async () => {
        const rows = await app.findAll("[data-testid=call-row]");
        for (const row of rows) phases.add(await app.attr(row, "data-phase"));
        const moved = (phases.has("started") || phases.has("connected")) && (phases.has("completed") || phases.has("failed"));
        if (!moved || rows.length < 3) throw new Error(`${rows.length} rows, phases seen: ${[...phases].join(", ")}`);
        return true;
      },
      60000,
    );
    assert.match(await app.text("[data-testid=receiver-state]"), /Receiving on http:\/\/127\.0\.0\.1:\d+\/hooks\/calleague/);
    await app.screenshot(join(SHOTS, "demo-timeline.png"));
  } finally {
    await app.close();
  }
});

test("onboarding stores the key in the keychain and survives a restart", async () => {
  const dir = profile();
  let app = await open(dir);
  try {
    await fillAccountForm(app, process.env.SIM_KEY, process.env.SIM_URL);
    await new Promise((r) => setTimeout(r, 300));
    await app.screenshot(join(SHOTS, "onboarding.png"));
    await app.click("button.primary");
    await app.waitFor("the masked key", async () => (await app.text("[data-testid=key-badge]")).includes("…"));
    const masked = await app.text("[data-testid=key-badge]");
    assert.ok(!masked.includes(process.env.SIM_KEY), "the key is never shown after entry");
    const stored = execFileSync("secret-tool", ["lookup", "service", "calleague-monitor", "username", "api-key"]).toString();
    assert.equal(stored, process.env.SIM_KEY);
    // The tunnel's public address, set from the status bar, is kept with the settings.
    await app.waitFor("the public URL form", async () => {
      // The status bar may still be settling (the receiver's state text): click again if
      // the first click missed.
      if ((await app.findAll("#public-url-input")).length === 0) await app.click("[data-testid=public-url]");
      return (await app.findAll("#public-url-input")).length > 0;
    });
    await app.type("#public-url-input", PUBLIC_URL);
    await app.screenshot(join(SHOTS, "public-url-form.png"));
    await app.click("[data-testid=public-url-form] button.primary");
    const shown = () => app.exec("return document.querySelector('[data-testid=public-url]').textContent");
    await app.waitFor("the public URL in the status bar", async () => (await shown()) === `Public: ${PUBLIC_URL}`);
  } finally {
    await app.close();
  }
  app = await open(dir);
  try {
    await app.waitFor("the masked key after a restart", async () => (await app.text("[data-testid=key-badge]")).includes("…"));
    await app.waitFor("the receiver", async () => (await app.text("[data-testid=receiver-state]")).startsWith("Receiving on"));
    await app.waitFor("the public URL kept", async () => (await app.exec("return document.querySelector('[data-testid=public-url]').textContent")) === `Public: ${PUBLIC_URL}`);
    await app.screenshot(join(SHOTS, "account-after-restart.png"));
  } finally {
    await app.close();
  }
});

test("a taken port is reported and another one offered", async () => {
  const { createServer } = await import("node:net");
  // The previous test's app may take a moment to let go of the port after its session ends.
  let blocker;
  for (let i = 0; ; i++) {
    blocker = createServer();
    try {
      await new Promise((resolve, reject) => blocker.once("error", reject).listen(8787, "127.0.0.1", resolve));
      break;
    } catch (e) {
      if (i >= 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const app = await open(profile());
  try {
    await app.waitFor("the welcome screen", () => app.find("button.secondary"));
    await app.click("button.secondary");
    await app.waitFor("the port problem", async () => (await app.text("[data-testid=receiver-problem]")).includes("Port 8787 is taken"));
    await app.waitFor("another port on offer", () => app.find("[data-testid=use-port]"));
    await app.screenshot(join(SHOTS, "port-taken.png"));
    await app.click("[data-testid=use-port]");
    await app.waitFor("the receiver on the new port", async () =>
      /^Receiving on http:\/\/127\.0\.0\.1:(?!8787)\d+\/hooks\/calleague$/.test(await app.text("[data-testid=receiver-state]")),
    );
    await app.waitFor("demo calls through the new port", async () => (await app.findAll("[data-testid=call-row]")).length > 0, 30000);
    assert.equal((await app.findAll("[data-testid=receiver-problem]")).length, 0);
  } finally {
    await app.close();
    blocker.close();
  }
});
