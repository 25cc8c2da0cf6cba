//! `sluicectl apply`: validate a file, then write its targets and profiles.

use std::process::ExitCode;

use anyhow::{Context, Result};
use sluice_aws::{ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::Document;

use crate::cli::ApplyArgs;
use crate::table::{read_document, store};

pub async fn run(args: ApplyArgs) -> Result<ExitCode> {
    let document = match read_document(&args.file)? {
        Ok(document) => document,
        Err(code) => return Ok(code),
    };
    let store = store(&args.table).await;
    apply(&store, &document, args.prune, args.dry_run).await?;
    Ok(ExitCode::SUCCESS)
}

async fn apply(store: &DynamoStore, document: &Document, prune: bool, dry_run: bool) -> Result<()> {
    let verb = if dry_run { "would be " } else { "" };
    let mut items: Vec<(ItemKind, &str, String)> = Vec::new();
    for target in &document.targets {
        items.push((
            ItemKind::Target,
            &target.name,
            serde_json::to_string(target)?,
        ));
    }
    for profile in &document.profiles {
        items.push((
            ItemKind::Profile,
            &profile.name,
            serde_json::to_string(profile)?,
        ));
    }
    let mut kept_profiles: Vec<String> = Vec::new();
    for kind in [ItemKind::Target, ItemKind::Profile] {
        let stored = store
            .list(kind)
            .await
            .with_context(|| format!("cannot read the table {}", store.table()))?;
        if kind == ItemKind::Profile && !prune {
            kept_profiles = stored.iter().map(|s| s.name.clone()).collect();
        }
        for (item_kind, name, spec) in items.iter().filter(|(k, _, _)| *k == kind) {
            let before = stored.iter().find(|s| s.name == *name);
            let change = match before {
                Some(before) if before.spec == *spec => "unchanged",
                Some(_) => "updated",
                None => "created",
            };
            if !dry_run && change != "unchanged" {
                store.put(*item_kind, name, spec).await?;
            }
            let verb = if change == "unchanged" { "" } else { verb };
            println!("{} {name}: {verb}{change}", kind.partition());
        }
        for gone in stored
            .iter()
            .filter(|s| !items.iter().any(|(k, n, _)| *k == kind && *n == s.name))
        {
            if prune {
                if !dry_run {
                    store.delete(kind, &gone.name).await?;
                }
                println!(
                    "{} {}: {verb}deleted (--prune)",
                    kind.partition(),
                    gone.name
                );
            } else {
                println!(
                    "{} {}: kept (not in the file; --prune deletes it)",
                    kind.partition(),
                    gone.name
                );
            }
        }
    }
    for target in &document.targets {
        if let Some(profile) = &target.profile
            && !document.profiles.iter().any(|p| &p.name == profile)
            && !kept_profiles.contains(profile)
        {
            eprintln!(
                "warning: target {} names profile {profile}, which is neither in the file nor in the table: the prescaler leaves the target alone until it is applied",
                target.name
            );
        }
    }
    Ok(())
}
