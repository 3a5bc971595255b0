use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Context};
use calleague_events::EventKind;
use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig, TlsSettings};
use calleague_store::{Store, StoreOptions};

use crate::args::ServeArgs;

const KEY_ENV: &str = "CALLEAGUE_API_KEY";

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let keys = load_keys(&args)?;
    if let Some(events) = &args.events {
        for name in events {
            if !EventKind::parse(name).is_known() {
                tracing::warn!(event = %name, "subscribed to an event name Calleague does not document");
            }
        }
    }
    let tls = if args.tls_self_signed {
        let cert_out = args.db.with_extension("tls-cert.pem");
        Some(TlsSettings::SelfSigned { hostnames: Vec::new(), cert_out: Some(cert_out) })
    } else {
        match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSettings::Pem { cert: cert.clone(), key: key.clone() }),
            _ => None,
        }
    };
    let mut config = ReceiverConfig::new(keys);
    config.bind = args.bind;
    config.path = args.path.clone();
    config.body_limit = args.body_limit;
    config.read_timeout = args.read_timeout;
    config.tls = tls;
    config.subscriptions = args
        .events
        .as_ref()
        .map(|e| e.iter().map(|n| EventKind::parse(n).as_str().to_owned()).collect::<BTreeSet<_>>());

    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        let store = Store::open(&args.db, StoreOptions::default())?;
        let receiver = Receiver::start(config, store.clone()).await?;
        if args.tls_self_signed {
            eprintln!("self-signed certificate written to {}", args.db.with_extension("tls-cert.pem").display());
        }
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on {}", receiver.url())?;
        stdout.flush()?;
        wait_for_signal().await?;
        receiver.shutdown().await;
        // Let the writer commit whatever is still queued before we exit.
        tokio::task::spawn_blocking(move || store.close()).await?;
        Ok(())
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("cannot watch SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

fn load_keys(args: &ServeArgs) -> anyhow::Result<KeySet> {
    let current = match (&args.key_file, std::env::var(KEY_ENV)) {
        (Some(file), _) => read_key_file(file)?,
        (None, Ok(value)) => ApiKey::new(&value).with_context(|| format!("{KEY_ENV} is set but empty"))?,
        (None, Err(_)) => bail!("no API key: set {KEY_ENV} or pass --key-file FILE"),
    };
    let mut keys = KeySet::single(current);
    if let Some(previous) = &args.previous_key_file {
        let until = SystemTime::now() + args.key_grace;
        keys = keys.with_previous(read_key_file(previous)?, until);
    }
    Ok(keys)
}

fn read_key_file(path: &Path) -> anyhow::Result<ApiKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the key file {}", path.display()))?;
    ApiKey::new(&text).with_context(|| format!("the key file {} is empty", path.display()))
}
