// The keyboard alone, in the real window, with real key presses (WebDriver actions): Tab
// reaches every control of every page, each showing a focus ring; the timeline's rows move
// with ↑/↓ and open with Enter; the drawer closes with Escape and gives the keyboard back;
// a form submits with Enter; a menu moves with the arrows and closes with Escape. And what
// changes by itself reaches a screen reader's live region.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";

async function deliver(event, callId, data = {}) {
  const reply = await fetch(RECEIVER, {
    method: "POST",
    headers: { authorization: `Bearer ${process.env.SIM_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ event, deliveryId: `${callId}-${event}`, occurredAt: new Date().toISOString(), data: { callId, agentId: "ag_keys", ...data } }),
  });
  assert.equal(reply.status, 200, `the receiver took ${event} of ${callId}`);
}

const PAGES = [
  ["calls", (app) => app.waitFor("the calls", async () => (await app.findAll("[data-testid=call-row]")).length >= 3, 30000)],
  ["overview", (app) => app.waitFor("the chart", () => app.find("[data-testid=overview-chart] canvas"), 30000)],
  ["agents", (app) => app.waitFor("the agents", async () => (await app.findAll("[data-testid=agent-row]")).length >= 1, 30000)],
  ["subscriptions", (app) => app.waitFor("the page", () => app.find("[data-testid=new-subscription]"), 30000)],
  ["forwarding", (app) => app.waitFor("the page", () => app.find("main"))],
  ["alerts", (app) => app.waitFor("the page", () => app.find("main"))],
  ["settings", (app) => app.waitFor("the settings", () => app.find("[data-testid=appearance-settings]"))],
];

/** Where the keyboard is: the focused element's test id, or its tag and text. */
const focused = (app) =>
  app.exec("const e = document.activeElement; return e ? (e.dataset.callId || e.dataset.testid || e.tagName + ' ' + (e.textContent || '').slice(0, 30)) : null");

describe("the keyboard alone", () => {
  let app;

  before(async () => {
    const dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "keyboard-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await connectAccount(app, process.env.SIM_KEY, process.env.SIM_URL);
    for (const id of ["cl_keys_1", "cl_keys_2", "cl_keys_3"]) await deliver("call.started", id, { direction: "inbound" });
    // Every focus the keyboard gives, with whether a ring shows (outline or shadow) then.
    await app.exec(`window.__reached = new Map();
      const note = () => {
        // The element with the keyboard (a date field's host, not its inner parts).
        const e = document.activeElement;
        if (!e || e === document.body) return;
        const s = getComputedStyle(e);
        const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) || s.boxShadow !== 'none';
        window.__reached.set(e, ring || window.__reached.get(e) === true);
      };
      document.addEventListener('focusin', () => setTimeout(note), true);
      // Focus moving inside a date field's parts sends no focusin out of it; Tab's key-up
      // lands where the keyboard went.
      document.addEventListener('keyup', (e) => e.key === 'Tab' && note(), true);
      return true;`);
  });

  after(async () => {
    await app?.close();
  });

  test("Tab reaches every control of every page, each with a visible focus ring", async () => {
    const problems = [];
    for (const [page, ready] of PAGES) {
      await app.click(`[data-testid=page-${page}]`);
      await ready(app);
      await new Promise((r) => setTimeout(r, 300));
      const controls = await app.exec(`window.__reached.clear();
        document.activeElement?.blur();
        const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !e.closest('.visually-hidden, [inert]') && getComputedStyle(e).visibility !== 'hidden'; };
        return [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex]')]
          .filter((e) => e.tabIndex >= 0 && !e.disabled && shown(e)).length;`);
      assert.ok(controls >= 8, `${page}: ${controls} controls found`);
      // Through the page (a date field takes a stop for each of its parts), until every
      // control had the keyboard or three times as many presses as controls.
      let missed;
      for (let sent = 0; sent < controls * 3 + 10; sent += 10) {
        await app.keys(...Array(10).fill("Tab"));
        missed = await app.exec(`
          const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !e.closest('.visually-hidden, [inert]') && getComputedStyle(e).visibility !== 'hidden'; };
          const name = (e) => e.dataset.testid || e.getAttribute('aria-label') || e.id || (e.tagName + ' ' + (e.textContent || e.value || '').trim().slice(0, 30));
          // A group of radio buttons is one stop (its chosen one); the arrows move within it.
          const radioStop = (e) => e.type !== 'radio' || e.checked || !document.querySelector('input[type=radio][name="' + e.name + '"]:checked');
          const all = [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex]')].filter((e) => e.tabIndex >= 0 && !e.disabled && shown(e) && radioStop(e));
          return {
            unreached: all.filter((e) => !window.__reached.has(e)).map(name),
            ringless: [...window.__reached].filter(([e, ring]) => !ring && all.includes(e)).map(([e]) => name(e)),
          };`);
        if (missed.unreached.length === 0) break;
      }
      if (page === "calls") await app.screenshot(join(SHOTS, "keyboard-focus-ring.png"));
      for (const m of missed.unreached) problems.push(`${page}: Tab never reached ${m}`);
      for (const m of missed.ringless) problems.push(`${page}: no focus ring on ${m}`);
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  test("the timeline's rows: ↓ moves, Enter opens, Escape closes the drawer and gives the row back", async () => {
    await app.click("[data-testid=page-calls]");
    await PAGES[0][1](app);
    await app.exec("document.querySelector('[data-testid=search]').focus(); return true");
    for (let i = 0; i < 40 && !(await app.exec("return document.activeElement?.dataset.testid === 'call-row'")); i++) await app.keys("Tab");
    const first = await focused(app);
    assert.match(first, /^cl_keys_/, "Tab reaches the timeline's selected row");
    await app.keys("ArrowDown");
    await app.waitFor("the next row focused", async () => (await focused(app)) !== first);
    const second = await focused(app);
    assert.match(second, /^cl_keys_/);
    await app.keys("Enter");
    await app.waitFor("the drawer of the focused row", async () => (await app.text("[data-testid=details] .drawer-title").catch(() => "")) === second);
    await app.screenshot(join(SHOTS, "keyboard-drawer.png"));
    await app.keys("Escape");
    await app.waitFor("the drawer closed", async () => (await app.findAll("[data-testid=details]")).length === 0);
    assert.equal(await focused(app), second, "the keyboard is back on the row that opened it");
  });

  test("a form submits with Enter and closes with Escape; a menu moves with the arrows", async () => {
    await app.exec("document.querySelector('[data-testid=public-url]').focus(); return true");
    await app.keys("Enter");
    await app.waitFor("the public URL form, its field focused", async () => (await app.exec("return document.activeElement?.id")) === "public-url-input");
    await app.keys(..."https://tunnel.keys.example".split(""), "Enter");
    await app.waitFor("the address saved", async () => (await app.text("[data-testid=public-url]")) === "Public: https://tunnel.keys.example");
    await app.exec("document.querySelector('[data-testid=public-url]').focus(); return true");
    await app.keys("Enter");
    await app.waitFor("the form again", () => app.find("[data-testid=public-url-form]"));
    await app.keys("Escape");
    await app.waitFor("the form closed", async () => (await app.findAll("[data-testid=public-url-form]")).length === 0);
    assert.equal(await focused(app), "public-url", "the keyboard back on its button");

    await app.exec("document.querySelector('[data-testid=key-badge]').focus(); return true");
    await app.keys("Enter");
    await app.waitFor("the key menu, its first item focused", async () => (await focused(app)) === "BUTTON Replace key");
    await app.keys("ArrowDown");
    assert.equal(await focused(app), "BUTTON Remove key");
    await app.keys("ArrowDown");
    assert.equal(await focused(app), "BUTTON Replace key", "the arrows go round");
    await app.keys("Escape");
    await app.waitFor("the menu closed", async () => (await app.findAll("[data-testid=key-popover]")).length === 0);
    assert.equal(await focused(app), "key-badge");
  });

  test("new and failed calls reach a screen reader's live region", async () => {
    await deliver("call.started", "cl_keys_late");
    await deliver("call.failed", "cl_keys_late", { endedReason: "no-answer" });
    // Said at most once every 5 s: the two may come in one sentence or in two.
    const said = new Set();
    await app.waitFor("the announcements", async () => {
      said.add(await app.exec("return document.querySelector('[data-testid=announce-calls]').textContent"));
      const all = [...said].join(" ");
      return all.includes("1 new call.") && all.includes("1 failed: cl_keys_late (no-answer).");
    }, 20000);
    assert.equal(await app.exec("return document.querySelector('[data-testid=announce-calls]').getAttribute('aria-live')"), "polite");
  });
});
