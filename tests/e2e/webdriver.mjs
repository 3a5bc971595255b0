// A small W3C WebDriver client over fetch: enough to drive the app through tauri-driver
// without pulling a browser-automation framework (and its Node.js version demands) in.

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** WebDriver's codes of the keys the tests press. */
const KEYS = { Tab: "\uE004", Enter: "\uE007", Escape: "\uE00C", Shift: "\uE008", Control: "\uE009", Space: " ", ArrowUp: "\uE013", ArrowDown: "\uE015", ArrowLeft: "\uE012", ArrowRight: "\uE014", Home: "\uE011", End: "\uE010" };

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application, _env = {}, args = []) {
    webhooksOnlyUnlessSaid(args);
    const body = {
      capabilities: {
        alwaysMatch: { "tauri:options": { application, args }, browserName: "wry" },
      },
    };
    const reply = await call(base, "POST", "/session", body);
    return new Session(base, reply.sessionId ?? reply.value.sessionId);
  }

  async cmd(method, path, body) {
    return (await call(this.base, method, `/session/${this.id}${path}`, body)).value;
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return Object.values(value)[0];
  }

  async findAll(css) {
    const value = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return value.map((v) => Object.values(v)[0]);
  }

  async click(css) {
    const el = await this.find(css);
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  /** Presses keys as the keyboard would (WebDriver actions: real key events, so Tab moves
   *  the focus): names from KEYS ("Tab", "Enter", "Escape", "ArrowDown", …) or characters;
   *  ["Shift", "Tab"] as one entry presses them together. */
  async keys(...presses) {
    const actions = [];
    for (const press of presses) {
      const held = (Array.isArray(press) ? press : [press]).map((k) => KEYS[k] ?? k);
      for (const k of held) actions.push({ type: "keyDown", value: k });
      for (const k of [...held].reverse()) actions.push({ type: "keyUp", value: k });
    }
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  /** Replaces the field's text: typed as key presses, so the page's own handlers run. */
  async type(css, text) {
    if (text === "") return this.empty(css);
    // Emptied the way React notices, not with WebDriver's clear: that sets the value in a
    // way React's value tracker may not see as a change, and React then puts the old text
    // back before the keys arrive (a field held "878733431" after "33431" was typed into
    // its "8787"; a CI run's field never held its "512").
    const el = await this.find(css);
    await this.empty(css);
    await this.waitFor(`${css} to be empty`, () => this.exec("return document.querySelector(arguments[0])?.value === ''", [css]), 5000);
    await this.cmd("POST", `/element/${el}/value`, { text });
    // WebKitWebDriver can answer before the page has handled every key press, and a click
    // (dispatched another way) may then overtake the last keys: wait until the field
    // holds what was typed, and say what it held if it does not (a password field's
    // length only: a key is never written to the log).
    await this.waitFor(`${css} to hold what was typed`, async () => {
      const [held, secret] = await this.exec("const el = document.querySelector(arguments[0]); return [el?.value ?? null, el?.type === 'password']", [css]);
      if (held === text) return true;
      throw new Error(secret ? `it held ${held?.length} characters of ${text.length}` : `it held ${JSON.stringify(held)}, not ${JSON.stringify(text)}`);
    }, 5000);
  }

  /** Empties a field the way React notices: the native setter, then an input event. */
  async empty(css) {
    await this.set(css, "");
  }

  /**
   * Sets an input's or a select's value the way React notices (the native setter, then the
   * events a person's change fires): for controls WebDriver cannot type into, such as
   * `<select>` and `datetime-local`.
   */
  async set(css, value) {
    // Read back after React has rendered: a controlled field that did not take the change
    // shows its old value again (a CI run's overview range stayed "24h" after "1h" was set
    // once), and is set again, a few times, before the wait says what it held.
    let held;
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.exec(
        `const el = document.querySelector(arguments[0]);
         const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
         Object.getOwnPropertyDescriptor(proto, "value").set.call(el, arguments[1]);
         el.dispatchEvent(new Event("input", { bubbles: true }));
         el.dispatchEvent(new Event("change", { bubbles: true }));`,
        [css, value],
      );
      await new Promise((r) => setTimeout(r, 150 * (attempt + 1)));
      // A date-time may read back in another spelling of the same minute ("…T10:00" for "…T10:00:00").
      const [now, same] = await this.exec(
        `const el = document.querySelector(arguments[0]);
         if (!el) return [null, false];
         const same = el.value === arguments[1] || (el.type === "datetime-local" && el.value !== "" && new Date(el.value).getTime() === new Date(arguments[1]).getTime());
         return [el.value, same];`,
        [css, value],
      );
      held = now;
      if (same) return;
    }
    throw new Error(`${css} held ${JSON.stringify(held)} after ${JSON.stringify(value)} was set five times`);
  }

  async text(css) {
    const el = await this.find(css);
    const text = await this.cmd("GET", `/element/${el}/text`);
    // WebKitWebDriver leaves out the text of any element cut with "…" (overflow: hidden, as
    // long values are), inside the one asked for too: then what the page renders, from
    // innerText, which has it all.
    const inner = await this.exec("return document.querySelector(arguments[0])?.innerText ?? ''", [css]);
    const letters = (t) => t.replace(/\s+/g, "").length;
    return letters(inner) > letters(text) ? inner.trim() : text;
  }

  async attr(el, name) {
    return this.cmd("GET", `/element/${el}/attribute/${name}`);
  }

  async exec(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs `script` with a `done` callback as its last argument, and returns what it passes. */
  async execAsync(script, args = []) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  async screenshot(path) {
    // WebKitGTK paints asynchronously: let the last change reach the screen first.
    await new Promise((r) => setTimeout(r, 600));
    // WebKitWebDriver's snapshot waits for the next paint, and WebKitGTK's non-DMA-BUF
    // renderer (the app's default) paints nothing while the page is still: on a static
    // screen the request never returns. Invalidate for a couple of seconds so one comes.
    await this.exec(`let n = 0;
      const f = () => {
        document.body.style.opacity = n % 2 ? "0.999" : "1";
        if (++n < 120) requestAnimationFrame(f);
        else document.body.style.opacity = "";
      };
      requestAnimationFrame(f);`);
    const png = await this.cmd("GET", "/screenshot");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(path, Buffer.from(png, "base64"));
  }

  /** Polls `probe` until it returns a truthy value or `ms` pass. */
  async waitFor(what, probe, ms = 20000) {
    const until = Date.now() + ms;
    let last;
    while (Date.now() < until) {
      try {
        last = await probe();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what} (last: ${last})${await this.scene(what)}`);
  }

  /** What the window showed when a wait timed out, for the failure's message (CI keeps
   *  only the log): the start of the page's text, and a screenshot beside the others. */
  async scene(what) {
    // At most ten seconds each; a late failure is swallowed, not left unhandled.
    const bounded = (promise) => Promise.race([promise.catch(() => null), new Promise((r) => setTimeout(() => r(null), 10000))]);
    let said = "";
    try {
      const text = await bounded(this.exec("return document.body.innerText.replace(/\\s+/g, ' ').slice(0, 600)"));
      if (text) said += `\n  the window read: ${text}`;
      const dir = process.env.SCREENSHOT_DIR;
      if (dir) {
        const { join } = await import("node:path");
        const file = join(dir, `timed-out-${what.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`);
        if ((await bounded(this.screenshot(file).then(() => true))) === true) said += `\n  screen: ${file}`;
      }
    } catch {
      // The window may be gone: the time-out says enough then.
    }
    return said;
  }

  /** Ends the session, then waits until the app has let go of the receiver's default port,
   *  so the next test's app can bind it. */
  async close() {
    try {
      await call(this.base, "DELETE", `/session/${this.id}`);
    } catch {
      // the app may already be gone
    }
    const { connect } = await import("node:net");
    for (let i = 0; i < 100; i++) {
      const open = await new Promise((resolve) => {
        const socket = connect(8787, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
      });
      if (!open) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function call(base, method, path, body) {
  // A WebDriver command that hangs fails the test in a minute with its name, instead of
  // holding the run for undici's five-minute default.
  const reply = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  }).catch((e) => {
    throw new Error(`${method} ${path}: ${e.name === "TimeoutError" ? "no answer in 60 s" : e.message}`);
  });
  const json = await reply.json();
  if (!reply.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json).slice(0, 400)}`);
  }
  return json;
}

/**
 * The profile in `args`' `--data-dir`, unless the test wrote settings of its own, reads no
 * calls from the REST API: every test's app shares the simulator's one account, and the REST
 * source would show each app every test's calls (sources.test.mjs tests the REST source).
 */
function webhooksOnlyUnlessSaid(args) {
  const at = args.indexOf("--data-dir");
  if (at < 0) return;
  const settings = join(args[at + 1], "settings.json");
  if (!existsSync(settings)) writeFileSync(settings, JSON.stringify({ sources: { pollEverySecs: 0, reconcileEveryMinutes: 0 } }));
}
