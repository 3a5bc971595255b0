import { memo } from "react";
import { CallRow } from "../ipc";
import { clock, day, duration, metadataEntries } from "../format";
import { useAgentLabels } from "../agents";

const STEPS = ["started", "connected", "completed"] as const;

/** One call: everything from the payload is rendered as text, never as HTML. Drawn again
 * only when its call or its selection changes (a scroll moves rows without redrawing them). */
export const CallRowView = memo(function CallRowView({ call, selected, onOpen }: { call: CallRow; selected: boolean; onOpen?: (call: CallRow) => void }) {
  const phase = call.phase ?? "started";
  // How far along the lifecycle the call got; a failed call may never have connected.
  const reached = phase === "failed" ? (call.connectedAt ? 1 : 0) : STEPS.indexOf(phase as (typeof STEPS)[number]);
  const meta = metadataEntries(call.metadata);
  const agents = useAgentLabels();
  return (
    <div
      className={`call ${selected ? "selected" : ""} phase-${phase}`}
      data-testid="call-row"
      data-call-id={call.callId}
      data-phase={phase}
      onClick={() => onOpen?.(call)}
      onKeyDown={(e) => {
        if (e.key !== " ") return;
        e.preventDefault();
        onOpen?.(call);
      }}
      role="button"
      // One stop for the whole list (the selected row); ↑/↓ move it, Enter or Space opens.
      tabIndex={selected ? 0 : -1}
    >
      <div className="when">
        <span className="time">{clock(call.firstOccurredAt)}</span>
        <span className="date">{day(call.firstOccurredAt)}</span>
      </div>
      <div className="who">
        <span className="agent" data-testid="call-agent" title={call.agentId ?? undefined}>
          {agents.label(call.agentId)}
        </span>
        <span className="sub">
          {call.direction === "outbound" ? "↗ outbound" : call.direction === "inbound" ? "↙ inbound" : "—"} · {call.language ?? "—"}
        </span>
      </div>
      <div className="strip" aria-label={`phase ${phase}`}>
        {STEPS.map((s, i) => (
          <span key={s} className={`dot ${i <= reached ? "on" : ""} ${phase === "failed" && i === 2 ? "failed" : ""}`} title={phase === "failed" && i === 2 ? "failed" : s} />
        ))}
        <span className={`phase-label ${phase}`}>{phase === "failed" ? `failed` : phase}</span>
      </div>
      <div className="dur">{duration(call.durationSec)}</div>
      <div className="reason">{call.endedReason ?? ""}</div>
      <div className="meta" title={meta.map(([k, v]) => `${k}: ${v}`).join("\n")}>
        {meta.slice(0, 3).map(([k, v]) => (
          <span key={k} className="kv" title={`${k}: ${v}`}>
            {v}
          </span>
        ))}
      </div>
      <div className="badges">
        {call.recordingId && <span className="badge rec">rec</span>}
        {call.transcriptId && <span className="badge tr">transcript</span>}
        {call.lateCount > 0 && <span className="badge late" title="an event arrived after a later one">late</span>}
        {call.caughtUp && <span className="badge caught" title="Some of its steps were read from the REST API (after downtime, in REST-only mode, or by a reconciliation), not brought by webhooks">via REST</span>}
      </div>
      <div className="id" title={call.callId}>{call.callId}</div>
    </div>
  );
});
