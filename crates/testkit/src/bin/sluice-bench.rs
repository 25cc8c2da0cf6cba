//! Benchmarks the functions against the emulators and prints figures (not a test).
//! Run with `infra/bench.sh`; see docs/benchmarks.md for recorded results.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use metric_publisher::{Output, Publisher, Settings};
use sluice_aws::{CallCounter, Clients};
use sluice_core::config::{Capacity, GpuSource, Target};
use sluice_testkit::{Emulators, unique};

#[derive(Parser)]
#[command(about = "Benchmarks Sluice's functions against the local emulators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The metric publisher over N targets (each: one queue, one service, one GPU source)
    Publisher {
        /// Target counts to measure
        #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
        targets: Vec<usize>,
        /// SLUICE_CONCURRENCY of the publisher
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Publisher {
            targets,
            concurrency,
        } => {
            println!(
                "| targets | invocation | wall time | AWS calls by API | calls/target | PutMetricData calls | peak RSS |"
            );
            println!("|---:|---|---:|---|---:|---:|---:|");
            for count in targets {
                bench_publisher(count, concurrency).await?;
            }
            Ok(())
        }
    }
}

async fn bench_publisher(count: usize, concurrency: usize) -> Result<()> {
    let emulators = Emulators::connect().await?;
    let table = unique("bench");
    let store = emulators.create_table(&table).await?;
    let cluster = unique("bench-cluster");
    emulators.create_cluster(&cluster).await?;
    let gpu_namespace = unique("BenchGpu");
    let mut targets = Vec::with_capacity(count);
    for index in 0..count {
        let service = format!("svc-{index}");
        emulators.create_service(&cluster, &service, 0).await?;
        let queue = format!("{}-{index}", unique("bench-q"));
        let url = emulators.create_queue(&queue).await?;
        emulators.send_messages(&url, 1, 0).await?;
        targets.push(Target {
            name: format!("target-{index}"),
            cluster: cluster.clone(),
            service: service.clone(),
            queues: vec![queue],
            capacity: Capacity { min: 0, max: 10 },
            backlog_per_task: 10.0,
            gpu: Some(GpuSource {
                namespace: gpu_namespace.clone(),
                metric: "nvidia_smi_utilization_gpu".to_owned(),
                dimensions: [("ServiceName".to_owned(), service)].into(),
            }),
            scale_to_zero: None,
            profile: None,
            paused: false,
        });
    }
    emulators.store_targets(&store, &targets).await?;
    for chunk in targets.chunks(500) {
        for target in chunk {
            if let Some(gpu) = &target.gpu {
                emulators
                    .put_gpu_readings(&gpu.namespace, &gpu.metric, &gpu.dimensions, &[(0, 50.0)])
                    .await?;
            }
        }
    }

    let counter = CallCounter::default();
    let clients = Clients::counted(&emulators.config, &counter);
    let settings = Settings {
        table,
        namespace: unique("Bench"),
        output: Output::PutMetricData,
        concurrency,
        gpu_lookback_minutes: 5,
    };
    let publisher = Publisher::new(&clients, settings);
    let event = serde_json::json!({});
    // Cold: a new container (queue URLs unknown). Warm: the next minute's invocation.
    for invocation in ["cold", "warm"] {
        counter.reset();
        reset_peak_rss();
        let started = Instant::now();
        let summary = publisher.handle(&event).await.context("publish")?;
        let elapsed = started.elapsed();
        anyhow::ensure!(
            summary.published_targets == count,
            "only {} of {count} published",
            summary.published_targets
        );
        let calls = counter.snapshot();
        let total: u64 = calls.values().sum();
        let by_api: Vec<String> = calls.iter().map(|(api, n)| format!("{api} {n}")).collect();
        println!(
            "| {count} | {invocation} | {:.2} s | {} | {:.2} | {} | {} |",
            elapsed.as_secs_f64(),
            by_api.join(", "),
            total as f64 / count as f64,
            calls.get("CloudWatch.PutMetricData").copied().unwrap_or(0),
            peak_rss()
                .map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0))
                .unwrap_or_else(|| "n/a".to_owned()),
        );
    }
    Ok(())
}

/// Resets the kernel's peak-RSS mark so each row measures its own invocation.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size of this process in KiB (VmHWM).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
