// Layouts that hold, in the real window: every page at 1024×700 and at 1920×1080, in both
// themes, and at 150% zoom (the webview's own zoom, as Ctrl+= sets it): the top and status
// bars keep one line each, nothing overlaps or reaches past the window's edge, and the
// longest values (an agent id of 80 characters, a metadata value of 200, a subscription URL
// of 300) are cut with "…" while the whole value stays in the hover. A screenshot of each.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";
import { sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";
const SIZES = [
  [1024, 700],
  [1920, 1080],
];
const LONG_AGENT = `ag_${"regional_after_hours_overflow_".repeat(3)}`.slice(0, 80);
const LONG_VALUE = `note-${"the caller asked about an invoice from last spring and then ".repeat(4)}`.slice(0, 200);
const LONG_URL = `https://tunnel.e2e.example/hooks/calleague/${"very-long-path-segment/".repeat(12)}`.slice(0, 300);
const CALL_ID = "cl_layout_long_values";

const PAGES = [
  ["calls", async (app) => app.waitFor("the long call", () => app.find(`[data-call-id=${CALL_ID}]`), 30000)],
  ["overview", async (app) => app.waitFor("the chart", () => app.find("[data-testid=overview-chart] canvas"), 30000)],
  ["agents", async (app) => app.waitFor("the agents", async () => (await app.findAll("[data-testid=agent-row]")).length >= 1, 30000)],
  ["subscriptions", async (app) => app.waitFor("the long URL", () => app.find(`[title="${LONG_URL}"]`), 30000)],
  ["forwarding", async (app) => app.waitFor("the page", () => app.find("main"))],
  ["alerts", async (app) => app.waitFor("the page", () => app.find("main"))],
  ["settings", async (app) => app.waitFor("the settings", () => app.find("[data-testid=appearance-settings]"))],
];

/**
 * What does not hold on the page as laid out now: a bar on more than one line, a bar's
 * items overlapping or out of the window, the page wider than the window.
 */
async function faults(app) {
  return app.exec(`
    const found = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) found.push('the page is ' + document.documentElement.scrollWidth + ' px wide in a window of ' + width);
    for (const [name, selector, items] of [['top bar', '.topbar', ':scope > *, nav > *'], ['status bar', '[data-testid=statusbar]', ':scope > *']]) {
      const bar = document.querySelector(selector);
      if (!bar) { found.push('no ' + name); continue; }
      const box = bar.getBoundingClientRect();
      const kids = [...bar.querySelectorAll(items)].filter((e) => e.getBoundingClientRect().width > 0 && getComputedStyle(e).position !== 'absolute');
      const top = Math.min(...kids.map((e) => e.getBoundingClientRect().top));
      for (const e of kids) {
        const r = e.getBoundingClientRect();
        const label = (e.dataset.testid || e.dataset.barItem || e.className || e.tagName) + ' "' + e.textContent.slice(0, 30) + '"';
        if (r.top - top > r.height / 2) found.push(name + ': ' + label + ' on a second line');
        if (r.right > box.right + 1 || r.left < box.left - 1) found.push(name + ': ' + label + ' past its edge');
      }
      const line = [...kids].sort((a, b) => a.getBoundingClientRect().left - b.getBoundingClientRect().left);
      for (let i = 1; i < line.length; i++) {
        const [a, b] = [line[i - 1].getBoundingClientRect(), line[i].getBoundingClientRect()];
        if (a.right > b.left + 1 && !line[i - 1].contains(line[i]) && !line[i].contains(line[i - 1])) found.push(name + ': ' + (line[i - 1].dataset.barItem || line[i - 1].textContent.slice(0, 20)) + ' overlaps ' + (line[i].dataset.barItem || line[i].textContent.slice(0, 20)));
      }
    }
    return found;
  `);
}

/** Whether the element's text is drawn cut (wider than its box) and its hover has it all. */
async function cut(app, selector) {
  return app.exec(
    `const e = document.querySelector(arguments[0]);
     return e ? { cut: e.scrollWidth > e.clientWidth, title: e.title, height: e.getBoundingClientRect().height } : null;`,
    [selector],
  );
}

async function resize(app, width, height) {
  await app.cmd("POST", "/window/rect", { width, height });
  await app.waitFor(`the window at ${width}×${height}`, async () => {
    const inner = await app.exec("return [window.innerWidth, window.innerHeight]");
    return Math.abs(inner[0] - width) <= 2 && inner[1] <= height && inner[1] >= height - 60;
  });
}

describe("layouts that hold", () => {
  let app;

  before(async () => {
    // A subscription with a URL of 300 characters, and a call with the longest agent id
    // and metadata value, before the app reads either.
    await sim("POST", "/api/core/webhook", { url: LONG_URL, events: ["call.started"] });
    const dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "layout-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await connectAccount(app, process.env.SIM_KEY, process.env.SIM_URL);
    const reply = await fetch(RECEIVER, {
      method: "POST",
      headers: { authorization: `Bearer ${process.env.SIM_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        event: "call.started",
        deliveryId: `${CALL_ID}-started`,
        occurredAt: new Date().toISOString(),
        data: { callId: CALL_ID, agentId: LONG_AGENT, direction: "inbound", language: "en", metadata: { note: LONG_VALUE, customerTier: "gold" } },
      }),
    });
    assert.equal(reply.status, 200, "the receiver took the long call");
  });

  after(async () => {
    await app?.close();
    const hooks = (await sim("GET", "/api/core/webhook?size=100")).list;
    for (const hook of hooks.filter((h) => h.url === LONG_URL)) await sim("DELETE", `/api/core/webhook/${hook.webhookId}`);
  });

  test("long values are cut with the whole value in the hover, rows keep their height", async () => {
    await resize(app, 1024, 700);
    await app.click("[data-testid=page-calls]");
    await PAGES[0][1](app);
    const agent = await cut(app, `[data-call-id=${CALL_ID}] [data-testid=call-agent]`);
    assert.deepEqual([agent.cut, agent.title], [true, LONG_AGENT], "the agent id is cut, whole in the hover");
    const meta = await cut(app, `[data-call-id=${CALL_ID}] .kv`);
    assert.equal(meta.cut, true, "the metadata value is cut on the row");
    assert.match(meta.title, new RegExp(`^(note|customerTier): `));
    const heights = await app.exec("return [...document.querySelectorAll('[data-testid=call-row]')].map((r) => Math.round(r.getBoundingClientRect().height))");
    assert.equal(new Set(heights).size, 1, `every row one height: ${heights}`);

    await app.click(`[data-call-id=${CALL_ID}]`);
    await app.waitFor("the details", () => app.find("[data-testid=metadata]"));
    const value = await app.exec(
      `const dd = [...document.querySelectorAll('[data-testid=metadata] dd .long-text')].find((e) => e.title === arguments[0]);
       return dd ? { cut: dd.scrollWidth > dd.clientWidth, lines: Math.round(dd.getBoundingClientRect().height / parseFloat(getComputedStyle(dd).lineHeight || 20)) } : null;`,
      [LONG_VALUE],
    );
    assert.ok(value?.cut, "the 200-character value is cut in the drawer, whole in its hover");
    assert.ok((await app.findAll("[data-testid=copy-metadata]")).length >= 2, "each value a click from the clipboard");
    const title = await cut(app, "[data-testid=details-agent]");
    assert.equal(title.cut, true, "the agent in the drawer's head is cut");
    await app.screenshot(join(SHOTS, "layout-long-values-details.png"));
    await app.exec("document.querySelector('.drawer button.close')?.click(); return true");

    await app.click("[data-testid=page-subscriptions]");
    await PAGES[3][1](app);
    const url = await cut(app, `[title="${LONG_URL}"]`);
    assert.equal(url.cut, true, "the 300-character URL is cut, whole in the hover");
    assert.deepEqual(await faults(app), []);
  });

  for (const theme of ["light", "dark"]) {
    for (const [width, height] of SIZES) {
      test(`every page at ${width}×${height} in the ${theme} theme: bars on one line, nothing overlapping`, async () => {
        await app.click("[data-testid=page-settings]");
        await app.waitFor("the appearance choice", () => app.find(`[data-testid=theme-${theme}]`));
        await app.click(`[data-testid=theme-${theme}]`);
        await resize(app, width, height);
        const problems = [];
        for (const [page, ready] of PAGES) {
          await app.click(`[data-testid=page-${page}]`);
          await ready(app);
          await new Promise((r) => setTimeout(r, 300));
          for (const f of await faults(app)) problems.push(`${page}: ${f}`);
          await app.screenshot(join(SHOTS, `layout-${theme}-${width}x${height}-${page}.png`));
        }
        assert.deepEqual(problems, [], `at ${width}×${height}, ${theme}:\n${problems.join("\n")}`);
      });
    }
  }

  test("at 150% zoom the bars keep one line and the text grows", async () => {
    await resize(app, 1920, 1080);
    const before = await app.exec("return parseFloat(getComputedStyle(document.querySelector('[data-testid=statusbar]')).fontSize) * (window.outerWidth / window.innerWidth)");
    await app.exec("return window.__TAURI_INTERNALS__.invoke('plugin:webview|set_webview_zoom', { value: 1.5 }).then(() => true)");
    try {
      await app.waitFor("the zoom", async () => (await app.exec("return window.innerWidth")) <= 1300);
      const problems = [];
      for (const [page, ready] of PAGES) {
        // WebKitWebDriver clicks where the element would be unzoomed: a click from the page.
        await app.exec(`document.querySelector("[data-testid=page-${page}]").click(); return true`);
        await ready(app);
        await new Promise((r) => setTimeout(r, 300));
        for (const f of await faults(app)) problems.push(`${page}: ${f}`);
        await app.screenshot(join(SHOTS, `layout-zoom-150-${page}.png`));
      }
      assert.deepEqual(problems, [], `at 150%:\n${problems.join("\n")}`);
      const after = await app.exec("return parseFloat(getComputedStyle(document.querySelector('[data-testid=statusbar]')).fontSize) * (window.outerWidth / window.innerWidth)");
      assert.ok(after >= before * 1.4, `the status bar's text on screen: ${before.toFixed(1)} px, then ${after.toFixed(1)} px`);
    } finally {
      await app.exec("return window.__TAURI_INTERNALS__.invoke('plugin:webview|set_webview_zoom', { value: 1 }).then(() => true)");
    }
  });
});
