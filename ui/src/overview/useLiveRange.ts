// A page read for a range, read again as deliveries arrive (at most twice a second) and,
// for a range that counts back from now, every half minute as time moves on: the Overview
// and the Agents page.
import { useCallback, useEffect, useRef, useState } from "react";
import { useFeedTick } from "../feed";
import { errorText } from "../ipc";
import { OverviewRange, rangeMs } from "./range";

const LIVE_EVERY_MS = 500;
const CLOCK_EVERY_MS = 30_000;

export function useLiveRange<T>(range: OverviewRange, read: (fromMs: number, toMs: number) => Promise<T>) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);

  const load = useCallback(() => {
    const r = rangeMs(range, Date.now());
    if ("problem" in r) {
      setError(r.problem);
      setLoading(false);
      return;
    }
    const mine = ++latest.current;
    read(r.fromMs, r.toMs).then(
      (v) => {
        if (mine !== latest.current) return; // a newer range was asked for meanwhile
        setValue(v);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (mine !== latest.current) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
  }, [range, read]);

  useEffect(() => {
    setLoading(true);
    load();
    if (range.preset === "custom") return;
    const timer = window.setInterval(load, CLOCK_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [load, range.preset]);

  // A burst of deliveries is one re-read, not one per batch.
  const tick = useFeedTick(LIVE_EVERY_MS);
  const loadLatest = useRef(load);
  loadLatest.current = load;
  useEffect(() => {
    if (tick > 0) loadLatest.current();
  }, [tick]);

  return { value, error, loading, reload: load };
}
