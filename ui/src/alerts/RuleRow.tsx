// One rule on the Alerts page: on/off, what it measures, its value now against its
// threshold, its last day, and whether it fires.
import type { RuleView } from "../ipc";
import { clock } from "../format";
import { formatValue, thresholdText } from "./units";
import { ValueChart } from "./ValueChart";

export function RuleRow({ view, onToggle, onEdit }: { view: RuleView; onToggle: (enabled: boolean) => void; onEdit: () => void }) {
  const { rule, status } = view;
  const firing = status?.firing !== null && status?.firing !== undefined;
  let state: string;
  if (!rule.enabled) state = "Off";
  else if (!status) state = "Not evaluated yet";
  else if (status.counting) state = `Waiting: ${status.error}`;
  else if (status.error) state = `Cannot be evaluated: ${status.error}`;
  else if (firing) state = `Firing since ${clock(new Date(status.firingSinceMs ?? status.evaluatedMs).toISOString())}`;
  else if (status.inactive) state = "Outside its active hours";
  else state = "OK";
  return (
    <tr className={firing ? "firing" : ""} data-testid={`rule-${rule.id}`}>
      <td>
        <input type="checkbox" checked={rule.enabled} onChange={(e) => onToggle(e.target.checked)} aria-label={`${rule.name} on`} data-testid={`rule-${rule.id}-enabled`} />
      </td>
      <td>
        <div className={`severity ${rule.severity}`}>{rule.name}</div>
        <div className="sub">{view.summary}</div>
      </td>
      <td data-testid={`rule-${rule.id}-value`}>
        {rule.enabled && status ? formatValue(rule.metric, status.value) : "–"}
        <span className="sub"> {thresholdText(rule)}</span>
      </td>
      <td>{view.day ? <ValueChart chart={view.day} rule={rule} testId={`rule-${rule.id}-chart`} /> : <span className="sub">not kept over time</span>}</td>
      <td data-testid={`rule-${rule.id}-state`} className={firing ? "warn" : ""}>
        {state}
      </td>
      <td>
        <button className="link" onClick={onEdit} data-testid={`rule-${rule.id}-edit`}>
          Edit
        </button>
      </td>
    </tr>
  );
}
