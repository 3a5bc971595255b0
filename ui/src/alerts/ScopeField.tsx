// Which calls a rule counts: all, or those of one agent, one direction, one language or one
// value of a metadata field (the engine refuses more than one), with the engine's refusal
// under it. A metadata field is offered from the fields calls are counted by and those seen.
import { useEffect, useState } from "react";
import { FieldMessage } from "../Alert";
import { api } from "../ipc";
import type { ScopeKind } from "./ruleDraft";
import { useAgentLabels } from "../agents";
import type { AgentName } from "../ipc";

/** The agents to offer by name (those the API described). */
function useAgentList(wanted: boolean): AgentName[] {
  const [agents, setAgents] = useState<AgentName[]>([]);
  useEffect(() => {
    if (!wanted) return;
    api.agents().then((list) => setAgents(list ?? []), () => undefined);
  }, [wanted]);
  return agents;
}

const SCOPES: { kind: ScopeKind; label: string; example: string }[] = [
  { kind: "all", label: "All calls", example: "" },
  { kind: "agentId", label: "Of the agent", example: "ag_123" },
  { kind: "direction", label: "In the direction", example: "inbound" },
  { kind: "language", label: "In the language", example: "en-US" },
  { kind: "metadata", label: "Whose metadata field", example: "spring-sale" },
];

/** The fields to offer: the ones counted first, then the ones seen in stored calls. */
function useMetadataFields(wanted: boolean): { fields: string[]; counted: string[] } {
  const [fields, setFields] = useState<{ fields: string[]; counted: string[] }>({ fields: [], counted: [] });
  useEffect(() => {
    if (!wanted) return;
    api.dimensions().then(
      (view) => {
        const counted = view.chosen.map((d) => d.field);
        setFields({ counted, fields: [...counted, ...view.seen.map((s) => s.field).filter((f) => !counted.includes(f))] });
      },
      // Team mode has nothing to choose: every field is read from the team's database.
      () => undefined,
    );
  }, [wanted]);
  return fields;
}

export function ScopeField({
  kind,
  field,
  value,
  fieldError,
  error,
  onChange,
}: {
  kind: ScopeKind;
  field: string;
  value: string;
  /** The refusal of the metadata field's name. */
  fieldError: string | null;
  error: string | null;
  onChange: (next: { scopeKind?: ScopeKind; scopeField?: string; scopeValue?: string }) => void;
}) {
  const metadata = kind === "metadata";
  const offered = useMetadataFields(metadata);
  const notCounted = metadata && field.trim() !== "" && !offered.counted.includes(field.trim());
  const agents = useAgentLabels();
  const agentList = useAgentList(kind === "agentId");
  return (
    <div className="field">
      <label htmlFor={metadata ? "rule-scope-field" : "rule-scope-value"}>Calls</label>
      <div className="field-input">
        <select aria-label="which calls" data-testid="rule-scope" value={kind} onChange={(e) => onChange({ scopeKind: e.target.value as ScopeKind })}>
          {SCOPES.map((s) => (
            <option key={s.kind} value={s.kind}>
              {s.label}
            </option>
          ))}
        </select>
        {metadata && (
          <>
            <input
              id="rule-scope-field"
              data-testid="rule-scope-field"
              className="scope-field"
              value={field}
              list="rule-scope-fields"
              placeholder="campaign"
              aria-label="metadata field"
              onChange={(e) => onChange({ scopeField: e.target.value })}
              aria-invalid={Boolean(fieldError)}
            />
            <datalist id="rule-scope-fields">
              {offered.fields.map((f) => (
                <option key={f} value={f} />
              ))}
            </datalist>
            <span className="unit">is</span>
          </>
        )}
        {kind === "agentId" && (
          <datalist id="rule-scope-agents">
            {agentList.map((a) => (
              <option key={a.agentId} value={a.agentId} label={a.name ?? undefined} />
            ))}
          </datalist>
        )}
        {kind !== "all" && (
          <input
            id="rule-scope-value"
            data-testid="rule-scope-value"
            list={kind === "agentId" ? "rule-scope-agents" : undefined}
            value={value}
            aria-label={metadata ? "the field's value" : undefined}
            placeholder={SCOPES.find((s) => s.kind === kind)?.example}
            onChange={(e) => onChange({ scopeValue: e.target.value })}
            aria-invalid={Boolean(error)}
          />
        )}
        {kind === "agentId" && agents.name(value.trim()) && (
          <span className="unit" data-testid="rule-scope-agent-name">
            {agents.name(value.trim())}
          </span>
        )}
      </div>
      {notCounted && !fieldError && (
        <p className="hint" data-testid="rule-scope-counting">
          Saving the rule counts calls by {field.trim()} (Settings → Data), in the background: the rule waits until every stored call is counted.
        </p>
      )}
      <FieldMessage message={fieldError ?? error} testId="rule-scope-error" />
    </div>
  );
}
