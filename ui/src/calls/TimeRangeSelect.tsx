import { RangePreset } from "../format";

const PRESETS: [RangePreset, string][] = [
  ["", "Any time"],
  ["15m", "Last 15 minutes"],
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["today", "Today"],
  ["custom", "Custom…"],
];

/** The test ids of the menu and the two date-times; the timeline's by default. */
const TIMELINE_IDS = { select: "facet-time", from: "range-from", to: "range-to" };

/**
 * The time-range filter on `occurredAt`: a few presets, or two local date-times. The
 * overview offers its own presets (never "any time") through `presets` and `ids`.
 */
export function TimeRangeSelect<P extends RangePreset>({
  preset,
  custom,
  onPreset,
  onCustom,
  presets = PRESETS as [P, string][],
  ids = TIMELINE_IDS,
  label = "Time range",
}: {
  preset: P;
  custom: { from: string; to: string };
  onPreset: (p: P) => void;
  onCustom: (c: { from: string; to: string }) => void;
  presets?: [P, string][];
  ids?: typeof TIMELINE_IDS;
  label?: string;
}) {
  const backwards = preset === "custom" && custom.from && custom.to && custom.from > custom.to;
  return (
    <span className="range">
      <select
        className={`facet ${preset ? "on" : ""}`}
        aria-label={label}
        data-testid={ids.select}
        value={preset}
        onChange={(e) => onPreset(e.target.value as P)}
      >
        {presets.map(([value, text]) => (
          <option key={value} value={value}>
            {value === "" ? "Time: any" : text}
          </option>
        ))}
      </select>
      {preset === "custom" && (
        <>
          <input
            type="datetime-local"
            className={`facet when-input ${backwards ? "invalid" : ""}`}
            aria-label="From"
            data-testid={ids.from}
            value={custom.from}
            onChange={(e) => onCustom({ ...custom, from: e.target.value })}
          />
          <span className="sub">to</span>
          <input
            type="datetime-local"
            className={`facet when-input ${backwards ? "invalid" : ""}`}
            aria-label="To"
            data-testid={ids.to}
            value={custom.to}
            onChange={(e) => onCustom({ ...custom, to: e.target.value })}
            title={backwards ? "The end is before the start" : undefined}
          />
        </>
      )}
    </span>
  );
}
