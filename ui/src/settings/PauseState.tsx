import type { AppStatus } from "../ipc";
import { clock } from "../format";

/** Whether notifications are on, paused (until when), with the buttons that change it. */
export function PauseState({ status, busy, onPause }: { status: AppStatus; busy: boolean; onPause: (minutes: number | null) => void }) {
  const pause = status.notifications.pause;
  const pausedUntil = pause?.kind === "until" && Date.parse(pause.until) > Date.now() ? pause.until : null;
  const paused = pause?.kind === "untilResumed" || pausedUntil !== null;
  return (
    <div className="pause-row" data-testid="pause-state">
      {paused ? (
        <>
          <span className="warn">{pausedUntil ? `Paused until ${clock(pausedUntil)}` : "Paused until you resume"}</span>
          <button className="small-button" onClick={() => onPause(0)} disabled={busy} data-testid="notify-resume">
            Resume
          </button>
        </>
      ) : (
        <>
          <span>{status.notifications.enabled ? "On" : "Off"}</span>
          <button className="small-button" onClick={() => onPause(60)} disabled={busy || !status.notifications.enabled} data-testid="notify-pause-hour">
            Pause for 1 hour
          </button>
          <button className="small-button" onClick={() => onPause(null)} disabled={busy || !status.notifications.enabled} data-testid="notify-pause">
            Pause until resumed
          </button>
        </>
      )}
    </div>
  );
}
