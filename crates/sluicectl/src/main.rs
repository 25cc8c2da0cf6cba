//! sluicectl: validate, apply and inspect Sluice's targets and profiles.

mod learn;
mod plan;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sluice_aws::{Clients, CloudWatchMetrics, ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::{Document, Format, Target};
use sluice_core::names;
use sluice_core::profile::Profile;

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
    /// Print the floors the prescaler would set over the next hours
    ///
    /// Reads the target and its profile from the table, or from FILE when given (so a
    /// profile can be checked before it is applied); --profile plans with another profile.
    Plan {
        #[arg(long)]
        target: String,
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Start (RFC 3339, e.g. 2026-11-30T00:00:00Z); default now
        #[arg(long)]
        from: Option<String>,
        /// Plan with this profile instead of the target's own
        #[arg(long)]
        profile: Option<String>,
        /// Read targets and profiles from this file first, the table for the rest
        #[arg(short, long)]
        file: Option<String>,
        /// DynamoDB table (needed unless FILE holds both target and profile)
        #[arg(long, env = "SLUICE_TABLE")]
        table: Option<String>,
    },
    /// Learn and manage capacity profiles
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
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

#[derive(Subcommand)]
enum ProfileCommand {
    /// Propose a profile from the target's own published metrics
    ///
    /// Reads RunningTasks and BacklogPerTask (five-minute averages) that the metric
    /// publisher wrote for the target, derives for each weekday and hour the task count
    /// that would have held backlog per task at the target's goal (`backlog_per_task`),
    /// takes a high quantile of it (0.9 by default: nine in ten past moments covered)
    /// and writes a profile that `validate`, `plan` and `apply` accept.
    Learn {
        #[arg(long)]
        target: String,
        /// Days of history to learn from (1-63)
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// IANA time zone the profile's windows are written in
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Quantile of the hourly need to cover (above 0, at most 1)
        #[arg(long, default_value_t = 0.9)]
        quantile: f64,
        /// lead_minutes of the proposed profile
        #[arg(long, default_value_t = 10)]
        lead_minutes: u32,
        /// Name of the proposed profile (default: <target>-learned)
        #[arg(long)]
        name: Option<String>,
        /// Write the proposal here instead of standard output
        #[arg(short, long)]
        output: Option<String>,
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
        Command::Plan {
            target,
            hours,
            from,
            profile,
            file,
            table,
        } => {
            plan_command(
                &target,
                hours,
                from.as_deref(),
                profile,
                file.as_deref(),
                table,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Profile {
            command:
                ProfileCommand::Learn {
                    target,
                    days,
                    timezone,
                    quantile,
                    lead_minutes,
                    name,
                    output,
                    namespace,
                    table,
                },
        } => {
            let (store, cloudwatch) = store_and_metrics(&table).await;
            let target = stored_target(&store, &target).await?;
            let options = learn::Options {
                namespace: &namespace,
                days,
                timezone: &timezone,
                quantile,
                lead_minutes,
                name,
            };
            let proposal = learn::propose(&cloudwatch, &target, &options).await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &proposal)
                        .with_context(|| format!("cannot write {path}"))?;
                    println!(
                        "wrote {path}; check it with `sluicectl validate -f {path}` and `sluicectl plan`"
                    );
                }
                None => print!("{proposal}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Metrics {
            target,
            minutes,
            namespace,
            table,
        } => {
            let (store, cloudwatch) = store_and_metrics(&table).await;
            metrics(&store, &cloudwatch, &namespace, target, minutes).await
        }
    }
}

async fn stored_target(store: &DynamoStore, name: &str) -> Result<Target> {
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

async fn stored_profile(store: &DynamoStore, name: &str) -> Result<Profile> {
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

async fn plan_command(
    target: &str,
    hours: u32,
    from: Option<&str>,
    profile: Option<String>,
    file: Option<&str>,
    table: Option<String>,
) -> Result<()> {
    let document = match file {
        Some(file) => match read_document(file)? {
            Ok(document) => Some(document),
            Err(_) => bail!("{file} has problems (listed above)"),
        },
        None => None,
    };
    let store = match table {
        Some(table) => Some(store(&TableArgs { table }).await),
        None => None,
    };
    let need_table = |what: &str| {
        anyhow::anyhow!(
            "{what} is not in the file: give --table or set SLUICE_TABLE to read it from the table"
        )
    };
    let found = document
        .as_ref()
        .and_then(|d| d.targets.iter().find(|t| t.name == target).cloned());
    let target = match (found, &store) {
        (Some(target), _) => target,
        (None, Some(store)) => stored_target(store, target).await?,
        (None, None) => return Err(need_table(&format!("target {target}"))),
    };
    let profile_name = profile
        .or_else(|| target.profile.clone())
        .with_context(|| format!("target {} names no profile; give --profile", target.name))?;
    let found = document
        .as_ref()
        .and_then(|d| d.profiles.iter().find(|p| p.name == profile_name).cloned());
    let profile = match (found, &store) {
        (Some(profile), _) => profile,
        (None, Some(store)) => stored_profile(store, &profile_name).await?,
        (None, None) => return Err(need_table(&format!("profile {profile_name}"))),
    };
    plan::print_plan(&target, &profile, from, hours)
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

/// The table and CloudWatch, from one SDK configuration.
async fn store_and_metrics(table: &TableArgs) -> (DynamoStore, CloudWatchMetrics) {
    let clients = Clients::new(&sluice_aws::load_sdk_config().await);
    (
        DynamoStore::new(clients.dynamodb.clone(), table.table.clone()),
        CloudWatchMetrics::new(clients.cloudwatch),
    )
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
