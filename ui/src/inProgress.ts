// Calls in progress now (started, not ended; stale ones apart), read again as deliveries
// arrive, at most twice a second: the status bar's gauge and the overview's.
import { useEffect, useState } from "react";
import { api, type InProgress } from "./ipc";
import { useFeedTick } from "./feed";

export function useInProgress(): InProgress | null {
  const [gauge, setGauge] = useState<InProgress | null>(null);
  const tick = useFeedTick(500);
  useEffect(() => {
    api.inProgress().then(
      (g) => setGauge(g ?? null),
      () => setGauge(null),
    );
  }, [tick]);
  return gauge;
}
