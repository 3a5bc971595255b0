//! Waking from sleep, and the network coming back: the moments webhooks were surely
//! missed. logind says `PrepareForSleep(false)` on resume, NetworkManager
//! `StateChanged(70)` when the computer is online again; either starts a catch-up at once
//! rather than at the next round (docs/sources.md).

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use zbus::message::Type;
use zbus::{Connection, MatchRule, MessageStream};

/// NetworkManager's `NM_STATE_CONNECTED_GLOBAL`: online, not only on a local network.
const NM_CONNECTED_GLOBAL: u32 = 70;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Resumed from suspend or hibernation.
    Resumed,
    /// Online again after a time without a connection.
    Online,
}

/// Listens on the system bus, or on the bus at `address` (tests), and calls `woke` for
/// each wake; the task ends with the connection. Where there is no such bus (a container,
/// a server), the error says so and nothing listens.
pub async fn watch_wakes(
    address: Option<&str>,
    woke: impl Fn(Wake) + Send + Sync + 'static,
) -> zbus::Result<JoinHandle<()>> {
    let connection = match address {
        Some(address) => zbus::connection::Builder::address(address)?.build().await?,
        None => Connection::system().await?,
    };
    let sleep = signal(&connection, "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep")
        .await?
        .filter_map(|m| async move {
            // `false`: the sleep is over.
            m.ok()?.body().deserialize::<bool>().ok().filter(|going| !going).map(|_| Wake::Resumed)
        });
    let network =
        signal(&connection, "/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager", "StateChanged")
            .await?
            .filter_map(|m| async move { m.ok()?.body().deserialize::<u32>().ok() })
            .scan(None, |last, state| {
                let back = state == NM_CONNECTED_GLOBAL && last.is_some_and(|l| l != NM_CONNECTED_GLOBAL);
                *last = Some(state);
                std::future::ready(Some(back.then_some(Wake::Online)))
            })
            .filter_map(std::future::ready);
    let woke = Arc::new(woke);
    Ok(tokio::spawn(async move {
        let _connection = connection;
        let mut wakes = futures_util::stream::select(Box::pin(sleep), Box::pin(network));
        while let Some(wake) = wakes.next().await {
            tracing::info!(?wake, "the computer woke");
            woke(wake);
        }
    }))
}

async fn signal(connection: &Connection, path: &str, interface: &str, member: &str) -> zbus::Result<MessageStream> {
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .path(path.to_owned())?
        .interface(interface.to_owned())?
        .member(member.to_owned())?
        .build();
    MessageStream::for_match_rule(rule, connection, None).await
}
