// What the component tests share: an engine status to start from, and a mocked IPC that
// records each command the view sends.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AppStatus } from "./ipc";

/** A running app's status (demo mode, receiving), changed by `patch`. */
export function statusWith(patch: Partial<AppStatus> = {}): AppStatus {
  return {
    mode: "demo",
    keyMasked: null,
    keychainError: null,
    receiverUrl: "http://127.0.0.1:8787/hooks/calleague",
    receiverError: null,
    port: 8787,
    publicUrl: null,
    apiBaseUrl: "https://app.calleague.ai",
    catchUp: null,
    catchUpError: null,
    notifications: { enabled: true, events: ["call.failed"], endedReasons: [], metadataField: null, pause: null },
    alerts: { unseen: 0, unavailable: null },
    startAtLogin: false,
    theme: "system",
    subscriptionProblem: null,
    teamDatabase: null,
    teamError: null,
    source: null,
    sourceSettings: { pollEverySecs: 15, reconcileEveryMinutes: 5, requestsPerMinute: 12 },
    forwardingFailing: [],
    alertsFiring: [],
    ...patch,
  };
}

export type Call = { cmd: string; args: Record<string, unknown> };

/** Answers each command with `answer` and records it, in order. */
export function mockCommands(answer: (call: Call) => unknown = () => undefined): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const call = { cmd, args: (args ?? {}) as Record<string, unknown> };
    calls.push(call);
    return answer(call);
  });
  return calls;
}
