// The overview of a range, live (see useLiveRange).
import { api } from "../ipc";
import { OverviewRange } from "./range";
import { useLiveRange } from "./useLiveRange";

export function useOverview(range: OverviewRange) {
  const { value, ...rest } = useLiveRange(range, api.overview);
  return { overview: value, ...rest };
}
