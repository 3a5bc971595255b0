import type { Tally } from "../bindings";

/**
 * Counts as labelled horizontal bars, numbers always shown; a row with a key opens the
 * timeline at those calls.
 */
export function Tallies({
  title,
  rows,
  count,
  empty,
  testId,
  noKey,
  onOpen,
  labelOf = (key) => key,
}: {
  title: string;
  rows: Tally[];
  count: (t: Tally) => number;
  empty: string;
  testId: string;
  noKey: string;
  onOpen: (key: string) => void;
  /** How a key is shown (an agent's name for its id); the key itself is what opens. */
  labelOf?: (key: string) => string;
}) {
  const most = Math.max(1, ...rows.map(count));
  return (
    <section className="panel tallies" data-testid={testId}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="sub">{empty}</p>
      ) : (
        <ul>
          {rows.map((t) => {
            const label = t.key === null ? noKey : labelOf(t.key);
            const bar = (
              <>
                <span className="tally-label" title={label}>
                  {label}
                </span>
                <span className="tally-track">
                  <span className="tally-fill" style={{ width: `${(count(t) / most) * 100}%` }} />
                  {t.failed > 0 && <span className="tally-failed" style={{ width: `${(t.failed / most) * 100}%` }} />}
                </span>
                <span className="tally-count" data-testid="tally-count">
                  {count(t)}
                </span>
              </>
            );
            return (
              <li key={t.key ?? ""} data-key={t.key ?? ""} data-calls={count(t)}>
                {t.key === null ? (
                  <div className="tally-row plain">{bar}</div>
                ) : (
                  <button className="tally-row" onClick={() => onOpen(t.key!)} title={`Open these ${count(t)} calls on the timeline`}>
                    {bar}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
