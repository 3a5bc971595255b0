// The subscription form's draft: what its fields hold, what the engine takes, the checks
// shown by the field before anything is sent (the engine and the API check again), and
// the words for what the diagnosis found.
import type { AppError, Subscription, SubscriptionDraft, SubscriptionProblem } from "../ipc";
import { isAppError } from "../ipc";
import { KNOWN_EVENTS, list } from "../settings/notificationDraft";

export { KNOWN_EVENTS };

/** `confirmPrivate`: the user confirmed a private, link-local or loopback host, which the
 * engine refuses until then (its refusal names the field `confirmPrivate`). */
export type Draft = { url: string; events: string[]; otherEvents: string; confirmPrivate: boolean };
export type Field = "url" | "events" | "otherEvents" | "confirmPrivate";
export type FieldError = { field: Field | null; message: string };

/** A new subscription: every event the timeline and notifications use. */
export const EMPTY: Draft = { url: "", events: [...KNOWN_EVENTS], otherEvents: "", confirmPrivate: false };

export function draftOf(s: Subscription): Draft {
  return {
    url: s.url,
    events: s.events.filter((e) => KNOWN_EVENTS.includes(e)),
    otherEvents: s.events.filter((e) => !KNOWN_EVENTS.includes(e)).join(", "),
    confirmPrivate: false,
  };
}

export function draftToSend(d: Draft): SubscriptionDraft {
  return { url: d.url.trim(), events: [...d.events, ...list(d.otherEvents)], confirmPrivate: d.confirmPrivate };
}

/** The first thing wrong that can be seen without asking anyone. */
export function checkDraft(d: Draft): FieldError | null {
  const url = d.url.trim();
  if (!url) return { field: "url", message: "Enter the address Calleague should deliver to." };
  if (!/^https?:\/\/[^/\s]+/.test(url)) return { field: "url", message: "The address must start with https://" };
  const bad = list(d.otherEvents).find((e) => !/^[A-Za-z0-9_.-]+$/.test(e));
  if (bad) return { field: "otherEvents", message: `"${bad}" is not an event name: names look like call.failed.` };
  if (d.events.length === 0 && list(d.otherEvents).length === 0) return { field: "events", message: "Choose at least one event." };
  return null;
}

/** An engine error shown by the field it names (the client's checks and the API's 422). */
export function fieldErrorOf(e: unknown, d: Draft): FieldError | null {
  if (!isAppError(e)) return null;
  const err = e as AppError;
  if (err.field === "url") return { field: "url", message: err.message };
  if (err.field === "confirmPrivate") return { field: "confirmPrivate", message: err.message };
  if (err.field === "events") return { field: list(d.otherEvents).length ? "otherEvents" : "events", message: err.message };
  return null;
}

/** The banner's words for a problem, and its fix button's. */
export function problemText(p: SubscriptionProblem): { text: string; fix: string | null } {
  switch (p.kind) {
    case "noPublicUrl":
      return { text: "No public address is set, so no subscription can send to this computer.", fix: null };
    case "noneHere":
      return { text: `No subscription sends to this computer (${p.url}).`, fix: "Subscribe this computer" };
    case "missingEvents":
      return { text: `Subscribed without ${p.missing.join(", ")}: those events never reach this computer.`, fix: `Add ${p.missing.join(", ")}` };
  }
}

/** Short, for the status bar. */
export function problemShort(p: SubscriptionProblem): string {
  switch (p.kind) {
    case "noPublicUrl":
      return "No public address";
    case "noneHere":
      return "No subscription sends here";
    case "missingEvents":
      return `Subscribed without ${p.missing.join(", ")}`;
  }
}
