import { FormEvent, useState } from "react";
import { api, AppStatus } from "./ipc";
import { useAction } from "./useAction";
import { ErrorLine } from "./Alert";

export function Onboarding({ status, onDone }: { status: AppStatus; onDone: (s: AppStatus) => void }) {
  const [key, setKey] = useState("");
  const [base, setBase] = useState(status.apiBaseUrl);
  const [advanced, setAdvanced] = useState(false);
  const [database, setDatabase] = useState("");
  const [password, setPassword] = useState("");
  const [plaintext, setPlaintext] = useState(false);
  const { busy, error, run } = useAction<"connect" | "demo" | "team">(status.keychainError?.message ?? null);

  function connect(e: FormEvent) {
    e.preventDefault();
    run("connect", async () => onDone(await api.connectAccount(key, base)));
  }

  function team(e: FormEvent) {
    e.preventDefault();
    run("team", async () => onDone(await api.connectTeam(database, password, plaintext)));
  }

  function demo() {
    run("demo", async () => onDone(await api.startDemo()));
  }

  return (
    <main className="welcome">
      <div className="welcome-card">
        <div className="brand">
          <img className="logo" src="/logo.svg" alt="" />
          <h1>Calleague Monitor</h1>
        </div>
        <p className="lede">Watch your voice agents' calls live: every webhook kept on this computer, failed calls flagged the moment they happen.</p>
        <div className="choices">
          <form className="choice" onSubmit={connect} aria-label="Connect your account">
            <h2>Connect your account</h2>
            <label htmlFor="api-key">API key</label>
            <input
              id="api-key"
              type="password"
              autoComplete="off"
              spellCheck={false}
              placeholder="Paste your Calleague API key"
              value={key}
              onChange={(e) => setKey(e.target.value)}
            />
            <button type="button" className="link" onClick={() => setAdvanced(!advanced)}>
              {advanced ? "Hide advanced" : "Advanced"}
            </button>
            {advanced && (
              <>
                <label htmlFor="api-base">API address</label>
                <input id="api-base" value={base} onChange={(e) => setBase(e.target.value)} spellCheck={false} />
              </>
            )}
            <button type="submit" className="primary" disabled={busy !== null || key.trim() === ""}>
              {busy === "connect" ? "Checking the key…" : "Connect"}
            </button>
            <p className="hint">The key is checked with Calleague, then kept only in your system keychain.</p>
          </form>
          <div className="choice">
            <h2>Explore with the simulator</h2>
            <p>A built-in stand-in for Calleague plays a steady stream of realistic calls, so you can try everything without an account.</p>
            <button className="secondary" onClick={demo} disabled={busy !== null}>
              {busy === "demo" ? "Starting the demo…" : "Start the demo"}
            </button>
          </div>
          <form className="choice team" onSubmit={team} aria-label="Watch your team's database" data-testid="team-form">
            <h2>Or watch your team's database</h2>
            <p>Receivers on your servers write it (PostgreSQL); this computer only reads it, with a read-only role. The password is kept only in your system keychain.</p>
            <div className="team-fields">
              <div className="field">
                <label htmlFor="team-database">Database address</label>
                <input
                  id="team-database"
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="postgres://calleague_viewer@db.internal:5432/calleague?sslmode=verify-full"
                  value={database}
                  onChange={(e) => setDatabase(e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="team-password">Password</label>
                <input id="team-password" type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
              </div>
              <button type="submit" className="secondary" disabled={busy !== null || database.trim() === ""}>
                {busy === "team" ? "Connecting…" : "Watch"}
              </button>
            </div>
            <p className="hint">To another computer the link is encrypted and the server's certificate checked (sslmode=verify-full; sslrootcert=FILE for your own CA).</p>
            <label className="check">
              <input type="checkbox" checked={plaintext} onChange={(e) => setPlaintext(e.target.checked)} data-testid="team-plaintext" />
              Connect without encryption (sslmode=disable): the password and every call cross the network in clear
            </label>
          </form>
        </div>
        <ErrorLine error={error} />
      </div>
    </main>
  );
}
