// Where a firing's "Show calls" leads: the timeline over the window behind its value,
// narrowed as the rule was (its agent, direction or language; failed calls for failure
// rules; its endedReason).
import type { AlertRule, FiringRow, Metric } from "../ipc";
import type { Drill } from "../overview/range";

export function firingDrill(firing: Pick<FiringRow, "windowFromMs" | "windowToMs">, rule: AlertRule | undefined): Drill {
  const drill: Drill = { fromMs: firing.windowFromMs, toMs: firing.windowToMs };
  if (!rule) return drill;
  if (rule.scope.agentId) drill.agent = rule.scope.agentId;
  if (rule.scope.direction) drill.direction = rule.scope.direction;
  if (rule.scope.language) drill.language = rule.scope.language;
  if (rule.scope.metadataField) drill.metadata = { field: rule.scope.metadataField, value: rule.scope.metadataValue ?? "" };
  const metric: Metric = rule.metric;
  if (metric.kind === "failureRate" || metric.kind === "failedCalls") drill.phase = "failed";
  if (metric.kind === "reasonCount" || metric.kind === "reasonShare") drill.reason = metric.reason;
  return drill;
}

/** Whether the calls behind a firing are on the timeline (refusals are in the drawer). */
export function opensCalls(rule: AlertRule | undefined): boolean {
  return rule?.metric.kind !== "rejectedDeliveries";
}
