//! `webhooks list|create|update|delete`: the account's subscriptions from a terminal.

use calleague_client::{validate_draft, UrlPolicy, WebhookDraft};

use crate::args::{WebhookCommand, WebhooksArgs};
use crate::key;

pub fn run(args: WebhooksArgs) -> anyhow::Result<()> {
    let client = key::client(&args.api_base, args.key_file.as_deref())?;
    let policy =
        UrlPolicy { allow_loopback_http: args.allow_loopback_http, allow_private_host: args.allow_private_host };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match args.command {
            WebhookCommand::List { json } => {
                let hooks = client.list_webhooks().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&hooks)?);
                } else if hooks.is_empty() {
                    println!("no webhooks");
                } else {
                    for h in hooks {
                        println!("{}\t{}\t{}", h.webhook_id, h.url, h.events.join(","));
                    }
                }
            }
            WebhookCommand::Create { url, events } => {
                let existing = client.list_webhooks().await?;
                let draft = validate_draft(&WebhookDraft { url, events }, policy, &existing, None)?;
                let created = client.create_webhook(&draft).await?;
                println!("{}", serde_json::to_string_pretty(&created)?);
            }
            WebhookCommand::Update { id, url, events } => {
                let existing = client.list_webhooks().await?;
                let current = existing
                    .iter()
                    .find(|h| h.webhook_id == id)
                    .ok_or_else(|| anyhow::anyhow!("no webhook with id {id}"))?;
                let draft = WebhookDraft {
                    url: url.unwrap_or_else(|| current.url.clone()),
                    events: events.unwrap_or_else(|| current.events.clone()),
                };
                let draft = validate_draft(&draft, policy, &existing, Some(&id))?;
                let updated = client.update_webhook(&id, &draft).await?;
                println!("{}", serde_json::to_string_pretty(&updated)?);
            }
            WebhookCommand::Delete { id } => {
                client.delete_webhook(&id).await?;
                println!("deleted {id}");
            }
        }
        Ok(())
    })
}
