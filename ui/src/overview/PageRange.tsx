// What the pages of a range (the Overview, the Agents page) share: the range's menu, and
// the line that says a read failed, with its retry.
import { ErrorLine } from "../Alert";
import { TimeRangeSelect } from "../calls/TimeRangeSelect";
import { OverviewRange, PRESETS } from "./range";

/** The range's menu; `id` prefixes its test ids (`overview-range`, `overview-from`, …). */
export function PageRange({ range, onRange, id, label }: { range: OverviewRange; onRange: (r: OverviewRange) => void; id: string; label: string }) {
  return (
    <TimeRangeSelect
      preset={range.preset}
      custom={range.custom}
      onPreset={(preset) => onRange({ ...range, preset })}
      onCustom={(custom) => onRange({ ...range, custom })}
      presets={PRESETS}
      ids={{ select: `${id}-range`, from: `${id}-from`, to: `${id}-to` }}
      label={label}
    />
  );
}

/** Why the page could not be read, and a way to read it again. */
export function RetryLine({ error, testId, onRetry }: { error: string; testId: string; onRetry: () => void }) {
  return (
    <div className="overview-error">
      <ErrorLine error={error} testId={testId} />
      <button onClick={onRetry}>Retry</button>
    </div>
  );
}
