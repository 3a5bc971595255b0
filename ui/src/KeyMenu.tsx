import { FormEvent, useEffect, useRef, useState } from "react";
import { focusFirst, onMenuKeys } from "./keys";
import { api, AppStatus } from "./ipc";
import { useAction } from "./useAction";

/** The stored key, masked, with "replace" and "remove". */
export function KeyMenu({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [open, setOpen] = useState(false);
  const [replacing, setReplacing] = useState(false);
  const [key, setKey] = useState("");
  const { busy, error, run } = useAction<"replace" | "remove">();
  const badge = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (open) focusFirst(menu.current);
  }, [open, replacing]);

  function replace(e: FormEvent) {
    e.preventDefault();
    run("replace", async () => {
      onStatus(await api.connectAccount(key, status.apiBaseUrl));
      setKey("");
      setReplacing(false);
      setOpen(false);
    });
  }

  function remove() {
    if (!window.confirm("Remove the API key from the keychain? The receiver stops until you connect again.")) return;
    run("remove", async () => onStatus(await api.removeKey()));
  }

  return (
    <div className="key-menu">
      <button
        ref={badge}
        className="key-badge"
        onClick={() => setOpen(!open)}
        title="Your API key, kept in the system keychain"
        aria-haspopup="true"
        aria-expanded={open}
        data-testid="key-badge"
      >
        Key {status.keyMasked} ▾
      </button>
      {open && (
        <div className="popover" ref={menu} role="group" aria-label="API key" onKeyDown={(e) => onMenuKeys(e, () => setOpen(false), badge)} data-testid="key-popover">
          <p className="sub">Kept only in your system keychain; shown masked.</p>
          {replacing ? (
            <form onSubmit={replace}>
              <input type="password" autoComplete="off" placeholder="New API key" value={key} onChange={(e) => setKey(e.target.value)} aria-label="New API key" />
              <button className="primary" disabled={busy !== null || !key.trim()}>
                {busy === "replace" ? "Checking…" : "Save"}
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
