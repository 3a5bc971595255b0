import { useCallback, useEffect, useState } from "react";
import { setThemeChoice } from "./theme";
import { api, errorText } from "./ipc";
import type { AppStatus } from "./bindings";
import { CallDetails } from "./CallDetails";
import { CallsPage } from "./calls/CallsPage";
import { Onboarding } from "./Onboarding";
import { ReceiverProblem } from "./ReceiverProblem";
import { Rejections } from "./Rejections";
import { SettingsPage } from "./settings/SettingsPage";
import { StatusBar } from "./StatusBar";
import { Announcer } from "./Announcer";
import { SubscriptionsPage } from "./subscriptions/SubscriptionsPage";
import { PageId, TopBar } from "./TopBar";
import { isField } from "./keys";
import type { Filters } from "./calls/useCallFilters";
import { OverviewPage } from "./overview/OverviewPage";
import { AgentsPage } from "./agentsPage/AgentsPage";
import { ForwardingPage } from "./forwarding/ForwardingPage";
import { AlertsPage } from "./alerts/AlertsPage";
import { firingDrill } from "./alerts/drill";
import { OverviewStrip } from "./overview/OverviewStrip";
import { Drill, OverviewPrefs, drillFilters, loadPrefs, savePrefs } from "./overview/range";
import { useFollowAgents } from "./agents";

/** What the drawer shows, if anything. */
export type DrawerContent = { kind: "call"; callId: string } | { kind: "rejected" } | { kind: "quarantined" } | null;

/** The engine's status, polled; the welcome screen until a mode is chosen, then the frame. */
export function App() {
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    api.status().then(setStatus, (e) => setError(errorText(e)));
  }, []);

  useEffect(() => {
    refresh();
    // The engine resumes (keychain, demo) in the background at start.
    const timer = window.setInterval(refresh, 2000);
    return () => window.clearInterval(timer);
  }, [refresh]);

  // Light or dark as chosen in Settings (the desktop's by default), on every screen.
  const theme = status?.theme ?? "system";
  useEffect(() => setThemeChoice(theme), [theme]);

  if (error) return <div className="fatal">Could not reach the app's engine: {error}</div>;
  if (!status) return <div className="loading">Starting…</div>;
  if (!status.mode) return <Onboarding status={status} onDone={setStatus} />;
  return <Frame status={status} onStatus={setStatus} />;
}

/** Top bar and pages, the receiver's problems, the page, the drawer, the status bar. */
function Frame({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [page, setPage] = useState<PageId>("calls");
  const [drawer, setDrawer] = useState<DrawerContent>(null);
  // The overview's range and strip, remembered; a drill-down opens a fresh timeline.
  const [prefs, setPrefs] = useState<OverviewPrefs>(loadPrefs);
  const [drilled, setDrilled] = useState<{ filters: Filters; n: number } | null>(null);
  const changePrefs = useCallback((next: Partial<OverviewPrefs>) => {
    setPrefs((p) => {
      const merged = { ...p, ...next };
      savePrefs(merged);
      return merged;
    });
  }, []);
  const drill = useCallback((d: Drill) => {
    setDrilled((prev) => ({ filters: drillFilters(d), n: (prev?.n ?? 0) + 1 }));
    setDrawer(null);
    setPage("calls");
  }, []);

  // A click on a notification: its call, on the timeline (a summary opens the timeline).
  useEffect(() => {
    api
      .subscribeOpenRequests(({ callId, alertFiring }) => {
        // An alert's note: the calls behind its firing, narrowed as its rule was.
        if (alertFiring !== null && alertFiring !== undefined) {
          Promise.all([api.alertFiring(alertFiring), api.alertsView()]).then(
            ([firing, view]) => drill(firingDrill(firing, view.rules.find((r) => r.rule.id === firing.ruleId)?.rule)),
            () => setPage("alerts"),
          );
          return;
        }
        setPage("calls");
        setDrawer(callId ? { kind: "call", callId } : null);
      })
      .catch(() => undefined);
  }, []);

  // The subscriptions are looked at once at start and every few minutes, so that the status
  // bar can say when none sends to this computer without the page being open.
  const statusAgain = useCallback(() => {
    api.status().then(onStatus, () => undefined);
  }, [onStatus]);
  // A team's database has no subscriptions of this computer's to look at.
  const team = status.mode === "team";
  // The agents' names, read anew when the window watches another database.
  useFollowAgents(`${status.mode}:${status.teamDatabase ?? ""}`);
  useEffect(() => {
    if (team) return;
    const look = () => api.subscriptions().then(statusAgain, () => undefined);
    look();
    const timer = window.setInterval(look, 5 * 60_000);
    return () => window.clearInterval(timer);
  }, [team, statusAgain, status.publicUrl, status.receiverUrl]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key === "Escape" && !isField(document.activeElement)) setDrawer(null);
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div className="app">
      <TopBar
        status={status}
        page={page}
        onPage={(next) => {
          // A call's details belong to the timeline: they close with it.
          if (next !== page) setDrawer(null);
          // The tab opens the timeline as it always does; a drill-down is one visit.
          if (next === "calls") setDrilled(null);
          setPage(next);
        }}
        onStatus={onStatus}
      />
      <ReceiverProblem status={status} onStatus={onStatus} />
      {page === "overview" && <OverviewPage range={prefs.range} onRange={(range) => changePrefs({ range })} onDrill={drill} />}
      {page === "agents" && <AgentsPage range={prefs.range} onRange={(range) => changePrefs({ range })} onDrill={drill} />}
      {page === "calls" && (
        <CallsPage
          key={drilled?.n ?? 0}
          mode={status.mode}
          drawerOpen={drawer !== null}
          onOpenCall={(callId) => setDrawer({ kind: "call", callId })}
          initialFilters={drilled?.filters}
          strip={
            <OverviewStrip
              range={prefs.range}
              open={prefs.stripOpen}
              onOpen={(stripOpen) => changePrefs({ stripOpen })}
              onDrill={drill}
              onOverview={() => setPage("overview")}
            />
          }
        />
      )}
      {page === "subscriptions" && <SubscriptionsPage status={status} onChanged={statusAgain} />}
      {page === "forwarding" && <ForwardingPage onOpenCall={(callId) => setDrawer({ kind: "call", callId })} onSettings={() => setPage("settings")} />}
      {page === "alerts" && <AlertsPage onDrill={drill} onRejected={() => setDrawer({ kind: "rejected" })} />}
      {page === "settings" && <SettingsPage status={status} onStatus={onStatus} />}
      {drawer?.kind === "call" && <CallDetails callId={drawer.callId} receiverUrl={status.receiverUrl} media={!team || Boolean(status.keyMasked)} forwarding={!team} onClose={() => setDrawer(null)} />}
      {(drawer?.kind === "rejected" || drawer?.kind === "quarantined") && <Rejections kind={drawer.kind} onClose={() => setDrawer(null)} />}
      <StatusBar
        status={status}
        onShow={(kind) => setDrawer({ kind })}
        onStatus={onStatus}
        onSubscriptions={() => setPage("subscriptions")}
        onForwarding={() => setPage("forwarding")}
        onAlerts={() => setPage("alerts")}
      />
      <Announcer status={status} />
    </div>
  );
}
