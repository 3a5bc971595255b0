// The native side of the desktop under Xvfb, which WebDriver cannot reach: a GTK file
// dialog answered with xdotool (XTEST key events, as a person's keyboard), and the notes
// the notification server was asked to show.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

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

/** Every Notify call in the notification server's log (python3-dbusmock's, NOTIFY_LOG),
 * in order: {id, app, summary, body}. The server numbers notes from 1 in the order it gets
 * them, so the index gives each one's id. */
export function notes() {
  let text = "";
  try {
    text = readFileSync(process.env.NOTIFY_LOG, "utf8");
  } catch {
    return [];
  }
  const entries = text.split(/\n(?=\d+\.\d+ )/).filter((e) => / Notify "/.test(e));
  return entries.map((entry, i) => {
    const strings = [...entry.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    return { id: i + 1, app: strings[0], summary: strings[2], body: strings[3] };
  });
}

/** The mock server, told to raise the ActionInvoked signal a click on note `id` raises. */
export function clickNote(id) {
  execFileSync("timeout", ["10", "/usr/bin/python3", "-c", `
import dbus
bus = dbus.SessionBus()
server = bus.get_object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
server.EmitSignal("org.freedesktop.Notifications", "ActionInvoked", "us", [dbus.UInt32(${id}), "default"],
                  dbus_interface="org.freedesktop.DBus.Mock")
`]);
}
