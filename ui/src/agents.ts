// The account's agents by name, one copy per window: read from the store (which the engine
// keeps fresh from the REST API) when the app starts, every minute, and soon after a call
// of an agent not seen yet arrives. Every place that shows an agent asks `label` here; an
// agent with no name (or one the API does not know) shows its id.
import { useEffect, useSyncExternalStore } from "react";
import { api, type AgentName } from "./ipc";
import { useFeed } from "./feed";

/** An id seen in a call but not here is asked for again at most this often. */
const UNSEEN_AGAIN_MS = 5_000;
const REREAD_MS = 60_000;

type Directory = { names: ReadonlyMap<string, string>; known: ReadonlySet<string> };

let directory: Directory = { names: new Map(), known: new Set() };
let readAt = 0;
let reading = false;
/** A read after an unseen id is scheduled. */
let pending = false;
const subscribers = new Set<() => void>();

function subscribe(listener: () => void) {
  subscribers.add(listener);
  return () => subscribers.delete(listener);
}

/** Reads the names again (one read at a time; a failure leaves the ids showing). */
export function reloadAgents(): Promise<void> {
  if (reading) return Promise.resolve();
  reading = true;
  readAt = Date.now();
  return api.agents().then(
    (answer: AgentName[] | null) => {
      reading = false;
      const agents = Array.isArray(answer) ? answer : [];
      directory = {
        names: new Map(agents.filter((a) => a.name).map((a) => [a.agentId, a.name as string])),
        known: new Set(agents.map((a) => a.agentId)),
      };
      for (const listener of [...subscribers]) listener();
    },
    () => {
      reading = false;
    },
  );
}

/** For tests: forget what was read. */
export function forgetAgents() {
  directory = { names: new Map(), known: new Set() };
  readAt = 0;
  reading = false;
  pending = false;
  wanted.clear();
  for (const listener of [...subscribers]) listener();
}

export type AgentLabels = {
  /** The agent's name, or null when the store has none. */
  name: (id: string | null | undefined) => string | null;
  /** What to show for an agent: its name, else its id, else "unknown agent". */
  label: (id: string | null | undefined) => string;
};

function labelsOf(d: Directory): AgentLabels {
  const name = (id: string | null | undefined) => (id ? (d.names.get(id) ?? null) : null);
  return { name, label: (id) => name(id) ?? id ?? "unknown agent" };
}

let labels = labelsOf(directory);
let labelled = directory;

/** The names, re-rendering when they change. */
export function useAgentLabels(): AgentLabels {
  const d = useSyncExternalStore(subscribe, () => directory);
  if (d !== labelled) {
    labelled = d;
    labels = labelsOf(d);
  }
  return labels;
}

/**
 * Keeps the names fresh for this window: once in the app's frame. `scope` changes when what
 * the window watches changes (another mode, a team's database), and the names are read anew.
 */
export function useFollowAgents(scope: string) {
  useEffect(() => {
    void reloadAgents();
    const timer = window.setInterval(() => void reloadAgents(), REREAD_MS);
    return () => window.clearInterval(timer);
  }, [scope]);
  useFeed((batch) => {
    const now = Date.now();
    for (const item of batch.items) {
      const id = item.kind === "event" ? item.call?.agentId : null;
      if (id && !directory.known.has(id) && !wanted.has(id)) wanted.set(id, now);
    }
    lookAgain();
  });
}

/** Ids seen in calls with no entry yet, with when they were first seen. */
const wanted = new Map<string, number>();
/** How long an id with no entry is waited for (the engine looks new ids up at most once a minute). */
const WAIT_FOR_ID_MS = 150_000;
const AGAIN_MS = 10_000;

/**
 * While calls show ids the store has no entry for, reads again every few seconds (not
 * sooner than UNSEEN_AGAIN_MS after the last read), until each has one or was waited
 * for long enough.
 */
function lookAgain() {
  if (pending || wanted.size === 0) return;
  pending = true;
  const wait = Math.max(2_000, readAt + UNSEEN_AGAIN_MS - Date.now());
  window.setTimeout(() => {
    void reloadAgents().then(() => {
      pending = false;
      const now = Date.now();
      for (const [id, since] of wanted) {
        if (directory.known.has(id) || now - since > WAIT_FOR_ID_MS) wanted.delete(id);
      }
      if (wanted.size > 0) window.setTimeout(lookAgain, AGAIN_MS);
    });
  }, wait);
}
