// Which calls a rule counts: all, or those of one agent, one direction or one language
// (the engine refuses more than one), with the engine's refusal under it.
import { FieldMessage } from "../Alert";
import type { ScopeKind } from "./ruleDraft";

const SCOPES: { kind: ScopeKind; label: string; example: string }[] = [
  { kind: "all", label: "All calls", example: "" },
  { kind: "agentId", label: "Of the agent", example: "ag_123" },
  { kind: "direction", label: "In the direction", example: "inbound" },
  { kind: "language", label: "In the language", example: "en-US" },
];

export function ScopeField({
  kind,
  value,
  error,
  onChange,
}: {
  kind: ScopeKind;
  value: string;
  error: string | null;
  onChange: (next: { scopeKind?: ScopeKind; scopeValue?: string }) => void;
}) {
  return (
    <div className="field">
      <label htmlFor="rule-scope-value">Calls</label>
      <div className="field-input">
        <select aria-label="which calls" data-testid="rule-scope" value={kind} onChange={(e) => onChange({ scopeKind: e.target.value as ScopeKind })}>
          {SCOPES.map((s) => (
            <option key={s.kind} value={s.kind}>
              {s.label}
            </option>
          ))}
        </select>
        {kind !== "all" && (
          <input
            id="rule-scope-value"
            data-testid="rule-scope-value"
            value={value}
            placeholder={SCOPES.find((s) => s.kind === kind)?.example}
            onChange={(e) => onChange({ scopeValue: e.target.value })}
            aria-invalid={Boolean(error)}
          />
        )}
      </div>
      <FieldMessage message={error} testId="rule-scope-error" />
    </div>
  );
}
