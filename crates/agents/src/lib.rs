//! The account's agents by name. Calleague's deliveries carry an agent's id only; the REST
//! API describes each agent. The [`AgentRefresher`] keeps the store's entries fresh:
//!
//! - the whole list on start (unless listed in the last minute) and every hour after;
//! - an id seen in stored calls with no entry is asked for on its own as soon as it is seen,
//!   at most one such round a minute, so a flood of new ids costs a few requests a minute;
//!   an id the API does not know (404) is kept as unknown and not asked for again;
//! - each round is claimed in the store, so receivers sharing a database take it once.
//!
//! Nothing here needs the names to be right: a screen with no entry shows the id.

use std::sync::Arc;
use std::time::Duration;

use calleague_client::{Agent, Client, ClientError};
use calleague_events::Timestamp;
use calleague_store::{AgentBook, AgentName, AgentRound};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often each round is due.
#[derive(Debug, Clone, Copy)]
pub struct RefreshTiming {
    /// The full list, again.
    pub listing_every: Duration,
    /// A listing this recent (by any process sharing the store) is not repeated on start.
    pub listed_lately: Duration,
    /// Look-ups of new ids, at most this often.
    pub look_up_every: Duration,
    /// How often the store is asked for new ids (one index seek per distinct id).
    pub poll: Duration,
    /// The most ids looked up in one round.
    pub look_up_limit: usize,
}

impl Default for RefreshTiming {
    fn default() -> Self {
        Self {
            listing_every: Duration::from_secs(3600),
            listed_lately: Duration::from_secs(60),
            look_up_every: Duration::from_secs(60),
            poll: Duration::from_secs(5),
            look_up_limit: 20,
        }
    }
}

/// The refresher's task; stopped with [`AgentRefresher::stop`], or when dropped (after the
/// round in progress).
pub struct AgentRefresher {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AgentRefresher {
    pub fn start(book: Arc<dyn AgentBook>, client: Client, timing: RefreshTiming) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(Worker { book, client, timing }.run(stopped));
        Self { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Worker {
    book: Arc<dyn AgentBook>,
    client: Client,
    timing: RefreshTiming,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        // On start: a fresh list unless one was taken a moment ago.
        let mut listing_due = millis(self.timing.listed_lately);
        let mut first = true;
        loop {
            match self.round(AgentRound::Listing, listing_due).await {
                Some(true) => listing_due = millis(self.timing.listing_every),
                // A listing that failed is tried again in a minute, not in an hour.
                Some(false) => listing_due = millis(self.timing.look_up_every),
                // Listed lately on start (a restart, or another receiver sharing the store).
                None if first => listing_due = millis(self.timing.listing_every),
                None => {}
            }
            first = false;
            self.round(AgentRound::LookUp, millis(self.timing.look_up_every)).await;
            tokio::select! {
                _ = tokio::time::sleep(self.timing.poll) => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Takes a round when it is due and, for look-ups, when there is something to look
    /// up. None: not taken; Some(ok): taken, and whether it succeeded.
    async fn round(&self, round: AgentRound, every_ms: i64) -> Option<bool> {
        // The ids to look up, read once: none, and the round is not even claimed.
        let ids = match round {
            AgentRound::Listing => Vec::new(),
            AgentRound::LookUp => match self.book.unnamed_agent_ids(self.timing.look_up_limit).await {
                Ok(ids) if ids.is_empty() => return None,
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "the agents without a name could not be read");
                    return None;
                }
            },
        };
        let now = Timestamp::now().unix_millis();
        match self.book.claim_agent_round(round, now, every_ms).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::warn!(error = %e, round = round.key(), "the agents' round could not be claimed");
                return None;
            }
        }
        let result = match round {
            AgentRound::Listing => self.list().await,
            AgentRound::LookUp => self.look_up(ids).await,
        };
        match result {
            Ok(count) => {
                tracing::debug!(round = round.key(), agents = count, "agents refreshed");
                Some(true)
            }
            Err(e) => {
                tracing::warn!(code = %e.code(), error = %e, round = round.key(), "the agents could not be read");
                Some(false)
            }
        }
    }

    async fn list(&self) -> Result<usize, ClientError> {
        let agents: Vec<AgentName> = self.client.list_agents().await?.into_iter().map(named).collect();
        let count = agents.len();
        self.put(agents).await;
        Ok(count)
    }

    async fn look_up(&self, ids: Vec<String>) -> Result<usize, ClientError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.client.agent(&id).await {
                // The API may answer with another spelling of the id: keep the one calls carry.
                Ok(Some(agent)) => found.push(AgentName { agent_id: id, ..named(agent) }),
                Ok(None) => found.push(AgentName::unknown(id)),
                // An id the client will not put in a path (a slash, `..`) is one no API names.
                Err(ClientError::Validation { .. }) => found.push(AgentName::unknown(id)),
                Err(e) => {
                    // What was found so far is kept; the rest waits for the next round.
                    self.put(std::mem::take(&mut found)).await;
                    return Err(e);
                }
            }
        }
        let count = found.len();
        self.put(found).await;
        Ok(count)
    }

    async fn put(&self, agents: Vec<AgentName>) {
        if agents.is_empty() {
            return;
        }
        if let Err(e) = self.book.put_agents(agents, Timestamp::now().unix_millis()).await {
            tracing::warn!(error = %e, "the agents could not be stored");
        }
    }
}

fn named(agent: Agent) -> AgentName {
    AgentName { agent_id: agent.agent_id, name: agent.name, language: agent.language, known: true }
}
