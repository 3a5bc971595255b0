// The receiver form's draft: text fields as typed, what the engine takes, and the checks
// shown by the field before anything is sent (the engine checks every field again).
import type { ReceiverSettings, TlsChoice } from "../ipc";

export type Draft = {
  port: string;
  path: string;
  publicUrl: string;
  bodyLimitKb: string;
  tls: TlsChoice["kind"];
  cert: string;
  key: string;
  keyGraceMinutes: string;
};
export type Field = "port" | "path" | "publicUrl" | "bodyLimitKb" | "tls" | "tlsCert" | "tlsKey" | "keyGraceMinutes";
export type FieldError = { field: Field; message: string };

export function draftOf(s: ReceiverSettings): Draft {
  return {
    port: String(s.port),
    path: s.path,
    publicUrl: s.publicUrl ?? "",
    bodyLimitKb: String(s.bodyLimitKb),
    tls: s.tls.kind,
    cert: s.tls.kind === "pem" ? s.tls.cert : "",
    key: s.tls.kind === "pem" ? s.tls.key : "",
    keyGraceMinutes: String(s.keyGraceMinutes),
  };
}

const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN);

export function settingsOf(d: Draft): ReceiverSettings {
  const tls: TlsChoice = d.tls === "pem" ? { kind: "pem", cert: d.cert.trim(), key: d.key.trim() } : { kind: d.tls };
  return {
    port: whole(d.port),
    path: d.path.trim(),
    publicUrl: d.publicUrl.trim() || null,
    bodyLimitKb: whole(d.bodyLimitKb),
    tls,
    keyGraceMinutes: whole(d.keyGraceMinutes),
  };
}

export function checkDraft(d: Draft): FieldError | null {
  const port = whole(d.port);
  if (!(port >= 1024 && port <= 65535)) return { field: "port", message: "Choose a port from 1024 to 65535." };
  if (!d.path.trim().startsWith("/")) return { field: "path", message: "The path starts with /, e.g. /hooks/calleague." };
  if (d.publicUrl.trim() && !d.publicUrl.trim().startsWith("https://")) return { field: "publicUrl", message: "The public address must start with https://" };
  const body = whole(d.bodyLimitKb);
  if (!(body >= 16 && body <= 65536)) return { field: "bodyLimitKb", message: "Choose from 16 KiB to 64 MiB (65536 KiB)." };
  if (d.tls === "pem" && !d.cert.trim()) return { field: "tlsCert", message: "Choose the certificate's PEM file." };
  if (d.tls === "pem" && !d.key.trim()) return { field: "tlsKey", message: "Choose the private key's PEM file." };
  const grace = whole(d.keyGraceMinutes);
  if (!(grace >= 0 && grace <= 10080)) return { field: "keyGraceMinutes", message: "From 0 to 10080 minutes (a week)." };
  return null;
}

/** Whether applying `d` over `saved` restarts the receiver (said before Apply). */
export function restarts(saved: ReceiverSettings, d: Draft): boolean {
  const next = settingsOf(d);
  return next.port !== saved.port || next.path !== saved.path || next.bodyLimitKb !== saved.bodyLimitKb || JSON.stringify(next.tls) !== JSON.stringify(saved.tls);
}
