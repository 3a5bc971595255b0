// The rule editor: every field of a rule, checked by the engine field by field on save, with
// its preview against the stored history (RulePreview) following the fields.
import { FormEvent, useMemo, useState } from "react";
import type { AlertRule } from "../ipc";
import { errorText, isAppError } from "../ipc";
import { ErrorLine, FieldMessage } from "../Alert";
import { Field } from "../settings/Field";
import { draftOf, ruleOf, RuleDraft, unreadable, WEEKDAYS } from "./ruleDraft";
import { allCallsOnly, isPercent, isSeconds, METRICS } from "./units";
import { RulePreview } from "./RulePreview";
import { ScopeField } from "./ScopeField";

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
  const edited = useMemo(() => ruleOf(draft), [draft]);

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
          <ScopeField
            kind={draft.scopeKind}
            field={draft.scopeField}
            value={draft.scopeValue}
            fieldError={errorOf("scope.metadataField")}
            error={errorOf("scope.agentId") ?? errorOf("scope.direction") ?? errorOf("scope.language") ?? errorOf("scope.metadataValue")}
            onChange={change}
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

        <RulePreview rule={edited} />

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
