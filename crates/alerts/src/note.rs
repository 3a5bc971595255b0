//! The words of each notification.

use std::collections::BTreeMap;

use calleague_events::Timestamp;

use crate::rules::Failure;

/// One notification, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    /// What its "Open" action (and a click) shows.
    pub open: Open,
}

/// What a click on a note opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Open {
    /// The timeline (a summary of several calls, a note of the app's own).
    Timeline,
    /// One call's details.
    Call(String),
    /// The calls behind a firing of an alert rule (its id in the store).
    AlertFiring(i64),
}

/// The most characters of one value from the network (an agent id, a reason, a metadata
/// field or value) that a note shows; longer ones end in "…".
pub const FIELD_CHARS: usize = 120;

impl Note {
    /// A note is plain text: every value that came over the network is made one line of at
    /// most [`FIELD_CHARS`] characters (see [`one_line`]); the notifier escapes markup.
    pub fn single(failure: &Failure) -> Self {
        let agent = failure.agent.as_deref().map_or_else(|| "an unknown agent".to_owned(), one_line);
        let mut lines = vec![format!(
            "{} · {}",
            failure.ended_reason.as_deref().map_or_else(|| "no reason given".to_owned(), one_line),
            local_time(failure.occurred_at)
        )];
        if let Some((field, value)) = &failure.detail {
            lines.push(format!("{}: {}", one_line(field), one_line(value)));
        }
        Self {
            summary: format!("Call failed: {agent}"),
            body: lines.join("\n"),
            open: Open::Call(failure.call_id.clone()),
        }
    }

    /// Several calls that failed close together.
    pub fn burst(failures: &[Failure]) -> Self {
        Self {
            summary: format!("{} calls failed within seconds", failures.len()),
            body: agents_line(failures),
            open: Open::Timeline,
        }
    }

    /// Failed calls that catch-up found after the app had been closed.
    pub fn while_closed(failures: &[Failure]) -> Self {
        let calls = if failures.len() == 1 { "1 call".to_owned() } else { format!("{} calls", failures.len()) };
        Self {
            summary: format!("{calls} failed while Calleague Monitor was closed"),
            body: agents_line(failures),
            open: Open::Timeline,
        }
    }
}

/// "Agents: sales_bot (4), support (2)", the most failures first, at most five named.
fn agents_line(failures: &[Failure]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in failures {
        *counts.entry(f.agent.as_deref().map_or_else(|| "unknown agent".to_owned(), one_line)).or_default() += 1;
    }
    let mut agents: Vec<(String, usize)> = counts.into_iter().collect();
    agents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut named: Vec<String> = agents.iter().take(5).map(|(a, n)| format!("{a} ({n})")).collect();
    if agents.len() > 5 {
        named.push(format!("and {} more", agents.len() - 5));
    }
    format!("Agents: {}", named.join(", "))
}

/// `text` as one line a note can show: control characters (newlines, tabs, escapes) and the
/// invisible characters that reorder text (bidirectional overrides) become spaces, runs of
/// spaces one, and it is cut to [`FIELD_CHARS`] characters. A caller's name in metadata can
/// then neither fake extra lines nor flood the note.
pub fn one_line(text: &str) -> String {
    let breaks = |c: char| c.is_control() || c.is_whitespace() || is_reordering(c);
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split(breaks).filter(|w| !w.is_empty()) {
        if chars > FIELD_CHARS {
            break;
        }
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
    }
    if chars > FIELD_CHARS {
        out = out.chars().take(FIELD_CHARS - 1).collect::<String>().trim_end().to_owned();
        out.push('…');
    }
    out
}

/// Unicode's bidirectional embeddings, overrides and isolates, and the zero-width marks.
fn is_reordering(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The time of day on this computer's clock, e.g. "14:03:12".
fn local_time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.unix_millis())
        .map(|t| t.with_timezone(&chrono::Local).format("%H:%M:%S").to_string())
        .unwrap_or_else(|| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(call: &str, agent: Option<&str>) -> Failure {
        Failure {
            call_id: call.into(),
            agent: agent.map(Into::into),
            ended_reason: Some("customer-busy".into()),
            occurred_at: Timestamp::from_unix_millis(1_767_268_800_000).unwrap(),
            detail: Some(("orderId".into(), "A-17".into())),
            caught_up: false,
        }
    }

    #[test]
    fn a_single_names_the_agent_reason_time_and_chosen_detail() {
        let note = Note::single(&failure("c1", Some("sales_bot")));
        assert_eq!(note.summary, "Call failed: sales_bot");
        let lines: Vec<&str> = note.body.lines().collect();
        assert!(lines[0].starts_with("customer-busy · "), "{lines:?}");
        assert_eq!(lines[0].len(), "customer-busy · ".len() + "hh:mm:ss".len());
        assert_eq!(lines[1], "orderId: A-17");
        assert_eq!(note.open, Open::Call("c1".into()));
    }

    #[test]
    fn summaries_count_calls_and_name_the_agents_most_failures_first() {
        let failures: Vec<Failure> = [("a", "x"), ("b", "y"), ("c", "y"), ("d", "")]
            .iter()
            .map(|(c, a)| failure(c, (!a.is_empty()).then_some(*a)))
            .collect();
        let note = Note::burst(&failures);
        assert_eq!(note.summary, "4 calls failed within seconds");
        assert_eq!(note.body, "Agents: y (2), unknown agent (1), x (1)");
        assert_eq!(note.open, Open::Timeline);
        assert_eq!(Note::while_closed(&failures).summary, "4 calls failed while Calleague Monitor was closed");
        assert_eq!(Note::while_closed(&failures[..1]).summary, "1 call failed while Calleague Monitor was closed");
    }

    #[test]
    fn values_from_the_network_are_one_short_line() {
        let hostile = Failure {
            agent: Some("ag\n<b>fake</b>\u{202E}txt".into()),
            ended_reason: Some("busy\r\n\nCall completed: all fine\t".into()),
            detail: Some(("caller\n".into(), "x".repeat(10_000))),
            ..failure("c1", None)
        };
        let note = Note::single(&hostile);
        assert_eq!(note.summary, "Call failed: ag <b>fake</b> txt", "markup is the notifier's to escape");
        let lines: Vec<&str> = note.body.lines().collect();
        assert_eq!(lines.len(), 2, "no line of the network's own: {lines:?}");
        assert!(lines[0].starts_with("busy Call completed: all fine · "), "{lines:?}");
        assert!(lines[1].starts_with("caller: xxx"));
        assert_eq!(lines[1].chars().count(), "caller: ".len() + FIELD_CHARS);
        assert!(lines[1].ends_with("x…"));
        assert_eq!(one_line(&"y".repeat(FIELD_CHARS)), "y".repeat(FIELD_CHARS), "cut only when longer");
        assert_eq!(one_line("  a \u{0007} b  "), "a b");
    }

    #[test]
    fn many_agents_are_cut_to_five() {
        let failures: Vec<Failure> = (0..8).map(|i| failure(&format!("c{i}"), Some(&format!("agent{i}")))).collect();
        assert!(Note::burst(&failures).body.ends_with(", and 3 more"));
    }
}
