import { LongText } from "./LongText";
import { useEffect, useState } from "react";
import { api, CallDetail, errorText } from "./ipc";
import { clock, duration, metadataEntries } from "./format";
import { copy, curlFor, pretty } from "./curl";
import { Drawer } from "./Drawer";
import { CallMedia } from "./CallMedia";
import { DeliveryAttempts } from "./forwarding/DeliveryAttempts";
import type { AttemptView } from "./ipc";
import { useFeedTick } from "./feed";
import { useAgentLabels } from "./agents";
import { CATEGORY_LABEL, entryOf, useReasons } from "./reasons";

/** What the call's endedReason means (Settings → Reasons), or that it has no entry yet. */
function ReasonLine({ reason }: { reason: string | null }) {
  const table = useReasons();
  if (!reason || !table) return null;
  const entry = entryOf(table, reason);
  return (
    <p className="reason-line" data-testid="details-reason">
      <span className="mono">{reason}</span>:{" "}
      {entry ? (
        <>
          <strong>{CATEGORY_LABEL[entry.category]}</strong> — {entry.explanation}
        </>
      ) : (
        <span className="sub">not categorised yet (Settings → Reasons)</span>
      )}
    </p>
  );
}

/** A call's events, raw deliveries, recording and transcript. Payload text is text.
 * `media`: whether recordings and transcripts can be fetched (with the account's API key;
 * a team's database is watched without one until it is added). */
export function CallDetails({
  callId,
  receiverUrl,
  media = true,
  forwarding = true,
  onClose,
}: {
  callId: string;
  receiverUrl: string | null;
  media?: boolean;
  /** Whether this app forwards (not when it watches a team's database). */
  forwarding?: boolean;
  onClose: () => void;
}) {
  const [detail, setDetail] = useState<CallDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    setDetail(null);
    api.callDetail(callId).then(setDetail, (e) => setError(errorText(e)));
  }, [callId]);

  // Where each delivery was forwarded, read again as deliveries (and their attempts) come.
  const [attempts, setAttempts] = useState<AttemptView[]>([]);
  const [targets, setTargets] = useState<string[]>([]);
  const [replayed, setReplayed] = useState(0);
  const tick = useFeedTick(1000);
  useEffect(() => {
    if (!forwarding) return;
    api.callForwarding(callId).then(setAttempts, () => undefined);
  }, [callId, forwarding, tick, replayed]);
  useEffect(() => {
    if (!forwarding) return;
    api.forwardingSettings().then((s) => setTargets(s.targets.filter((t) => t.enabled).map((t) => t.url)), () => undefined);
  }, [forwarding]);

  function flash(what: string) {
    setCopied(what);
    window.setTimeout(() => setCopied(null), 1500);
  }

  const call = detail?.call;
  const agents = useAgentLabels();
  return (
    <Drawer
      title={callId}
      label="Call details"
      testId="details"
      onClose={onClose}
      sub={
        call && (
          <>
            <span className={`phase-label ${call.phase}`}>{call.phase}</span> ·{" "}
            <span className="details-agent long-text" data-testid="details-agent" title={call.agentId ?? undefined}>
              {agents.name(call.agentId) ? `${agents.name(call.agentId)} (${call.agentId})` : agents.label(call.agentId)}
            </span>{" "}
            · {call.direction ?? "—"} ·{" "}
            {call.language ?? "—"} · {duration(call.durationSec)} {call.endedReason ? `· ${call.endedReason}` : ""}
          </>
        )
      }
    >
      {error && <div className="error">{error}</div>}
      {!detail && !error && <div className="loading">Loading…</div>}
      {call && (
        <div className="drawer-body">
          <ReasonLine reason={call.endedReason ?? null} />
          {metadataEntries(call.metadata).length > 0 && (
            <section>
              <h3>Metadata</h3>
              <dl className="meta-table" data-testid="metadata">
                {metadataEntries(call.metadata).map(([k, v]) => (
                  <div key={k}>
                    <dt>
                      <LongText text={k} />
                    </dt>
                    <dd>
                      <LongText text={v} />
                      <button className="link copy-value" onClick={() => copy(v).then(() => flash(`meta:${k}`))} aria-label={`Copy ${k}`} data-testid="copy-metadata">
                        {copied === `meta:${k}` ? "Copied" : "Copy"}
                      </button>
                    </dd>
                  </div>
                ))}
              </dl>
            </section>
          )}
          <CallMedia
            key={callId}
            callId={callId}
            recordingId={call.recordingId}
            transcriptId={call.transcriptId}
            available={media}
            onError={setError}
          />
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
                    {e.source === "rest" && (
                      <span className="badge caught" title={e.confirmedByWebhook ? "Read from the REST API while running; its webhook arrived too" : "Read from the REST API while running: no webhook brought it"}>
                        {e.confirmedByWebhook ? "REST + webhook" : "from REST"}
                      </span>
                    )}
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
                  {forwarding && (open === i || attempts.some((a) => a.delivery === e.id)) && (
                    <DeliveryAttempts
                      delivery={e.id}
                      body={e.body}
                      attempts={attempts.filter((a) => a.delivery === e.id)}
                      targets={targets}
                      showReplay={open === i}
                      onReplayed={() => setReplayed((n) => n + 1)}
                    />
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
