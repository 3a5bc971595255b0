// A rule tried against the stored history as it is being edited: "over the last 7 days this
// rule would have fired 3 times", its value with the moments shaded on the chart, asked again
// a moment after the last change.
import { useEffect, useState } from "react";
import type { AlertRule, ChartView } from "../ipc";
import { api, errorText } from "../ipc";
import { unreadable } from "./ruleDraft";
import { ValueChart } from "./ValueChart";

const PREVIEW_DAYS = [1, 7, 30];

export function RulePreview({ rule }: { rule: AlertRule }) {
  const [days, setDays] = useState(7);
  const [preview, setPreview] = useState<ChartView | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState(false);

  // The preview follows the fields, a moment after the last keystroke.
  useEffect(() => {
    if (unreadable(rule)) return;
    let current = true;
    setPreviewing(true);
    const timer = window.setTimeout(() => {
      api.previewAlertRule({ ...rule, name: rule.name || "this rule" }, days).then(
        (p) => {
          if (!current) return;
          setPreview(p);
          setPreviewError(null);
          setPreviewing(false);
        },
        (e) => {
          if (!current) return;
          setPreview(null);
          setPreviewError(errorText(e));
          setPreviewing(false);
        },
      );
    }, 350);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [rule, days]);


  return (
        <div className="rule-preview" data-testid="rule-preview" aria-live="polite">
          <div className="section-head">
            <h3>Tried against the stored history</h3>
            <select aria-label="Preview span" data-testid="preview-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {PREVIEW_DAYS.map((d) => (
                <option key={d} value={d}>
                  last {d === 1 ? "24 hours" : `${d} days`}
                </option>
              ))}
            </select>
          </div>
          {previewError && <p className="sub warn" data-testid="preview-error">{previewError}</p>}
          {preview && (
            <>
              <p data-testid="preview-summary">
                {previewSentence(preview, days)}
                {previewing && <span className="sub"> (updating…)</span>}
              </p>
              <ValueChart chart={preview} rule={rule} width={640} height={120} testId="preview-chart" />
              <div className="chart-axis" aria-hidden="true">
                <span>{days === 1 ? "24 hours ago" : `${days} days ago`}</span>
                <span>now</span>
              </div>
            </>
          )}
          {!preview && !previewError && <p className="sub">Trying it…</p>}
        </div>
  );
}

function previewSentence(preview: ChartView, days: number): string {
  const span = days === 1 ? "24 hours" : `${days} days`;
  const n = preview.firings.length;
  if (n === 0) return `Over the last ${span} this rule would not have fired.`;
  const held = n - preview.notified;
  const times = n === 1 ? "once" : `${n} times`;
  return `Over the last ${span} this rule would have fired ${times}${held > 0 ? ` (${held} within the cooldown, not notified)` : ""}.`;
}
