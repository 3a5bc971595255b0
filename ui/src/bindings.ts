// Generated from the Rust types by ts-rs: `cargo xtask types`. Do not edit by hand.

/**
 * What the UI shows about the app's state.
 */
export type AppStatus = { 
/**
 * None before onboarding.
 */
mode: Mode | null, keyMasked: string | null, keychainError: AppError | null, receiverUrl: string | null, receiverError: AppError | null, port: number, publicUrl: string | null, apiBaseUrl: string, 
/**
 * The last catch-up after downtime, while it runs and once done.
 */
catchUp: Progress | null, catchUpError: AppError | null, notifications: AlertSettings, 
/**
 * Unseen failures, and whether notifications can be shown.
 */
alerts: AlertStatus, startAtLogin: boolean, 
/**
 * Light, dark, or the desktop's.
 */
theme: Theme, 
/**
 * What the last look at the subscriptions found wrong for this computer.
 */
subscriptionProblem: SubscriptionProblem | null, 
/**
 * Team mode: the database watched, without its password, once connected.
 */
teamDatabase: string | null, 
/**
 * Team mode: why the database is not watched now (it is tried again meanwhile).
 */
teamError: AppError | null, 
/**
 * Where calls come from now, and what the REST source last did (account mode).
 */
source: SourceStatus | null, 
/**
 * How the REST API is read (the settings).
 */
sourceSettings: SourceSettings, 
/**
 * Forward targets that keep failing (one line in the status bar).
 */
forwardingFailing: Array<FailingTarget>, 
/**
 * Alert rules firing now.
 */
alertsFiring: Array<FiringAlert>, };

export type AppError = { code: ErrorCode, 
/**
 * In words a person can act on; never holds the API key.
 */
message: string, 
/**
 * The form field the error concerns, when it concerns one (`url`, `events`, `port`…),
 * so that a form shows it next to that field.
 */
field?: string, };

/**
 * A stable, machine-readable error code (snake_case on the wire).
 */
export type ErrorCode = "store_open" | "store_too_new" | "store_unavailable" | "store_stopped" | "store_sqlite" | "store_corrupt" | "store_export" | "dimension_not_counted" | "team_database_invalid" | "team_database_unavailable" | "key_rejected" | "not_found" | "invalid_request" | "rate_limited" | "server_error" | "unreachable" | "timed_out" | "unexpected_reply" | "validation" | "port_in_use" | "bind_failed" | "tls" | "invalid_path" | "keychain_unavailable" | "keychain_locked" | "key_missing" | "key_empty" | "port_invalid" | "public_url_invalid" | "notification_setting_invalid" | "start_at_login_failed" | "invalid_time" | "not_connected" | "demo_failed" | "settings_write" | "save_failed" | "cancelled" | "setting_invalid" | "internal";

/**
 * How the user came in.
 */
export type Mode = "account" | "demo" | "team";

/**
 * Light or dark, or as the desktop says (the default).
 */
export type Theme = "system" | "light" | "dark";

/**
 * Where a catch-up is, for a progress display.
 */
export type Progress = { 
/**
 * 1-based; 0 before the first window.
 */
window: number, windows: number, page: number, pages: number | null, callsRead: number, 
/**
 * Calls that gained at least one event.
 */
callsMerged: number, eventsAdded: number, done: boolean, };

export type SourceStatus = { mode: SourceMode, rounds: number, lastRound: RoundSummary | null, 
/**
 * Calls found by reconciliation since the source started, and their steps.
 */
callsFound: number, eventsFound: number, 
/**
 * The last read's failure, until a read succeeds.
 */
error: ReadFailure | null, 
/**
 * When the next read is due after a failure.
 */
retryAt: string | null, notArriving: NotArriving | null, };

/**
 * Where calls come from.
 */
export type SourceMode = "webhooks" | "restOnly" | "both";

/**
 * How the calls list is read beside webhooks, or instead of them.
 */
export type SourceSettings = { 
/**
 * REST only (no subscription points here): seconds between reads, at least 5; 0
 * never reads without webhooks (a tunnel the app does not know of delivers anyway).
 */
pollEverySecs: number, 
/**
 * Beside webhooks: minutes between reconciliations; 0 turns them off.
 */
reconcileEveryMinutes: number, 
/**
 * At most this many REST requests in any minute, for catch-up and the source
 * together; at least 1.
 */
requestsPerMinute: number, };

/**
 * Forwarding as the Settings page shows and sends it.
 */
export type ForwardingSettings = { targets: Array<TargetSettings>, 
/**
 * How long after its receipt a delivery not answered 2xx is retried, in hours.
 */
retryWindowHours: number, 
/**
 * How long one request may take, in seconds.
 */
timeoutSecs: number, };

/**
 * One of the user's handlers.
 */
export type TargetSettings = { url: string, 
/**
 * Event names; empty: every event.
 */
events: Array<string>, enabled: boolean, };

/**
 * A target that keeps failing, for the status bar's one line.
 */
export type FailingTarget = { url: string, 
/**
 * host:port.
 */
name: string, 
/**
 * Not answering at all (connection refused, timed out).
 */
down: boolean, lastFailure: string | null, sinceMs: number | null, };

/**
 * One attempt, as the window shows it.
 */
export type AttemptView = { id: number, target: string, 
/**
 * host:port.
 */
targetName: string, 
/**
 * The delivery's log id.
 */
delivery: number, attempt: number, replay: boolean, atMs: number, latencyMs: number, status: number | null, error: string | null, responseHeaders: Array<[string, string]>, 
/**
 * The start of the response's body, as text (lossy); empty in lists.
 */
responseBody: string, callId: string | null, event: string | null, };

/**
 * Which attempts the Forwarding page lists.
 */
export type AttemptQuery = { target: string | null, 
/**
 * true: only failures; false: only 2xx.
 */
failed: boolean | null, 
/**
 * The last attempt id of the page before.
 */
before: number | null, };

/**
 * A target on the Forwarding page.
 */
export type TargetOverview = { url: string, name: string, events: Array<string>, enabled: boolean, 
/**
 * Not answering at all now.
 */
down: boolean, last: AttemptView | null, attemptsLastHour: number, failuresLastHour: number, p50Ms: number | null, p99Ms: number | null, 
/**
 * Deliveries it owes a retry, and those given up.
 */
owed: number, givenUp: number, };

export type ForwardingOverview = { targets: Array<TargetOverview>, 
/**
 * Why nothing is forwarded now (team mode, no receiver), if so.
 */
unavailable: string | null, };

/**
 * A replay of many, as the window asks for it.
 */
export type ReplayRequest = { "kind": "received", to: string, fromMs: number, toMs: number, events: Array<string>, } | { "kind": "failures", to: string, sinceMs: number, } | { "kind": "calls", to: string, filter: CallFilter, };

/**
 * How a replay of many is going, streamed to the window.
 */
export type ReplayProgressView = { total: number, sent: number, answered: number, failed: number, cancelled: boolean, done: boolean, };

/**
 * A made-up delivery, as the window asks for it.
 */
export type TriggerRequest = { event: string, 
/**
 * A target's address, or None for this app's own receiver.
 */
to: string | null, 
/**
 * Fields of the delivery's data: `agentId`, `endedReason`, `durationSec`,
 * `metadata.campaign`… (values read as JSON when they are JSON).
 */
fields: Array<[string, string]>, };

/**
 * What a made-up delivery was and what came back.
 */
export type TriggerResult = { 
/**
 * The body sent.
 */
body: string, status: number | null, error: string | null, latencyMs: number, responseBody: string, };

export type AlertsView = { rules: Array<RuleView>, chatHost?: string | null, 
/**
 * Why the chat webhook is not posted to from here (team mode: the receivers post).
 */
chatNote?: string | null, 
/**
 * Why rules are not evaluated here now (team mode, no mode yet).
 */
unavailable?: string | null, };

/**
 * A rule as the Alerts page shows it.
 */
export type RuleView = { rule: AlertRule, 
/**
 * "Failure rate above 20% over 15 min".
 */
summary: string, 
/**
 * As last evaluated (none while turned off, or before the first round).
 */
status?: RuleStatus | null, 
/**
 * Its value over the last day, for the row's chart (none for calls in progress).
 */
day?: ChartView | null, };

/**
 * A value over time, at most [`MOST_POINTS`] points (each the worst of its minutes), and
 * the firings in it.
 */
export type ChartView = { fromMs: number, toMs: number, stepMs: number, values: Array<number | null>, firings: Array<PreviewFiring>, 
/**
 * Firings that would have been notified (the cooldown holds the others back).
 */
notified: number, };

/**
 * A rule firing now, for the status bar.
 */
export type FiringAlert = { firing: number, ruleId: string, name: string, severity: string, sinceMs: number, };

export type AlertRule = { 
/**
 * Stable across edits: what a firing is kept under. Letters, digits, `-` and `_`.
 */
id: string, name: string, enabled: boolean, metric: Metric, scope: Scope, windowMinutes: number, 
/**
 * Ignored by `silence`, which fires when no delivery came in the window.
 */
condition: Condition, 
/**
 * A rate or share needs at least this many calls in the window before it can fire (no
 * 100% from one call); counts ignore it.
 */
minCalls: number, severity: Severity, 
/**
 * A rule that fired and was notified is not notified again for this long (a flapping
 * rule's firings are still kept).
 */
cooldownMinutes: number, 
/**
 * When set, the rule is only evaluated within these hours; outside them it is not firing.
 */
active?: ActiveHours | null, };

/**
 * What a rule measures over its window. Rates and shares are in percent, times in seconds.
 */
export type Metric = { "kind": "failureRate" } | { "kind": "failedCalls" } | { "kind": "callsStarted" } | { "kind": "reasonCount", reason: string, } | { "kind": "reasonShare", reason: string, } | { "kind": "durationP90" } | { "kind": "waitP90" } | { "kind": "inProgress" } | { "kind": "rejectedDeliveries" } | { "kind": "silence" };

/**
 * Which calls a rule counts: all of them, or those of one agent, one direction
 * (`inbound`, `outbound`), one language (`en-US`) or one value of a metadata field
 * (`campaign` = `spring`; a dimension the user chose, counted in the rollups): one of
 * them at most.
 */
export type Scope = { agentId?: string | null, direction?: string | null, language?: string | null, metadataField?: string | null, metadataValue?: string | null, };

export type Condition = { op: Comparison, threshold: number, };

export type Comparison = "above" | "below";

export type Severity = "info" | "warning" | "critical";

export type ActiveHours = { days: Array<Weekday>, 
/**
 * "HH:MM", 24-hour clock.
 */
from: string, to: string, 
/**
 * An IANA name ("Europe/Berlin"); the computer's own zone when none.
 */
timeZone?: string | null, };

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/**
 * A rule as last evaluated, for the Alerts page and the status bar.
 */
export type RuleStatus = { ruleId: string, evaluatedMs: number, value?: number | null, 
/**
 * Outside its active hours: not evaluated.
 */
inactive: boolean, windowFromMs: number, windowToMs: number, firing?: number | null, firingSinceMs?: number | null, error?: string | null, 
/**
 * Waits for its metadata field's calls to be counted (the error says how far).
 */
counting: boolean, };

/**
 * One firing the rule would have made.
 */
export type PreviewFiring = { startedMs: number, 
/**
 * None when still firing at the span's end.
 */
resolvedMs?: number | null, peak: number, 
/**
 * False when the cooldown would have held its notice back.
 */
notified: boolean, };

/**
 * One firing as kept.
 */
export type FiringRow = { id: number, ruleId: string, ruleName: string, severity: string, startedMs: number, resolvedMs?: number | null, value: number, peak: number, threshold: number, windowFromMs: number, windowToMs: number, notified: boolean, };

/**
 * The rules as kept with the settings.
 */
export type AlertRulesSettings = { rules: Array<AlertRule>, 
/**
 * The chat webhook's host, for the page (its address is in the keychain).
 */
chatHost: string | null, };

/**
 * One read of the calls list.
 */
export type RoundSummary = { readBy: string, at: string, 
/**
 * Calls that started in `[from, to)` were listed.
 */
from: string, to: string, callsListed: number, 
/**
 * Calls that gained a step no webhook (or earlier read) had brought.
 */
callsFound: number, eventsAdded: number, };

export type ReadFailure = { code: ErrorCode, message: string, };

/**
 * "Webhooks are not arriving", while it stands.
 */
export type NotArriving = { 
/**
 * When the last delivery came (or the start of the quiet window).
 */
since: string, raisedAt: string, 
/**
 * Calls the API listed in the quiet window, none of them delivered here.
 */
callsListed: number, quietMinutes: number, causes: Array<CauseCheck>, };

/**
 * One likely cause, checked.
 */
export type CauseCheck = { what: string, 
/**
 * True when this is not the cause; None when it could not be checked.
 */
fine: boolean | null, detail: string, };

export type CallPhase = "started" | "connected" | "completed" | "failed";

/**
 * A call as the export and the UI see it. Absent fields are left out of JSON.
 */
export type CallRecord = { callId: string, agentId?: string, direction?: string, phase?: CallPhase, startedAt?: string, connectedAt?: string, endedAt?: string, durationSec?: number, endedReason?: string, language?: string, metadata: unknown, recordingId?: string, transcriptId?: string, };

/**
 * One call on the timeline: the folded record plus what the timeline needs.
 */
export type CallRow = { 
/**
 * The earliest `occurredAt` of its events: its place on the timeline.
 */
firstOccurredAt: string, 
/**
 * `first_occurred_at` in Unix milliseconds: the timeline's sort key, ties broken by
 * `call_id` (byte order). The live feed places calls by it exactly as the store does.
 */
sortMs: number, lastOccurredAt: string, lastReceivedAt: string, eventCount: number, lateCount: number, caughtUp: boolean, callId: string, agentId?: string, direction?: string, phase?: CallPhase, startedAt?: string, connectedAt?: string, endedAt?: string, durationSec?: number, endedReason?: string, language?: string, metadata: unknown, recordingId?: string, transcriptId?: string, };

export type CallCursor = { sortMs: number, callId: string, };

export type Page<T, C> = { items: Array<T>, 
/**
 * Pass as `after` for the page that follows, when there is one.
 */
next: C | null, 
/**
 * Pass as `before` for the page that precedes, when there is one.
 */
prev: C | null, };

/**
 * A page of at most `limit` items, strictly `after` a cursor, strictly `before` one, or from
 * the start. Directions are in the page's `order`.
 */
export type PageRequest<C> = { order: Order, 
/**
 * Missing reads as `None` (serde's rule for `Option` fields).
 */
after?: C | null, before?: C | null, limit: number, };

export type Order = "newestFirst" | "oldestFirst";

/**
 * Filters on the call timeline. An empty list means "any".
 */
export type CallFilter = { phases: Array<CallPhase>, agents: Array<string>, directions: Array<string>, endedReasons: Array<string>, languages: Array<string>, range: TimeRange, 
/**
 * Matched, case-insensitively, inside the callId or any part of the metadata.
 */
text?: string | null, 
/**
 * Calls whose metadata field has this value, as dimensions read it
 * ([`crate::metadata_value`]: a number or boolean as JSON writes it).
 */
metadata?: MetadataMatch | null, };

/**
 * One metadata field's value, for the timeline's filter.
 */
export type MetadataMatch = { field: string, value: string, };

/**
 * `from` inclusive, `to` exclusive, on `occurredAt`.
 */
export type TimeRange = { from?: string | null, to?: string | null, };

/**
 * Counts for a status bar.
 */
export type StatusCounts = { deliveriesTotal: number, deliveriesSince: number, repeats: number, calls: number, callsStarted: number, callsConnected: number, callsCompleted: number, callsFailed: number, rejected: number, quarantined: number, lastDeliveryAt: string | null, };

/**
 * Where an event came from: a webhook delivery, the REST catch-up after downtime, or
 * the REST source while running (REST-only polling, or a reconciliation).
 */
export type Source = "webhook" | "catchup" | "rest";

/**
 * One event on the timeline.
 */
export type EventRow = { id: number, deliveryId: string | null, 
/**
 * Canonical name (`call.ended` reads as `call.completed`).
 */
event: string, 
/**
 * The name as sent.
 */
eventName: string, known: boolean, callId: string | null, occurredAt: string, 
/**
 * True when `occurredAt` was missing or unreadable and the receipt time stands in.
 */
occurredFromReceipt: boolean, receivedAt: string, lastSeenAt: string, attempts: number, 
/**
 * It arrived after a later event of the same call.
 */
late: boolean, hidden: boolean, 
/**
 * Where the step came from first.
 */
source: Source, 
/**
 * Catch-up brought the step, and its webhook arrived later too: one step, both sources.
 */
confirmedByWebhook: boolean, };

/**
 * An event with its raw delivery, for a call's details.
 */
export type EventDetail = { peer: string | null, headers: Array<[string, string]>, 
/**
 * The raw body as text (lossy for invalid UTF-8, which never parses as an event anyway).
 */
body: string, id: number, deliveryId: string | null, 
/**
 * Canonical name (`call.ended` reads as `call.completed`).
 */
event: string, 
/**
 * The name as sent.
 */
eventName: string, known: boolean, callId: string | null, occurredAt: string, 
/**
 * True when `occurredAt` was missing or unreadable and the receipt time stands in.
 */
occurredFromReceipt: boolean, receivedAt: string, lastSeenAt: string, attempts: number, 
/**
 * It arrived after a later event of the same call.
 */
late: boolean, hidden: boolean, 
/**
 * Where the step came from first.
 */
source: Source, 
/**
 * Catch-up brought the step, and its webhook arrived later too: one step, both sources.
 */
confirmedByWebhook: boolean, };

export type CallDetail = { call: CallRow, events: Array<EventDetail>, };

/**
 * The distinct values the call filters can offer.
 */
export type Facets = { agents: Array<string>, directions: Array<string>, endedReasons: Array<string>, languages: Array<string>, 
/**
 * The values of each metadata field chosen as a dimension (and counted), with their
 * calls, most first; none in team mode.
 */
dimensions: Array<DimensionFacet>, };

/**
 * Everything the Overview page shows for `[from, to)`, both in whole minutes.
 */
export type Overview = { from: string, to: string, 
/**
 * The bars' width: 60,000 (a minute) or 3,600,000 (an hour).
 */
barMs: number, bars: Array<OverviewBar>, totals: Outcomes, failureRate?: number | null, 
/**
 * The period of the same length just before.
 */
previous: Outcomes, previousFailureRate?: number | null, 
/**
 * By endedReason, most calls first; ended calls without a reason under `key: null`.
 */
reasons: Array<Tally>, 
/**
 * Agents with failed calls, most failures first.
 */
failuresByAgent: Array<Tally>, duration: Spread, 
/**
 * From call.started to call.connected.
 */
wait: Spread, health: WebhookHealth, };

/**
 * Every agent with calls in `[from, to)` (whole minutes), most calls first.
 */
export type AgentsPage = { from: string, to: string, 
/**
 * The bars' width: 60,000 (a minute) or 3,600,000 (an hour).
 */
barMs: number, 
/**
 * The dimension each agent's calls are grouped by, if any.
 */
by: string | null, agents: Array<AgentSummary>, };

/**
 * One agent's calls in the range. `agent_id` is none for calls without an agent.
 */
export type AgentSummary = { agentId?: string | null, failureRate?: number | null, 
/**
 * The agent's calls in the period of the same length just before.
 */
previous: Outcomes, previousFailureRate?: number | null, duration: Percentiles, 
/**
 * From call.started to call.connected.
 */
wait: Percentiles, 
/**
 * By endedReason, most calls first; ended calls without a reason under `key: null`.
 */
reasons: Array<Tally>, 
/**
 * Calls per bar of the page (`AgentsPage::bar_ms` wide, the first at `from`'s).
 */
bars: Array<number>, 
/**
 * The agent's calls by the values of the page's dimension (`AgentsPage::by`), most
 * calls first; empty when the page is not grouped.
 */
values: Array<ValueOutcomes>, calls: number, completed: number, failed: number, inProgress: number, };

/**
 * A histogram's middle and its 90th percentile, each the step that holds it.
 */
export type Percentiles = { 
/**
 * The calls measured.
 */
count: number, p50?: SpreadStep | null, p90?: SpreadStep | null, };

/**
 * A range's calls by the values of `dimension`, most calls first.
 */
export type Breakdown = { 
/**
 * The range, whole minutes: `[from, to)`.
 */
from: string, to: string, dimension: string, values: Array<ValueOutcomes>, };

/**
 * One value's calls in the range; `value` none for calls without one.
 */
export type ValueOutcomes = { value?: string | null, failureRate?: number | null, calls: number, completed: number, failed: number, inProgress: number, };

/**
 * Calls by outcome: `in_progress` is started or connected (or nothing known yet).
 */
export type Outcomes = { calls: number, completed: number, failed: number, inProgress: number, };

/**
 * One bar of the chart: the calls whose place on the timeline is in `[at, at + span)`.
 */
export type OverviewBar = { at: string, 
/**
 * The most calls in progress at once during the bar, minute by minute (a call counts in
 * every minute it was in progress; stale ones do not: concurrency.rs); none for a bar
 * still to come.
 */
peakInProgress?: number | null, calls: number, completed: number, failed: number, inProgress: number, };

/**
 * Calls that share an endedReason or an agent. `key` is none for calls without one.
 */
export type Tally = { key: string | null, calls: number, failed: number, };

/**
 * A histogram with its percentiles, each given as the step that holds it (nearest rank).
 */
export type Spread = { steps: Array<SpreadStep>, count: number, p50?: SpreadStep | null, p90?: SpreadStep | null, p99?: SpreadStep | null, };

/**
 * One step of a histogram, `[from_ms, to_ms)`; the last has no end.
 */
export type SpreadStep = { fromMs: number, toMs?: number | null, calls: number, };

/**
 * How deliveries went: received in the range (webhook and catch-up), repeats of them,
 * late ones, requests refused, bodies quarantined, and the receiver's downtime.
 */
export type WebhookHealth = { webhooks: number, duplicates: number, late: number, caughtUp: number, 
/**
 * Steps the REST source read while running (REST-only polling, reconciliation): what
 * webhooks did not bring.
 */
fromRest: number, rejected: number, quarantined: number, gaps: Array<DowntimeGap>, };

/**
 * A time the receiver was not running, and whether catch-up read it back.
 */
export type DowntimeGap = { from: string, to: string, 
/**
 * The calls catch-up merged for this gap; none when it was not caught up.
 */
caughtUpCalls?: number | null, };

export type QuarantineRow = { id: number, receivedAt: string, peer: string | null, reason: string, headers: Array<[string, string]>, body: string, };

/**
 * A rejected request. Holds no body and no token by construction.
 */
export type SecurityEntry = { at: string, peer: string | null, reason: string, };

export type SecurityRow = { id: number, 
/**
 * How many requests this row stands for: the same address and reason in one minute.
 */
count: number, 
/**
 * The last of them.
 */
lastAt: string, at: string, peer: string | null, reason: string, };

/**
 * What the live feed carries, sent after each commit.
 */
export type FeedItem = { "kind": "event", event: EventRow, call: CallRow | null, } | { "kind": "repeat", id: number, attempts: number, } | { "kind": "quarantined", id: number, } | { "kind": "rejected", entry: SecurityEntry, };

export type FeedBatch = { items: Array<FeedItem>, 
/**
 * The UI fell behind and items were dropped: it should re-read from the store.
 */
resync: boolean, };

export type Transcript = { transcriptId: string, callId: string | null, language: string | null, segments: Array<Segment>, };

export type Segment = { speaker: string, text: string, startSec: number, endSec: number, };

/**
 * The notification settings, kept with the app's other settings.
 */
export type AlertSettings = { enabled: boolean, 
/**
 * Events that notify (canonical names): `call.failed` by default.
 */
events: Array<string>, 
/**
 * Ended calls whose `endedReason` is one of these notify too, whatever their event
 * (say `voicemail` or `customer-did-not-answer` on a completed call).
 */
endedReasons: Array<string>, 
/**
 * A metadata key whose value the notification shows (an order id, a customer tier).
 */
metadataField: string | null, pause: Pause | null, };

export type Pause = { "kind": "until", until: string, } | { "kind": "untilResumed" };

/**
 * What the window and the tray show about notifications.
 */
export type AlertStatus = { 
/**
 * Failed calls since the window was last looked at.
 */
unseen: number, 
/**
 * Why the last note could not be shown; None once one was.
 */
unavailable: string | null, };

/**
 * A request to show a call, the calls behind an alert's firing, or the timeline (with
 * neither), from a notification's click.
 */
export type OpenRequest = { callId?: string | null, alertFiring?: number | null, };

/**
 * The page's whole state after a read or a change: the server's list, never a guess.
 */
export type Subscriptions = { webhooks: Array<Subscription>, 
/**
 * The address "This computer" fills in: the public URL with the receiver's path (the
 * receiver's own address in demo mode). None without a public URL.
 */
thisComputer: string | null, problem: SubscriptionProblem | null, 
/**
 * The events the receiver shows, from the subscriptions pointing here (None: all).
 */
receiving: Array<string> | null, };

/**
 * One webhook as the page shows it.
 */
export type Subscription = { webhookId: string, url: string, events: Array<string>, createdAt: string | null, updatedAt: string | null, 
/**
 * It delivers to this computer.
 */
pointsHere: boolean, };

/**
 * What a create or an edit sends; checked in Rust before anything goes out.
 */
export type SubscriptionDraft = { url: string, events: Array<string>, 
/**
 * The user confirmed a private, link-local or loopback host (the form asks when the
 * check refuses one on the field `confirmPrivate`).
 */
confirmPrivate: boolean, };

/**
 * Why deliveries may not reach this computer, with what the one-click fix does.
 */
export type SubscriptionProblem = { "kind": "noPublicUrl" } | { "kind": "noneHere", url: string, events: Array<string>, } | { "kind": "missingEvents", webhookId: string, missing: Array<string>, };

/**
 * The receiver's own settings, as the form shows and sends them.
 */
export type ReceiverSettings = { port: number, 
/**
 * The one path deliveries are accepted on, e.g. `/hooks/calleague`.
 */
path: string, 
/**
 * The tunnel's https address that Calleague delivers to; None when there is none.
 */
publicUrl: string | null, 
/**
 * The largest delivery body accepted, in KiB.
 */
bodyLimitKb: number, tls: TlsChoice, 
/**
 * After the API key is replaced, how long deliveries signed with the previous key are
 * still accepted (Calleague may have some in flight), in minutes.
 */
keyGraceMinutes: number, };

/**
 * How the receiver speaks to its clients.
 */
export type TlsChoice = { "kind": "off" } | { "kind": "selfSigned" } | { "kind": "pem", cert: string, key: string, };

/**
 * Keep everything (the default), or within these limits.
 */
export type Retention = { 
/**
 * Calls whose last event is older than this many days are removed.
 */
keepDays: number | null, 
/**
 * The oldest calls are removed while the data takes more than this many GB.
 */
maxGb: number | null, };

/**
 * Where the data lives, how big it is, and what retention last did.
 */
export type DataInfo = { path: string, size: StoreSize, retention: Retention, lastPrune: PruneReport | null, };

export type PruneReport = { at: string, calls: number, events: number, 
/**
 * Why the last prune failed, if it did (it is tried again within the hour).
 */
error: string | null, };

export type DimensionsView = { 
/**
 * The fields chosen, in order, each with its count's progress.
 */
chosen: Array<DimensionStatus>, 
/**
 * Top-level metadata fields of the newest calls, most common first.
 */
seen: Array<SeenField>, most: number, 
/**
 * Team mode: the team's fields, chosen for the fleet by a receiver's operator; not
 * chosen here.
 */
team: boolean, };

/**
 * Calls in progress now (started, not ended): the status bar's and the overview's gauge.
 * A call started before the longest a call can last is `stale` (its end never came, or
 * was lost), set apart rather than counted.
 */
export type InProgress = { calls: number, 
/**
 * When the oldest of them (not stale) started.
 */
oldestStartedAt: string | null, stale: number, 
/**
 * Calls started before this are stale.
 */
staleBefore: string, };

/**
 * What the API said of one agent id.
 */
export type AgentName = { agentId: string, 
/**
 * None when the API gave none (or does not know the id): the id is shown.
 */
name: string | null, language: string | null, 
/**
 * False when the API answered that it has no agent with this id.
 */
known: boolean, };

/**
 * Who or what ended the call.
 */
export type Category = "caller" | "agent" | "platform" | "provider" | "account";

/**
 * One reason's category and explanation.
 */
export type ReasonEntry = { reason: string, category: Category, explanation: string, };

/**
 * One reason as Settings shows it.
 */
export type ReasonRow = { 
/**
 * The user's own entry (replacing a default, or a code of their own).
 */
custom: boolean, 
/**
 * A shipped default exists for the code (a custom entry can be reset to it).
 */
hasDefault: boolean, reason: string, category: Category, explanation: string, };

export type ReasonsView = { entries: Array<ReasonRow>, 
/**
 * Reasons stored calls ended with that have no entry, in code order.
 */
unknown: Array<string>, };

/**
 * A dimension's values for the timeline's filter.
 */
export type DimensionFacet = { field: string, values: Array<ValueCount>, };

export type ValueCount = { value: string, calls: number, };

/**
 * A chosen metadata field and how far its count has got, for Settings.
 */
export type DimensionStatus = { field: string, 
/**
 * Every stored call is counted: the field can be read.
 */
ready: boolean, countedCalls: number, 
/**
 * Calls stored now (what the count goes up to).
 */
calls: number, };

/**
 * A metadata field seen in stored calls, with how many of the calls looked at had it.
 */
export type SeenField = { field: string, calls: number, };

/**
 * How big the database is.
 */
export type StoreSize = { 
/**
 * The database file and its write-ahead log on disk.
 */
fileBytes: number, 
/**
 * The pages that hold data; freed pages are reused before the file grows again.
 */
usedBytes: number, };

/**
 * What to export.
 */
export type ExportRequest = { what: ExportWhat, format: ExportFormat, 
/**
 * On `occurredAt`; either end open.
 */
range: TimeRange, };

export type ExportProgress = { written: number, total: number, };

export type ExportWhat = "calls" | "events";

export type ExportFormat = "ndjson" | "csv";

export type ExportDone = { path: string, rows: number, };
