//! The gauge of calls in progress now (the status bar's): calls started and not ended, over
//! what the window watches (this computer's store or the team's). A call older than the
//! longest a call can last (the catch-up setting `longestCallHours`) is stale, not counted:
//! its end never came, or was lost.

use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::InProgress;

use crate::error::{AppError, AppResult};
use crate::{Engine, ErrorCode};

impl Engine {
    /// The longest a call can last: one in progress longer is stale. The overview's peaks
    /// of calls in progress apply it too.
    pub async fn longest_call(&self) -> Duration {
        self.settings.lock().await.longest_call()
    }

    pub async fn in_progress(&self) -> AppResult<InProgress> {
        let longest = self.longest_call().await;
        let stale_before = Timestamp::now().unix_millis() - longest.as_millis() as i64;
        let stale_before = Timestamp::from_unix_millis(stale_before)
            .map_err(|e| AppError::new(ErrorCode::InvalidTime, e.to_string()))?;
        Ok(self.reader().in_progress(stale_before).await?)
    }
}
