// The Agents page in the real window: against the simulator's ground truth (each agent's
// calls and failures after a scenario, by name; a click on an agent's failures opens exactly
// those calls), and in demo mode (the built-in simulator's agents by name, live).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount, rowsOnScreen } from "./flows.mjs";
import { settle, sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";

/** Each row of the page: agent id -> { name, calls, failed }. */
function agentRows(app) {
  return app.exec(`
    return [...document.querySelectorAll('[data-testid=agent-row]')].map((row) => [row.dataset.agent, {
      name: row.querySelector('[data-testid=agent-label]').textContent,
      calls: Number(row.querySelector('[data-testid=agent-calls]').textContent.replace(/[^0-9]/g, '')),
      failed: Number(row.querySelector('[data-testid=agent-failed]').textContent.replace(/[^0-9]/g, '')),
    }]);
  `).then((entries) =>
    // Built again here: WebDriver does not keep an object's key order, and the test compares JSON.
    Object.fromEntries(entries.map(([agent, r]) => [agent, { name: r.name, calls: r.calls, failed: r.failed }])),
  ); // entries: an object with a key "error" reads as a WebDriver error
}

describe("the Agents page against the simulator", () => {
  let app;

  before(async () => {
    await settle(180);
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "agents-"))]);
    await connectAccount(app, process.env.SIM_KEY, process.env.SIM_URL);
    await sim("POST", "/api/core/webhook", { url: RECEIVER, events: ["call.started", "call.connected", "call.completed", "call.failed"] });
  });

  after(async () => {
    await app?.close();
  });

  test("each agent's calls and failures equal the ground truth, by name; its failures open exactly those calls", async () => {
    await app.click("[data-testid=page-agents]");
    await app.waitFor("the Agents page", () => app.find("[data-testid=agents-page]"));
    const earlier = new Set((await sim("GET", "/sim/calls")).list.map((c) => c.callId));
    await sim("POST", "/sim/calls", { calls: 40, rate: 20, failedShare: 0.35 });
    await settle();
    const truth = (await sim("GET", "/sim/calls")).list.filter((c) => !earlier.has(c.callId));
    assert.equal(truth.length, 40);
    const names = Object.fromEntries((await sim("GET", "/api/core/voice/agent")).list.map((a) => [a.agentId ?? a.id, a.name]));
    const expected = {};
    for (const c of truth) {
      const row = (expected[c.agentId] ??= { name: names[c.agentId] ?? c.agentId, calls: 0, failed: 0 });
      row.calls += 1;
      row.failed += c.status === "failed" ? 1 : 0;
    }
    assert.ok(Object.keys(expected).length >= 2, `the calls spread over agents: ${JSON.stringify(expected)}`);
    const want = JSON.stringify(Object.entries(expected).sort());
    await app.waitFor(`each agent's calls, ${want}`, async () => {
      const seen = JSON.stringify(Object.entries(await agentRows(app)).sort());
      if (seen !== want) throw new Error(`on the page: ${seen}`);
      return true;
    }, 30000);
    await app.screenshot(join(SHOTS, "agents-page.png"));

    // The agent with the most failures: its failed count opens the timeline at exactly them.
    const [agent, row] = Object.entries(expected).sort((a, b) => b[1].failed - a[1].failed)[0];
    assert.ok(row.failed > 0, "an agent failed calls");
    await app.click(`[data-testid=agent-row][data-agent=${agent}] [data-testid=agent-failed]`);
    const failedIds = truth.filter((c) => c.agentId === agent && c.status === "failed").map((c) => c.callId).sort();
    await app.waitFor(`${row.name}'s ${row.failed} failures on the timeline`, async () => {
      const seen = Object.entries(await rowsOnScreen(app));
      const ids = seen.map(([id]) => id).sort();
      if (JSON.stringify(ids) !== JSON.stringify(failedIds)) throw new Error(`on the timeline: ${ids.join(", ")}`);
      return seen.every(([, phase]) => phase === "failed");
    });
    const agentFilter = await app.exec("return document.querySelector('[data-testid=facet-agent]')?.value ?? ''");
    assert.equal(agentFilter, agent, "the timeline's agent filter holds the agent");
    await app.screenshot(join(SHOTS, "agents-drill-failed.png"));
  });

  test("a metadata field chosen in Settings becomes a filter of the timeline and a grouping of the overview", async () => {
    const earlier = new Set((await sim("GET", "/sim/calls")).list.map((c) => c.callId));
    await sim("POST", "/sim/calls", { calls: 6, rate: 10, failedShare: 0.5, metadata: { campaign: "spring" } });
    await sim("POST", "/sim/calls", { calls: 4, rate: 10, failedShare: 0, metadata: { campaign: "autumn" } });
    await settle();
    const fresh = (await sim("GET", "/sim/calls")).list.filter((c) => !earlier.has(c.callId));
    const spring = fresh.filter((c) => c.metadata?.campaign === "spring");
    assert.equal(spring.length, 6);

    await app.click("[data-testid=page-settings]");
    await app.waitFor("the dimensions", () => app.find("[data-testid=dimension-field]"));
    await app.set("[data-testid=dimension-field]", "campaign");
    await app.click("[data-testid=dimension-add]");
    await app.waitFor("campaign counted", async () => (await app.text("[data-testid=dimension-campaign]")).includes("counted"), 30000);

    // The timeline: the field's own menu, each value with its calls.
    await app.click("[data-testid=page-calls]");
    const menu = () =>
      app.exec(`const s = document.querySelector('[data-testid=facet-metadata-campaign]');
                return s && [...s.options].map((o) => o.textContent);`);
    await app.waitFor("the campaign's menu", async () => JSON.stringify(await menu()) === JSON.stringify(["campaign: any", "campaign: spring (6)", "campaign: autumn (4)"]), 30000);

    // The overview, grouped by it: each value's calls; the calls of the first test have none.
    await app.click("[data-testid=page-overview]");
    await app.waitFor("the grouping", () => app.find("[data-testid=overview-by-dimension]"));
    await app.waitFor("campaign offered", async () => (await app.exec("return [...document.querySelector('[data-testid=overview-by-dimension]').options].map((o) => o.value)")).includes("metadata.campaign"));
    await app.set("[data-testid=overview-by-dimension]", "metadata.campaign");
    const grouped = () =>
      app.exec("return [...document.querySelectorAll('[data-testid=overview-by] li')].map((li) => [li.dataset.key, Number(li.dataset.calls), Number(li.dataset.failed)])");
    const springFailed = spring.filter((c) => c.status === "failed").length;
    const want = JSON.stringify([["", 40, null], ["spring", 6, springFailed], ["autumn", 4, 0]].map(([k, n, f]) => [k, n, f ?? -1]));
    await app.waitFor(`calls by campaign, ${want}`, async () => {
      const seen = (await grouped()).map(([k, n, f]) => [k, n, k === "" ? -1 : f]);
      if (JSON.stringify(seen) !== want) throw new Error(`grouped: ${JSON.stringify(seen)}`);
      return true;
    });
    await app.exec("document.querySelector('[data-testid=overview-by]').scrollIntoView()");
    await app.screenshot(join(SHOTS, "overview-by-campaign.png"));
    await app.click("[data-testid=overview-by] li[data-key=spring] button");
    await app.waitFor("the spring calls on the timeline", async () => {
      const ids = Object.keys(await rowsOnScreen(app)).sort();
      if (JSON.stringify(ids) !== JSON.stringify(spring.map((c) => c.callId).sort())) throw new Error(`on the timeline: ${ids.join(", ")}`);
      return true;
    });

    // The Agents page grouped by it: each agent's spring and autumn calls as the simulator
    // made them; an agent's spring opens exactly its spring calls.
    await app.click("[data-testid=page-agents]");
    await app.waitFor("the grouping's menu", async () => (await app.exec("return [...(document.querySelector('[data-testid=agents-by]')?.options ?? [])].map((o) => o.value)")).includes("metadata.campaign"));
    await app.set("[data-testid=agents-by]", "metadata.campaign");
    const byAgent = {};
    for (const c of fresh) {
      const row = (byAgent[c.agentId] ??= {});
      const value = (row[c.metadata.campaign] ??= [0, 0]);
      value[0] += 1;
      value[1] += c.status === "failed" ? 1 : 0;
    }
    const wantByAgent = JSON.stringify(Object.entries(byAgent).sort().map(([agent, values]) => [agent, Object.entries(values).sort()]));
    await app.waitFor(`each agent by campaign, ${wantByAgent}`, async () => {
      const seen = await app.exec(`
        const rows = [...document.querySelectorAll('[data-testid=agent-values]')];
        return rows.map((r) => [r.dataset.agent, [...r.querySelectorAll('[data-testid=agent-value]')]
          .filter((v) => v.dataset.value).map((v) => [v.dataset.value, [Number(v.dataset.calls), Number(v.dataset.failed)]])]);
      `);
      const got = JSON.stringify(seen.filter(([agent]) => agent in byAgent).sort().map(([agent, values]) => [agent, values.sort()]));
      if (got !== wantByAgent) throw new Error(`on the page: ${got}`);
      return true;
    }, 30000);
    await app.screenshot(join(SHOTS, "agents-by-campaign.png"));
    const [agent] = Object.entries(byAgent).find(([, values]) => values.spring);
    await app.click(`[data-testid=agent-values][data-agent=${agent}] [data-testid=agent-value][data-value=spring]`);
    const mine = spring.filter((c) => c.agentId === agent).map((c) => c.callId).sort();
    await app.waitFor(`${agent}'s spring calls on the timeline`, async () => {
      const ids = Object.keys(await rowsOnScreen(app)).sort();
      if (JSON.stringify(ids) !== JSON.stringify(mine)) throw new Error(`on the timeline: ${ids.join(", ")}`);
      return true;
    });
  });
});

describe("the Agents page in demo mode", () => {
  let app;

  before(async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "agents-demo-"))]);
    await app.waitFor("the welcome screen", () => app.find("button.secondary"));
    await app.click("button.secondary");
    await app.waitFor("the demo badge", async () => (await app.text("[data-testid=demo-badge]")).includes("Demo"));
  });

  after(async () => {
    await app?.close();
  });

  test("shows the demo's agents by name, live, and sorts by failures", async () => {
    await app.click("[data-testid=page-agents]");
    const NAMES = ["Support line", "Sales desk", "Booking assistant"];
    const rows = await app.waitFor(
      "the demo's agents by name",
      async () => {
        const rows = await agentRows(app);
        const named = Object.values(rows).filter((r) => NAMES.includes(r.name));
        // Enough calls for the page to say something: some of them over.
        const calls = Object.values(rows).reduce((n, r) => n + r.calls, 0);
        if (named.length < 2 || calls < 8) throw new Error(`rows: ${JSON.stringify(rows)}`);
        return rows;
      },
      90000,
    );
    assert.ok(Object.values(rows).every((r) => r.calls >= r.failed && r.calls > 0), JSON.stringify(rows));
    await app.click("[data-testid=agents-sort-failed]");
    await app.waitFor("sorted by failures, most first", async () => {
      const order = Object.values(await agentRows(app)).map((r) => r.failed);
      const sorted = [...order].sort((a, b) => b - a);
      if (JSON.stringify(order) !== JSON.stringify(sorted)) throw new Error(`failures in order: ${order}`);
      return (await app.exec("return document.querySelector('[data-testid=agents-sort-failed]').closest('th').getAttribute('aria-sort')")) === "descending";
    });
    await app.exec("document.querySelector('[data-testid=agents-page]').scrollTop = 1");
    await app.screenshot(join(SHOTS, "agents-demo.png"));
  });
});
