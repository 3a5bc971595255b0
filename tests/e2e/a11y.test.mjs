// Accessibility checked by a machine: axe-core (from npm, the UI's dev dependencies) run in
// the real window on every page and the main states — the timeline with calls, a call's
// drawer open, an empty result, a form's refusal — in both themes; any serious or critical
// violation fails, listed with where it is. Colour contrast (WCAG AA) is one of its rules.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "./webdriver.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const HERE = dirname(fileURLToPath(import.meta.url));
const AXE = readFileSync(join(HERE, "../../ui/node_modules/axe-core/axe.min.js"), "utf8");

/** axe's serious and critical violations on the page as it is now: "rule: help — where". */
async function audit(app) {
  // The page's content security policy allows no script of its own making (no inline
  // script, no eval): axe's source goes in with WebDriver's own script, once.
  const loaded = await app.exec("return !!window.axe");
  if (!loaded) await app.exec(`${AXE}\n;window.axe = window.axe || axe; return true;`);
  const found = await app.execAsync(
    `const done = arguments[arguments.length - 1];
     window.axe.run(document, { resultTypes: ['violations'] }).then(
       (r) => done(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
         .map((v) => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 4).map((n) => n.target.join(' ') + (n.any[0]?.message ? ' (' + n.any[0].message + ')' : '')).join('; '))),
       (e) => done(['axe failed: ' + e]));`,
  );
  return found;
}

const STATES = [
  ["overview", async (app) => {
    await app.click("[data-testid=page-overview]");
    await app.waitFor("the chart", () => app.find("[data-testid=overview-chart] canvas"));
  }],
  ["agents", async (app) => {
    await app.click("[data-testid=page-agents]");
    await app.waitFor("the agents", async () => (await app.findAll("[data-testid=agent-row]")).length >= 1, 60000);
  }],
  ["calls", async (app) => {
    await app.click("[data-testid=page-calls]");
    await app.waitFor("calls", async () => (await app.findAll("[data-testid=call-row]")).length >= 1, 60000);
  }],
  ["a call's drawer", async (app) => {
    await app.click("[data-testid=call-row]");
    await app.waitFor("the details", () => app.find("[data-testid=details]"));
  }],
  ["an empty search", async (app) => {
    await app.exec("document.querySelector('.drawer button.close')?.click(); return true");
    await app.type("[data-testid=search]", "no-such-call-anywhere");
    await app.waitFor("nothing found", async () => (await app.findAll("[data-testid=call-row]")).length === 0);
    await app.type("[data-testid=search]", "");
  }],
  ["subscriptions", async (app) => {
    await app.click("[data-testid=page-subscriptions]");
    await app.waitFor("the page", () => app.find("main"));
  }],
  ["forwarding", async (app) => {
    await app.click("[data-testid=page-forwarding]");
    await app.waitFor("the page", () => app.find("main"));
  }],
  ["alerts", async (app) => {
    await app.click("[data-testid=page-alerts]");
    await app.waitFor("the page", () => app.find("main"));
  }],
  ["settings", async (app) => {
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the settings", () => app.find("[data-testid=appearance-settings]"));
  }],
];

describe("accessibility, checked by axe-core", () => {
  let app;

  before(async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "a11y-"))]);
    await app.waitFor("the welcome screen", () => app.find("button.secondary"));
    // The audit itself, proven on a fault put there on purpose: a button with no name and
    // light grey text on white are found (and nothing is found once they are gone).
    await app.exec(`const b = document.createElement('button'); b.id = 'axe-probe'; document.body.appendChild(b);
      const p = document.createElement('p'); p.id = 'axe-probe-text'; p.textContent = 'faint'; p.style.cssText = 'color:#ddd;background:#fff';
      document.body.appendChild(p); return true;`);
    const probe = await audit(app);
    assert.ok(probe.some((v) => v.startsWith("button-name:") && v.includes("#axe-probe")), `the audit finds a nameless button:\n${probe.join("\n")}`);
    assert.ok(probe.some((v) => v.startsWith("color-contrast:") && v.includes("#axe-probe-text")), `the audit finds faint text:\n${probe.join("\n")}`);
    await app.exec("document.getElementById('axe-probe').remove(); document.getElementById('axe-probe-text').remove(); return true");
    const welcome = await audit(app);
    assert.deepEqual(welcome, [], `the welcome screen:\n${welcome.join("\n")}`);
    await app.click("button.secondary");
    await app.waitFor("the demo badge", async () => (await app.text("[data-testid=demo-badge]")).includes("Demo"));
  });

  after(async () => {
    await app?.close();
  });

  for (const theme of ["light", "dark"]) {
    test(`every page and state in the ${theme} theme: no serious or critical violation`, async () => {
      await app.click("[data-testid=page-settings]");
      await app.waitFor("the appearance choice", () => app.find(`[data-testid=theme-${theme}]`));
      await app.click(`[data-testid=theme-${theme}]`);
      await app.waitFor(theme, async () => (await app.exec("return document.documentElement.dataset.theme")) === theme);
      const problems = [];
      for (const [name, reach] of STATES) {
        await reach(app);
        for (const v of await audit(app)) problems.push(`${name}: ${v}`);
      }
      assert.deepEqual(problems, [], `axe-core in the ${theme} theme:\n${problems.join("\n")}`);
    });
  }
});
