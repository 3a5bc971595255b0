import { useEffect, useMemo, useRef, useState } from "react";
import { api, CallDetail, errorText, Transcript } from "./ipc";
import { clock, duration, metadataEntries } from "./format";
import { copy, curlFor, pretty } from "./curl";
import { Drawer } from "./Drawer";

/** A call's events, raw deliveries, recording and transcript. Payload text is text.
 * `media`: whether recordings and transcripts can be fetched (with the account's API key;
 * a team's database is watched without one). */
export function CallDetails({
  callId,
  receiverUrl,
  media = true,
  onClose,
}: {
  callId: string;
  receiverUrl: string | null;
  media?: boolean;
  onClose: () => void;
}) {
  const [detail, setDetail] = useState<CallDetail | null>(null);
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [find, setFind] = useState("");
  const [audioSeconds, setAudioSeconds] = useState<number | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [saving, setSaving] = useState<"idle" | "saving" | { saved: string } | { failed: string }>("idle");
  const audio = useRef<HTMLAudioElement>(null);

  useEffect(() => {
    setDetail(null);
    setTranscript(null);
    api.callDetail(callId).then(setDetail, (e) => setError(errorText(e)));
  }, [callId]);

  // The audio comes from Rust as bytes and plays from a blob: URL.
  const recordingId = media ? detail?.call.recordingId : undefined;
  const [audioUrl, setAudioUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!recordingId) return;
    let url: string | null = null;
    let gone = false;
    api.recordingAudio(recordingId).then(
      (bytes) => {
        if (gone) return;
        url = URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
        setAudioUrl(url);
      },
      (e) => setError(errorText(e)),
    );
    return () => {
      gone = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [recordingId]);

  const transcriptId = media ? detail?.call.transcriptId : undefined;
  useEffect(() => {
    if (transcriptId) api.transcript(transcriptId).then(setTranscript, (e) => setError(errorText(e)));
  }, [transcriptId]);

  const turns = useMemo(() => {
    const q = find.trim().toLowerCase();
    return (transcript?.segments ?? []).map((s) => ({ ...s, hit: q !== "" && s.text.toLowerCase().includes(q) }));
  }, [transcript, find]);

  function flash(what: string) {
    setCopied(what);
    window.setTimeout(() => setCopied(null), 1500);
  }

  async function save(recordingId: string) {
    setSaving("saving");
    try {
      const path = await api.saveRecording(recordingId, callId);
      setSaving(path ? { saved: path } : "idle");
    } catch (e) {
      setSaving({ failed: errorText(e) });
    }
  }

  function seek(seconds: number) {
    if (!audio.current) return;
    audio.current.currentTime = seconds;
    audio.current.play().catch(() => undefined);
  }

  const call = detail?.call;
  return (
    <Drawer
      title={callId}
      label="Call details"
      testId="details"
      onClose={onClose}
      sub={
        call && (
          <>
            <span className={`phase-label ${call.phase}`}>{call.phase}</span> · {call.agentId ?? "unknown agent"} · {call.direction ?? "—"} ·{" "}
            {call.language ?? "—"} · {duration(call.durationSec)} {call.endedReason ? `· ${call.endedReason}` : ""}
          </>
        )
      }
    >
      {error && <div className="error">{error}</div>}
      {!detail && !error && <div className="loading">Loading…</div>}
      {call && (
        <div className="drawer-body">
          {metadataEntries(call.metadata).length > 0 && (
            <section>
              <h3>Metadata</h3>
              <dl className="meta-table" data-testid="metadata">
                {metadataEntries(call.metadata).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
              </dl>
            </section>
          )}
          {!media && (call.recordingId || call.transcriptId) && (
            <section data-testid="media-unavailable">
              <h3>Recording and transcript</h3>
              <p className="sub">
                Calleague serves them to the account's API key; add it in Settings → Team database to play them here.
                {call.recordingId && <> Recording <code>{call.recordingId}</code>.</>}
                {call.transcriptId && <> Transcript <code>{call.transcriptId}</code>.</>}
              </p>
            </section>
          )}
          {media && call.recordingId && (
            <section>
              <h3>Recording</h3>
              <audio
                ref={audio}
                controls
                preload="metadata"
                data-testid="audio"
                data-duration={audioSeconds ?? ""}
                src={audioUrl ?? undefined}
                onLoadedMetadata={(e) => setAudioSeconds(e.currentTarget.duration)}
              />
              <div className="recording-line">
                {audioSeconds !== null ? <span className="sub">{duration(audioSeconds)} long</span> : !audioUrl && <span className="sub">Fetching the recording…</span>}
                <button className="small-button" onClick={() => save(call.recordingId!)} disabled={saving === "saving"} data-testid="save-recording">
                  {saving === "saving" ? "Saving…" : "Save recording…"}
                </button>
              </div>
              {typeof saving === "object" && "saved" in saving && (
                <div className="sub saved" data-testid="saved-to">
                  Saved to {saving.saved}
                </div>
              )}
              {typeof saving === "object" && "failed" in saving && <div className="error">{saving.failed}</div>}
            </section>
          )}
          {transcript && (
            <section>
              <h3>Transcript</h3>
              <input className="search small" placeholder="Find in the transcript" value={find} onChange={(e) => setFind(e.target.value)} data-testid="transcript-search" />
              <ol className="transcript" data-testid="transcript">
                {turns.map((t, i) => (
                  <li key={i} className={`turn speaker-${t.speaker} ${t.hit ? "hit" : ""}`} onClick={() => seek(t.startSec)} title="Play from here">
                    <span className="ts">{duration(t.startSec)}</span>
                    <span className="speaker">{t.speaker}</span>
                    <span className="said">{t.text}</span>
                  </li>
                ))}
              </ol>
            </section>
          )}
          <section>
            <h3>Events ({detail.events.length})</h3>
            <ol className="events" data-testid="events">
              {detail.events.map((e, i) => (
                <li key={e.id} className="event">
                  <button className="event-line" onClick={() => setOpen(open === i ? null : i)}>
                    <span className="event-name">{e.eventName}</span>
                    <span className="sub">occurred {clock(e.occurredAt)}</span>
                    <span className="sub">received {clock(e.receivedAt)}</span>
                    {e.attempts > 1 && <span className="badge late">×{e.attempts}</span>}
                    {e.late && <span className="badge late">late</span>}
                    {e.source === "catchup" && (
                      <span className="badge caught" title={e.confirmedByWebhook ? "Read from the REST API after downtime; its webhook arrived later too (shown below)" : "Read from the REST API after downtime"}>
                        {e.confirmedByWebhook ? "caught up + webhook" : "caught up"}
                      </span>
                    )}
                  </button>
                  {open === i && (
                    <div className="raw">
                      <div className="raw-actions">
                        <button onClick={() => copy(pretty(e.body)).then(() => flash("json"))}>{copied === "json" ? "Copied" : "Copy JSON"}</button>
                        {receiverUrl && (
                          <button onClick={() => copy(curlFor(receiverUrl, e.body)).then(() => flash("curl"))}>{copied === "curl" ? "Copied" : "Copy as curl"}</button>
                        )}
                      </div>
                      <pre>{pretty(e.body)}</pre>
                    </div>
                  )}
                </li>
              ))}
            </ol>
          </section>
        </div>
      )}
    </Drawer>
  );
}
