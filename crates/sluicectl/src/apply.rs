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
    if args.prune
        && !args.allow_empty
        && document.targets.is_empty()
        && document.profiles.is_empty()
    {
        refuse_empty_prune(&store, &args.file).await?;
    }
    apply(&store, &document, args.prune, args.dry_run).await?;
    Ok(ExitCode::SUCCESS)
}

/// An empty file with --prune would delete everything: refused, saying how much.
async fn refuse_empty_prune(store: &DynamoStore, file: &str) -> Result<()> {
    let count = |kind| async move {
        store
            .list(kind)
            .await
            .map(|items| items.len())
            .with_context(|| format!("cannot read the table {}", store.table()))
    };
    let (targets, profiles) = (
        count(ItemKind::Target).await?,
        count(ItemKind::Profile).await?,
    );
    anyhow::bail!(
        "{file} holds no targets and no profiles: --prune would delete all {targets} targets \
         and {profiles} profiles in {}. Give --allow-empty too if that is what you mean",
        store.table()
    )
}

/// One item the file holds: its kind, name and spec as stored.
type Item<'d> = (ItemKind, &'d str, String);

async fn apply(store: &DynamoStore, document: &Document, prune: bool, dry_run: bool) -> Result<()> {
    let mut items: Vec<Item<'_>> = Vec::new();
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
    apply_kind(store, ItemKind::Target, &items, prune, dry_run).await?;
    let stored_profiles = apply_kind(store, ItemKind::Profile, &items, prune, dry_run).await?;
    for target in &document.targets {
        if let Some(profile) = &target.profile
            && !document.profiles.iter().any(|p| &p.name == profile)
            && (prune || !stored_profiles.contains(profile))
        {
            eprintln!(
                "warning: target {} names profile {profile}, which is neither in the file nor in the table: the prescaler leaves the target alone until it is applied",
                target.name
            );
        }
    }
    Ok(())
}

/// Writes the file's items of one kind, prunes or keeps the others, and prints one
/// line per item; returns the names stored before.
async fn apply_kind(
    store: &DynamoStore,
    kind: ItemKind,
    items: &[Item<'_>],
    prune: bool,
    dry_run: bool,
) -> Result<Vec<String>> {
    let verb = if dry_run { "would be " } else { "" };
    let stored = store
        .list(kind)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?;
    for (_, name, spec) in items.iter().filter(|(k, _, _)| *k == kind) {
        let change = match stored.iter().find(|s| s.name == *name) {
            Some(before) if before.spec == *spec => "unchanged",
            Some(_) => "updated",
            None => "created",
        };
        if !dry_run && change != "unchanged" {
            store.put(kind, name, spec).await?;
        }
        let verb = if change == "unchanged" { "" } else { verb };
        println!("{} {name}: {verb}{change}", kind.partition());
    }
    let in_file = |name: &str| items.iter().any(|(k, n, _)| *k == kind && *n == name);
    for gone in stored.iter().filter(|s| !in_file(&s.name)) {
        if !prune {
            println!(
                "{} {}: kept (not in the file; --prune deletes it)",
                kind.partition(),
                gone.name
            );
            continue;
        }
        if !dry_run {
            store.delete(kind, &gone.name).await?;
        }
        println!(
            "{} {}: {verb}deleted (--prune)",
            kind.partition(),
            gone.name
        );
    }
    Ok(stored.into_iter().map(|s| s.name).collect())
}
