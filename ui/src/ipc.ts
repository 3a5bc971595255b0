// Typed access to the app's IPC commands and its live feed.
import { Channel, invoke } from "@tauri-apps/api/core";

export type AppError = { code: string; message: string };

export type AppStatus = {
  mode: "account" | "demo" | null;
  keyMasked: string | null;
  keychainError: AppError | null;
  receiverUrl: string | null;
  receiverError: AppError | null;
  port: number;
  publicUrl: string | null;
  apiBaseUrl: string;
  catchUp: CatchUpProgress | null;
  catchUpError: AppError | null;
};

export type CatchUpProgress = {
  window: number;
  windows: number;
  page: number;
  pages: number | null;
  callsRead: number;
  callsMerged: number;
  eventsAdded: number;
  done: boolean;
};

export type CallState = "started" | "connected" | "completed" | "failed";

export type CallRow = {
  callId: string;
  agentId?: string;
  direction?: string;
  state?: CallState;
  startedAt?: string;
  connectedAt?: string;
  endedAt?: string;
  durationSec?: number;
  endedReason?: string;
  language?: string;
  metadata?: unknown;
  recordingId?: string;
  transcriptId?: string;
  firstOccurredAt: string;
  lastOccurredAt: string;
  lastReceivedAt: string;
  eventCount: number;
  lateCount: number;
  caughtUp: boolean;
};

export type CallCursor = { sortMs: number; callId: string };
export type Page<T, C> = { items: T[]; next: C | null; prev: C | null };
export type Order = "newestFirst" | "oldestFirst";

export type CallFilter = {
  states?: string[];
  agents?: string[];
  directions?: string[];
  endedReasons?: string[];
  languages?: string[];
  range?: { from?: string; to?: string };
  text?: string | null;
};

export type StatusCounts = {
  deliveriesTotal: number;
  deliveriesSince: number;
  repeats: number;
  calls: number;
  callsStarted: number;
  callsConnected: number;
  callsCompleted: number;
  callsFailed: number;
  rejected: number;
  quarantined: number;
  lastDeliveryAt: string | null;
};

export type EventRow = {
  id: number;
  deliveryId: string | null;
  event: string;
  callId: string | null;
  occurredAt: string;
  late: boolean;
  hidden: boolean;
};

export type EventDetail = EventRow & {
  eventName: string;
  receivedAt: string;
  lastSeenAt: string;
  attempts: number;
  occurredFromReceipt: boolean;
  source: "webhook" | "catchup";
  peer: string | null;
  headers: [string, string][];
  body: string;
};

export type CallDetail = { call: CallRow; events: EventDetail[] };

export type Segment = { speaker: string; text: string; startSec: number; endSec: number };
export type Transcript = { transcriptId: string; callId?: string; language?: string; segments: Segment[] };

export type Facets = { agents: string[]; directions: string[]; endedReasons: string[]; languages: string[] };
export type QuarantineRow = { id: number; receivedAt: string; peer: string | null; reason: string; headers: [string, string][]; body: string };
export type SecurityRow = { id: number; at: string; peer: string | null; reason: string };

export type FeedItem =
  | { kind: "event"; event: EventRow; call: CallRow | null }
  | { kind: "repeat"; id: number; attempts: number }
  | { kind: "quarantined"; id: number }
  | { kind: "rejected"; entry: { at: string; peer: string | null; reason: string } };

export type FeedBatch = { items: FeedItem[]; resync: boolean };

export const api = {
  status: () => invoke<AppStatus>("get_status"),
  connectAccount: (key: string, apiBaseUrl: string | null) => invoke<AppStatus>("connect_account", { key, apiBaseUrl }),
  removeKey: () => invoke<AppStatus>("remove_key"),
  startDemo: () => invoke<AppStatus>("start_demo"),
  leaveDemo: () => invoke<AppStatus>("leave_demo"),
  setPort: (port: number) => invoke<AppStatus>("set_port", { port }),
  catchUpNow: () => invoke<AppStatus>("catch_up_now"),
  suggestPort: () => invoke<number | null>("suggest_port"),
  callsPage: (filter: CallFilter, page: { order: Order; after?: CallCursor | null; limit: number }) =>
    invoke<Page<CallRow, CallCursor>>("calls_page", { filter, page }),
  counts: (sinceMs: number) => invoke<StatusCounts>("counts", { sinceMs }),
  facets: () => invoke<Facets>("facets"),
  quarantine: (beforeId: number | null, limit: number) => invoke<QuarantineRow[]>("quarantine", { beforeId, limit }),
  securityLog: (beforeId: number | null, limit: number) => invoke<SecurityRow[]>("security_log", { beforeId, limit }),
  callDetail: (callId: string) => invoke<CallDetail>("call_detail", { callId }),
  transcript: (transcriptId: string) => invoke<Transcript>("transcript", { transcriptId }),
  recordingAudio: (recordingId: string) => invoke<ArrayBuffer>("recording_audio", { recordingId }),
  subscribeFeed: (onBatch: (batch: FeedBatch) => void) => {
    const channel = new Channel<FeedBatch>();
    channel.onmessage = onBatch;
    return invoke<void>("subscribe_feed", { onBatch: channel });
  },
};

export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as AppError).message);
  return String(e);
}
