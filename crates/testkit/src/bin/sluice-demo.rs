//! The demo's helper: seeds the example scenario in the emulators and prints readable
//! reports of what the functions decided. Run by infra/demo.sh.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sluice_core::config::{Document, Format};
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
    /// Print a service's desired and running counts, as ECS reports them
    Service {
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        service: String,
    },
}

/// What the demo puts behind each example target: (visible, in flight, delayed,
/// running tasks, pending tasks, GPU readings). moto cannot hold a service with
/// both running and pending tasks, so one has one kind and one the other.
fn scenario(target: &str) -> (usize, i32, usize, i32, i32, &'static [(u64, f64)]) {
    match target {
        "gold-inference" => (
            160,
            30,
            10,
            2,
            0,
            &[(1, 35.0), (1, 52.0), (0, 64.0), (0, 91.0)],
        ),
        "embeddings" => (400, 0, 0, 0, 3, &[]),
        _ => (0, 0, 0, 0, 0, &[]),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Seed { table, file } => seed(&table, &file).await,
        Command::ReportPublish => report_publish(),
        Command::ReportWatch => report_watch(),
        Command::Send { queue, count } => {
            let emulators = Emulators::connect().await?;
            let url = emulators
                .clients
                .sqs
                .get_queue_url()
                .queue_name(&queue)
                .send()
                .await?
                .queue_url
                .context("queue URL")?;
            emulators.send_messages(&url, count, 0).await?;
            println!("sent {count} message(s) to {queue}");
            Ok(())
        }
        Command::Drain { queue } => {
            let emulators = Emulators::connect().await?;
            let url = emulators
                .clients
                .sqs
                .get_queue_url()
                .queue_name(&queue)
                .send()
                .await?
                .queue_url
                .context("queue URL")?;
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
        Command::Service { cluster, service } => {
            let emulators = Emulators::connect().await?;
            let output = emulators
                .clients
                .ecs
                .describe_services()
                .cluster(&cluster)
                .services(&service)
                .send()
                .await?;
            let found = output.services().first().context("no such service")?;
            println!(
                "ECS says {cluster}/{service}: desired {}, running {}",
                found.desired_count(),
                found.running_count()
            );
            Ok(())
        }
    }
}

async fn seed(table: &str, file: &str) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("read {file}"))?;
    let document = Document::parse(&text, Format::from_path(file))
        .map_err(|p| anyhow::anyhow!("{file}:\n{p}"))?;
    let emulators = Emulators::connect().await?;
    emulators.create_table(table).await?;
    println!("table {table}");
    for target in &document.targets {
        let (visible, in_flight, delayed, running, pending, gpu) = scenario(&target.name);
        emulators.create_cluster(&target.cluster).await?;
        // moto: CreateService leaves all desired tasks pending, UpdateService runs them.
        if pending > 0 {
            emulators
                .create_service(&target.cluster, &target.service, pending)
                .await?;
        } else {
            emulators
                .create_running_service(&target.cluster, &target.service, running)
                .await?;
        }
        for (index, queue) in target.queues.iter().enumerate() {
            let url = emulators.create_queue(queue).await?;
            if index == 0 {
                emulators
                    .send_messages(&url, visible + in_flight as usize, 0)
                    .await?;
                emulators.take_in_flight(&url, in_flight).await?;
            } else {
                emulators.send_messages(&url, delayed, 900).await?;
            }
        }
        if let Some(source) = &target.gpu
            && !gpu.is_empty()
        {
            emulators
                .put_gpu_readings(&source.namespace, &source.metric, &source.dimensions, gpu)
                .await?;
        }
        println!(
            "seeded {:<16} {}/{}: {} visible, {} in flight, {} delayed; {} running, {} pending; GPU readings {gpu:?}",
            target.name,
            target.cluster,
            target.service,
            visible,
            in_flight,
            delayed,
            running,
            pending
        );
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
        match target["status"].as_str() {
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
            "  {:<16} {:<8} {:<16} {}",
            decision["target"].as_str().unwrap_or("?"),
            decision["outcome"].as_str().unwrap_or("?"),
            counts,
            decision["reason"].as_str().unwrap_or(""),
        );
    }
    for skipped in report["skipped_events"].as_array().into_iter().flatten() {
        println!("  ignored: {}", skipped.as_str().unwrap_or(""));
    }
    Ok(())
}
