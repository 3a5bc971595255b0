//! Where notes are shown: the desktop's notification server, or a list in memory for fast
//! tests of the watcher's rules.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::note::Note;

/// Why a note could not be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyError(pub String);

impl std::fmt::Display for NotifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shows notes. `show` may block (D-Bus): the watcher calls it off the async workers.
pub trait Notifier: Send + Sync + 'static {
    fn show(&self, note: &Note) -> Result<(), NotifyError>;
}

/// What a click on a note (or its "Open" action) asks for: a call's details, or the
/// timeline when the note was a summary.
pub type OpenHandler = Arc<dyn Fn(crate::note::Open) + Send + Sync>;

/// The desktop's notification server (org.freedesktop.Notifications on Linux) through
/// notify-rust.
pub struct DesktopNotifier {
    on_open: OpenHandler,
    /// Threads waiting for a click. A server may never close a note, and each wait holds a
    /// thread and a D-Bus connection, so past this many a note is shown without one.
    waiting: Arc<AtomicUsize>,
}

const MAX_WAITING: usize = 16;
pub const APP_NAME: &str = "Calleague Monitor";

impl DesktopNotifier {
    pub fn new(on_open: OpenHandler) -> Self {
        Self { on_open, waiting: Arc::default() }
    }
}

impl Notifier for DesktopNotifier {
    fn show(&self, note: &Note) -> Result<(), NotifyError> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return notification(note).show().map(drop).map_err(|e| NotifyError(e.to_string()));
        }
        // The D-Bus handle stays on the thread that showed it (it is not Send): that thread
        // shows the note, reports how it went, then waits for a click.
        let (shown_tx, shown_rx) = std::sync::mpsc::channel();
        let (note, on_open, waiting) = (note.clone(), self.on_open.clone(), self.waiting.clone());
        let spawned = std::thread::Builder::new().name("notification".into()).spawn(move || {
            match notification(&note).show() {
                Ok(handle) => {
                    let _ = shown_tx.send(Ok(()));
                    handle.wait_for_action(|action| {
                        if action == "default" || action == "open" {
                            on_open(note.open.clone());
                        }
                    });
                }
                Err(e) => {
                    let _ = shown_tx.send(Err(NotifyError(e.to_string())));
                }
            }
            waiting.fetch_sub(1, Ordering::SeqCst);
        });
        if let Err(e) = spawned {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(NotifyError(e.to_string()));
        }
        shown_rx.recv().unwrap_or_else(|_| Err(NotifyError("the notification thread stopped".into())))
    }
}

fn notification(note: &Note) -> notify_rust::Notification {
    // The body is markup on servers that say so (KDE renders links, dunst and mako Pango
    // spans, GNOME b/i/u); a caller's name in metadata must show as the text it is. Where
    // the server cannot be asked, escaped too: an "&amp;" shown is better than a link.
    let markup = notify_rust::get_capabilities().map_or(true, |caps| caps.iter().any(|c| c == "body-markup"));
    let body = if markup { escape_markup(&note.body) } else { note.body.clone() };
    let mut notification = notify_rust::Notification::new();
    // The summary is plain text by the specification: never markup.
    notification.appname(APP_NAME).summary(&note.summary).body(&body).icon("calleague-monitor");
    // "default" is a click on the note itself; "open" its button where actions show.
    notification.action("default", "Open").action("open", "Open");
    notification
}

/// `text` as the markup notification servers read (a subset of XML): `&`, `<`, `>`, and the
/// quotes escaped.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Keeps every note in memory; fails while told to. For tests only: the real notifier is
/// tested end to end against a D-Bus notification server.
#[derive(Default)]
pub struct MemoryNotifier {
    shown: Mutex<Vec<Note>>,
    failing: Mutex<Option<String>>,
}

impl MemoryNotifier {
    pub fn shown(&self) -> Vec<Note> {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn fail_with(&self, reason: Option<&str>) {
        if let Ok(mut failing) = self.failing.lock() {
            *failing = reason.map(Into::into);
        }
    }
}

impl Notifier for MemoryNotifier {
    fn show(&self, note: &Note) -> Result<(), NotifyError> {
        if let Some(reason) = self.failing.lock().ok().and_then(|f| f.clone()) {
            return Err(NotifyError(reason));
        }
        self.shown.lock().map_err(|e| NotifyError(e.to_string()))?.push(note.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::escape_markup;

    #[test]
    fn markup_is_escaped_whole() {
        assert_eq!(
            escape_markup(r#"<a href="https://x">A & 'B'</a>"#),
            "&lt;a href=&quot;https://x&quot;&gt;A &amp; &apos;B&apos;&lt;/a&gt;"
        );
        assert_eq!(escape_markup("plain · 12:00"), "plain · 12:00");
    }
}
