import { FormEvent, useState } from "react";
import type { AppStatus } from "../ipc";
import { api } from "../ipc";
import { useAction } from "../useAction";
import { Field } from "./Field";
import { ErrorLine } from "../Alert";

/** The account: the key (masked; replace, remove) and, under Advanced, the API address. In demo mode, the way out. */
export function AccountSettings({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [replacing, setReplacing] = useState(false);
  const [advanced, setAdvanced] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [key, setKey] = useState("");
  const [apiBase, setApiBase] = useState(status.apiBaseUrl);
  const { busy, error, run } = useAction<"replace" | "remove" | "leave">();

  if (status.mode === "team") return <TeamSettings status={status} onStatus={onStatus} />;

  if (status.mode === "demo") {
    return (
      <section className="settings-section" aria-labelledby="account-title" data-testid="account-settings">
        <h2 id="account-title">Account</h2>
        <p className="sub">Demo mode: the built-in simulator plays calls; nothing leaves this computer.</p>
        <button className="secondary inline" onClick={() => run("leave", async () => onStatus(await api.leaveDemo()))} disabled={busy !== null}>
          Leave demo and connect an account
        </button>
      </section>
    );
  }

  function replace(e: FormEvent) {
    e.preventDefault();
    run("replace", async () => {
      onStatus(await api.connectAccount(key, apiBase.trim() || null));
      setKey("");
      setReplacing(false);
    });
  }

  return (
    <section className="settings-section" aria-labelledby="account-title" data-testid="account-settings">
      <h2 id="account-title">Account</h2>
      <p className="sub">The API key is kept only in your system keychain and never shown again: here it is masked.</p>
      <dl className="facts">
        <div>
          <dt>API key</dt>
          <dd className="mono" data-testid="account-key">{status.keyMasked ?? "—"}</dd>
        </div>
        <div>
          <dt>API address</dt>
          <dd className="mono">{status.apiBaseUrl}</dd>
        </div>
      </dl>
      {replacing ? (
        <form className="settings-form" onSubmit={replace} data-testid="replace-key-form">
          <Field id="new-api-key" type="password" label="New API key" value={key} onChange={setKey} hint="Checked with Calleague before it replaces the current one. The previous key stays accepted by the receiver for its grace period (Receiver settings)." />
          <button type="button" className="link" onClick={() => setAdvanced(!advanced)}>
            {advanced ? "Hide advanced" : "Advanced"}
          </button>
          {advanced && <Field id="replace-api-base" label="API address" value={apiBase} onChange={setApiBase} />}
          <div className="form-actions">
            <button className="primary" disabled={busy !== null || !key.trim()} data-testid="replace-key-save">
              {busy === "replace" ? "Checking the key…" : "Replace key"}
            </button>
            <button type="button" className="secondary" onClick={() => setReplacing(false)} disabled={busy !== null}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="form-actions">
          <button className="secondary" onClick={() => setReplacing(true)} data-testid="replace-key">
            Replace key…
          </button>
          {confirming ? (
            <span className="confirm">
              Remove the key? The receiver stops until you connect again.
              <button className="link danger" onClick={() => run("remove", async () => onStatus(await api.removeKey()))} disabled={busy !== null} data-testid="remove-key-yes">
                Remove
              </button>
              <button className="link" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button className="link danger" onClick={() => setConfirming(true)} data-testid="remove-key">
              Remove key
            </button>
          )}
        </div>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

/** Team mode: the database watched, the way out, and the account's API key for
 * recordings and transcripts (optional: Calleague serves them to the key). */
function TeamSettings({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [key, setKey] = useState("");
  const [apiBase, setApiBase] = useState(status.apiBaseUrl);
  const [advanced, setAdvanced] = useState(false);
  const { busy, error, run } = useAction<"key" | "remove" | "leave">();

  function addKey(e: FormEvent) {
    e.preventDefault();
    run("key", async () => {
      onStatus(await api.setTeamApiKey(key, apiBase.trim() || null));
      setKey("");
    });
  }

  return (
    <section className="settings-section" aria-labelledby="account-title" data-testid="account-settings">
      <h2 id="account-title">Team database</h2>
      <p className="sub">
        Watching {status.teamDatabase ?? "the team's database (connecting…)"}, read-only: receivers on your servers write it. Its address and
        password are kept in your system keychain.
      </p>
      <button className="secondary inline" onClick={() => run("leave", async () => onStatus(await api.leaveTeam()))} disabled={busy !== null}>
        Stop watching the team's database
      </button>
      <h3>Recordings and transcripts</h3>
      {status.keyMasked ? (
        <div className="form-actions" data-testid="team-key">
          <span className="sub">
            Played with the account's API key <span className="mono">{status.keyMasked}</span>, kept in your system keychain.
          </span>
          <button className="link danger" onClick={() => run("remove", async () => onStatus(await api.setTeamApiKey(null, null)))} disabled={busy !== null}>
            Remove the key
          </button>
        </div>
      ) : (
        <form className="settings-form" onSubmit={addKey} data-testid="team-key-form">
          <Field
            id="team-key-input"
            type="password"
            label="The account's API key"
            value={key}
            onChange={setKey}
            hint="Calleague serves recordings and transcripts to it. Checked with Calleague, then kept only in your system keychain."
          />
          <button type="button" className="link" onClick={() => setAdvanced(!advanced)}>
            {advanced ? "Hide advanced" : "Advanced"}
          </button>
          {advanced && <Field id="team-api-base" label="API address" value={apiBase} onChange={setApiBase} />}
          <div className="form-actions">
            <button className="primary" disabled={busy !== null || !key.trim()} data-testid="team-key-save">
              {busy === "key" ? "Checking the key…" : "Add key"}
            </button>
          </div>
        </form>
      )}
      <ErrorLine error={error} />
    </section>
  );
}
