// The Alerts page: every rule with its value now, its threshold and its last day; the
// firings, each opening the calls behind it; the rule editor with its preview; the chat
// webhook; the rules exported for (or imported from) the headless receiver.
import { useCallback, useEffect, useState } from "react";
import type { AlertRule, AlertsView } from "../ipc";
import { api, errorText } from "../ipc";
import { ErrorLine } from "../Alert";
import { useFeedTick } from "../feed";
import type { Drill } from "../overview/range";
import { ChatWebhookForm } from "./ChatWebhookForm";
import { FiringList } from "./FiringList";
import { RuleEditor } from "./RuleEditor";
import { RuleRow } from "./RuleRow";
import { blankRule, newId } from "./ruleDraft";

type Editing = { index: number | null; rule: AlertRule } | null;

export function AlertsPage({ onDrill, onRejected }: { onDrill: (drill: Drill) => void; onRejected: () => void }) {
  const [view, setView] = useState<AlertsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [note, setNote] = useState<string | null>(null);
  const [again, setAgain] = useState(0);
  // Values move with deliveries and with the clock: at most every 2 s, and every 10 s.
  const tick = useFeedTick(2000);
  useEffect(() => {
    const timer = window.setInterval(() => setAgain((n) => n + 1), 10_000);
    return () => window.clearInterval(timer);
  }, []);
  const load = useCallback(() => {
    api.alertsView().then(
      (v) => {
        setView(v);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(load, [load, tick, again]);

  const rules = view?.rules.map((r) => r.rule) ?? [];
  async function saveAll(next: AlertRule[]) {
    await api.saveAlertRules(next);
    load();
  }

  return (
    <main className="settings-page" data-testid="alerts-page">
      {editing ? (
        <RuleEditor
          key={editing.index ?? "new"}
          rule={editing.rule}
          isNew={editing.index === null}
          onCancel={() => setEditing(null)}
          onSave={async (rule) => {
            // A new rule's id comes from its name (an edited one keeps its own: its firings are kept under it).
            const placed = editing.index === null ? { ...rule, id: newId(rule.name, rules.map((r) => r.id)) } : rule;
            const next = editing.index === null ? [...rules, placed] : rules.map((r, i) => (i === editing.index ? placed : r));
            await saveAll(next);
            setEditing(null);
            setNote(`Saved “${rule.name}”.`);
          }}
          onDelete={
            editing.index === null
              ? null
              : () => {
                  const index = editing.index;
                  saveAll(rules.filter((_, i) => i !== index)).then(
                    () => setEditing(null),
                    (e) => setError(errorText(e)),
                  );
                }
          }
        />
      ) : (
        <section className="settings-section wide" aria-labelledby="alerts-title">
          <div className="section-head">
            <h2 id="alerts-title">Alert rules</h2>
            <div className="actions">
              <button className="small-button" onClick={() => setEditing({ index: null, rule: blankRule(rules.map((r) => r.id)) })} data-testid="new-rule" disabled={!view}>
                New rule
              </button>
              <button
                className="small-button"
                onClick={async () => {
                  try {
                    const imported = await api.importAlertRules();
                    if (!imported) return;
                    if (!window.confirm(`Replace the ${rules.length} rules here with the file's ${imported.length}?`)) return;
                    await saveAll(imported);
                    setNote(`Imported ${imported.length} rules.`);
                  } catch (e) {
                    setError(errorText(e));
                  }
                }}
                data-testid="import-rules"
              >
                Import…
              </button>
              <button
                className="small-button"
                onClick={async () => {
                  try {
                    const path = await api.exportAlertRules();
                    if (path) setNote(`Exported to ${path}: give it to calleague-receiver serve --alerts.`);
                  } catch (e) {
                    setError(errorText(e));
                  }
                }}
                data-testid="export-rules"
              >
                Export…
              </button>
            </div>
          </div>
          <p className="sub">
            Trends, not single calls: each rule measures a window of calls and tells you (a desktop notification, and the chat webhook below) when it
            fires and when it stops — once per firing.
          </p>
          <ErrorLine error={error} />
          {note && (
            <p className="ok-text" role="status" data-testid="alerts-note">
              {note}
            </p>
          )}
          {view?.unavailable && (
            <p className="sub warn" data-testid="alerts-unavailable">
              {view.unavailable}
            </p>
          )}
          {view && view.rules.length === 0 && <p className="empty small">No rule yet.</p>}
          {view && view.rules.length > 0 && (
            <table className="subscriptions alert-rules" data-testid="alert-rules">
              <thead>
                <tr>
                  <th>On</th>
                  <th>Rule</th>
                  <th>Now</th>
                  <th>Last 24 hours</th>
                  <th>State</th>
                  <th>
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.rules.map((r, i) => (
                  <RuleRow
                    key={r.rule.id}
                    view={r}
                    onToggle={(enabled) => saveAll(rules.map((rule, j) => (j === i ? { ...rule, enabled } : rule))).catch((e) => setError(errorText(e)))}
                    onEdit={() => setEditing({ index: i, rule: r.rule })}
                  />
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {!editing && view && <ChatWebhookForm host={view.chatHost} note={view.chatNote ?? null} onChanged={load} />}
      {!editing && <FiringList rules={rules} tick={tick + again} onDrill={onDrill} onRejected={onRejected} />}
    </main>
  );
}
