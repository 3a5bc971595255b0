// One live feed per window, shared: the first listener opens the IPC channel, every
// listener gets each batch, and when the last one leaves the channel is let go.
import { useEffect, useRef, useState } from "react";
import { api } from "./ipc";
import type { FeedBatch } from "./bindings";

type Listener = (batch: FeedBatch) => void;

const listeners = new Set<Listener>();
let generation = 0;
let open = false;
let failure: ((e: unknown) => void) | null = null;

function ensureOpen() {
  if (open) return;
  open = true;
  const mine = ++generation;
  api
    .subscribeFeed((batch) => {
      if (mine !== generation) return; // a channel from before everyone left
      for (const listener of [...listeners]) listener(batch);
    })
    .catch((e) => {
      open = false;
      failure?.(e);
    });
}

/** Calls `listener` with every batch while the component is mounted. */
export function useFeed(listener: Listener, onError?: (e: unknown) => void) {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    const forward: Listener = (batch) => latest.current(batch);
    listeners.add(forward);
    if (onError) failure = onError;
    ensureOpen();
    return () => {
      listeners.delete(forward);
      if (listeners.size === 0) {
        open = false;
        generation++;
      }
    };
  }, []);
}

/**
 * A number that changes after batches: for views that re-read counts. A burst of batches
 * is one change per `atMostEveryMs` (the last batch always leads to one).
 */
export function useFeedTick(atMostEveryMs = 0): number {
  const [tick, setTick] = useState(0);
  const pending = useRef<number | null>(null);
  useFeed(() => {
    if (atMostEveryMs <= 0) return setTick((t) => t + 1);
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      setTick((t) => t + 1);
    }, atMostEveryMs);
  });
  useEffect(
    () => () => {
      if (pending.current !== null) window.clearTimeout(pending.current);
    },
    [],
  );
  return tick;
}
