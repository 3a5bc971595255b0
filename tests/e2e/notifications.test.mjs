// Desktop notifications for failed calls, read from python3-dbusmock's notification server
// log (NOTIFY_LOG): each Notify call the app makes over D-Bus is an entry there.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "./webdriver.mjs";
import { connectAccount } from "./flows.mjs";
import { clickNote, notes } from "./desktop.mjs";
import { settle, sim } from "./sim.mjs";
import { listeningUrl } from "./processes.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
// A simulator of this file's own: failures other files' scenarios left on the shared one
// would be found by catch-up here and change the counts.
let KEY;
let simulator;
const LOG = process.env.NOTIFY_LOG;
const RECEIVER = "http://127.0.0.1:8787/hooks/calleague";
const EVENTS = ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"];
const HERE = dirname(fileURLToPath(import.meta.url));
const TRAY = join(HERE, "tray.py");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The notes this app showed after `from` (a count of notes() taken earlier). */
const ours = (from) => notes().slice(from).filter((n) => n.app === "Calleague Monitor");

/** Waits until `count` new notes came, then a quiet spell longer than the app's gathering
 * moment and the burst window's first summary, so that "no more" is observed, not assumed. */
async function expectNotes(from, count, quietMs = 4000) {
  for (let i = 0; i < 300 && ours(from).length < count; i++) await sleep(100);
  await sleep(quietMs);
  const got = ours(from);
  assert.equal(got.length, count, `expected ${count} notes, got ${JSON.stringify(got, null, 1)}`);
  return got;
}

/** A delivery straight to the receiver, as Calleague sends one. */
async function deliver(event, deliveryId, data) {
  const body = { event, deliveryId, occurredAt: new Date().toISOString(), data };
  const reply = await fetch(RECEIVER, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(reply.status, 200, `${event} ${deliveryId}: ${reply.status}`);
}

const failure = (callId, deliveryId, agentId = "ag_e2e", endedReason = "customer-busy") =>
  deliver("call.failed", deliveryId, { callId, agentId, endedReason, metadata: { orderId: `order-${callId}` } });

function notificationServerUp() {
  const reply = execFileSync("dbus-send", ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
    "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"], { encoding: "utf8" });
  return reply.includes("boolean true");
}

async function subscriptions() {
  return (await sim("GET", "/api/core/webhook?size=100")).list;
}

async function unsubscribeAll() {
  for (const hook of await subscriptions()) await sim("DELETE", `/api/core/webhook/${hook.webhookId}`);
}

before(async () => {
  KEY = `sk_notify_${Math.random().toString(16).slice(2)}`;
  simulator = spawn("timeout", ["900", process.env.CALLEAGUE_SIM, "serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http",
    "--time-scale", "25", "--dup-rate", "0.2", "--reorder-rate", "0.2"], { stdio: ["ignore", "pipe", "ignore"] });
  const url = await listeningUrl(simulator, "the simulator");
  // sim.mjs's helpers read these: this file's process only.
  process.env.SIM_URL = url;
  process.env.SIM_KEY = KEY;
});

after(() => simulator?.kill());

describe("notifications for failed calls", () => {
  let app;
  let dataDir;
  const start = async () => {
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
  };

  before(async () => {
    assert.ok(LOG, "NOTIFY_LOG names the notification server's log");
    dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "notify-"));
    await start();
    await connectAccount(app, KEY, process.env.SIM_URL);
    await unsubscribeAll();
    await sim("POST", "/api/core/webhook", { url: RECEIVER, events: EVENTS });
    await settle();
  });

  after(async () => {
    await app?.close();
    await unsubscribeAll();
  });

  test("three failed calls spaced apart give three notes, each with its agent and reason", async () => {
    const from = notes().length;
    // One call every 4 real seconds (the simulator runs 25 times faster), each failing.
    await sim("POST", "/sim/calls", {
      calls: 3, rate: 0.01, failedShare: 1, minDurationSec: 25, maxDurationSec: 25, agents: ["ag_spaced"],
      recordings: false, transcripts: false,
    });
    await settle();
    const truth = (await sim("GET", "/sim/calls")).list.filter((c) => c.agentId === "ag_spaced");
    assert.equal(truth.length, 3);
    const got = await expectNotes(from, 3);
    for (const note of got) assert.equal(note.summary, "Call failed: ag_spaced");
    const reasons = got.map((n) => n.body.split(" · ")[0]).sort();
    assert.deepEqual(reasons, truth.map((c) => c.endedReason).sort());
  });

  test("an agent new to the app is looked up once, then named in its row and in its failure's note", async () => {
    await sim("POST", "/sim/agents", { agentId: "ag_named", name: "Night desk" });
    await app.click("[data-testid=page-calls]");
    await deliver("call.started", "dl_named_start", { callId: "cl_named", agentId: "ag_named" });
    const agentOf = () => app.exec("return document.querySelector('[data-call-id=\"cl_named\"] [data-testid=\"call-agent\"]')?.textContent ?? ''");
    await app.waitFor("the row to show the call", async () => (await agentOf()) !== "", 20000);
    // Looked up at the engine's next round of new ids (at most one a minute), then read by the window.
    await app.waitFor("the row to name the agent", async () => (await agentOf()) === "Night desk", 150000);
    await sleep(11000); // out of the last test's burst window
    const from = notes().length;
    await failure("cl_named", "dl_named_fail", "ag_named");
    const [note] = await expectNotes(from, 1);
    assert.equal(note.summary, "Call failed: Night desk");
    const requests = (await sim("GET", "/sim/requests")).list.map((r) => r.path);
    assert.equal(requests.filter((p) => p === "/api/core/voice/agent/ag_named").length, 1, "looked up once");
    assert.equal(requests.filter((p) => p === "/api/core/voice/agent/ag_spaced").length, 1, "an id the API does not know, asked for once");
    assert.ok(requests.includes("/api/core/voice/agent"), "listed on start");
  });

  test("a failure delivered three times (a retry, a second delivery id) gives one note, and a click opens its call", async () => {
    await sleep(11000); // out of the last test's burst window
    const from = notes().length;
    await failure("cl_repeat", "dl_repeat");
    await failure("cl_repeat", "dl_repeat");
    await failure("cl_repeat", "dl_repeat_again");
    const [note] = await expectNotes(from, 1);
    assert.equal(note.summary, "Call failed: ag_e2e");
    assert.match(note.body, /^customer-busy · \d\d:\d\d:\d\d/);
    clickNote(note.id);
    await app.waitFor("the call's details from the click", async () => (await app.text("[data-testid=details]").catch(() => "")).includes("cl_repeat"));
  });

  test("a burst of ten failures is one summary naming the count and the agents", async () => {
    await sleep(11000);
    const from = notes().length;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => failure(`cl_burst_${i}`, `dl_burst_${i}`, i < 6 ? "ag_north" : "ag_south")),
    );
    const [note] = await expectNotes(from, 1, 12000);
    assert.equal(note.summary, "10 calls failed within seconds");
    assert.equal(note.body, "Agents: ag_north (6), ag_south (4)");
  });

  test("text from the network shows as text: each value one line, capped, its markup escaped", async () => {
    await sleep(11000);
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the settings page", () => app.find("[data-testid=notify-field]"));
    await app.type("[data-testid=notify-field]", "caller");
    await app.click("[data-testid=notify-apply]");
    await app.waitFor("applied", () => app.find("[data-testid=notify-applied]"));
    const from = notes().length;
    // No double quotes: the server's log writes strings between them unescaped.
    await deliver("call.failed", "dl_hostile", {
      callId: "cl_hostile",
      agentId: "<a href='https://evil.example/'>Support</a>\nCall completed",
      endedReason: "busy & <span foreground='red'>OK</span>\r\nCall completed: all fine",
      metadata: { caller: `${"x".repeat(10000)}<b>` },
    });
    const [note] = await expectNotes(from, 1);
    // The summary is plain text to every server: only made one line.
    assert.equal(note.summary, "Call failed: <a href='https://evil.example/'>Support</a> Call completed");
    const lines = note.body.split("\n");
    assert.equal(lines.length, 2, `no line of the network's own: ${JSON.stringify(lines)}`);
    assert.match(lines[0], /^busy &amp; &lt;span foreground=&apos;red&apos;&gt;OK&lt;\/span&gt; Call completed: all fine · \d\d:\d\d:\d\d$/);
    assert.equal(lines[1], `caller: ${"x".repeat(119)}…`);
    // Restore: no metadata field in the notes of the tests after this one.
    await app.empty("[data-testid=notify-field]");
    await app.click("[data-testid=notify-apply]");
    await app.waitFor("applied", () => app.find("[data-testid=notify-applied]"));
  });

  test("paused gives none; the settings say so and resuming brings none of them back", async () => {
    await sleep(11000);
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the settings page", () => app.find("[data-testid=notify-pause]"));
    // A name that is not an event is explained by its field, and nothing is saved.
    await app.type("[data-testid=notify-other-events]", "Agent Escalated");
    await app.click("[data-testid=notify-apply]");
    const explained = await app.waitFor("the field's message", () => app.text("[data-testid=other-events-error]"));
    assert.match(explained, /"Agent Escalated" is not an event name/);
    await app.screenshot(join(SHOTS, "settings-notifications-error.png"));
    await app.empty("[data-testid=notify-other-events]");
    await app.click("[data-testid=notify-pause]");
    await app.waitFor("paused", async () => (await app.text("[data-testid=pause-state]")).includes("Paused until you resume"));
    assert.match(await app.text("[data-testid=statusbar]"), /Notifications paused/);
    await app.screenshot(join(SHOTS, "settings-notifications-paused.png"));
    const from = notes().length;
    await failure("cl_paused_1", "dl_paused_1");
    await failure("cl_paused_2", "dl_paused_2");
    await expectNotes(from, 0);
    await app.click("[data-testid=notify-resume]");
    await app.waitFor("resumed", async () => (await app.text("[data-testid=pause-state]")).includes("Pause for 1 hour"));
    await failure("cl_paused_1", "dl_paused_1_retry");
    await expectNotes(from, 0);
  });

  test("start at login writes an autostart entry that starts in the background, and off removes it", async () => {
    const entry = join(process.env.HOME, ".config", "autostart", "Calleague Monitor.desktop");
    assert.equal(existsSync(entry), false);
    await app.click("[data-testid=start-at-login]");
    await app.waitFor("the autostart entry", () => existsSync(entry));
    assert.match(readFileSync(entry, "utf8"), /^Exec=.*calleague-monitor.* --background$/m);
    await app.waitFor("the box ticked", () => app.exec("return document.querySelector('[data-testid=start-at-login]').checked"));
    await app.click("[data-testid=start-at-login]");
    await app.waitFor("the entry removed", () => !existsSync(entry));
  });

  test("failures while the app was closed are one summary after catch-up, and a restart re-notifies nothing", async () => {
    await unsubscribeAll(); // while closed, nothing reaches it: catch-up must find them
    await app.close();
    app = null;
    await sim("POST", "/sim/calls", {
      calls: 4, rate: 2, failedShare: 1, minDurationSec: 15, maxDurationSec: 20, agents: ["ag_closed"],
      recordings: false, transcripts: false,
    });
    await settle();
    const from = notes().length;
    await start();
    await app.waitFor("the receiver", async () => (await app.text("[data-testid=receiver-state]")).startsWith("Receiving on"), 20000);
    await app.waitFor("catch-up done", async () => /Caught up/.test(await app.text("[data-testid=statusbar]")), 30000);
    const [note] = await expectNotes(from, 1);
    assert.equal(note.summary, "4 calls failed while Calleague Monitor was closed");
    assert.equal(note.body, "Agents: ag_closed (4)");
    // Calls notified before the restart, delivered again: old news.
    await failure("cl_repeat", "dl_repeat_after_restart");
    await failure("cl_burst_3", "dl_burst_3_after_restart");
    await expectNotes(from, 1);
    await sim("POST", "/api/core/webhook", { url: RECEIVER, events: EVENTS });
  });

  test("a notification server that refuses leaves the app receiving and the status bar says so", async () => {
    // The mock server's Notify now fails, as a server that refuses does.
    execFileSync("timeout", ["10", "/usr/bin/python3", "-c", `
import dbus
bus = dbus.SessionBus()
server = bus.get_object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
server.AddMethod("org.freedesktop.Notifications", "Notify", "susssasa{sv}i", "u",
                 "raise dbus.exceptions.DBusException('notifications are off', name='org.freedesktop.DBus.Error.AccessDenied')",
                 dbus_interface="org.freedesktop.DBus.Mock")
`]);
    await sleep(11000);
    await failure("cl_refused", "dl_refused");
    await app.waitFor("the notice", () => app.find("[data-testid=notifications-unavailable]"), 15000);
    assert.match(await app.text("[data-testid=receiver-state]"), /^Receiving on/);
    await app.exec("document.querySelector('[data-testid=notifications-unavailable]').scrollIntoView()");
    await app.screenshot(join(SHOTS, "statusbar-notifications-unavailable.png"));
  });
});

describe("without a notification server", () => {
  test("the app starts, receives, and says once that notifications are unavailable", async () => {
    // Stop the mock server for this test, and bring a new one up on the same log after.
    execFileSync("pkill", ["-f", "dbusmock --template notification_daemon"]);
    for (let i = 0; i < 50 && notificationServerUp(); i++) await sleep(100);
    assert.equal(notificationServerUp(), false, "the notification server stopped");
    const app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "nonotify-"))]);
    try {
      await connectAccount(app, KEY, process.env.SIM_URL);
      await failure("cl_no_server_1", "dl_no_server_1");
      await app.waitFor("the notice", () => app.find("[data-testid=notifications-unavailable]"), 15000);
      assert.match(await app.text("[data-testid=notifications-unavailable]"), /Notifications unavailable/);
      // WebKitWebDriver's click on the status bar's small buttons is sometimes dropped under
      // Xvfb (app.test.mjs retries the public URL button the same way): click until it goes.
      await app.waitFor("the notice dismissed", async () => {
        if ((await app.findAll("[data-testid=notifications-unavailable]")).length === 0) return true;
        await app.click("[data-testid=notifications-unavailable] button");
        return false;
      });
      await failure("cl_no_server_2", "dl_no_server_2");
      await sleep(3000);
      assert.equal((await app.findAll("[data-testid=notifications-unavailable]")).length, 0, "said once");
      assert.match(await app.text("[data-testid=receiver-state]"), /^Receiving on/);
    } finally {
      await app.close();
      const server = spawn("timeout", ["600", "/usr/bin/python3", "-m", "dbusmock", "--template", "notification_daemon", "-l", LOG], {
        detached: true,
        stdio: "ignore",
      });
      server.unref();
    }
  });
});

describe("closed to the tray", () => {
  let watcher;
  let app;
  let dataDir;

  before(async () => {
    // A status-notifier host, as KDE or GNOME's AppIndicator extension provide.
    watcher = spawn("timeout", ["300", "/usr/bin/python3", "-m", "dbusmock", "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"], { stdio: "ignore" });
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync("timeout", ["10", "/usr/bin/python3", TRAY, "watch"], { stdio: "ignore" });
        break;
      } catch {
        await sleep(100);
      }
    }
    // These tests count the app's windows on the screen: the test before may still be
    // taking its window down (once, two were counted), so none is left when this one starts.
    for (let i = 0; ; i++) {
      try {
        execFileSync("xdotool", ["search", "--onlyvisible", "--name", "^Calleague Monitor$"], { stdio: "ignore" });
      } catch {
        break; // xdotool exits 1 when no window matches
      }
      if (i === 100) throw new Error("an earlier test's window is still on the screen after 20 s");
      await sleep(200);
    }
    dataDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "tray-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await connectAccount(app, KEY, process.env.SIM_URL);
  });

  after(async () => {
    await app?.close();
    try {
      execFileSync("pkill", ["-f", "--", `data-dir ${dataDir}`]);
    } catch {
      // already gone
    }
    watcher?.kill();
  });

  test("closing the window keeps receiving, says so once, and the tray counts unseen failures", async () => {
    const from = notes().length;
    const windows = execFileSync("timeout", ["10", "xdotool", "search", "--onlyvisible", "--name", "^Calleague Monitor$"], { encoding: "utf8" }).trim().split("\n");
    execFileSync("timeout", ["10", "/usr/bin/python3", join(HERE, "wm_delete.py"), ...windows]);
    await sleep(1500);
    const visible = () => {
      try {
        return execFileSync("xdotool", ["search", "--onlyvisible", "--name", "^Calleague Monitor$"], { encoding: "utf8" }).trim();
      } catch {
        return "";
      }
    };
    assert.equal(visible(), "", "the window is closed");
    await failure("cl_background_1", "dl_background_1", "ag_night");
    await sleep(3000);
    await failure("cl_background_2", "dl_background_2", "ag_night");
    const got = await expectNotes(from, 3);
    assert.deepEqual(got.map((n) => n.summary), ["Calleague Monitor is still receiving", "Call failed: ag_night", "Call failed: ag_night"]);
    const label = execFileSync("timeout", ["10", "/usr/bin/python3", TRAY, "label", "/org/ayatana/NotificationItem/tray_icon_tray_app_main"], { encoding: "utf8" }).trim();
    assert.equal(label, "2", "two failed calls unseen, beside the tray icon");
  });

  test("with nothing to receive yet, closing the welcome screen quits, tray or not", async () => {
    // Started directly (the WebDriver session holds the other app): its window is the one
    // visible, since the connected app's window is hidden.
    const welcomeDir = mkdtempSync(join(process.env.E2E_WORK ?? "/tmp", "welcome-"));
    const welcome = spawn(process.env.CALLEAGUE_APP, ["--data-dir", welcomeDir], { stdio: "ignore" });
    const exited = new Promise((resolve) => welcome.once("exit", (code, signal) => resolve({ code, signal })));
    try {
      let windows = [];
      for (let i = 0; i < 100 && windows.length === 0; i++) {
        await sleep(200);
        try {
          windows = execFileSync("xdotool", ["search", "--onlyvisible", "--name", "^Calleague Monitor$"], { encoding: "utf8" }).trim().split("\n");
        } catch {
          windows = [];
        }
      }
      assert.equal(windows.length, 1, "the welcome screen's window");
      await sleep(1500); // the page and the engine start
      execFileSync("timeout", ["10", "/usr/bin/python3", join(HERE, "wm_delete.py"), ...windows]);
      // A bound on a hang, not a speed: in one full run (both cores busy) the app had not
      // exited 10 s after the close; alone it exits at once.
      const result = await Promise.race([exited, sleep(30000).then(() => null)]);
      assert.ok(result, "the app quit within 30 s of its welcome screen's close");
      assert.equal(result.code, 0, `exit ${JSON.stringify(result)}`);
    } finally {
      welcome.kill();
    }
  });
});
