//! Team mode: the window shows a team's PostgreSQL database, which receivers on servers
//! write (`calleague-receiver serve --database`), read with a read-only role. This
//! computer receives nothing itself; its failure notifications follow the team's live
//! feed and are remembered in this computer's own store, so a call is never notified twice
//! on one desktop.
//!
//! The database's address and the role's password rest in the keychain, side by side (as
//! the API key and its address do): the settings file never decides where a password goes.

use std::sync::Arc;
use std::time::Duration;

use calleague_error_code::ErrorCode;
use calleague_events::Timestamp;
use calleague_store::{FeedItem, TimelineReader};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use tokio::sync::broadcast;

use crate::error::{AppError, AppResult};
use crate::keychain::Entry;
use crate::settings::Mode;
use crate::Engine;

/// How long connecting to the team's database may take before the form says why not.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A window reads a page at a time: a few connections are plenty.
const VIEWER_CONNECTIONS: usize = 4;
/// How often a database that could not be reached at start is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(5);
/// The most deliveries read back for the "while closed" summary.
const MISSED_LIMIT: u32 = 10_000;

/// The team's database as typed, checked: a connection string without a password; to
/// another computer encrypted, unless the user ticked "without encryption".
fn checked_address(database: &str, allow_plaintext: bool) -> AppResult<DatabaseUrl> {
    let invalid = |message: String| AppError::new(ErrorCode::TeamDatabaseInvalid, message);
    let parsed =
        if allow_plaintext { DatabaseUrl::parse_allowing_plaintext(database.trim()) } else { database.trim().parse() };
    let url = parsed.map_err(|e: String| {
        let hint = if e.contains("unencrypted") { " (tick \"Connect without encryption\" if you mean it)" } else { "" };
        invalid(format!("The database address: {e}{hint}."))
    })?;
    if url.has_password() {
        return Err(invalid(
            "Leave the password out of the address and type it in the password field: the address is shown, the password is kept only in the keychain.".into(),
        ));
    }
    Ok(url)
}

async fn connect(mut url: DatabaseUrl, password: &str) -> AppResult<Arc<PgStore>> {
    if !password.is_empty() {
        url.set_password(password);
    }
    let options =
        PgOptions { max_connections: VIEWER_CONNECTIONS, connect_timeout: CONNECT_TIMEOUT, ..PgOptions::default() };
    // The store's messages show the address without its password.
    PgStore::connect_viewer(&url, options).await.map_err(|e| {
        AppError::new(ErrorCode::TeamDatabaseUnavailable, format!("Cannot watch the team's database: {e}"))
    })
}

impl Engine {
    /// What the window reads: the team's database in team mode, else this computer's store.
    pub fn reader(&self) -> Arc<dyn TimelineReader> {
        match self.team_store() {
            Some(team) => team,
            None => Arc::new(self.store().clone()),
        }
    }

    /// The live feed the window follows: the team's commits, or this computer's.
    pub fn subscribe_feed(&self) -> broadcast::Receiver<FeedItem> {
        match self.team_store() {
            Some(team) => team.subscribe(),
            None => self.store().subscribe(),
        }
    }

    pub(crate) fn team_store(&self) -> Option<Arc<PgStore>> {
        self.team.read().ok().and_then(|t| t.clone())
    }

    /// The team's database watched, but its live link down (it stopped answering): live
    /// updates and failure notifications wait for it, which the status bar says.
    pub(crate) fn team_link_down(&self) -> Option<AppError> {
        let team = self.team_store()?;
        let up = *team.live_link().borrow();
        (!up).then(|| {
            AppError::new(
                ErrorCode::TeamDatabaseUnavailable,
                "The team database stopped answering: live updates and failure notifications wait until it answers again (retrying).",
            )
        })
    }

    /// Checks the address, connects with the password (which must be able to read the
    /// team's calls), keeps both in the keychain and switches the window to the team's
    /// database. This computer stops receiving (and leaves the demo).
    pub async fn connect_team(&self, database: String, password: String, allow_plaintext: bool) -> AppResult<()> {
        let url = checked_address(&database, allow_plaintext)?;
        let store = connect(url, &password).await?;
        let (address, stored_password) = (database.trim().to_owned(), password);
        self.keychain(move |k| k.save(Entry::TeamDatabase, &address)).await?;
        self.keychain(move |k| k.save(Entry::TeamPassword, &stored_password)).await?;
        self.stop_demo().await;
        self.stop_receiver().await;
        {
            // An account's or the demo's key is not the team's: recordings in team mode use
            // a key added for it (`set_team_api_key`).
            let mut running = self.running.lock().await;
            (running.key, running.api_base) = (None, None);
            running.team_error = None;
        }
        self.watch_team(Some(store));
        // From now on, what this desktop misses while closed is summarized when it is back.
        let now = Timestamp::now().unix_millis();
        self.update_settings(|s| {
            s.mode = Some(Mode::Team);
            s.team_watched_until_ms = Some(now);
            s.team_allow_plaintext = allow_plaintext;
        })
        .await?;
        // The alert rules over the team's database, for this desktop's notifications.
        self.restart_alert_rules().await;
        Ok(())
    }

    /// Back to this computer's own store; the address, the password and an API key kept
    /// for recordings leave the keychain (an account mode's key, if any, stays).
    pub async fn leave_team(&self) -> AppResult<()> {
        for entry in [Entry::TeamPassword, Entry::TeamDatabase, Entry::TeamApiKey, Entry::TeamApiBase] {
            self.keychain(move |k| k.remove(entry)).await?;
        }
        self.watch_team(None);
        self.stop_alert_rules().await;
        {
            let mut running = self.running.lock().await;
            running.team_error = None;
            running.key = None;
            running.api_base = None;
        }
        self.update_settings(|s| {
            s.mode = None;
            s.team_watched_until_ms = None;
            s.team_allow_plaintext = false;
        })
        .await
    }

    /// Notes when this desktop stopped watching (the app quits), for the next start's
    /// "while closed" summary.
    pub(crate) async fn stop_watching(&self) {
        if self.team_store().is_some() {
            self.note_watched_until_now().await;
        }
    }

    /// What this desktop has seen of the team's database reaches until now.
    async fn note_watched_until_now(&self) {
        let now = Timestamp::now().unix_millis();
        if let Err(e) = self.update_settings(|s| s.team_watched_until_ms = Some(now)).await {
            tracing::warn!(code = %e.code, message = %e.message, "team database: cannot note what was watched");
        }
    }

    /// The team's failures since this desktop last watched, as one "while closed" note
    /// (each call claimed, so never notified again here); then watching counts from now.
    async fn summarize_missed(&self, store: &PgStore) {
        let since = self.settings.lock().await.team_watched_until_ms;
        if let (Some(since), Some(alerts)) =
            (since.and_then(|ms| Timestamp::from_unix_millis(ms).ok()), self.alerts.get())
        {
            match store.feed_since(since, MISSED_LIMIT).await {
                Ok(items) => alerts.while_closed(items),
                Err(e) => tracing::warn!(error = %e, "team database: cannot read what happened while closed"),
            }
        }
        self.note_watched_until_now().await;
    }

    /// In team mode: the account's API key (checked against the API at `api_base_url`),
    /// kept in the keychain for recordings and transcripts, which Calleague serves to it;
    /// `None` removes it. The team's database is watched either way; nothing is received.
    pub async fn set_team_api_key(&self, key: Option<String>, api_base_url: Option<String>) -> AppResult<()> {
        if self.settings.lock().await.mode != Some(Mode::Team) {
            return Err(AppError::new(ErrorCode::NotConnected, "Watch a team's database first."));
        }
        let kept = match key {
            Some(key) => {
                Some(self.check_and_keep_key(key, api_base_url, [Entry::TeamApiKey, Entry::TeamApiBase]).await?)
            }
            None => {
                self.keychain(|k| k.remove(Entry::TeamApiKey)).await?;
                self.keychain(|k| k.remove(Entry::TeamApiBase)).await?;
                None
            }
        };
        let mut running = self.running.lock().await;
        (running.key, running.api_base) = kept.unzip();
        Ok(())
    }

    /// Team mode after a restart: the address and password from the keychain. A database
    /// that cannot be reached is tried again in the background; the status says why meanwhile.
    pub(crate) async fn resume_team(self: &Arc<Self>) {
        let loaded = async {
            let load = |entry| self.keychain(move |k| k.load(entry));
            let address = load(Entry::TeamDatabase).await?;
            let password = load(Entry::TeamPassword).await?;
            // The account's key, when one was added for recordings.
            let key = load(Entry::TeamApiKey).await?.zip(load(Entry::TeamApiBase).await?);
            Ok::<_, AppError>((address, password, key))
        };
        let (address, password) = match loaded.await {
            Ok((Some(address), password, key)) => {
                let mut running = self.running.lock().await;
                (running.key, running.api_base) = key.unzip();
                (address, password.unwrap_or_default())
            }
            Ok((None, ..)) => {
                return self.running.lock().await.team_error = Some(AppError::new(
                    ErrorCode::KeyMissing,
                    "The team database's address was not found in the keychain. If your keychain is locked, unlock it and restart; otherwise connect to the team's database again.",
                ))
            }
            Err(e) => return self.running.lock().await.team_error = Some(e),
        };
        let allow_plaintext = self.settings.lock().await.team_allow_plaintext;
        let url = match checked_address(&address, allow_plaintext) {
            Ok(url) => url,
            Err(e) => return self.running.lock().await.team_error = Some(e),
        };
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                match connect(url.clone(), &password).await {
                    Ok(store) => {
                        engine.running.lock().await.team_error = None;
                        // Left team mode while connecting: not needed any more.
                        if engine.settings.lock().await.mode == Some(Mode::Team) {
                            // Live first, then what was missed: a call in both is claimed once.
                            engine.watch_team(Some(store.clone()));
                            engine.summarize_missed(&store).await;
                            engine.restart_alert_rules().await;
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(code = %e.code, message = %e.message, "team database: retrying");
                        engine.running.lock().await.team_error = Some(e);
                    }
                }
                tokio::time::sleep(RETRY_EVERY).await;
                if engine.settings.lock().await.mode != Some(Mode::Team) {
                    return;
                }
            }
        });
    }

    /// Switches what the window and the notifications follow. The notifications move to
    /// the new feed before the old store goes (its feed closing must not stop them).
    fn watch_team(&self, store: Option<Arc<PgStore>>) {
        let (feed, names): (_, Arc<dyn TimelineReader>) = match &store {
            Some(team) => (team.subscribe(), team.clone()),
            None => (self.store().subscribe(), Arc::new(self.store().clone())),
        };
        if let Some(alerts) = self.alerts.get() {
            alerts.follow(feed, names);
        }
        let previous = self.team.write().map(|mut t| std::mem::replace(&mut *t, store));
        drop(previous);
    }

    /// The team's database as the status shows it: the address, never the password.
    pub(crate) fn team_address(&self) -> Option<String> {
        self.team_store().map(|t| t.url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_with_its_password_is_refused_without_showing_it() {
        let e = checked_address("postgres://viewer:s3cret-pw@db.internal:5432/calleague", false).unwrap_err();
        assert_eq!(e.code, ErrorCode::TeamDatabaseInvalid);
        assert!(!e.message.contains("s3cret-pw"), "{}", e.message);
        let e = checked_address("not a database", false).unwrap_err();
        assert_eq!(e.code, ErrorCode::TeamDatabaseInvalid);
        assert!(e.message.starts_with("The database address:"), "{}", e.message);
        assert!(checked_address(" postgres://viewer@db.internal:5432/calleague ", false).is_ok());
        let plain = "postgres://viewer@db.internal:5432/calleague?sslmode=disable";
        let refused = checked_address(plain, false).unwrap_err();
        assert!(
            refused.message.contains("unencrypted") && refused.message.contains("without encryption"),
            "{}",
            refused.message
        );
        assert!(checked_address(plain, true).is_ok_and(|url| !url.uses_tls()));
    }
}
