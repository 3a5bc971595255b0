import type { WebhookHealth } from "../bindings";
import { clock, day } from "../format";
import { spanText } from "./range";

/** How deliveries went in the range, and when the receiver was not running. */
export function HealthPanel({ health }: { health: WebhookHealth }) {
  const stats: [string, number, string, string][] = [
    ["Webhook deliveries", health.webhooks, "webhooks", "Received and stored, by the time they arrived"],
    ["Repeats", health.duplicates, "duplicates", "The same delivery sent again: stored once, counted here"],
    ["Late", health.late, "late", "Arrived after a later step of their call"],
    ["Caught up", health.caughtUp, "caught-up", "Read back from the REST API after downtime"],
    ["Found via REST", health.fromRest, "from-rest", "Steps the REST API listed and no webhook had brought, read while running (REST-only mode or a reconciliation)"],
    ["Rejected", health.rejected, "rejected", "Refused: wrong token, too large, not allowed"],
    ["Quarantined", health.quarantined, "quarantined", "Verified, but not an event we could read"],
  ];
  return (
    <section className="panel health" data-testid="overview-health">
      <h3>Webhook health</h3>
      <div className="health-grid">
        {stats.map(([label, value, id, hint]) => (
          <div key={id} className={`stat ${value > 0 && (id === "rejected" || id === "quarantined") ? "warn" : ""}`} title={hint}>
            <span className="stat-value" data-testid={`health-${id}`}>
              {value.toLocaleString()}
            </span>
            <span className="stat-label">{label}</span>
          </div>
        ))}
      </div>
      <h4>Receiver downtime</h4>
      {health.gaps.length === 0 ? (
        <p className="sub" data-testid="health-no-gaps">
          No gaps: the receiver ran throughout.
        </p>
      ) : (
        <ul className="gaps" data-testid="health-gaps">
          {health.gaps.map((g) => {
            const ms = new Date(g.to).getTime() - new Date(g.from).getTime();
            return (
              <li key={g.from}>
                {day(g.from)} {clock(g.from)} – {clock(g.to)} <span className="sub">({spanText(ms)})</span>{" "}
                {g.caughtUpCalls === null || g.caughtUpCalls === undefined ? (
                  <span className="badge warn">not caught up</span>
                ) : (
                  <span className="badge ok">caught up: {g.caughtUpCalls} calls</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
