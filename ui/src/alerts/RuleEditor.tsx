// The rule editor: every field of a rule, checked by the engine field by field on save, and
// a preview against the stored history ("over the last 7 days this rule would have fired 3
// times", the moments shaded on the chart) recomputed as the fields change.
import { FormEvent, useEffect, useMemo, useState } from "react";
import type { AlertRule, ChartView } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { ErrorLine, FieldMessage } from "../Alert";
import { Field } from "../settings/Field";
import { draftOf, ruleOf, RuleDraft, unreadable, WEEKDAYS } from "./ruleDraft";
import { allCallsOnly, isPercent, isSeconds, METRICS } from "./units";
import { ValueChart } from "./ValueChart";

const PREVIEW_DAYS = [1, 7, 30];

export function RuleEditor({
  rule,
  isNew,
  onSave,
  onCancel,
  onDelete,
}: {
  rule: AlertRule;
  isNew: boolean;
  /** Saves the rule among the others; a refusal comes back with its field. */
  onSave: (rule: AlertRule) => Promise<void>;
  onCancel: () => void;
  onDelete: (() => void) | null;
}) {
  const [draft, setDraft] = useState<RuleDraft>(() => draftOf(rule));
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [days, setDays] = useState(7);
  const [preview, setPreview] = useState<ChartView | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const edited = useMemo(() => ruleOf(draft), [draft]);

  // The preview follows the fields, a moment after the last keystroke.
  useEffect(() => {
    if (unreadable(edited)) return;
    let current = true;
    setPreviewing(true);
    const timer = window.setTimeout(() => {
      api.previewAlertRule({ ...edited, name: edited.name || "this rule" }, days).then(
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
  }, [edited, days]);

  const change = (next: Partial<RuleDraft>) => {
    setDraft((d) => ({ ...d, ...next }));
    setFieldError(null);
    setError(null);
  };
  const errorOf = (field: string) => (fieldError?.field === field ? fieldError.message : null);
  const unit = isPercent(edited.metric) ? "%" : isSeconds(edited.metric) ? "seconds" : METRICS.find((m) => m.kind === draft.metric)?.unit ?? "";
  const silence = draft.metric === "silence";
  const rate = draft.metric === "failureRate" || draft.metric === "reasonShare" || isSeconds(edited.metric);

  async function save(e: FormEvent) {
    e.preventDefault();
    const wrong = unreadable(edited);
    if (wrong) return setFieldError(wrong);
    setSaving(true);
    try {
      await onSave(edited);
    } catch (err) {
      if (isAppError(err) && err.field) setFieldError({ field: err.field.replace(/^rules\.\d+\./, ""), message: err.message });
      else setError(errorText(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="settings-section wide rule-editor" aria-labelledby="rule-editor-title" data-testid="rule-editor">
      <h2 id="rule-editor-title">{isNew ? "New rule" : `Edit “${rule.name}”`}</h2>
      <form className="settings-form" onSubmit={save}>
        <Field id="rule-name" label="Name" value={draft.name} onChange={(name) => change({ name })} error={errorOf("name")} placeholder="Failure rate over 20%" />
        <div className="field">
          <label htmlFor="rule-metric">Measure</label>
          <select id="rule-metric" data-testid="rule-metric" value={draft.metric} onChange={(e) => change({ metric: e.target.value as RuleDraft["metric"] })}>
            {METRICS.map((m) => (
              <option key={m.kind} value={m.kind}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        {(draft.metric === "reasonCount" || draft.metric === "reasonShare") && (
          <Field id="rule-reason" label="endedReason" value={draft.reason} onChange={(reason) => change({ reason })} error={errorOf("metric.reason")} placeholder="customer-did-not-answer" />
        )}
        {!allCallsOnly(edited.metric) && (
          <Field
            id="rule-agent"
            label="Only the agent"
            value={draft.agentId}
            onChange={(agentId) => change({ agentId })}
            error={errorOf("scope.agentId")}
            placeholder="all agents"
            hint="Leave empty for all calls."
          />
        )}
        <Field
          id="rule-window"
          label="Over the last"
          value={draft.windowMinutes}
          onChange={(windowMinutes) => change({ windowMinutes })}
          error={errorOf("windowMinutes")}
          suffix={<span className="unit">minutes</span>}
          hint="5 minutes to 24 hours (1,440 minutes)."
        />
        {silence ? (
          <p className="sub">Fires when no webhook delivery at all arrives for the whole window.</p>
        ) : (
          <div className="field">
            <label htmlFor="rule-threshold">Fire when it is</label>
            <div className="field-input">
              <select aria-label="above or below" data-testid="rule-op" value={draft.op} onChange={(e) => change({ op: e.target.value as "above" | "below" })}>
                <option value="above">above</option>
                <option value="below">below</option>
              </select>
              <input
                id="rule-threshold"
                data-testid="rule-threshold"
                value={draft.threshold}
                onChange={(e) => change({ threshold: e.target.value })}
                aria-invalid={Boolean(errorOf("condition.threshold"))}
              />
              <span className="unit">{unit}</span>
            </div>
            <FieldMessage message={errorOf("condition.threshold")} testId="rule-threshold-error" />
          </div>
        )}
        {rate && (
          <Field
            id="rule-min-calls"
            label="Only with at least"
            value={draft.minCalls}
            onChange={(minCalls) => change({ minCalls })}
            error={errorOf("minCalls")}
            suffix={<span className="unit">calls in the window</span>}
            hint="No 100% from a single call."
          />
        )}
        <div className="field">
          <label htmlFor="rule-severity">Severity</label>
          <select id="rule-severity" data-testid="rule-severity" value={draft.severity} onChange={(e) => change({ severity: e.target.value as RuleDraft["severity"] })}>
            <option value="info">Info</option>
            <option value="warning">Warning</option>
            <option value="critical">Critical</option>
          </select>
        </div>
        <Field
          id="rule-cooldown"
          label="Notify at most once per"
          value={draft.cooldownMinutes}
          onChange={(cooldownMinutes) => change({ cooldownMinutes })}
          error={errorOf("cooldownMinutes")}
          suffix={<span className="unit">minutes</span>}
          hint="A flapping rule's firings are still kept; only its notices wait."
        />
        <label className="check">
          <input type="checkbox" checked={draft.activeHours} onChange={(e) => change({ activeHours: e.target.checked })} data-testid="rule-active" />
          Only during active hours
        </label>
        {draft.activeHours && (
          <fieldset className="target-row" data-testid="rule-active-hours">
            <legend className="sub">Active hours</legend>
            <div className="checks" role="group" aria-label="Days">
              {WEEKDAYS.map((day) => (
                <label className="check" key={day}>
                  <input
                    type="checkbox"
                    checked={draft.days.includes(day)}
                    onChange={(e) => change({ days: e.target.checked ? WEEKDAYS.filter((d) => d === day || draft.days.includes(d)) : draft.days.filter((d) => d !== day) })}
                    data-testid={`rule-day-${day}`}
                  />
                  {day[0].toUpperCase() + day.slice(1)}
                </label>
              ))}
            </div>
            <FieldMessage message={errorOf("active.days")} />
            <div className="url-row">
              <Field id="rule-from" label="From" type="time" value={draft.from} onChange={(from) => change({ from })} error={errorOf("active.from")} />
              <Field id="rule-to" label="To" type="time" value={draft.to} onChange={(to) => change({ to })} error={errorOf("active.to")} />
            </div>
            <Field
              id="rule-zone"
              label="Time zone"
              value={draft.timeZone}
              onChange={(timeZone) => change({ timeZone })}
              error={errorOf("active.timeZone")}
              placeholder="this computer's"
              hint="An IANA name such as Europe/Berlin; empty: this computer's zone."
            />
          </fieldset>
        )}
        <label className="check">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => change({ enabled: e.target.checked })} data-testid="rule-enabled" />
          On
        </label>

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
              <ValueChart chart={preview} rule={edited} width={640} height={120} testId="preview-chart" />
              <div className="chart-axis" aria-hidden="true">
                <span>{days === 1 ? "24 hours ago" : `${days} days ago`}</span>
                <span>now</span>
              </div>
            </>
          )}
          {!preview && !previewError && <p className="sub">Trying it…</p>}
        </div>

        <div className="form-actions">
          <button className="primary" disabled={saving} data-testid="rule-save">
            {saving ? "Saving…" : "Save rule"}
          </button>
          <button type="button" className="small-button" onClick={onCancel} data-testid="rule-cancel">
            Cancel
          </button>
          {onDelete && (
            <button
              type="button"
              className="link danger"
              onClick={() => {
                if (window.confirm(`Delete the rule “${rule.name}”? Its firings stay in the history.`)) onDelete();
              }}
              data-testid="rule-delete"
            >
              Delete rule
            </button>
          )}
          <ErrorLine error={error} />
        </div>
      </form>
    </section>
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
