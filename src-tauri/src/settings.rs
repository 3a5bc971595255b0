//! Settings the user can change, in a JSON file in the app's config folder. Never a secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub port: u16,
    pub api_base_url: String,
    /// The tunnel's https address that Calleague delivers to.
    pub public_url: Option<String>,
    /// How the user came in: "account" once a key is stored, "demo" in demo mode.
    pub mode: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self { port: 8787, api_base_url: calleague_client::DEFAULT_BASE_URL.into(), public_url: None, mode: None }
    }
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("settings.json")
}

pub fn load(config_dir: &Path) -> Settings {
    std::fs::read(path(config_dir)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

pub fn save(config_dir: &Path, settings: &Settings) -> std::io::Result<()> {
    std::fs::create_dir_all(config_dir)?;
    let tmp = config_dir.join("settings.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(settings)?)?;
    std::fs::rename(tmp, path(config_dir))
}
