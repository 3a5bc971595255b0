import { OverviewPreset, OverviewRange, PRESETS } from "./range";

/** Last hour / 24 hours / 7 days, or two local date-times. */
export function RangeSelect({ range, onRange }: { range: OverviewRange; onRange: (r: OverviewRange) => void }) {
  return (
    <span className="range">
      <select
        className="facet on"
        aria-label="Overview range"
        data-testid="overview-range"
        value={range.preset}
        onChange={(e) => onRange({ ...range, preset: e.target.value as OverviewPreset })}
      >
        {PRESETS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {range.preset === "custom" && (
        <>
          <input
            type="datetime-local"
            className="facet when-input"
            aria-label="From"
            data-testid="overview-from"
            value={range.custom.from}
            onChange={(e) => onRange({ ...range, custom: { ...range.custom, from: e.target.value } })}
          />
          <span className="sub">to</span>
          <input
            type="datetime-local"
            className="facet when-input"
            aria-label="To"
            data-testid="overview-to"
            value={range.custom.to}
            onChange={(e) => onRange({ ...range, custom: { ...range.custom, to: e.target.value } })}
          />
        </>
      )}
    </span>
  );
}
