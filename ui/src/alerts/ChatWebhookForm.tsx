// The chat webhook alerts are posted to (Slack's or Mattermost's incoming webhook). Its
// address is a secret kept in the keychain: once saved, only its host is shown.
import { FormEvent, useState } from "react";
import { api, isAppError } from "../ipc";
import { ErrorLine } from "../Alert";
import { Field } from "../settings/Field";
import { useAction } from "../useAction";

export function ChatWebhookForm({ host, note, onChanged }: { host: string | null | undefined; note: string | null; onChanged: () => void }) {
  const [url, setUrl] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const { busy, error, run } = useAction<"save" | "remove">();

  function save(e: FormEvent) {
    e.preventDefault();
    run("save", async () => {
      try {
        await api.setAlertChat(url);
        setUrl("");
        onChanged();
      } catch (err) {
        if (isAppError(err) && err.field) return setFieldError(err.message);
        throw err;
      }
    });
  }

  return (
    <section className="settings-section wide" aria-labelledby="chat-title" data-testid="alert-chat">
      <h2 id="chat-title">Chat webhook</h2>
      <p className="sub">
        Firings and resolutions are posted as <code>{'{"text": …}'}</code>, the shape Slack's and Mattermost's incoming webhooks take, and retried
        until taken. The address is kept in the system keychain.
      </p>
      {note && (
        <p className="sub warn" data-testid="chat-note">
          {note}
        </p>
      )}
      {host ? (
        <p data-testid="chat-host">
          Posting to <strong>{host}</strong>{" "}
          <button className="link danger" disabled={busy !== null} onClick={() => run("remove", async () => {
            await api.setAlertChat(null);
            onChanged();
          })} data-testid="chat-remove">
            Remove
          </button>
        </p>
      ) : (
        <p className="sub" data-testid="chat-none">
          No chat webhook: alerts show on this desktop only.
        </p>
      )}
      <form className="settings-form" onSubmit={save}>
        <Field
          id="chat-url"
          label={host ? "Replace with" : "Incoming webhook URL"}
          type="password"
          value={url}
          onChange={(v) => {
            setUrl(v);
            setFieldError(null);
          }}
          error={fieldError}
          placeholder="https://hooks.slack.com/services/…"
        />
        <div className="form-actions">
          <button className="primary" disabled={busy !== null || url.trim() === ""} data-testid="chat-save">
            {busy === "save" ? "Saving…" : "Save"}
          </button>
          <ErrorLine error={error} />
        </div>
      </form>
    </section>
  );
}
