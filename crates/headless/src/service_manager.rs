//! What systemd is told (`Type=notify`): READY=1 once the listener is bound and the store
//! open, STOPPING=1 when a stop begins, and WATCHDOG=1 while the serving loop goes round.
//! Outside systemd (no `NOTIFY_SOCKET`) each is nothing.

use std::time::Duration;

use calleague_receiver::Liveness;
use sd_notify::NotifyState;

/// The listener is bound and the store open: `systemctl start` may return.
pub fn ready(url: &str) {
    let status = format!("listening on {url}");
    notify(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// A stop has begun: deliveries in flight are draining.
pub fn stopping() {
    notify(&[NotifyState::Stopping, NotifyState::Status("draining")]);
}

/// With `WatchdogSec=` set, pings systemd at half its interval for as long as the
/// receiver's accept loop keeps going round; a loop that hangs stops the pings and
/// systemd restarts the service.
pub fn feed_watchdog(liveness: Liveness) -> Option<tokio::task::JoinHandle<()>> {
    let interval = sd_notify::watchdog_enabled()?;
    let every = (interval / 2).max(Duration::from_millis(500));
    // The loop stamps itself every second when idle: a stamp older than this is a hang.
    let stale_after = every.max(Duration::from_secs(3));
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if liveness.serving_within(stale_after) {
                notify(&[NotifyState::Watchdog]);
            } else {
                tracing::error!(
                    "the receiver's serving loop has not gone round for {stale_after:?}: not feeding the watchdog"
                );
            }
        }
    }))
}

fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "could not notify systemd");
    }
}
