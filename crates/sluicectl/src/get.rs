//! `sluicectl get`: the stored targets, profiles or budgets as a document `apply` accepts.

use std::process::ExitCode;

use anyhow::{Context, Result};
use sluice_aws::{ConfigStore, DynamoStore, ItemKind};
use sluice_core::budget::Budget;
use sluice_core::config::{Document, Target};
use sluice_core::profile::Profile;

use crate::cli::{GetArgs, Kind, OutputFormat};

pub async fn run(args: GetArgs) -> Result<ExitCode> {
    let store = crate::table::store(&args.table).await;
    get(&store, args.kind, args.output).await
}

async fn get(store: &DynamoStore, kind: Kind, output: OutputFormat) -> Result<ExitCode> {
    let item_kind = match kind {
        Kind::Targets => ItemKind::Target,
        Kind::Profiles => ItemKind::Profile,
        Kind::Budgets => ItemKind::Budget,
    };
    let stored = store
        .list(item_kind)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?;
    let mut document = Document::default();
    let mut invalid = 0;
    for item in stored {
        let parsed = match item_kind {
            ItemKind::Target => {
                serde_json::from_str::<Target>(&item.spec).map(|t| document.targets.push(t))
            }
            ItemKind::Profile => {
                serde_json::from_str::<Profile>(&item.spec).map(|p| document.profiles.push(p))
            }
            ItemKind::Budget => {
                serde_json::from_str::<Budget>(&item.spec).map(|b| document.budgets.push(b))
            }
        };
        if let Err(error) = parsed {
            invalid += 1;
            eprintln!(
                "{} {}: stored spec does not parse: {error}",
                item_kind.partition(),
                item.name
            );
        }
    }
    match output {
        OutputFormat::Yaml => out!("{}", document.to_yaml().context("cannot render YAML")?),
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&document)?),
    }
    Ok(if invalid > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
