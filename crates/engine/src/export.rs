//! Export of calls or events for a time range to a file the person chose, with progress
//! and cancel. Written beside the target as `.part` and renamed into place when complete:
//! a cancelled or failed export leaves no half file, and never clobbers a good one.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use calleague_error_code::ErrorCode;
use calleague_events::Timestamp;
use calleague_store::{ExportFormat, ExportWhat, TimeRange};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::Engine;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub what: ExportWhat,
    pub format: ExportFormat,
    /// On `occurredAt`; either end open.
    pub range: TimeRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportProgress {
    pub written: u64,
    pub total: u64,
}

/// At most this often a progress report, so a fast export is not slowed by its reporting.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// A name for the save dialog: `calleague-calls-2026-11-27.ndjson`.
pub fn suggested_file_name(request: &ExportRequest) -> String {
    let what = match request.what {
        ExportWhat::Calls => "calls",
        ExportWhat::Events => "events",
    };
    let ext = match request.format {
        ExportFormat::Ndjson => "ndjson",
        ExportFormat::Csv => "csv",
    };
    let day = Timestamp::now().to_string().chars().take(10).collect::<String>();
    format!("calleague-{what}-{day}.{ext}")
}

fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    target.with_file_name(name)
}

impl Engine {
    /// Writes the export to `target`; the rows written. `cancel` stops it between rows.
    pub async fn export_to_file(
        &self,
        request: ExportRequest,
        target: PathBuf,
        cancel: Arc<AtomicBool>,
        mut progress: impl FnMut(ExportProgress) + Send + 'static,
    ) -> AppResult<u64> {
        if let (Some(from), Some(to)) = (request.range.from, request.range.to) {
            if from >= to {
                return Err(
                    AppError::new(ErrorCode::SettingInvalid, "The range ends before it starts.").on_field("range")
                );
            }
        }
        // From the team's database in team mode: its async reads driven from this blocking
        // task, which writes the file.
        let (store, team, runtime) = (self.store().clone(), self.team_store(), tokio::runtime::Handle::current());
        let work = move || -> AppResult<u64> {
            let total = match &team {
                Some(team) => runtime.block_on(team.export_count(request.what, request.range))?,
                None => store.export_count(request.what, request.range)?,
            };
            progress(ExportProgress { written: 0, total });
            let part = part_path(&target);
            let save_error = |e: std::io::Error| {
                AppError::new(ErrorCode::SaveFailed, format!("cannot write {}: {e}", target.display()))
            };
            let file = std::fs::File::create(&part).map_err(save_error)?;
            let mut out = BufWriter::new(file);
            let mut last = Instant::now();
            let on_row = |written| {
                if last.elapsed() >= REPORT_EVERY {
                    last = Instant::now();
                    progress(ExportProgress { written, total: total.max(written) });
                }
                !cancel.load(Ordering::Relaxed)
            };
            let (what, format, range) = (request.what, request.format, request.range);
            let result = match &team {
                Some(team) => runtime.block_on(team.export_with(what, format, range, &mut out, on_row)),
                None => store.export_with(what, format, range, &mut out, on_row),
            };
            let finished = result.map_err(AppError::from).and_then(|rows| {
                let file = out.into_inner().map_err(|e| save_error(e.into_error()))?;
                file.sync_all().map_err(save_error)?;
                std::fs::rename(&part, &target).map_err(save_error)?;
                Ok(rows)
            });
            match finished {
                Ok(rows) => {
                    progress(ExportProgress { written: rows, total: rows });
                    Ok(rows)
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    Err(e)
                }
            }
        };
        tokio::task::spawn_blocking(work).await.map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?
    }
}
