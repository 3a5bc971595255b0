// The native side of the desktop under Xvfb, which WebDriver cannot reach: a GTK file
// dialog answered with xdotool (XTEST key events, as a person's keyboard).
import { execFileSync } from "node:child_process";

function xdotool(...args) {
  return execFileSync("timeout", ["20", "xdotool", ...args], { encoding: "utf8" }).trim();
}

/** Waits for the GTK dialog titled `title`, types `path` as the file name, and confirms. */
export function answerSaveDialog(title, path) {
  // --sync waits until the dialog is mapped; there is no window manager to focus it.
  const id = xdotool("search", "--sync", "--onlyvisible", "--name", `^${title}$`).split("\n")[0];
  xdotool("windowfocus", "--sync", id);
  // The name field has the focus and the suggested name selected: replace it with a full path.
  xdotool("key", "--clearmodifiers", "ctrl+a");
  xdotool("type", "--delay", "8", path);
  xdotool("key", "Return");
}
