//! The demo's helper: seeds the example scenario in the emulators and prints readable
//! reports of what the functions decided. Run by infra/demo.sh.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sluice_core::config::{Document, Format, Target};
use sluice_testkit::Emulators;

#[derive(Parser)]
#[command(about = "Seed the demo scenario and report what Sluice did (used by infra/demo.sh)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table and every cluster, service and queue the config names, with
    /// messages and GPU readings
    Seed {
        #[arg(long)]
        table: String,
        #[arg(short, long)]
        file: String,
    },
    /// Print a metric publisher summary (JSON on stdin) as a readable report
    ReportPublish,
    /// Print a zero-watcher report (JSON on stdin) as a readable report
    ReportWatch,
    /// Send messages to a queue, as a producer would
    Send {
        #[arg(long)]
        queue: String,
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
    /// Receive and delete every visible message of a queue, as a worker would
    Drain {
        #[arg(long)]
        queue: String,
    },
    /// Print a prescaler report (JSON on stdin) as a readable report
    ReportPrescale,
    /// Print a service's desired and running counts, as ECS reports them
    Service {
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        service: String,
        /// Read it in this role's account (a target's role_arn)
        #[arg(long)]
        role: Option<String>,
    },
}

/// What the demo puts behind each example target.
struct Scene {
    visible: usize,
    in_flight: i32,
    delayed: usize,
    /// moto cannot hold a service with both running and pending tasks, so a scene
    /// has one kind or the other.
    running: i32,
    pending: i32,
    /// GPU readings as (minutes ago, percent), one per GPU and minute.
    gpu: &'static [(u64, f64)],
    /// (MinCapacity, MaxCapacity) of an Application Auto Scaling scalable target.
    scalable: Option<(i32, i32)>,
}

fn scene(target: &str) -> Scene {
    let quiet = Scene {
        visible: 0,
        in_flight: 0,
        delayed: 0,
        running: 0,
        pending: 0,
        gpu: &[],
        scalable: None,
    };
    match target {
        "gold-inference" => Scene {
            visible: 160,
            in_flight: 30,
            delayed: 10,
            running: 2,
            gpu: &[(1, 35.0), (1, 52.0), (0, 64.0), (0, 91.0)],
            scalable: Some((0, 50)),
            ..quiet
        },
        "embeddings" => Scene {
            visible: 400,
            pending: 3,
            ..quiet
        },
        "team-translate" => Scene {
            visible: 45,
            running: 1,
            ..quiet
        },
        _ => quiet,
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Seed { table, file } => seed(&table, &file).await,
        Command::ReportPublish => report_publish(),
        Command::ReportWatch => report_watch(),
        Command::ReportPrescale => report_prescale(),
        Command::Send { queue, count } => send(&queue, count).await,
        Command::Drain { queue } => drain(&queue).await,
        Command::Service {
            cluster,
            service,
            role,
        } => show_service(&cluster, &service, role.as_deref()).await,
    }
}

/// `send`: messages on a queue, as producers put them.
async fn send(queue: &str, count: usize) -> Result<()> {
    let emulators = Emulators::connect().await?;
    let url = emulators.queue_url(queue).await?;
    emulators.send_messages(&url, count, 0).await?;
    println!("sent {count} message(s) to {queue}");
    Ok(())
}

/// `drain`: a worker receives and deletes every message on a queue.
async fn drain(queue: &str) -> Result<()> {
    let emulators = Emulators::connect().await?;
    let url = emulators.queue_url(queue).await?;
    let mut drained = 0;
    loop {
        let taken = emulators.consume(&url, 10).await?;
        if taken == 0 {
            break;
        }
        drained += taken;
    }
    println!("a worker processed and deleted {drained} message(s) from {queue}");
    Ok(())
}

/// `service`: what ECS (and Application Auto Scaling) say of a service, in its account.
async fn show_service(cluster: &str, service: &str, role: Option<&str>) -> Result<()> {
    let home = Emulators::connect().await?;
    let (emulators, account) = match role {
        Some(role) => (
            home.in_account(role).await?,
            format!(" in the account of {role}"),
        ),
        None => (home, String::new()),
    };
    let (desired, running) = emulators.task_counts(cluster, service).await?;
    let scalable = match emulators.scalable_bounds(cluster, service).await {
        Ok((min, max)) => {
            format!("; Application Auto Scaling MinCapacity {min}, MaxCapacity {max}")
        }
        Err(_) => String::new(),
    };
    println!(
        "ECS says {cluster}/{service}{account}: desired {desired}, running {running}{scalable}"
    );
    Ok(())
}

async fn seed(table: &str, file: &str) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("read {file}"))?;
    let document = Document::parse(&text, Format::from_path(file))
        .map_err(|p| anyhow::anyhow!("{file}:\n{p}"))?;
    let emulators = Emulators::connect().await?;
    emulators.create_table(table).await?;
    println!("table {table}");
    for target in &document.targets {
        // A target in another account lives there: moto files what the role's
        // credentials create under the role's account.
        match &target.role_arn {
            Some(role) => seed_target(&emulators.in_account(role).await?, target).await?,
            None => seed_target(&emulators, target).await?,
        }
    }
    Ok(())
}

/// The cluster, service, queues, messages and GPU readings of one target's scene.
async fn seed_target(emulators: &Emulators, target: &Target) -> Result<()> {
    let scene = scene(&target.name);
    emulators.create_cluster(&target.cluster).await?;
    // moto: CreateService leaves all desired tasks pending, UpdateService runs them.
    if scene.pending > 0 {
        emulators
            .create_service(&target.cluster, &target.service, scene.pending)
            .await?;
    } else {
        emulators
            .create_running_service(&target.cluster, &target.service, scene.running)
            .await?;
    }
    if let Some((min, max)) = scene.scalable {
        emulators
            .register_scalable_target(&target.cluster, &target.service, min, max)
            .await?;
    }
    seed_queues(emulators, target, &scene).await?;
    let scalable = scene
        .scalable
        .map(|(min, max)| format!("; scalable target {min}-{max}"))
        .unwrap_or_default();
    let account = target
        .role_arn
        .as_deref()
        .map(|role| format!(" (account of {role})"))
        .unwrap_or_default();
    println!(
        "seeded {:<16} {}/{}{account}: {} visible, {} in flight, {} delayed; {} running, {} pending{scalable}; GPU readings {:?}",
        target.name,
        target.cluster,
        target.service,
        scene.visible,
        scene.in_flight,
        scene.delayed,
        scene.running,
        scene.pending,
        scene.gpu
    );
    Ok(())
}

/// The target's queues as its scene has them (the first holds the visible and in-flight
/// messages, the others delayed ones), and its GPU readings.
async fn seed_queues(emulators: &Emulators, target: &Target, scene: &Scene) -> Result<()> {
    for (index, queue) in target.queues.iter().enumerate() {
        let url = emulators.create_queue(&queue.name).await?;
        if index == 0 {
            emulators
                .send_messages(&url, scene.visible + scene.in_flight as usize, 0)
                .await?;
            emulators.take_in_flight(&url, scene.in_flight).await?;
        } else {
            emulators.send_messages(&url, scene.delayed, 900).await?;
        }
    }
    if let Some(source) = &target.gpu
        && !scene.gpu.is_empty()
    {
        emulators
            .put_readings(
                &source.namespace,
                &source.metric,
                &source.dimensions,
                scene.gpu,
            )
            .await?;
    }
    Ok(())
}

fn report_publish() -> Result<()> {
    let summary: serde_json::Value =
        serde_json::from_reader(std::io::stdin()).context("summary JSON on stdin")?;
    println!(
        "metric-publisher ({}): {} target(s) published, {} failed, {} datums in {} PutMetricData call(s) to namespace {}",
        summary["trigger"].as_str().unwrap_or("?"),
        summary["published_targets"],
        summary["failed_targets"],
        summary["datums"],
        summary["put_metric_data_calls"],
        summary["namespace"].as_str().unwrap_or("?"),
    );
    for target in summary["targets"].as_array().into_iter().flatten() {
        let name = target["name"].as_str().unwrap_or("?");
        match target["outcome"].as_str() {
            Some("published") => {
                let r = &target["reading"];
                let gpu = match r["gpu"].as_object() {
                    Some(gpu) => format!("GPU avg {} / max {} %", gpu["average"], gpu["max"]),
                    None => "no GPU metric published".to_owned(),
                };
                println!(
                    "  {name:<16} backlog {} = {} visible + {} in flight + {} delayed; {} running ({} pending, {} desired) -> backlog/task {}; {gpu}",
                    r["backlog"],
                    r["visible"],
                    r["in_flight"],
                    r["delayed"],
                    r["running"],
                    r["pending"],
                    r["desired"],
                    r["backlog_per_task"]
                        .as_f64()
                        .map_or("?".to_owned(), |v| format!("{v:.1}"))
                );
            }
            other => println!(
                "  {name:<16} {}: {}",
                other.unwrap_or("?"),
                target["error"].as_str().unwrap_or("")
            ),
        }
        for warning in target["warnings"].as_array().into_iter().flatten() {
            println!("  {:<16}   note: {}", "", warning.as_str().unwrap_or(""));
        }
    }
    let fleet = &summary["fleet"];
    println!(
        "  fleet-wide (what the stack's alarms watch): {} published, {} failed, {} at max capacity, {} asleep with work",
        fleet["published"], fleet["failed"], fleet["at_max_capacity"], fleet["asleep_with_work"],
    );
    Ok(())
}

fn report_watch() -> Result<()> {
    let report: serde_json::Value =
        serde_json::from_reader(std::io::stdin()).context("report JSON on stdin")?;
    println!(
        "zero-watcher ({}{}): {} look(s)",
        report["trigger"].as_str().unwrap_or("?"),
        if report["dry_run"] == true {
            ", dry run"
        } else {
            ""
        },
        report["passes"],
    );
    for decision in report["decisions"].as_array().into_iter().flatten() {
        let counts = match (
            decision["desired_before"].as_u64(),
            decision["desired_after"].as_u64(),
        ) {
            (Some(before), Some(after)) if before != after => {
                format!("desired {before} -> {after}")
            }
            (Some(before), _) => format!("desired {before}"),
            _ => String::new(),
        };
        println!(
            "  {:<16} {:<9} {:<16} {}",
            decision["target"].as_str().unwrap_or("?"),
            decision["outcome"].as_str().unwrap_or("?"),
            counts,
            decision["reason"].as_str().unwrap_or(""),
        );
        let latencies = [
            ("wake latency", &decision["wake_latency_seconds"]),
            ("start-up", &decision["start_latency_seconds"]),
        ];
        for (what, seconds) in latencies {
            if let Some(seconds) = seconds.as_i64() {
                println!("  {:<16} {what}: {seconds} s", "");
            }
        }
    }
    for skipped in report["skipped_events"].as_array().into_iter().flatten() {
        println!("  ignored: {}", skipped.as_str().unwrap_or(""));
    }
    Ok(())
}

fn report_prescale() -> Result<()> {
    let report: serde_json::Value =
        serde_json::from_reader(std::io::stdin()).context("report JSON on stdin")?;
    println!(
        "prescaler ({}) at {}: {} floor(s) published, {} target(s) without a floor, {} failed",
        report["trigger"].as_str().unwrap_or("?"),
        report["at"].as_str().unwrap_or("?"),
        report["published_floors"],
        report["targets_without_floor"],
        report["targets_failed"],
    );
    for target in report["targets"].as_array().into_iter().flatten() {
        println!(
            "  {:<16} profile {:<15} floor {:<3} {:<12} {}",
            target["target"].as_str().unwrap_or("?"),
            target["profile"].as_str().unwrap_or("?"),
            target["floor"],
            target["outcome"].as_str().unwrap_or("?"),
            target["reason"].as_str().unwrap_or(""),
        );
        if let Some(lead) = target["lead"].as_str() {
            println!("  {:<16} lead {} min: {lead}", "", target["lead_minutes"]);
        }
        for budget in target["budgets"].as_array().into_iter().flatten() {
            println!("  {:<16} {}", "", budget.as_str().unwrap_or(""));
        }
    }
    for group in report["groups"].as_array().into_iter().flatten() {
        println!(
            "  group {:<10} {} instances needed, {}: {}",
            group["group"].as_str().unwrap_or("?"),
            group["needed"],
            group["outcome"].as_str().unwrap_or("?"),
            group["reason"].as_str().unwrap_or(""),
        );
    }
    for (name, error) in report["invalid"].as_object().into_iter().flatten() {
        println!("  invalid {name}: {}", error.as_str().unwrap_or(""));
    }
    Ok(())
}
