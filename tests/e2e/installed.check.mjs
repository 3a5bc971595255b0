// The app as a user installed it (/usr/bin/calleague-monitor from the .deb), not a build:
// it opens on the welcome screen. Run by `cargo xtask package-test`, not with the tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";

test("the installed app opens on the welcome screen", async () => {
  assert.equal(process.env.CALLEAGUE_APP, "/usr/bin/calleague-monitor");
  const app = await Session.start(process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444", process.env.CALLEAGUE_APP);
  try {
    await app.waitFor("the welcome screen", () => app.find("#api-key"));
    const text = await app.exec("return document.body.innerText");
    assert.match(text, /Calleague Monitor/);
    assert.match(text, /Start the demo/);
    const logo = await app.exec("const img = document.querySelector('img.logo'); return img && img.complete && img.naturalWidth");
    assert.ok(logo > 0, "the app's mark is shown");
    await app.screenshot(join(process.env.SCREENSHOT_DIR, "installed-app.png"));
    // The desktop entry names the window's class, so that docks group the window with
    // its launcher.
    const window = execFileSync("timeout", ["10", "xdotool", "search", "--onlyvisible", "--name", "^Calleague Monitor$"], { encoding: "utf8" }).trim().split("\n")[0];
    const wmClass = execFileSync("timeout", ["10", "xprop", "-id", window, "WM_CLASS"], { encoding: "utf8" });
    const entry = readFileSync("/usr/share/applications/Calleague Monitor.desktop", "utf8");
    const startupClass = entry.match(/^StartupWMClass=(.+)$/m)?.[1];
    assert.ok(startupClass && wmClass.includes(`"${startupClass}"`), `StartupWMClass=${startupClass}, window ${wmClass.trim()}`);
  } finally {
    await app.close();
  }
});
