//! The table and CloudWatch, and reading configuration files: what every command shares.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use sluice_aws::{Clients, CloudWatchMetrics, ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::{Document, Format, Target};
use sluice_core::problem::Problems;
use sluice_core::profile::Profile;

use crate::cli::TableArgs;

pub async fn stored_target(store: &DynamoStore, name: &str) -> Result<Target> {
    let items = store
        .list(ItemKind::Target)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?;
    let Some(item) = items.iter().find(|i| i.name == name) else {
        let known: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        bail!(
            "no target named {name:?} in {} (stored: {})",
            store.table(),
            known.join(", ")
        );
    };
    Target::from_stored(&item.name, &item.spec)
        .map_err(|e| anyhow::anyhow!("stored target {name}: {e}"))
}

pub async fn stored_profile(store: &DynamoStore, name: &str) -> Result<Profile> {
    let items = store
        .list(ItemKind::Profile)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?;
    let item = items
        .iter()
        .find(|i| i.name == name)
        .with_context(|| format!("no profile named {name:?} in {}", store.table()))?;
    serde_json::from_str(&item.spec)
        .with_context(|| format!("stored profile {name} does not parse"))
}

/// The document, or the exit code after printing its problems.
pub fn read_document(file: &str) -> Result<Result<Document, ExitCode>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
    Ok(said(file, Document::parse(&text, Format::from_path(file))))
}

/// The file as `env` runs it (`capacity_by_env`; None: `capacity` as written), its
/// problems printed.
pub fn read_document_for(file: &str, env: Option<&str>) -> Result<Result<Document, ExitCode>> {
    Ok(match read_document(file)? {
        Ok(document) => said(file, document.for_env(env)),
        Err(code) => Err(code),
    })
}

/// The document, or its problems printed to stderr under the file's name.
fn said(file: &str, read: Result<Document, Problems>) -> Result<Document, ExitCode> {
    read.map_err(|problems| {
        eprintln!("{file}: {} problem(s):", problems.0.len());
        for problem in &problems.0 {
            eprintln!("  {problem}");
        }
        ExitCode::FAILURE
    })
}

pub async fn store(table: &TableArgs) -> DynamoStore {
    let config = sluice_aws::load_sdk_config().await;
    DynamoStore::new(
        Clients::new(&config).dynamodb().clone(),
        table.table.clone(),
    )
}

/// The table and CloudWatch, from one SDK configuration.
pub async fn store_and_metrics(table: &TableArgs) -> (DynamoStore, CloudWatchMetrics) {
    let clients = Clients::new(&sluice_aws::load_sdk_config().await);
    (
        DynamoStore::new(clients.dynamodb().clone(), table.table.clone()),
        CloudWatchMetrics::new(clients.cloudwatch().clone()),
    )
}
