// Team mode end to end: a real PostgreSQL server (Debian's, started here), a real
// `calleague-receiver serve --database` writing into it, and the real app watching it with
// the read-only role of docs/team-mode.md, its password typed into the welcome screen and
// kept in the real keychain (gnome-keyring). A call delivered to the receiver must be on
// the window within a second; its failure is notified once on this desktop.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "./webdriver.mjs";
import { onScreen } from "./flows.mjs";
import { answerSaveDialog, notes } from "./desktop.mjs";
import { listeningUrl } from "./processes.mjs";
import { settle, sim } from "./sim.mjs";

const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.SCREENSHOT_DIR;
const RECEIVER_BIN = process.env.CALLEAGUE_RECEIVER;
const HERE = dirname(fileURLToPath(import.meta.url));
const KEY = `sk_team_${Math.random().toString(16).slice(2)}`;
const VIEWER_PASSWORD = "change-me-viewer"; // as docs/team-mode.md's roles block sets it
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The SQL block of docs/team-mode.md marked roles.sql, as a reader would paste it. */
function rolesSql() {
  const doc = readFileSync(join(HERE, "../../docs/team-mode.md"), "utf8");
  const marked = doc.split("<!-- roles.sql")[1];
  assert.ok(marked, "docs/team-mode.md marks its roles block");
  return marked.split("```sql")[1].split("```")[0];
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway PostgreSQL cluster: initdb and pg_ctl as the postgres user when root
 * (initdb refuses root), passwords required over TCP, trust on its private socket. */
async function startPostgres() {
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort((a, b) => a - b) : [];
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).filter((d) => existsSync(`${d}/initdb`)).pop();
  assert.ok(bin, "PostgreSQL's server is installed (Debian's postgresql package)");
  const dir = mkdtempSync(join(tmpdir(), "e2e-team-pg-"));
  const root = process.getuid() === 0;
  if (root) execFileSync("chown", ["postgres:postgres", dir]);
  chmodSync(dir, 0o700);
  const as = (cmd, args) => (root ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" }) : execFileSync(cmd, args, { encoding: "utf8" }));
  as(`${bin}/initdb`, ["-D", `${dir}/data`, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"]);
  const port = await freePort();
  as(`${bin}/pg_ctl`, ["-D", `${dir}/data`, "-w", "-t", "60", "-l", `${dir}/server.log`, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "start"]);
  const psql = (db, sql) => as(`${bin}/psql`, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", "postgres", "-d", db, "-c", sql]);
  const stop = () => as(`${bin}/pg_ctl`, ["-D", `${dir}/data`, "-m", "fast", "-w", "stop"]);
  return { bin, dir, port, psql, stop };
}

/** A receiver on the team's database as the writer role; resolves with its URL. */
async function startReceiver(port) {
  const child = spawn(
    "timeout",
    ["600", RECEIVER_BIN, "serve", "--database", `postgres://calleague_writer@127.0.0.1:${port}/calleague`, "--bind", "127.0.0.1:0"],
    { env: { ...process.env, CALLEAGUE_API_KEY: KEY, PGPASSWORD: "change-me-writer" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  return { child, url: await listeningUrl(child, "the receiver") };
}

/** The notes this app showed: {summary, body}. */
const ours = () => notes().filter((n) => n.app === "Calleague Monitor");

/** Every file under `dir` whose bytes contain `text`. */
function filesContaining(dir, text) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path);
    if (info.isDirectory()) found.push(...filesContaining(path, text));
    else if (info.isFile() && readFileSync(path).includes(text)) found.push(path);
  }
  return found;
}

describe("team mode", () => {
  let pg;
  let receiver;
  let app;
  let dataDir;
  const address = () => `postgres://calleague_viewer@127.0.0.1:${pg.port}/calleague`;

  let simulator;

  before(async () => {
    assert.ok(RECEIVER_BIN && existsSync(RECEIVER_BIN), `CALLEAGUE_RECEIVER names the receiver binary (${RECEIVER_BIN})`);
    // A simulator of this file's own, with the receivers' key: the account, for the calls
    // with recordings at the end (sim.mjs's helpers read these, in this process only).
    simulator = spawn("timeout", ["600", process.env.CALLEAGUE_SIM, "serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http", "--time-scale", "25"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    process.env.SIM_URL = await listeningUrl(simulator, "the simulator");
    process.env.SIM_KEY = KEY;
    pg = await startPostgres();
    pg.psql("postgres", "CREATE DATABASE calleague");
    pg.psql("calleague", rolesSql());
    receiver = await startReceiver(pg.port);
    dataDir = mkdtempSync(join(process.env.E2E_WORK ?? tmpdir(), "team-"));
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
  });

  after(async () => {
    await app?.close();
    simulator?.kill();
    receiver?.child.kill();
    pg?.stop();
  });

  /** A delivery to the receiver, as Calleague sends one; resolves when acknowledged. */
  async function deliver(event, deliveryId, data) {
    const body = { event, deliveryId, occurredAt: new Date().toISOString(), data };
    const reply = await fetch(receiver.url, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(reply.status, 200, `${event} ${deliveryId}: ${reply.status} ${await reply.text()}`);
  }

  test("a wrong password is refused with the database's reason, and nothing is kept", async () => {
    await app.waitFor("the team form", () => app.find("#team-database"));
    // Unencrypted to another computer: refused before anything is sent, the way out named.
    await app.type("#team-database", "postgres://calleague_viewer@db.example.com:5432/calleague?sslmode=disable");
    await app.click("[data-testid=team-form] button[type=submit]");
    const plain = await app.waitFor("the refusal of plaintext", () => app.text("[role=alert]"));
    assert.match(plain, /unencrypted/);
    assert.match(plain, /Connect without encryption/);
    await app.screenshot(join(SHOTS, "team-connect-plaintext-refused.png"));
    await app.type("#team-database", address());
    await app.type("#team-password", "not-the-password");
    await app.click("[data-testid=team-form] button[type=submit]");
    const said = await app.waitFor("the refusal", () => app.text("[role=alert]"));
    assert.match(said, /Cannot watch the team's database/);
    assert.match(said, /password authentication failed/);
    await app.screenshot(join(SHOTS, "team-connect-refused.png"));
  });

  test("connected with the viewer's password, a delivered call is on the window within a second", async () => {
    await app.empty("#team-password");
    await app.type("#team-password", VIEWER_PASSWORD);
    await app.click("[data-testid=team-form] button[type=submit]");
    await app.waitFor("watching the team's database", async () => (await app.text("[data-testid=receiver-state]")).startsWith("Watching"));
    assert.equal(await app.text("[data-testid=receiver-state]"), `Watching ${address()}`);
    assert.ok(await app.find("[data-testid=team-badge]"));
    await deliver("call.started", "dl_team_1", { callId: "cl_team_1", agentId: "ag_team", direction: "inbound" });
    const acknowledged = Date.now();
    let seenAfter = null;
    for (let i = 0; i < 200 && seenAfter === null; i++) {
      const ids = await app.exec("return [...document.querySelectorAll('[data-testid=call-row]')].map(r => r.dataset.callId)");
      if (ids.includes("cl_team_1")) seenAfter = Date.now() - acknowledged;
      else await sleep(20);
    }
    assert.notEqual(seenAfter, null, "the call reached the window");
    console.log(`team mode: the call was on the window ${seenAfter} ms after the receiver acknowledged it`);
    assert.ok(seenAfter < 1000, `on the window within a second (took ${seenAfter} ms)`);
    await app.screenshot(join(SHOTS, "team-timeline.png"));
  });

  test("a failure is notified once on this desktop, however often it is delivered", async () => {
    const from = ours().length;
    const failed = { callId: "cl_team_1", agentId: "ag_team", endedReason: "customer-busy" };
    await deliver("call.failed", "dl_team_2", failed);
    for (let i = 0; i < 100 && ours().length === from; i++) await sleep(100);
    await deliver("call.failed", "dl_team_2", failed);
    await deliver("call.failed", "dl_team_2_again", failed);
    await sleep(4000);
    const got = ours().slice(from);
    assert.deepEqual(got.map((n) => n.summary), ["Call failed: ag_team"], JSON.stringify(got));
    await app.waitFor("the call failed on the window", async () =>
      (await app.exec("return document.querySelector('[data-call-id=cl_team_1]')?.dataset.phase")) === "failed");
  });

  test("a call's details and the overview are read from the team's database", async () => {
    await deliver("recording.ready", "dl_team_rec", { callId: "cl_team_1", recordingId: "rec_team_1" });
    await app.click("[data-call-id=cl_team_1]");
    const events = await app.waitFor("the call's events", async () => {
      const text = await app.text("[data-testid=details] [data-testid=events]").catch(() => "");
      return text.includes("call.failed") ? text : null;
    });
    assert.match(events, /call\.started/);
    // The recording is Calleague's, served to the account's key: named, not fetched.
    const media = await app.waitFor("the recording's note", () => app.text("[data-testid=media-unavailable]").catch(() => null));
    assert.match(media, /rec_team_1/);
    await app.screenshot(join(SHOTS, "team-details.png"));
    await app.exec("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); return true");
    await app.click("[data-testid=page-overview]");
    // Four deliveries (one of them sent twice) and one failed call, as delivered above.
    await onScreen(app, "the overview's numbers", {
      "overview-total": "1",
      "overview-failed": "1",
      "health-webhooks": "4",
      "health-duplicates": "1",
    });
    await app.screenshot(join(SHOTS, "team-overview.png"));
    await app.click("[data-testid=page-calls]");
  });

  test("the viewer cannot write: the database refuses it", async () => {
    const asViewer = (...sql) => {
      try {
        execFileSync(`${pg.bin}/psql`, ["-X", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "calleague_viewer", "-d", "calleague", "-v", "ON_ERROR_STOP=1",
          ...sql.flatMap((s) => ["-c", s])], { env: { ...process.env, PGPASSWORD: VIEWER_PASSWORD }, encoding: "utf8", stdio: "pipe" });
        return "";
      } catch (e) {
        return String(e.stderr);
      }
    };
    // Its sessions are read-only by the role's default; and with that turned off (any
    // session may), the grants refuse it.
    assert.match(asViewer("DELETE FROM calls"), /read-only transaction/);
    assert.match(asViewer("SET default_transaction_read_only = off", "DELETE FROM calls"), /permission denied for table calls/);
    assert.equal(pg.psql("calleague", "SELECT count(*) FROM calls WHERE call_id = 'cl_team_1'").trim(), "1");
  });

  test("the password is in no file and on no screen; the settings say where the data comes from", async () => {
    await app.click("[data-testid=page-settings]");
    const section = await app.waitFor("the team section", () => app.text("[data-testid=account-settings]"));
    assert.match(section, /Team database/);
    assert.ok(section.includes(address()), section);
    assert.equal(await app.exec("return document.querySelector('[data-testid=page-subscriptions]')"), null);
    await app.screenshot(join(SHOTS, "team-settings.png"));
    const shown = await app.exec("return document.body.innerText");
    assert.ok(!shown.includes(VIEWER_PASSWORD), "the password is not shown");
    const roots = [dataDir, process.env.XDG_CONFIG_HOME, process.env.XDG_CACHE_HOME].filter(Boolean);
    for (const root of roots) assert.deepEqual(filesContaining(root, VIEWER_PASSWORD), [], `no file under ${root} holds the password`);
  });

  test("after a restart it watches again with the password from the keychain, and sums up the failures it missed", async () => {
    await app.close();
    // While the app is closed, the receivers go on: a call fails.
    const from = ours().length;
    await deliver("call.failed", "dl_team_night", { callId: "cl_team_night", agentId: "ag_night", endedReason: "no-answer" });
    app = await Session.start(DRIVER, process.env.CALLEAGUE_APP, {}, ["--data-dir", dataDir]);
    await app.waitFor("watching again", async () => (await app.text("[data-testid=receiver-state]").catch(() => "")).startsWith("Watching"), 30000);
    for (let i = 0; i < 100 && ours().length === from; i++) await sleep(100);
    await sleep(3000);
    const got = ours().slice(from);
    assert.deepEqual(got.map((n) => [n.summary, n.body]), [["1 call failed while Calleague Monitor was closed", "Agents: ag_night (1)"]], JSON.stringify(got));
    await app.waitFor("the call from before", async () =>
      (await app.exec("return [...document.querySelectorAll('[data-testid=call-row]')].map(r => r.dataset.callId)")).includes("cl_team_1"));
    await deliver("call.started", "dl_team_3", { callId: "cl_team_3", agentId: "ag_team" });
    await app.waitFor("a new call, live", async () =>
      (await app.exec("return [...document.querySelectorAll('[data-testid=call-row]')].map(r => r.dataset.callId)")).includes("cl_team_3"));
  });

  test("an export writes the team's calls, from its database", async () => {
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the export form", () => app.find("[data-testid=export-start]"));
    await app.set("[data-testid=export-format]", "ndjson");
    const target = join(mkdtempSync(join(process.env.E2E_WORK ?? tmpdir(), "team-export-")), "calls.ndjson");
    await app.click("[data-testid=export-start]");
    answerSaveDialog("Export", target);
    const done = await app.waitFor("the export", () => app.text("[data-testid=export-done]"));
    assert.equal(done, `Exported 3 rows to ${target}`);
    const rows = readFileSync(target, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(rows.map((r) => [r.callId, r.phase]), [["cl_team_1", "failed"], ["cl_team_night", "failed"], ["cl_team_3", "started"]]);
    const shot = await app.exec("document.querySelector('[data-testid=export]').scrollIntoView(); return true");
    assert.ok(shot);
    await app.screenshot(join(SHOTS, "team-export.png"));
  });

  test("with the account's API key added, a call's recording and transcript play from Calleague", async () => {
    // The account's calls reach the team's receiver, which writes them into the database.
    await sim("POST", "/api/core/webhook", { url: receiver.url, events: ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"] });
    await sim("POST", "/sim/calls", { calls: 1, rate: 1, failedShare: 0, minDurationSec: 20, maxDurationSec: 20, agents: ["ag_media"], recordings: true, transcripts: true });
    await settle();
    const [call] = (await sim("GET", "/sim/calls")).list.filter((c) => c.agentId === "ag_media");
    assert.ok(call?.recordingId && call?.transcriptId, "a call with a recording and a transcript");
    await app.click("[data-testid=page-settings]");
    await app.waitFor("the key form", () => app.find("[data-testid=team-key-input]"));
    await app.type("[data-testid=team-key-input]", KEY);
    await app.click("[data-testid=team-key-form] button.link");
    await app.waitFor("the API address field", () => app.find("[data-testid=team-api-base]"));
    await app.empty("[data-testid=team-api-base]");
    await app.type("[data-testid=team-api-base]", process.env.SIM_URL);
    await app.click("[data-testid=team-key-save]");
    const kept = await app.waitFor("the key, masked", () => app.text("[data-testid=team-key]").catch(() => null));
    assert.ok(kept.includes(KEY.slice(-4)) && !kept.includes(KEY), kept);
    await app.exec("document.querySelector('[data-testid=account-settings]').scrollIntoView(); return true");
    await app.screenshot(join(SHOTS, "team-settings-key.png"));
    await app.click("[data-testid=page-calls]");
    await app.waitFor("the call's row", async () => (await app.findAll(`[data-call-id="${call.callId}"]`)).length === 1);
    await app.click(`[data-call-id="${call.callId}"]`);
    const recording = await sim("GET", `/api/core/recording/${call.recordingId}`);
    const seconds = await app.waitFor("the recording's duration", async () => {
      const d = await app.exec("return document.querySelector('[data-testid=audio]')?.duration");
      return Number.isFinite(d) && d > 0 ? d : null;
    });
    assert.ok(Math.abs(seconds - recording.durationSec) < 0.1, `audio ${seconds} s, recording ${recording.durationSec} s`);
    const transcript = await sim("GET", `/api/core/transcript/${call.transcriptId}`);
    await app.waitFor("the transcript", async () => (await app.findAll("[data-testid=transcript] li")).length === transcript.segments.length);
    await app.screenshot(join(SHOTS, "team-details-media.png"));
    assert.equal(await app.exec("return document.querySelector('[data-testid=media-unavailable]')"), null);
  });

  test("the team's dimensions, chosen with the receiver's command, are the window's menus and groupings", async () => {
    await deliver("call.started", "dl_team_dim_1", { callId: "cl_team_dim_1", agentId: "ag_dim", metadata: { campaign: "spring" } });
    await deliver("call.started", "dl_team_dim_2", { callId: "cl_team_dim_2", agentId: "ag_dim", metadata: { campaign: "spring" } });
    await deliver("call.failed", "dl_team_dim_3", { callId: "cl_team_dim_3", agentId: "ag_dim", metadata: { campaign: "autumn" } });
    // Chosen once for the fleet, by the operator, with the writer's role.
    const chosen = execFileSync(RECEIVER_BIN, ["dimensions", "--database", `postgres://calleague_writer@127.0.0.1:${pg.port}/calleague`, "campaign"], {
      env: { ...process.env, PGPASSWORD: "change-me-writer" },
      encoding: "utf8",
    });
    assert.equal(chosen, "campaign\tready\n");
    // Settings → Data: the team's field, nothing to change here.
    await app.click("[data-testid=page-calls]");
    await app.click("[data-testid=page-settings]");
    const listed = await app.waitFor("the team's dimension", () => app.text("[data-testid=dimension-campaign]").catch(() => null));
    assert.equal(listed, "campaignread from the team's calls");
    assert.equal(await app.exec("return document.querySelector('[data-testid=dimension-field]')"), null);
    await app.exec("document.querySelector('[data-testid=dimensions]').scrollIntoView(); return true");
    await app.screenshot(join(SHOTS, "team-dimensions.png"));
    // The timeline's menu of the field, with each value's calls.
    await app.click("[data-testid=page-calls]");
    const menu = () => app.exec("const s = document.querySelector('[data-testid=facet-metadata-campaign]'); return s && [...s.options].map((o) => o.textContent);");
    await app.waitFor("the campaign's menu", async () => JSON.stringify(await menu()) === JSON.stringify(["campaign: any", "campaign: spring (2)", "campaign: autumn (1)"]), 30000);
    // The Agents page grouped by it: the agent's calls by campaign, from the team's calls.
    await app.click("[data-testid=page-agents]");
    await app.waitFor("campaign offered", async () => (await app.exec("return [...(document.querySelector('[data-testid=agents-by]')?.options ?? [])].map((o) => o.value)")).includes("metadata.campaign"));
    await app.set("[data-testid=agents-by]", "metadata.campaign");
    await app.waitFor("ag_dim by campaign", async () => {
      const values = await app.exec(`
        const row = document.querySelector('[data-testid=agent-values][data-agent=ag_dim]');
        return row && [...row.querySelectorAll('[data-testid=agent-value]')].map((v) => [v.dataset.value, Number(v.dataset.calls), Number(v.dataset.failed)]);
      `);
      if (JSON.stringify(values) !== JSON.stringify([["spring", 2, 0], ["autumn", 1, 1]])) throw new Error(`ag_dim: ${JSON.stringify(values)}`);
      return true;
    });
    await app.screenshot(join(SHOTS, "team-agents-by-campaign.png"));
  });
});
