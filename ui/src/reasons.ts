// What each endedReason means (the engine's table: shipped defaults with the user's entries
// over them), one copy per window, read again after Settings changes it. The overview's
// failures by category and a call's explanation read it here.
import { useEffect, useSyncExternalStore } from "react";
import { api, type Category, type ReasonsView } from "./ipc";

export const CATEGORY_LABEL: Record<Category, string> = {
  caller: "The caller",
  agent: "The agent",
  platform: "The platform",
  provider: "A provider",
  account: "The account",
};

export const CATEGORIES: Category[] = ["caller", "agent", "platform", "provider", "account"];

let view: ReasonsView | null = null;
let reading = false;
const subscribers = new Set<() => void>();

function subscribe(listener: () => void) {
  subscribers.add(listener);
  return () => subscribers.delete(listener);
}

/** The table as the engine answered it (after a read or a change in Settings). */
export function setReasons(next: ReasonsView | null) {
  view = next;
  for (const listener of [...subscribers]) listener();
}

/** Reads the table again (Settings does when it opens: calls may have brought new reasons). */
export function reloadReasons() {
  read();
}

function read() {
  if (reading) return;
  reading = true;
  api.reasons().then(
    (next) => {
      reading = false;
      if (next) setReasons(next);
    },
    () => {
      reading = false;
    },
  );
}

/** The table, read once per window when first needed. */
export function useReasons(): ReasonsView | null {
  const current = useSyncExternalStore(subscribe, () => view);
  useEffect(() => {
    if (!view) read();
  }, []);
  return current;
}

/** A reason's entry, if the table has one. */
export function entryOf(table: ReasonsView | null, reason: string | null | undefined) {
  if (!table || !reason) return null;
  return table.entries.find((e) => e.reason === reason) ?? null;
}

export type CategoryCount = { category: Category | null; failed: number; reasons: string[] };

/**
 * Failed calls by category from the overview's reasons (each with its failed count); reasons
 * with no entry together under `null` (not categorised), most first.
 */
export function failuresByCategory(table: ReasonsView | null, reasons: { key: string | null; failed: number }[]): CategoryCount[] {
  const counts = new Map<Category | null, CategoryCount>();
  for (const r of reasons) {
    if (r.failed === 0 || r.key === null) continue;
    const category = entryOf(table, r.key)?.category ?? null;
    const count = counts.get(category) ?? { category, failed: 0, reasons: [] };
    count.failed += r.failed;
    count.reasons.push(r.key);
    counts.set(category, count);
  }
  return [...counts.values()].sort((a, b) => b.failed - a.failed || (a.category ?? "~").localeCompare(b.category ?? "~"));
}

/** For tests: forget the table read. */
export function forgetReasons() {
  view = null;
  reading = false;
}
