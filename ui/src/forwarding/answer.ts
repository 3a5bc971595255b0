import type { AttemptView } from "../ipc";

/** "200 in 12 ms", or why nothing came back ("connection refused"). */
export function answerText(a: Pick<AttemptView, "status" | "error" | "latencyMs">): string {
  if (a.status !== null) return `${a.status} in ${a.latencyMs} ms`;
  return a.error ?? "no answer";
}

/** Answered 2xx. */
export function succeeded(a: Pick<AttemptView, "status">): boolean {
  return a.status !== null && a.status >= 200 && a.status < 300;
}
