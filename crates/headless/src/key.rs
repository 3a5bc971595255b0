//! The API key: from CALLEAGUE_API_KEY or a key file, never from a plain argument.

use std::path::Path;

use anyhow::{bail, Context};

pub const KEY_ENV: &str = "CALLEAGUE_API_KEY";

/// The key's text, trimmed. Kept only as long as the caller needs it.
pub fn read(key_file: Option<&Path>) -> anyhow::Result<String> {
    let text = match key_file {
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("cannot read the key file {}", file.display()))?
        }
        None => match std::env::var(KEY_ENV) {
            Ok(value) => value,
            Err(_) => bail!("no API key: set {KEY_ENV} or pass --key-file FILE"),
        },
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        match key_file {
            Some(file) => bail!("the key file {} is empty", file.display()),
            None => bail!("{KEY_ENV} is set but empty"),
        }
    }
    Ok(text)
}

pub fn client(api_base: &str, key_file: Option<&Path>) -> anyhow::Result<calleague_client::Client> {
    let key = calleague_client::SecretKey::new(read(key_file)?).context("the API key is empty")?;
    let config = calleague_client::ClientConfig::with_base_url(api_base);
    Ok(calleague_client::Client::new(config, key)?)
}
