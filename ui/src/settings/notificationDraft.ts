// The notification form's draft: what the fields hold, what the engine takes, and the
// checks shown by the field before anything is sent (the engine checks again).
import type { AlertSettings } from "../ipc";

/** The events Calleague sends today; a name it adds later goes in "Other events". */
export const KNOWN_EVENTS = ["call.failed", "call.completed", "call.started", "call.connected", "recording.ready", "transcript.ready"];

export type Draft = { enabled: boolean; events: string[]; otherEvents: string; endedReasons: string; metadataField: string };

export function draftOf(s: AlertSettings): Draft {
  return {
    enabled: s.enabled,
    events: s.events.filter((e) => KNOWN_EVENTS.includes(e)),
    otherEvents: s.events.filter((e) => !KNOWN_EVENTS.includes(e)).join(", "),
    endedReasons: s.endedReasons.join(", "),
    metadataField: s.metadataField ?? "",
  };
}

export const list = (text: string) =>
  text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

/** What the draft asks for, as the engine takes it (the pause stays as it is). */
export function settingsOf(d: Draft, pause: AlertSettings["pause"]): AlertSettings {
  return {
    enabled: d.enabled,
    events: [...d.events, ...list(d.otherEvents)],
    endedReasons: list(d.endedReasons),
    metadataField: d.metadataField.trim() || null,
    pause,
  };
}

/** The field a message is about, to show it there; checked again by the engine. */
export function checkDraft(d: Draft): { field: "events" | "otherEvents"; message: string } | null {
  const bad = list(d.otherEvents).find((e) => !/^[a-z0-9_]+\.[a-z0-9_]+$/.test(e));
  if (bad) return { field: "otherEvents", message: `"${bad}" is not an event name: names look like call.failed.` };
  if (d.enabled && d.events.length === 0 && list(d.otherEvents).length === 0 && list(d.endedReasons).length === 0)
    return { field: "events", message: "Choose at least one event or ended reason to be notified of, or switch notifications off." };
  return null;
}
