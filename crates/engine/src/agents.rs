//! Agents by name: the refresher beside the receiver (account and demo modes; a team's
//! database is refreshed by one of its receivers), and the names the window reads.

use calleague_agents::RefreshTiming;
use calleague_store::AgentName;

use crate::error::AppResult;
use crate::settings::Mode;
use crate::Engine;

impl Engine {
    /// Every agent the REST API described, from this computer's store or the team's.
    pub async fn agents(&self) -> AppResult<Vec<AgentName>> {
        Ok(self.reader().agents().await?)
    }

    /// Starts keeping the agents' names fresh on the running receiver service: from the
    /// account's API under the background request budget, or from the demo's simulator.
    pub(crate) async fn start_agents(&self) {
        let mode = self.settings.lock().await.mode;
        let client = match mode {
            Some(Mode::Account) => self.reading_client().await,
            Some(Mode::Demo) => self.client().await,
            _ => return,
        };
        let client = match client {
            Ok(client) => client,
            Err(e) => return tracing::warn!(code = %e.code, error = %e.message, "the agents' names are not refreshed"),
        };
        let mut running = self.running.lock().await;
        if let Some(service) = running.service.as_mut() {
            service.start_agents(client, RefreshTiming::default()).await;
        }
    }
}
