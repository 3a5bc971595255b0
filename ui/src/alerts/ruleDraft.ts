// A rule as its form holds it (numbers as typed), to and from the engine's AlertRule.
import type { AlertRule, Metric, Weekday } from "../ipc";

export type RuleDraft = {
  id: string;
  name: string;
  enabled: boolean;
  metric: Metric["kind"];
  reason: string;
  /** Which calls: all, or those of one agent, direction, language or metadata field's
   * value (`scopeValue`; the field in `scopeField`). */
  scopeKind: ScopeKind;
  scopeField: string;
  scopeValue: string;
  windowMinutes: string;
  op: "above" | "below";
  threshold: string;
  minCalls: string;
  severity: AlertRule["severity"];
  cooldownMinutes: string;
  activeHours: boolean;
  days: Weekday[];
  from: string;
  to: string;
  timeZone: string;
};

export const WEEKDAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export type ScopeKind = "all" | "agentId" | "direction" | "language" | "metadata";

/** The narrowing a rule has (one at most), as the form shows it. */
function scopeOf(scope: AlertRule["scope"]): { scopeKind: ScopeKind; scopeField: string; scopeValue: string } {
  const kind = (scopeKind: ScopeKind, scopeValue: string, scopeField = "") => ({ scopeKind, scopeField, scopeValue });
  if (scope.agentId != null) return kind("agentId", scope.agentId);
  if (scope.direction != null) return kind("direction", scope.direction);
  if (scope.language != null) return kind("language", scope.language);
  if (scope.metadataField != null) return kind("metadata", scope.metadataValue ?? "", scope.metadataField);
  return kind("all", "");
}

export function draftOf(rule: AlertRule): RuleDraft {
  return {
    id: rule.id,
    name: rule.name,
    enabled: rule.enabled,
    metric: rule.metric.kind,
    reason: "reason" in rule.metric ? rule.metric.reason : "",
    ...scopeOf(rule.scope),
    windowMinutes: String(rule.windowMinutes),
    op: rule.condition.op,
    threshold: String(rule.condition.threshold),
    minCalls: String(rule.minCalls),
    severity: rule.severity,
    cooldownMinutes: String(rule.cooldownMinutes),
    activeHours: rule.active !== null,
    days: rule.active?.days ?? WEEKDAYS.slice(0, 5),
    from: rule.active?.from ?? "09:00",
    to: rule.active?.to ?? "18:00",
    timeZone: rule.active?.timeZone ?? "",
  };
}

/** A number as typed; NaN when it is not one (the engine names the field). */
function number(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? Number.NaN : Number(trimmed);
}

export function ruleOf(d: RuleDraft): AlertRule {
  const metric: Metric =
    d.metric === "reasonCount" || d.metric === "reasonShare" ? { kind: d.metric, reason: d.reason.trim() } : ({ kind: d.metric } as Metric);
  return {
    id: d.id,
    name: d.name,
    enabled: d.enabled,
    metric,
    scope: {
      agentId: d.scopeKind === "agentId" ? d.scopeValue.trim() : null,
      direction: d.scopeKind === "direction" ? d.scopeValue.trim() : null,
      language: d.scopeKind === "language" ? d.scopeValue.trim() : null,
      metadataField: d.scopeKind === "metadata" ? d.scopeField.trim() : null,
      metadataValue: d.scopeKind === "metadata" ? d.scopeValue.trim() : null,
    },
    windowMinutes: number(d.windowMinutes),
    condition: { op: d.op, threshold: number(d.threshold) },
    minCalls: number(d.minCalls),
    severity: d.severity,
    cooldownMinutes: number(d.cooldownMinutes),
    active: d.activeHours ? { days: d.days, from: d.from, to: d.to, timeZone: d.timeZone.trim() === "" ? null : d.timeZone.trim() } : null,
  };
}

/** Numbers the form could not read, named by field, before the engine is asked. */
export function unreadable(rule: AlertRule): { field: string; message: string } | null {
  const checks: [string, number, string][] = [
    ["windowMinutes", rule.windowMinutes, "The window is a number of minutes."],
    ["condition.threshold", rule.condition.threshold, "The threshold is a number."],
    ["minCalls", rule.minCalls, "The minimum is a number of calls."],
    ["cooldownMinutes", rule.cooldownMinutes, "The cooldown is a number of minutes."],
  ];
  for (const [field, value, message] of checks) if (!Number.isFinite(value)) return { field, message };
  return null;
}

/** A fresh rule's id: from its name, unique among `taken`. */
export function newId(name: string, taken: string[]): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "rule";
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

export function blankRule(taken: string[]): AlertRule {
  return {
    id: newId("new rule", taken),
    name: "",
    enabled: true,
    metric: { kind: "failureRate" },
    scope: { agentId: null, direction: null, language: null, metadataField: null, metadataValue: null },
    windowMinutes: 15,
    condition: { op: "above", threshold: 20 },
    minCalls: 10,
    severity: "warning",
    cooldownMinutes: 30,
    active: null,
  };
}
