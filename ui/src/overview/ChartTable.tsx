import type { OverviewBar } from "../bindings";
import { clock, day } from "../format";

/** The chart's numbers as a table, for screen readers (the canvas has none): each bar with
 * calls, its outcomes and its peak in progress. */
export function ChartTable({ bars }: { bars: OverviewBar[] }) {
  const shown = bars.filter((b) => b.calls > 0 || (b.peakInProgress ?? 0) > 0);
  return (
    <table className="visually-hidden" data-testid="overview-chart-table">
      <caption>
        Calls per bar{shown.length < bars.length ? `: the ${shown.length} of ${bars.length} bars with calls` : ""}
      </caption>
      <thead>
        <tr>
          <th scope="col">Bar from</th>
          <th scope="col">Calls</th>
          <th scope="col">Completed</th>
          <th scope="col">Failed</th>
          <th scope="col">In progress</th>
          <th scope="col">Most in progress at once</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((b) => (
          <tr key={b.at}>
            <th scope="row">
              {day(b.at)} {clock(b.at)}
            </th>
            <td>{b.calls}</td>
            <td>{b.completed}</td>
            <td>{b.failed}</td>
            <td>{b.inProgress}</td>
            <td>{b.peakInProgress ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
