import { FormEvent, useRef, useState } from "react";
import { api, AppStatus } from "./ipc";
import { useAction } from "./useAction";
import { ErrorLine } from "./Alert";
import { closeOnEscape } from "./keys";

/**
 * The public HTTPS address Calleague posts to (a tunnel to this receiver), shown in the
 * status bar and set from it. The engine checks it; an empty field clears it.
 */
export function PublicUrl({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState(status.publicUrl ?? "");
  const { busy, error, setError, run } = useAction<"save">();
  const button = useRef<HTMLButtonElement>(null);

  function save(e: FormEvent) {
    e.preventDefault();
    run("save", async () => {
      onStatus(await api.setPublicUrl(url.trim() || null));
      setOpen(false);
    });
  }

  return (
    <span className="public-url">
      <button
        ref={button}
        className="count"
        aria-expanded={open}
        onClick={() => {
          setUrl(status.publicUrl ?? "");
          setError(null);
          setOpen(!open);
        }}
        title="The HTTPS address Calleague delivers to: a tunnel to this receiver"
        data-testid="public-url"
      >
        {status.publicUrl ? `Public: ${status.publicUrl}` : "Set public URL…"}
      </button>
      {open && (
        <form
          className="popover up"
          onSubmit={save}
          onKeyDown={(e) => closeOnEscape(e, () => setOpen(false), button)}
          data-testid="public-url-form"
        >
          <label className="sub" htmlFor="public-url-input">
            Your tunnel's HTTPS address (cloudflared, ngrok, Tailscale Funnel) that forwards to {status.receiverUrl ?? "the receiver"}
          </label>
          <input id="public-url-input" placeholder="https://…" value={url} onChange={(e) => setUrl(e.target.value)} autoFocus />
          <button className="primary" disabled={busy !== null}>
            {busy ? "Saving…" : url.trim() ? "Save" : "Clear"}
          </button>
          <ErrorLine error={error} />
        </form>
      )}
    </span>
  );
}
