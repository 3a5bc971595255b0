// Light and dark in the real window: the choice in Settings → Appearance applies at once to
// every page (the palette's custom properties, the charts drawn anew), is kept across a
// restart, and goes back to light. Screenshots of each page in the dark, from the demo.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;

/** The page's background, as the eye sees it: its relative brightness, 0 (black) to 1. */
async function brightness(app, selector) {
  const rgb = await app.exec(`return getComputedStyle(document.querySelector(arguments[0])).backgroundColor`, [selector]);
  const [r, g, b, alpha = 1] = rgb.match(/[\d.]+/g).map(Number);
  assert.ok(alpha > 0, `${selector} has a background of its own: ${rgb}`);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

describe("light and dark", () => {
  let app;
  const dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "appearance-"));

  before(async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await app.waitFor("the welcome screen", () => app.find("button.secondary"));
    await app.click("button.secondary");
    await app.waitFor("the demo badge", async () => (await app.text("[data-testid=demo-badge]")).includes("Demo"));
  });

  after(async () => {
    await app?.close();
  });

  test("dark, chosen in Settings, applies at once to every page and is kept across a restart", async () => {
    assert.equal(await app.exec("return document.documentElement.dataset.theme"), "light", "light by default on a light desktop");
    const light = await brightness(app, "html");
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the appearance choice", () => app.find("[data-testid=theme-dark]"));
    await app.click("[data-testid=theme-dark]");
    assert.equal(await app.exec("return document.documentElement.dataset.theme"), "dark");
    const dark = await brightness(app, "html");
    assert.ok(light > 0.9 && dark < 0.15, `the page's background: ${light} light, ${dark} dark`);
    await app.waitFor("kept", async () => (await app.exec("return document.querySelector('[data-testid=theme-dark]').getAttribute('aria-checked')")) === "true");
    await app.exec("document.querySelector('[data-testid=appearance-settings]').scrollIntoView(); return true");
    await app.screenshot(join(SHOTS, "dark-settings.png"));

    // The demo's calls on the timeline, a call's details, the overview's charts, the agents.
    await app.click("[data-testid=page-calls]");
    await app.waitFor("the demo's calls", async () => (await app.findAll("[data-testid=call-row]")).length >= 4, 90000);
    await app.screenshot(join(SHOTS, "dark-calls.png"));
    await app.click("[data-testid=call-row]");
    await app.waitFor("the details", () => app.find("[data-testid=details]"));
    await app.screenshot(join(SHOTS, "dark-details.png"));
    await app.exec("document.querySelector('.drawer button.close')?.click(); return true");
    await app.click("[data-testid=page-overview]");
    await app.waitFor("the chart", () => app.find("[data-testid=overview-chart] canvas"));
    // The chart's axes take the dark palette's ink when drawn.
    const axis = await app.exec("return getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()");
    assert.equal(axis, "#a3a9c2");
    await app.screenshot(join(SHOTS, "dark-overview.png"));
    await app.click("[data-testid=page-agents]");
    await app.waitFor("the agents", async () => (await app.findAll("[data-testid=agent-row]")).length >= 1, 60000);
    await app.screenshot(join(SHOTS, "dark-agents.png"));

    // Kept with the app's settings: dark again after a restart, then back to light.
    await app.close();
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await app.waitFor("dark after the restart", async () => (await app.exec("return document.documentElement.dataset.theme")) === "dark", 30000);
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the appearance choice", () => app.find("[data-testid=theme-light]"));
    await app.click("[data-testid=theme-light]");
    assert.equal(await app.exec("return document.documentElement.dataset.theme"), "light");
    assert.ok((await brightness(app, "html")) > 0.9);
  });
});
