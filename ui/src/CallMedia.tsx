import { useEffect, useMemo, useRef, useState } from "react";
import { api, errorText, Transcript } from "./ipc";
import { duration } from "./format";

/** A call's recording (played from bytes the engine fetched, saved through the native
 * dialog) and its transcript (searchable; a turn plays from its time). Calleague serves
 * both to the account's API key: when this app has none (`available` false, a team's
 * database watched without it) they are named, not fetched. */
export function CallMedia({
  callId,
  recordingId,
  transcriptId,
  available,
  onError,
}: {
  callId: string;
  recordingId?: string;
  transcriptId?: string;
  available: boolean;
  onError: (message: string) => void;
}) {
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [find, setFind] = useState("");
  const [audioSeconds, setAudioSeconds] = useState<number | null>(null);
  const [saving, setSaving] = useState<"idle" | "saving" | { saved: string } | { failed: string }>("idle");
  const audio = useRef<HTMLAudioElement>(null);

  // The audio comes from Rust as bytes and plays from a blob: URL.
  const [audioUrl, setAudioUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!available || !recordingId) return;
    let url: string | null = null;
    let gone = false;
    api.recordingAudio(recordingId).then(
      (bytes) => {
        if (gone) return;
        url = URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
        setAudioUrl(url);
      },
      (e) => onError(errorText(e)),
    );
    return () => {
      gone = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [available, recordingId, onError]);

  useEffect(() => {
    setTranscript(null);
    if (available && transcriptId) api.transcript(transcriptId).then(setTranscript, (e) => onError(errorText(e)));
  }, [available, transcriptId, onError]);

  const turns = useMemo(() => {
    const q = find.trim().toLowerCase();
    return (transcript?.segments ?? []).map((s) => ({ ...s, hit: q !== "" && s.text.toLowerCase().includes(q) }));
  }, [transcript, find]);

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

  if (!available) {
    if (!recordingId && !transcriptId) return null;
    return (
      <section data-testid="media-unavailable">
        <h3>Recording and transcript</h3>
        <p className="sub">
          Calleague serves them to the account's API key; add it in Settings → Team database to play them here.
          {recordingId && <> Recording <code>{recordingId}</code>.</>}
          {transcriptId && <> Transcript <code>{transcriptId}</code>.</>}
        </p>
      </section>
    );
  }
  return (
    <>
      {recordingId && (
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
            <button className="small-button" onClick={() => save(recordingId)} disabled={saving === "saving"} data-testid="save-recording">
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
    </>
  );
}
