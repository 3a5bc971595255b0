use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A webhook event name. Names we don't know are kept verbatim, so a new event from
/// Calleague is stored and shown rather than rejected.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    CallStarted,
    CallConnected,
    /// Also the older spelling `call.ended`.
    CallCompleted,
    CallFailed,
    RecordingReady,
    TranscriptReady,
    Other(String),
}

impl EventKind {
    /// The names Calleague documents, in lifecycle order.
    pub const KNOWN: [EventKind; 6] = [
        EventKind::CallStarted,
        EventKind::CallConnected,
        EventKind::CallCompleted,
        EventKind::CallFailed,
        EventKind::RecordingReady,
        EventKind::TranscriptReady,
    ];

    pub fn parse(name: &str) -> Self {
        match name.trim() {
            "call.started" => Self::CallStarted,
            "call.connected" => Self::CallConnected,
            "call.completed" | "call.ended" => Self::CallCompleted,
            "call.failed" => Self::CallFailed,
            "recording.ready" => Self::RecordingReady,
            "transcript.ready" => Self::TranscriptReady,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The canonical name (the current spelling for aliases).
    pub fn as_str(&self) -> &str {
        match self {
            Self::CallStarted => "call.started",
            Self::CallConnected => "call.connected",
            Self::CallCompleted => "call.completed",
            Self::CallFailed => "call.failed",
            Self::RecordingReady => "recording.ready",
            Self::TranscriptReady => "transcript.ready",
            Self::Other(name) => name,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::CallCompleted | Self::CallFailed)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventKind({})", self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_spelling_reads_as_completed() {
        assert_eq!(EventKind::parse("call.ended"), EventKind::CallCompleted);
        assert_eq!(EventKind::parse("call.ended").as_str(), "call.completed");
    }

    #[test]
    fn unknown_names_are_kept() {
        let kind = EventKind::parse("call.transferred");
        assert_eq!(kind, EventKind::Other("call.transferred".into()));
        assert_eq!(kind.as_str(), "call.transferred");
        assert!(!kind.is_known());
    }

    #[test]
    fn known_names_round_trip() {
        for kind in EventKind::KNOWN {
            assert_eq!(EventKind::parse(kind.as_str()), kind);
        }
    }
}
