// Steps that several tests and the UI benchmark take through the window.

/** Fills the welcome screen's account form: the key, and the API address under "advanced". */
export async function fillAccountForm(app, key, apiBase) {
  await app.waitFor("the key field", () => app.find("#api-key"));
  await app.type("#api-key", key);
  await app.click("button.link");
  await app.waitFor("the API address field", () => app.find("#api-base"));
  await app.type("#api-base", apiBase);
}

/** Connects the account and waits until the receiver is up. */
export async function connectAccount(app, key, apiBase) {
  await fillAccountForm(app, key, apiBase);
  await app.click("button.primary");
  // WebKitWebDriver drops a click now and then under Xvfb (seen once in a full run: the
  // welcome form still there, its button idle): clicked again while it still says Connect.
  await app.waitFor("the receiver", async () => {
    const state = await app.text("[data-testid=receiver-state]").catch(() => "");
    if (state.startsWith("Receiving on")) return true;
    const idle = await app.exec(
      "const b = document.querySelector('.welcome button.primary'); return Boolean(b && !b.disabled && b.textContent === 'Connect')",
    );
    if (idle) await app.click("button.primary");
    return false;
  });
}

/** Every row of the virtualized list, scrolled through top to bottom: callId -> phase. */
export async function rowsOnScreen(app) {
  const seen = {};
  await app.exec("document.querySelector('[data-testid=timeline]').scrollTop = 0");
  for (let i = 0; i < 200; i++) {
    const batch = await app.exec(`
      const list = document.querySelector('[data-testid=timeline]');
      const rows = [...list.querySelectorAll('[data-testid=call-row]')].map(r => [r.dataset.callId, r.dataset.phase]);
      const end = list.scrollTop + list.clientHeight >= list.scrollHeight - 2;
      list.scrollTop += list.clientHeight * 0.8;
      return { rows, end };
    `);
    for (const [id, phase] of batch.rows) seen[id] = phase;
    if (batch.end) break;
    await new Promise((r) => setTimeout(r, 120));
  }
  await app.exec("document.querySelector('[data-testid=timeline]').scrollTop = 0");
  return seen;
}

/** Waits until every `data-testid` in `expected` shows its text at once; on time-out the
 *  error names what was on screen. */
export async function onScreen(app, what, expected, ms) {
  await app.waitFor(what, async () => {
    const seen = {};
    for (const id of Object.keys(expected)) seen[id] = await app.text(`[data-testid=${id}]`);
    if (JSON.stringify(seen) !== JSON.stringify(expected)) throw new Error(`on screen ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
    return true;
  }, ms);
}
