//! The agents' names as the store keeps them (migration 0018), shared by the reads
//! (`agents.rs`) and the writer's writes (`agent_writes.rs`).

use serde::{Deserialize, Serialize};

/// What the API said of one agent id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AgentName {
    pub agent_id: String,
    /// None when the API gave none (or does not know the id): the id is shown.
    pub name: Option<String>,
    pub language: Option<String>,
    /// False when the API answered that it has no agent with this id.
    pub known: bool,
}

impl AgentName {
    /// An id the API named (its language unknown).
    pub fn named(agent_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self { agent_id: agent_id.into(), name: Some(name.into()), language: None, known: true }
    }

    /// An id the API does not know.
    pub fn unknown(agent_id: impl Into<String>) -> Self {
        Self { agent_id: agent_id.into(), name: None, language: None, known: false }
    }
}

/// The two kinds of round the agents' refresher takes, each claimed in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRound {
    /// Every agent of the account, listed.
    Listing,
    /// Ids seen in calls with no entry yet, asked for one by one.
    LookUp,
}

impl AgentRound {
    pub fn key(self) -> &'static str {
        match self {
            AgentRound::Listing => "listing",
            AgentRound::LookUp => "look-up",
        }
    }
}
