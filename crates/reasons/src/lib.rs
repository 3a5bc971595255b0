//! What went wrong, in plain words. Calleague's `endedReason` values are terse codes; the
//! [`ReasonTable`] maps each known one to a [`Category`] (who or what ended the call) and a
//! one-line explanation. The shipped defaults cover the codes voice platforms commonly send;
//! the user's own entries (Settings) replace a default or add a code, and a reason found in
//! calls with no entry is *unknown* until someone categorises it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who or what ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Category {
    /// No answer, busy, hung up, voicemail.
    Caller,
    /// Ended or transferred by the agent, or ran its course.
    Agent,
    /// Calleague itself.
    Platform,
    /// A provider behind it: telephony, speech, the model.
    Provider,
    /// The account: billing, limits.
    Account,
}

impl Category {
    pub const ALL: [Category; 5] =
        [Category::Caller, Category::Agent, Category::Platform, Category::Provider, Category::Account];

    /// "the caller", as a heading says it.
    pub fn label(self) -> &'static str {
        match self {
            Category::Caller => "The caller",
            Category::Agent => "The agent",
            Category::Platform => "The platform",
            Category::Provider => "A provider",
            Category::Account => "The account",
        }
    }
}

/// One reason's category and explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ReasonEntry {
    pub reason: String,
    pub category: Category,
    pub explanation: String,
}

/// The longest reason code and explanation an entry may have.
pub const MAX_REASON_CHARS: usize = 100;
pub const MAX_EXPLANATION_CHARS: usize = 200;

/// Why an entry was refused, and which of its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: String,
}

impl ReasonEntry {
    /// The entry trimmed, or why not: a code of 1 to 100 characters without control
    /// characters, an explanation of 1 to 200.
    pub fn checked(self) -> Result<Self, Refusal> {
        let reason = self.reason.trim().to_owned();
        let explanation = self.explanation.trim().to_owned();
        let refuse = |field, message: &str| Err(Refusal { field, message: message.to_owned() });
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return refuse("reason", "A reason code of 1 to 100 characters, as calls carry it.");
        }
        if reason.chars().any(char::is_control) {
            return refuse("reason", "A reason code has no line breaks or control characters.");
        }
        if explanation.is_empty() || explanation.chars().count() > MAX_EXPLANATION_CHARS {
            return refuse("explanation", "One line of 1 to 200 characters saying what happened.");
        }
        if explanation.chars().any(char::is_control) {
            return refuse("explanation", "One line: no line breaks or control characters.");
        }
        Ok(Self { reason, category: self.category, explanation })
    }
}

/// The defaults with the user's entries over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonTable {
    entries: BTreeMap<String, (ReasonEntry, bool)>,
}

impl ReasonTable {
    /// The shipped defaults, then `custom` entries replacing or adding to them.
    pub fn with(custom: &[ReasonEntry]) -> Self {
        let mut entries: BTreeMap<String, (ReasonEntry, bool)> =
            defaults().into_iter().map(|e| (e.reason.clone(), (e, false))).collect();
        for entry in custom {
            entries.insert(entry.reason.clone(), (entry.clone(), true));
        }
        Self { entries }
    }

    pub fn get(&self, reason: &str) -> Option<&ReasonEntry> {
        self.entries.get(reason).map(|(entry, _)| entry)
    }

    /// Every entry in code order, each with whether it is the user's own.
    pub fn entries(&self) -> impl Iterator<Item = (&ReasonEntry, bool)> {
        self.entries.values().map(|(entry, custom)| (entry, *custom))
    }

    /// Whether `reason` has a shipped default (an entry of the user's replacing it can be reset).
    pub fn has_default(reason: &str) -> bool {
        defaults().iter().any(|e| e.reason == reason)
    }
}

/// The shipped table: codes voice platforms commonly end calls with.
pub fn defaults() -> Vec<ReasonEntry> {
    use Category::*;
    let table: &[(&str, Category, &str)] = &[
        ("no-answer", Caller, "The caller's phone rang out without an answer."),
        ("customer-did-not-answer", Caller, "The caller's phone rang out without an answer."),
        ("busy", Caller, "The caller's line was busy."),
        ("customer-busy", Caller, "The caller's line was busy."),
        ("voicemail", Caller, "Voicemail answered instead of a person."),
        ("customer-ended-call", Caller, "The caller hung up."),
        ("silence-timed-out", Caller, "Nobody spoke for too long, so the call was ended."),
        ("customer-did-not-give-microphone-permission", Caller, "The caller's browser did not allow the microphone."),
        ("completed", Agent, "The call ran its course and ended normally."),
        ("assistant-ended-call", Agent, "The agent ended the call."),
        ("assistant-said-end-call-phrase", Agent, "The agent said its closing phrase and hung up."),
        ("assistant-forwarded-call", Agent, "The agent transferred the call to another number."),
        ("exceeded-max-duration", Agent, "The call reached the agent's longest allowed duration."),
        ("error", Platform, "The platform reported an error without saying more."),
        ("pipeline-error", Platform, "The platform's voice pipeline failed during the call."),
        ("unknown-error", Platform, "The platform reported an error it could not name."),
        ("worker-shutdown", Platform, "The platform's worker handling the call stopped."),
        ("twilio-failed-to-connect-call", Provider, "The telephony provider could not connect the call."),
        ("phone-call-provider-closed-websocket", Provider, "The telephony provider dropped the call's audio stream."),
        ("sip-error", Provider, "The telephony provider's SIP connection failed."),
        ("transcriber-failed", Provider, "The speech-to-text provider failed."),
        ("voice-failed", Provider, "The text-to-speech provider failed."),
        ("llm-failed", Provider, "The language model's provider failed or timed out."),
        ("model-error", Provider, "The language model's provider returned an error."),
        ("billing-insufficient-funds", Account, "The account ran out of credit."),
        ("insufficient-credits", Account, "The account ran out of credit."),
        ("concurrency-limit-reached", Account, "The account's limit of calls at once was reached."),
        ("rate-limited", Account, "The account's request limit was reached."),
        ("account-suspended", Account, "The account is suspended."),
    ];
    table
        .iter()
        .map(|(reason, category, explanation)| ReasonEntry {
            reason: (*reason).to_owned(),
            category: *category,
            explanation: (*explanation).to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_each_valid_and_listed_once() {
        let defaults = defaults();
        let mut seen = std::collections::BTreeSet::new();
        for entry in &defaults {
            assert_eq!(entry.clone().checked().as_ref(), Ok(entry), "{entry:?}");
            assert!(seen.insert(entry.reason.clone()), "{} twice", entry.reason);
        }
        // Every category has a default or more.
        for category in Category::ALL {
            assert!(defaults.iter().any(|e| e.category == category), "{category:?}");
        }
    }

    #[test]
    fn the_users_entries_replace_a_default_or_add_a_code() {
        let mine =
            ReasonEntry { reason: "busy".into(), category: Category::Provider, explanation: "Our trunk.".into() };
        let new = ReasonEntry { reason: "x-custom".into(), category: Category::Account, explanation: "Ours.".into() };
        let table = ReasonTable::with(&[mine.clone(), new.clone()]);
        assert_eq!(table.get("busy"), Some(&mine));
        assert_eq!(table.get("x-custom"), Some(&new));
        assert_eq!(table.get("no-answer").map(|e| e.category), Some(Category::Caller));
        assert_eq!(table.get("never-heard-of"), None);
        let custom: Vec<&str> = table.entries().filter(|(_, c)| *c).map(|(e, _)| e.reason.as_str()).collect();
        assert_eq!(custom, ["busy", "x-custom"]);
        assert!(ReasonTable::has_default("busy") && !ReasonTable::has_default("x-custom"));
    }

    #[test]
    fn an_entry_is_checked_by_field() {
        let entry = |reason: &str, explanation: &str| ReasonEntry {
            reason: reason.into(),
            category: Category::Caller,
            explanation: explanation.into(),
        };
        assert_eq!(entry("  busy ", " Busy. ").checked().unwrap().reason, "busy");
        assert_eq!(entry("", "x").checked().unwrap_err().field, "reason");
        assert_eq!(entry(&"r".repeat(101), "x").checked().unwrap_err().field, "reason");
        assert_eq!(entry("a\nb", "x").checked().unwrap_err().field, "reason");
        assert_eq!(entry("busy", "").checked().unwrap_err().field, "explanation");
        assert_eq!(entry("busy", "two\nlines").checked().unwrap_err().field, "explanation");
        assert_eq!(entry("busy", &"e".repeat(201)).checked().unwrap_err().field, "explanation");
        let json = serde_json::to_value(entry("busy", "x")).unwrap();
        assert_eq!(json["category"], "caller");
    }
}
