// The live timeline stays in the store's order (#11): the simulator delivers with
// reordering and duplicates while calls arrive at a steady rate, and the rows on screen are
// compared with the store's own order, for both sort orders, during the traffic and after.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";
import { settle, sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const SIM = process.env.SIM_URL;
const KEY = process.env.SIM_KEY;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";
const EVENTS = ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"];
const ROW = 64;


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The store's order of every call, read through the app's own calls_page command. */
function storeOrder(app, order) {
  return app.execAsync(
    `const done = arguments[arguments.length - 1];
     const filter = { phases: [], agents: [], directions: [], endedReasons: [], languages: [], range: {}, text: null };
     window.__TAURI_INTERNALS__.invoke("calls_page", { filter, page: { order: arguments[0], limit: 1000 } })
       .then((p) => done(p.items.map((c) => c.callId)), (e) => done({ error: String(e && e.message || e) }));`,
    [order],
  );
}

/** The rows in the DOM, by their place in the list (the list is virtualized). */
function rowsInView(app) {
  return app.exec(`
    const list = document.querySelector('[data-testid=timeline]');
    return [...list.querySelectorAll('.row-slot')]
      .map((slot) => [Math.round(new DOMMatrix(getComputedStyle(slot).transform).m42 / ${ROW}), slot.querySelector('[data-call-id]').dataset.callId])
      .sort((a, b) => a[0] - b[0]);`);
}

/** Rows on screen at the top of the list equal the store's first rows, in order. */
async function matchesAtTop(app, order) {
  await app.exec("document.querySelector('[data-testid=timeline]').scrollTop = 0");
  const store = await storeOrder(app, order);
  assert.ok(Array.isArray(store), `calls_page: ${JSON.stringify(store)}`);
  const rows = await rowsInView(app);
  const shown = rows.map(([, id]) => id);
  const places = rows.map(([i]) => i);
  const contiguous = places.every((p, i) => p === places[0] + i);
  return { ok: contiguous && places[0] === 0 && shown.length > 0 && shown.join() === store.slice(0, shown.length).join(), shown, store };
}

/** Every row, scrolled through top to bottom, by its place. */
async function wholeList(app) {
  const byPlace = new Map();
  await app.exec("document.querySelector('[data-testid=timeline]').scrollTop = 0");
  for (let i = 0; i < 100; i++) {
    for (const [place, id] of await rowsInView(app)) byPlace.set(place, id);
    const end = await app.exec(`const l = document.querySelector('[data-testid=timeline]');
      const end = l.scrollTop + l.clientHeight >= l.scrollHeight - 2; l.scrollTop += l.clientHeight * 0.7; return end;`);
    if (end) break;
    await sleep(100);
  }
  await app.exec("document.querySelector('[data-testid=timeline]').scrollTop = 0");
  return [...byPlace.entries()].sort((a, b) => a[0] - b[0]).map(([, id]) => id);
}

/** Every call's id in the store's order, page after page through calls_page. */
async function wholeStoreOrder(app) {
  const ids = [];
  let after = null;
  do {
    const page = await app.execAsync(
      `const done = arguments[arguments.length - 1];
       const filter = { phases: [], agents: [], directions: [], endedReasons: [], languages: [], range: {}, text: null };
       window.__TAURI_INTERNALS__.invoke("calls_page", { filter, page: { order: "newestFirst", after: arguments[0], limit: 1000 } })
         .then((p) => done({ ids: p.items.map((c) => c.callId), next: p.next }), (e) => done({ error: String(e && e.message || e) }));`,
      [after],
    );
    assert.ok(page.ids, `calls_page: ${JSON.stringify(page)}`);
    ids.push(...page.ids);
    after = page.next;
  } while (after);
  return ids;
}

/** Scrolls the list to the row at `place`; the rows then drawn whole there, by place. */
async function wholeRowsAt(app, place) {
  await app.exec(`document.querySelector('[data-testid=timeline]').scrollTop = ${place * ROW}; return true`);
  return app.waitFor(`the rows at ${place} read`, async () => {
    const rows = await rowsInView(app);
    const reading = await app.exec("return document.querySelectorAll('[data-testid=call-row-being-read]').length");
    return reading === 0 && rows.some(([p]) => p === place) ? rows : null;
  });
}

/** Checks the top of the list against the store several times while `busy` says traffic goes on. */
async function checkDuringTraffic(app, order) {
  let checks = 0;
  while (!(await sim("GET", "/sim/status")).idle && checks < 4) {
    // A feed batch may be on its way between the two reads: the screen must catch up within 2 s.
    let last;
    for (let i = 0; i < 20; i++) {
      last = await matchesAtTop(app, order);
      if (last.ok) break;
      await sleep(100);
    }
    assert.ok(last.ok, `${order}, during traffic: on screen ${last.shown.join(" ")}\nstore's order ${last.store.slice(0, last.shown.length).join(" ")}`);
    checks++;
    await sleep(700);
  }
  return checks;
}

describe("the live timeline's order", () => {
  let app;

  before(async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "order-"))]);
    await connectAccount(app, KEY, SIM);
    // Only this test's receiver: earlier tests may have left webhooks on the shared simulator.
    for (const hook of (await sim("GET", "/api/core/webhook")).list) await sim("DELETE", `/api/core/webhook/${hook.webhookId}`);
    await sim("POST", "/api/core/webhook", { url: RECEIVER, events: EVENTS });
  });

  after(async () => {
    await app?.close();
  });

  test("equals the store's order for both sort orders, while calls arrive and after", async () => {
    const before = await sim("GET", "/sim/status");
    // Newest first: 60 calls at a steady rate (the simulator runs 25 times faster than life).
    await sim("POST", "/sim/calls", { calls: 60, rate: 0.5, minDurationSec: 20, maxDurationSec: 120 });
    const newestChecks = await checkDuringTraffic(app, "newestFirst");
    assert.ok(newestChecks >= 2, `checked ${newestChecks} times while traffic arrived`);
    await settle(90);
    assert.deepEqual(await wholeList(app), await storeOrder(app, "newestFirst"), "newest first, after the traffic");

    // Oldest first: 40 more while the list is sorted the other way.
    await app.click("button.sort");
    await app.waitFor("oldest first", async () => (await app.text("button.sort")).startsWith("Oldest first"));
    await sim("POST", "/sim/calls", { calls: 40, rate: 0.5, minDurationSec: 20, maxDurationSec: 120 });
    const oldestChecks = await checkDuringTraffic(app, "oldestFirst");
    assert.ok(oldestChecks >= 2, `checked ${oldestChecks} times while traffic arrived`);
    await settle(90);
    const oldest = await wholeList(app);
    assert.equal(oldest.length, 100);
    assert.deepEqual(oldest, await storeOrder(app, "oldestFirst"), "oldest first, after the traffic");

    // The chaos really happened: deliveries came late and twice.
    const status = await sim("GET", "/sim/status");
    assert.ok(status.reordered > before.reordered && status.duplicates > before.duplicates, `reordered and duplicated: ${JSON.stringify(status)}`);

    await app.click("button.sort");
    await app.waitFor("newest first again", async () => (await app.text("button.sort")).startsWith("Newest first"));
    await app.waitFor("the reloaded list", async () => (await matchesAtTop(app, "newestFirst")).ok);
    assert.deepEqual(await wholeList(app), await storeOrder(app, "newestFirst"), "newest first, after switching back");
    await app.screenshot(join(SHOTS, "timeline-order.png"));
  });

  test("a burst of wrong tokens is one line in the rejected list, with its count", async () => {
    for (let i = 0; i < 25; i++) {
      const reply = await fetch(RECEIVER, { method: "POST", headers: { authorization: "Bearer sk_not_the_key" }, body: "{}" });
      assert.equal(reply.status, 200, "acknowledged, so the sender stops");
    }
    await app.click("[data-testid=show-rejected]");
    // One line per address, reason and minute: 25 requests are one or two lines.
    const counts = await app.waitFor("the counted line", async () => {
      const found = await app.exec(
        "return [...document.querySelectorAll('[data-testid=rejected-row]')].map((r) => Number(r.dataset.count))",
      );
      return found.reduce((a, b) => a + b, 0) === 25 ? found : null;
    });
    assert.ok(counts.length <= 2, `${counts}`);
    assert.match(await app.text("[data-testid=rejected-list]"), new RegExp(`×${counts[0].toLocaleString("en-US")}`));
    assert.ok(!(await app.text("[data-testid=rejected-list]")).includes("sk_not_the_key"), "never the token");
    await app.screenshot(join(SHOTS, "rejected-list.png"));
  });

  test("scrolled through 2,400 calls and back, keeps the rows near the view and reads the others again, in the store's order", async () => {
    // The rejected list of the test before closes first: the whole list in sight.
    if (await app.exec("return document.querySelector('.drawer .close') !== null")) await app.click(".drawer .close");
    // 2,400 more calls straight to the receiver, twenty at a time.
    const started = Date.now();
    for (let i = 0; i < 2400; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => fetch(RECEIVER, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ event: "call.started", deliveryId: `dl_long_${i + k}`, occurredAt: new Date(started - (i + k) * 1000).toISOString(), data: { callId: `cl_long_${String(i + k).padStart(4, "0")}`, agentId: "ag_long" } }),
      }).then((r) => assert.equal(r.status, 200))));
    }
    const store = await app.waitFor("every call stored", async () => {
      const ids = await wholeStoreOrder(app);
      return ids.length >= 2400 ? ids : null;
    });
    // Down to the oldest call, paging the store as it goes.
    await app.waitFor("every call paged in", async () => {
      const { complete, loaded } = await app.exec(`const l = document.querySelector('[data-testid=timeline]');
        l.scrollTop = l.scrollHeight; return { complete: l.dataset.complete, loaded: Number(l.dataset.loaded) };`);
      return complete === "true" && loaded === store.length;
    }, 60000);
    const kept = Number(await app.exec("return document.querySelector('[data-testid=timeline]').dataset.kept"));
    assert.ok(kept > 0 && kept <= 2000, `rows kept whole: ${kept} of ${store.length}`);
    // Back at the top (those rows were let go), then far down again (let go for the top's):
    // each time the rows drawn are the store's, at their places.
    for (const place of [0, store.length - 30, 0, Math.floor(store.length / 2)]) {
      const rows = await wholeRowsAt(app, place);
      // The top, read again after the rows at the bottom had taken its place (a look, not a check).
      if (place === 0) await app.screenshot(join(SHOTS, "timeline-long-top-read-again.png"));
      for (const [at, id] of rows) assert.equal(id, store[at], `the row at ${at}`);
      const kept = Number(await app.exec("return document.querySelector('[data-testid=timeline]').dataset.kept"));
      assert.ok(kept <= 2000, `rows kept whole at ${place}: ${kept}`);
    }
    await app.screenshot(join(SHOTS, "timeline-long-middle.png"));
    // While a page is read again (a few milliseconds), its rows say "Reading…" with their
    // ids, each at its place: every such row the list draws is recorded as it appears. The
    // rows at 350 were let go at the bottom's visit, and the top's read brought back 200 only.
    await app.exec(`window.__reading = [];
      const list = document.querySelector('[data-testid=timeline]');
      window.__readingSeen = new MutationObserver(() => {
        for (const row of list.querySelectorAll('[data-testid=call-row-being-read][aria-busy=true]')) {
          const place = Math.round(new DOMMatrix(getComputedStyle(row.parentElement).transform).m42 / ${ROW});
          window.__reading.push([place, row.dataset.callId, row.textContent]);
        }
      });
      window.__readingSeen.observe(list, { childList: true, subtree: true });
      list.scrollTop = ${350 * ROW};
      return true;`);
    await wholeRowsAt(app, 350);
    const reading = await app.exec("window.__readingSeen.disconnect(); return window.__reading");
    assert.ok(reading.length > 0, "rows let go are drawn as being read until their page comes");
    for (const [at, id, text] of reading) {
      assert.equal(id, store[at], `the row being read at ${at}`);
      assert.match(text, /^Reading…/);
    }
  });
});
