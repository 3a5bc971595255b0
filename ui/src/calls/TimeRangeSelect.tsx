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

/** The time-range filter on `occurredAt`: a few presets, or two local date-times. */
export function TimeRangeSelect({
  preset,
  custom,
  onPreset,
  onCustom,
}: {
  preset: RangePreset;
  custom: { from: string; to: string };
  onPreset: (p: RangePreset) => void;
  onCustom: (c: { from: string; to: string }) => void;
}) {
  const backwards = preset === "custom" && custom.from && custom.to && custom.from > custom.to;
  return (
    <span className="range">
      <select
        className={`facet ${preset ? "on" : ""}`}
        aria-label="Time range"
        data-testid="facet-time"
        value={preset}
        onChange={(e) => onPreset(e.target.value as RangePreset)}
      >
        {PRESETS.map(([value, label]) => (
          <option key={value} value={value}>
            {value === "" ? "Time: any" : label}
          </option>
        ))}
      </select>
      {preset === "custom" && (
        <>
          <input
            type="datetime-local"
            className={`facet when-input ${backwards ? "invalid" : ""}`}
            aria-label="From"
            data-testid="range-from"
            value={custom.from}
            onChange={(e) => onCustom({ ...custom, from: e.target.value })}
          />
          <span className="sub">to</span>
          <input
            type="datetime-local"
            className={`facet when-input ${backwards ? "invalid" : ""}`}
            aria-label="To"
            data-testid="range-to"
            value={custom.to}
            onChange={(e) => onCustom({ ...custom, to: e.target.value })}
            title={backwards ? "The end is before the start" : undefined}
          />
        </>
      )}
    </span>
  );
}
