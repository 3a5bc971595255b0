//! The UI's TypeScript types, generated from the Rust types that cross IPC, so that the two
//! cannot drift apart. `cargo xtask types` rewrites `ui/src/bindings.ts`; the test
//! `tests/bindings.rs` fails while the file is stale.

use calleague_store::{CallCursor, CallRow, EventRow, QuarantineRow, SecurityRow};
use ts_rs::{Config, TS};

use calleague_engine::feed::FeedBatch;
use calleague_engine::{AppError, AppStatus};

/// Where the generated file lives, relative to the workspace root.
pub const PATH: &str = "ui/src/bindings.ts";

/// Appends `T`'s declaration, with its doc comment, as an exported TypeScript type.
fn declare<T: TS>(out: &mut String, cfg: &Config) {
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&T::decl(cfg));
    out.push_str("\n\n");
}

/// The whole file. Every type a command takes or returns is declared here; a type that
/// refers to one left out fails the UI's type check.
pub fn typescript() -> String {
    // JSON numbers: the store's 64-bit ids and counts stay far below 2^53.
    let cfg = Config::new().with_large_int("number");
    let mut out =
        String::from("// Generated from the Rust types by ts-rs: `cargo xtask types`. Do not edit by hand.\n\n");
    declare::<AppStatus>(&mut out, &cfg);
    declare::<AppError>(&mut out, &cfg);
    declare::<calleague_engine::ErrorCode>(&mut out, &cfg);
    declare::<calleague_engine::Mode>(&mut out, &cfg);
    declare::<calleague_engine::Theme>(&mut out, &cfg);
    declare::<calleague_catchup::Progress>(&mut out, &cfg);
    declare::<calleague_engine::SourceStatus>(&mut out, &cfg);
    declare::<calleague_engine::SourceMode>(&mut out, &cfg);
    declare::<calleague_engine::SourceSettings>(&mut out, &cfg);
    declare::<calleague_engine::ForwardingSettings>(&mut out, &cfg);
    declare::<calleague_engine::TargetSettings>(&mut out, &cfg);
    declare::<calleague_engine::FailingTarget>(&mut out, &cfg);
    declare::<calleague_engine::AttemptView>(&mut out, &cfg);
    declare::<calleague_engine::AttemptQuery>(&mut out, &cfg);
    declare::<calleague_engine::TargetOverview>(&mut out, &cfg);
    declare::<calleague_engine::ForwardingOverview>(&mut out, &cfg);
    declare::<calleague_engine::ReplayRequest>(&mut out, &cfg);
    declare::<calleague_engine::ReplayProgressView>(&mut out, &cfg);
    declare::<calleague_engine::TriggerRequest>(&mut out, &cfg);
    declare::<calleague_engine::TriggerResult>(&mut out, &cfg);
    declare::<calleague_engine::AlertsView>(&mut out, &cfg);
    declare::<calleague_engine::RuleView>(&mut out, &cfg);
    declare::<calleague_engine::ChartView>(&mut out, &cfg);
    declare::<calleague_engine::FiringAlert>(&mut out, &cfg);
    declare::<calleague_engine::AlertRule>(&mut out, &cfg);
    declare::<calleague_engine::Metric>(&mut out, &cfg);
    declare::<calleague_engine::Scope>(&mut out, &cfg);
    declare::<calleague_engine::Condition>(&mut out, &cfg);
    declare::<calleague_engine::Comparison>(&mut out, &cfg);
    declare::<calleague_engine::Severity>(&mut out, &cfg);
    declare::<calleague_engine::ActiveHours>(&mut out, &cfg);
    declare::<calleague_engine::Weekday>(&mut out, &cfg);
    declare::<calleague_engine::RuleStatus>(&mut out, &cfg);
    declare::<calleague_engine::PreviewFiring>(&mut out, &cfg);
    declare::<calleague_engine::FiringRow>(&mut out, &cfg);
    declare::<calleague_engine::AlertRulesSettings>(&mut out, &cfg);
    declare::<calleague_engine::RoundSummary>(&mut out, &cfg);
    declare::<calleague_engine::ReadFailure>(&mut out, &cfg);
    declare::<calleague_engine::NotArriving>(&mut out, &cfg);
    declare::<calleague_engine::CauseCheck>(&mut out, &cfg);
    declare::<calleague_events::CallPhase>(&mut out, &cfg);
    declare::<calleague_events::CallRecord>(&mut out, &cfg);
    declare::<CallRow>(&mut out, &cfg);
    declare::<CallCursor>(&mut out, &cfg);
    declare::<calleague_store::Page<(), ()>>(&mut out, &cfg);
    declare::<calleague_store::PageRequest<()>>(&mut out, &cfg);
    declare::<calleague_store::Order>(&mut out, &cfg);
    declare::<calleague_store::CallFilter>(&mut out, &cfg);
    declare::<calleague_store::MetadataMatch>(&mut out, &cfg);
    declare::<calleague_store::TimeRange>(&mut out, &cfg);
    declare::<calleague_store::StatusCounts>(&mut out, &cfg);
    declare::<calleague_store::Source>(&mut out, &cfg);
    declare::<EventRow>(&mut out, &cfg);
    declare::<calleague_store::EventDetail>(&mut out, &cfg);
    declare::<calleague_store::CallDetail>(&mut out, &cfg);
    declare::<calleague_store::Facets>(&mut out, &cfg);
    declare::<calleague_store::Overview>(&mut out, &cfg);
    declare::<calleague_store::AgentsPage>(&mut out, &cfg);
    declare::<calleague_store::AgentSummary>(&mut out, &cfg);
    declare::<calleague_store::Percentiles>(&mut out, &cfg);
    declare::<calleague_store::Breakdown>(&mut out, &cfg);
    declare::<calleague_store::ValueOutcomes>(&mut out, &cfg);
    declare::<calleague_store::Outcomes>(&mut out, &cfg);
    declare::<calleague_store::OverviewBar>(&mut out, &cfg);
    declare::<calleague_store::Tally>(&mut out, &cfg);
    declare::<calleague_store::Spread>(&mut out, &cfg);
    declare::<calleague_store::SpreadStep>(&mut out, &cfg);
    declare::<calleague_store::WebhookHealth>(&mut out, &cfg);
    declare::<calleague_store::DowntimeGap>(&mut out, &cfg);
    declare::<QuarantineRow>(&mut out, &cfg);
    declare::<calleague_store::SecurityEntry>(&mut out, &cfg);
    declare::<SecurityRow>(&mut out, &cfg);
    declare::<calleague_store::FeedItem>(&mut out, &cfg);
    declare::<FeedBatch>(&mut out, &cfg);
    declare::<calleague_client::Transcript>(&mut out, &cfg);
    declare::<calleague_client::Segment>(&mut out, &cfg);
    declare::<calleague_engine::AlertSettings>(&mut out, &cfg);
    declare::<calleague_engine::Pause>(&mut out, &cfg);
    declare::<calleague_engine::AlertStatus>(&mut out, &cfg);
    declare::<crate::notifications::OpenRequest>(&mut out, &cfg);
    declare::<calleague_engine::Subscriptions>(&mut out, &cfg);
    declare::<calleague_engine::Subscription>(&mut out, &cfg);
    declare::<calleague_engine::SubscriptionDraft>(&mut out, &cfg);
    declare::<calleague_engine::SubscriptionProblem>(&mut out, &cfg);
    declare::<calleague_engine::ReceiverSettings>(&mut out, &cfg);
    declare::<calleague_engine::TlsChoice>(&mut out, &cfg);
    declare::<calleague_engine::Retention>(&mut out, &cfg);
    declare::<calleague_engine::DataInfo>(&mut out, &cfg);
    declare::<calleague_engine::PruneReport>(&mut out, &cfg);
    declare::<calleague_engine::DimensionsView>(&mut out, &cfg);
    declare::<calleague_engine::InProgress>(&mut out, &cfg);
    declare::<calleague_engine::AgentName>(&mut out, &cfg);
    declare::<calleague_engine::Category>(&mut out, &cfg);
    declare::<calleague_engine::ReasonEntry>(&mut out, &cfg);
    declare::<calleague_engine::ReasonRow>(&mut out, &cfg);
    declare::<calleague_engine::ReasonsView>(&mut out, &cfg);
    declare::<calleague_store::DimensionFacet>(&mut out, &cfg);
    declare::<calleague_store::ValueCount>(&mut out, &cfg);
    declare::<calleague_engine::DimensionStatus>(&mut out, &cfg);
    declare::<calleague_engine::SeenField>(&mut out, &cfg);
    declare::<calleague_store::StoreSize>(&mut out, &cfg);
    declare::<calleague_engine::export::ExportRequest>(&mut out, &cfg);
    declare::<calleague_engine::export::ExportProgress>(&mut out, &cfg);
    declare::<calleague_store::ExportWhat>(&mut out, &cfg);
    declare::<calleague_store::ExportFormat>(&mut out, &cfg);
    declare::<crate::save_dialog::ExportDone>(&mut out, &cfg);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
