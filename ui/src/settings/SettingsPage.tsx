import { api, AppStatus } from "../ipc";
import { useAction } from "../useAction";
import { AccountSettings } from "./AccountSettings";
import { DataSettings } from "./DataSettings";
import { NotificationSettings } from "./NotificationSettings";
import { ReceiverSettingsForm } from "./ReceiverSettingsForm";
import { SourceSettingsForm } from "./SourceSettingsForm";
import { ForwardingSettingsForm } from "./ForwardingSettingsForm";
import { ErrorLine } from "../Alert";
import { ExportData } from "./ExportData";
import { DimensionsSettings } from "./DimensionsSettings";
import { ReasonsSettings } from "./ReasonsSettings";
import { AppearanceSettings } from "./AppearanceSettings";

/** In team mode the data is the team's database: its calls and events can be exported, its
 * dimensions are shown; its location, retention and dimensions are the receivers' business. */
function TeamData() {
  return (
    <section className="settings-section" aria-labelledby="data-title" data-testid="data-settings">
      <h2 id="data-title">Data</h2>
      <p className="sub">The team's database, read-only from here.</p>
      <ExportData />
      <DimensionsSettings />
    </section>
  );
}

/** Every setting in one place, section by section. */
export function SettingsPage({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  return (
    <main className="settings-page" data-testid="settings-page">
      <AccountSettings status={status} onStatus={onStatus} />
      {/* In team mode this computer receives nothing: the receivers' settings are on the servers. */}
      {status.mode !== "team" && <ReceiverSettingsForm status={status} onStatus={onStatus} />}
      {/* The REST source reads the account's calls: not the demo's, not a team's. */}
      {status.mode === "account" && <SourceSettingsForm status={status} onStatus={onStatus} />}
      {/* Forwarding sends what this computer receives: not in team mode. */}
      {status.mode !== "team" && <ForwardingSettingsForm />}
      {status.mode !== "team" ? <DataSettings /> : <TeamData />}
      <ReasonsSettings />
      <NotificationSettings status={status} onStatus={onStatus} />
      <AppearanceSettings status={status} onStatus={onStatus} />
      <StartUp status={status} onStatus={onStatus} />
    </main>
  );
}

function StartUp({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const { busy, error, run } = useAction<"login">();
  return (
    <section className="settings-section" aria-labelledby="startup-title">
      <h2 id="startup-title">Start-up</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={status.startAtLogin}
          disabled={busy !== null}
          onChange={(e) => {
            const on = e.target.checked;
            run("login", async () => onStatus(await api.setStartAtLogin(on)));
          }}
          data-testid="start-at-login"
        />
        Start Calleague Monitor when I log in (in the background, receiving)
      </label>
      <p className="sub">Closing the window keeps receiving while the tray icon is there; quit from the tray icon's menu.</p>
      <ErrorLine error={error} />
    </section>
  );
}
