//! `--database` (or CALLEAGUE_DATABASE_URL): team mode's PostgreSQL connection string.

use calleague_store_pg::DatabaseUrl;

/// The connection string, checked: a password only from the environment, never from an
/// argument (visible to every user of the machine); PGPASSWORD fills in a missing one.
/// `sslmode=disable` to another computer only with `allow_plaintext`.
pub fn from_argument(text: Option<&str>, allow_plaintext: bool) -> anyhow::Result<Option<DatabaseUrl>> {
    let Some(text) = text else { return Ok(None) };
    let parsed = if allow_plaintext { DatabaseUrl::parse_allowing_plaintext(text) } else { text.parse() };
    let mut url = parsed.map_err(|e: String| {
        let hint = if e.contains("unencrypted") { " (--database-allow-plaintext if you mean it)" } else { "" };
        anyhow::anyhow!("--database: {e}{hint}")
    })?;
    let from_environment = std::env::var("CALLEAGUE_DATABASE_URL").is_ok_and(|env| env == text);
    if url.has_password() && !from_environment {
        anyhow::bail!(
            "--database holds a password, and arguments are visible to every user of the machine: put the URL in CALLEAGUE_DATABASE_URL, or the password in PGPASSWORD"
        );
    }
    if !url.has_password() {
        if let Ok(password) = std::env::var("PGPASSWORD") {
            url.set_password(&password);
        }
    }
    Ok(Some(url))
}
