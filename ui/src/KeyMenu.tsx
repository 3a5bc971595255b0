import { FormEvent, useState } from "react";
import { api, AppStatus, errorText } from "./ipc";

/** The stored key, masked, with "replace" and "remove". */
export function KeyMenu({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [open, setOpen] = useState(false);
  const [replacing, setReplacing] = useState(false);
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function replace(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onStatus(await api.connectAccount(key, status.apiBaseUrl));
      setKey("");
      setReplacing(false);
      setOpen(false);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!window.confirm("Remove the API key from the keychain? The receiver stops until you connect again.")) return;
    try {
      onStatus(await api.removeKey());
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <div className="key-menu">
      <button className="key-badge" onClick={() => setOpen(!open)} title="Your API key, kept in the system keychain" data-testid="key-badge">
        Key {status.keyMasked} ▾
      </button>
      {open && (
        <div className="popover" data-testid="key-popover">
          <p className="sub">Kept only in your system keychain; shown masked.</p>
          {replacing ? (
            <form onSubmit={replace}>
              <input type="password" autoComplete="off" placeholder="New API key" value={key} onChange={(e) => setKey(e.target.value)} aria-label="New API key" />
              <button className="primary" disabled={busy || !key.trim()}>
                {busy ? "Checking…" : "Save"}
              </button>
            </form>
          ) : (
            <div className="popover-actions">
              <button onClick={() => setReplacing(true)}>Replace key</button>
              <button className="danger" onClick={remove}>
                Remove key
              </button>
            </div>
          )}
          {error && <p className="error">{error}</p>}
        </div>
      )}
    </div>
  );
}
