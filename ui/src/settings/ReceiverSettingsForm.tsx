import { FormEvent, useEffect, useState } from "react";
import type { AppStatus, ReceiverSettings } from "../ipc";
import { api, errorText, isAppError } from "../ipc";
import { useAction } from "../useAction";
import { Field } from "./Field";
import { checkDraft, Draft, draftOf, FieldError, restarts, settingsOf, Field as FieldName } from "./receiverDraft";
import { ErrorLine, FieldMessage } from "../Alert";

/** The receiver: where it listens, what it accepts, TLS, and a replaced key's grace period. */
export function ReceiverSettingsForm({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [saved, setSaved] = useState<ReceiverSettings | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [fieldError, setFieldError] = useState<FieldError | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction<"apply" | "choose">();

  useEffect(() => {
    api.receiverSettings().then((s) => {
      setSaved(s);
      setDraft(draftOf(s));
    }, (e) => setError(errorText(e)));
    // Once: the form then holds what was typed until Apply or Revert.
  }, [setError]);

  // The public address set elsewhere (the status bar) shows here too, unless it was edited here.
  const publicUrl = status.publicUrl;
  useEffect(() => {
    if (!saved || (saved.publicUrl ?? null) === (publicUrl ?? null)) return;
    setDraft((d) => (d && d.publicUrl.trim() === (saved.publicUrl ?? "") ? { ...d, publicUrl: publicUrl ?? "" } : d));
    setSaved({ ...saved, publicUrl: publicUrl ?? null });
  }, [publicUrl, saved]);

  if (!draft || !saved) return <section className="settings-section"><h2>Receiver</h2><p className="sub">Loading…</p></section>;

  const change = (patch: Partial<Draft>) => {
    // From the latest draft, not this render's: key presses can come faster than renders.
    setDraft((d) => (d ? { ...d, ...patch } : d));
    setFieldError(null);
    setResult(null);
  };
  const at = (field: FieldName) => (fieldError?.field === field ? fieldError.message : null);
  const willRestart = restarts(saved, draft);

  function apply(e: FormEvent) {
    e.preventDefault();
    if (!draft || !saved) return;
    const problem = checkDraft(draft);
    if (problem) return setFieldError(problem);
    const next = settingsOf(draft);
    run("apply", async () => {
      try {
        const after = await api.applyReceiverSettings(next);
        onStatus(after);
        const applied = await api.receiverSettings();
        setSaved(applied);
        setDraft(draftOf(applied));
        setResult(willRestart ? `Applied: the receiver restarted and receives on ${after.receiverUrl ?? "—"}.` : "Applied.");
      } catch (err) {
        // The engine's refusal, by its field; what was typed stays.
        if (isAppError(err) && err.field) {
          setFieldError({ field: err.field as FieldName, message: err.message });
          return;
        }
        throw err;
      }
    });
  }

  const choose = (which: "cert" | "key") =>
    run("choose", async () => {
      const path = await api.choosePemFile(which === "cert" ? "Choose the certificate (PEM)" : "Choose the private key (PEM)");
      if (path) change(which === "cert" ? { cert: path } : { key: path });
    });

  return (
    <section className="settings-section" aria-labelledby="receiver-title" data-testid="receiver-settings">
      <h2 id="receiver-title">Receiver</h2>
      <p className="sub">The webhook endpoint inside this app. It listens on this computer only (127.0.0.1); a tunnel brings Calleague's deliveries to it.</p>
      <form className="settings-form" onSubmit={apply}>
        <div className="field-row">
          <Field id="receiver-port" label="Port" value={draft.port} onChange={(port) => change({ port })} error={at("port")} />
          <Field id="receiver-path" label="Path" value={draft.path} onChange={(path) => change({ path })} error={at("path")} placeholder="/hooks/calleague" />
        </div>
        <Field
          id="receiver-public-url"
          label="Public address (your tunnel's https:// address)"
          value={draft.publicUrl}
          onChange={(publicUrl) => change({ publicUrl })}
          error={at("publicUrl")}
          placeholder="https://…"
          hint="Subscriptions to this address plus the path are this computer's."
        />
        <div className="field-row">
          <Field id="receiver-body-limit" label="Largest delivery (KiB)" value={draft.bodyLimitKb} onChange={(bodyLimitKb) => change({ bodyLimitKb })} error={at("bodyLimitKb")} />
          <Field
            id="receiver-key-grace"
            label="Previous key accepted for (minutes)"
            value={draft.keyGraceMinutes}
            onChange={(keyGraceMinutes) => change({ keyGraceMinutes })}
            error={at("keyGraceMinutes")}
            hint="After you replace the API key, deliveries signed with the old one may still be on their way."
          />
        </div>
        <fieldset>
          <legend>TLS</legend>
          {(
            [
              ["off", "Off: plain http on this computer; the tunnel speaks https (usual)"],
              ["selfSigned", "Self-signed certificate, made at each start"],
              ["pem", "Certificate and key from PEM files"],
            ] as const
          ).map(([kind, text]) => (
            <label key={kind} className="check">
              <input type="radio" name="tls" checked={draft.tls === kind} onChange={() => change({ tls: kind })} data-testid={`tls-${kind}`} />
              {text}
            </label>
          ))}
          <FieldMessage message={at("tls")} testId="tls-error" />
          {draft.tls === "pem" && (
            <>
              <Field id="tls-cert" label="Certificate" value={draft.cert} onChange={(cert) => change({ cert })} error={at("tlsCert")} suffix={<button type="button" className="secondary" onClick={() => choose("cert")} disabled={busy !== null}>Choose…</button>} />
              <Field id="tls-key" label="Private key" value={draft.key} onChange={(key) => change({ key })} error={at("tlsKey")} suffix={<button type="button" className="secondary" onClick={() => choose("key")} disabled={busy !== null}>Choose…</button>} />
            </>
          )}
        </fieldset>
        <div className="form-actions">
          <button className="primary" disabled={busy !== null} data-testid="receiver-apply">
            {busy === "apply" ? (willRestart ? "Restarting the receiver…" : "Applying…") : "Apply"}
          </button>
          <button type="button" className="secondary" disabled={busy !== null} onClick={() => { setDraft(draftOf(saved)); setFieldError(null); setResult(null); }}>
            Revert
          </button>
          {willRestart && !result && <span className="sub" data-testid="receiver-restart-note">Applying restarts the receiver (a moment without receiving; Calleague retries).</span>}
          {result && <span className="ok-text" data-testid="receiver-applied">{result}</span>}
          {status.receiverError && !result && <span className="warn-text">Receiver down: {status.receiverError.message}</span>}
          <ErrorLine error={error} />
        </div>
      </form>
    </section>
  );
}
