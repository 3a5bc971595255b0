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
  await app.waitFor("the receiver", async () => (await app.text("[data-testid=receiver-state]")).startsWith("Receiving on"));
}
