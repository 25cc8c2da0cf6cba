//! sluicectl: validate, apply and inspect Sluice's targets and profiles.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sluice_aws::{Clients, CloudWatchMetrics, ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::{Document, Format, Profile, Target};
use sluice_core::metrics::names;

#[derive(Parser)]
#[command(
    name = "sluicectl",
    version,
    about = "Validate, apply and inspect Sluice targets and profiles",
    long_about = "Validate, apply and inspect Sluice targets and profiles.\n\n\
        Targets (what to scale and how) and profiles (when to pre-scale) live in one \
        DynamoDB table; adding a service is `sluicectl apply -f`, not a redeploy. \
        AWS credentials, region and endpoints come from the standard AWS variables \
        (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).\n\n\
        The file format is described in docs/configuration.md; infra/examples/sluice.yaml \
        is a complete example."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct TableArgs {
    /// DynamoDB table that holds targets and profiles (the stack's SluiceTable output)
    #[arg(long, env = "SLUICE_TABLE")]
    table: String,
}

#[derive(Subcommand)]
enum Command {
    /// Check a configuration file and list every problem by path; changes nothing
    Validate {
        /// YAML or JSON file (JSON when the name ends in .json)
        #[arg(short, long)]
        file: String,
    },
    /// Validate a file, then write its targets and profiles to the table
    ///
    /// Idempotent: unchanged items are not rewritten. Nothing is deleted unless
    /// --prune is given. Nothing at all is written when the file has a problem.
    Apply {
        #[arg(short, long)]
        file: String,
        /// Delete stored targets and profiles that the file does not name
        #[arg(long)]
        prune: bool,
        /// Show what would change without writing
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        table: TableArgs,
    },
    /// Print the stored targets or profiles as a document `apply` accepts
    Get {
        kind: Kind,
        /// Output format
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Yaml)]
        output: OutputFormat,
        #[command(flatten)]
        table: TableArgs,
    },
    /// Print the latest metrics the metric publisher wrote for each target
    Metrics {
        /// Only this target
        #[arg(long)]
        target: Option<String>,
        /// How far back to look for a datapoint
        #[arg(long, default_value_t = 10)]
        minutes: u32,
        /// CloudWatch namespace the publisher writes to
        #[arg(long, env = "SLUICE_NAMESPACE", default_value = "Sluice")]
        namespace: String,
        #[command(flatten)]
        table: TableArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Targets,
    Profiles,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate { file } => {
            let document = match read_document(&file)? {
                Ok(document) => document,
                Err(code) => return Ok(code),
            };
            println!(
                "{file}: ok ({} targets, {} profiles)",
                document.targets.len(),
                document.profiles.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply {
            file,
            prune,
            dry_run,
            table,
        } => {
            let document = match read_document(&file)? {
                Ok(document) => document,
                Err(code) => return Ok(code),
            };
            let store = store(&table).await;
            apply(&store, &document, prune, dry_run).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Get {
            kind,
            output,
            table,
        } => {
            let store = store(&table).await;
            get(&store, kind, output).await
        }
        Command::Metrics {
            target,
            minutes,
            namespace,
            table,
        } => {
            let config = sluice_aws::load_sdk_config().await;
            let clients = Clients::new(&config);
            let store = DynamoStore::new(clients.dynamodb.clone(), table.table);
            let cloudwatch = CloudWatchMetrics::new(clients.cloudwatch);
            metrics(&store, &cloudwatch, &namespace, target, minutes).await
        }
    }
}

/// The document, or the exit code after printing its problems.
fn read_document(file: &str) -> Result<Result<Document, ExitCode>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
    match Document::parse(&text, Format::from_path(file)) {
        Ok(document) => Ok(Ok(document)),
        Err(problems) => {
            eprintln!("{file}: {} problem(s):", problems.0.len());
            for problem in &problems.0 {
                eprintln!("  {problem}");
            }
            Ok(Err(ExitCode::FAILURE))
        }
    }
}

async fn store(table: &TableArgs) -> DynamoStore {
    let config = sluice_aws::load_sdk_config().await;
    DynamoStore::new(Clients::new(&config).dynamodb, table.table.clone())
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
    for kind in [ItemKind::Target, ItemKind::Profile] {
        let stored = store
            .list(kind)
            .await
            .with_context(|| format!("cannot read the table {}", store.table()))?;
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
    Ok(())
}

async fn get(store: &DynamoStore, kind: Kind, output: OutputFormat) -> Result<ExitCode> {
    let item_kind = match kind {
        Kind::Targets => ItemKind::Target,
        Kind::Profiles => ItemKind::Profile,
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
        OutputFormat::Yaml => print!("{}", document.to_yaml().context("cannot render YAML")?),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&document)?),
    }
    Ok(if invalid > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn metrics(
    store: &DynamoStore,
    cloudwatch: &CloudWatchMetrics,
    namespace: &str,
    only: Option<String>,
    minutes: u32,
) -> Result<ExitCode> {
    let mut targets: Vec<String> = store
        .list(ItemKind::Target)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?
        .into_iter()
        .map(|item| item.name)
        .collect();
    if let Some(only) = only {
        if !targets.contains(&only) {
            bail!(
                "no target named {only:?} in {} (stored: {})",
                store.table(),
                targets.join(", ")
            );
        }
        targets = vec![only];
    }
    let columns = [
        names::VISIBLE,
        names::IN_FLIGHT,
        names::DELAYED,
        names::BACKLOG,
        names::RUNNING_TASKS,
        names::DESIRED_TASKS,
        names::BACKLOG_PER_TASK,
        names::GPU_AVERAGE,
        names::GPU_MAX,
    ];
    let latest = cloudwatch
        .latest_published(namespace, &targets, &columns, minutes)
        .await?;
    let headers = [
        "target",
        "visible",
        "in-flight",
        "delayed",
        "backlog",
        "running",
        "desired",
        "backlog/task",
        "gpu avg %",
        "gpu max %",
    ];
    let width = targets.iter().map(String::len).max().unwrap_or(6).max(6);
    print!("{:<width$}", headers[0]);
    for header in &headers[1..] {
        print!(" {header:>12}");
    }
    println!();
    for target in &targets {
        print!("{target:<width$}");
        for column in columns {
            match latest.get(&(target.clone(), column.to_owned())) {
                Some(value) => print!(" {:>12}", format_value(*value)),
                None => print!(" {:>12}", "-"),
            }
        }
        println!();
    }
    println!(
        "(latest datapoint of the last {minutes} min in namespace {namespace}; '-' = none published)"
    );
    Ok(ExitCode::SUCCESS)
}

fn format_value(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}
