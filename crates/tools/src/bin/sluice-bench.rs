//! Benchmarks the functions against the emulators and prints figures (not a test).
//! Run with `infra/bench.sh`; see docs/benchmarks.md for recorded results.

use sluice_core::settings::Common;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use metric_publisher::{Publisher, Settings};
use sluice_aws::{CallCounter, Clients, limit_in_flight};
use sluice_core::config::{ScaleToZero, Target};
use sluice_testkit::probe::InFlightProbe;
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
        /// Delay added to every request beneath the SDK (a region's latency), without
        /// serialising requests
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
    },
    /// The metric publisher over a fleet split in shards, one invocation per shard as
    /// the schedules run them: SQS, ECS and DynamoDB on moto behind `--latency-ms`,
    /// CloudWatch on an in-process stand-in with the same per-call latency
    /// (LocalStack's PutMetricData outgrows the 15 s timeout at 1000 targets)
    Fleet {
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        targets: Vec<usize>,
        /// Shard counts to measure for each fleet size (ShardCount)
        #[arg(long, value_delimiter = ',', default_value = "1,4")]
        shards: Vec<u64>,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        latency_ms: u64,
    },
    /// Cold starts: from exec to the function's first poll of the Runtime API (init,
    /// as Lambda counts it) and to its first AWS request once given its scheduled
    /// event (a local stand-in for each), per binary, against a bare lambda_runtime
    /// function's answer. Build first: `cargo build --release --bins`.
    Init {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Release binaries to measure, under target/release
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "bare-runtime,metric-publisher,zero-watcher,prescaler"
        )]
        binaries: Vec<String>,
        /// SSL_CERT_FILE for every run (the template's TrustBundle): the system's trust
        /// roots read from this one bundle instead of probed for
        #[arg(long)]
        ssl_cert_file: Option<std::path::PathBuf>,
    },
    /// The zero-watcher's wake latency: message sent (or SNS delivered) to desiredCount
    /// raised, as ECS reports it
    Wake {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// SLUICE_POLL_INTERVAL_SECONDS for the poll-mode runs
        #[arg(long, default_value_t = 5)]
        interval: u64,
        /// Messages sent at once in poll mode (10 per task: 35 need a sized wake of 4)
        #[arg(long, default_value_t = 35)]
        burst: u64,
    },
    /// `sluicectl simulate`'s speed: simulated minutes per second of wall time, for one
    /// target and for many (the gold tier of infra/examples/gpu-inference, a daily wave
    /// of demand each). Needs no emulator.
    Simulate {
        #[arg(long, value_delimiter = ',', default_value = "1,1000")]
        targets: Vec<usize>,
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Publisher {
            targets,
            concurrency,
            latency_ms,
        } => {
            println!(
                "| targets | invocation | wall time | AWS calls by API | calls/target | PutMetricData calls | peak RSS | most in flight | wall time with requests on the wire, by service |"
            );
            println!("|---:|---|---:|---|---:|---:|---:|---:|---|");
            for count in targets {
                bench_publisher(count, concurrency, latency_ms).await?;
            }
            Ok(())
        }
        Command::Fleet {
            targets,
            shards,
            concurrency,
            latency_ms,
        } => {
            println!(
                "| targets | shards | invocation | wall time per period (slowest shard) | AWS calls/target | calls by API | peak RSS per invocation | most in flight |"
            );
            println!("|---:|---:|---|---:|---:|---|---:|---:|");
            for count in targets {
                fleet::bench(count, &shards, concurrency, latency_ms).await?;
            }
            Ok(())
        }
        Command::Init {
            runs,
            binaries,
            ssl_cert_file,
        } => init::bench(runs, &binaries, ssl_cert_file.as_deref()).await,
        Command::Wake {
            runs,
            interval,
            burst,
        } => bench_wake(runs, interval, burst).await,
        Command::Simulate { targets, days } => {
            println!("| targets | days | simulated target-minutes | wall time | minutes/s |");
            println!("|---:|---:|---:|---:|---:|");
            for count in targets {
                bench_simulate(count, days)?;
            }
            Ok(())
        }
    }
}

async fn bench_publisher(count: usize, concurrency: usize, latency_ms: u64) -> Result<()> {
    let emulators = Emulators::connect().await?;
    let table = emulators.seed_fleet(count).await?;
    let counter = CallCounter::default();
    let probe = InFlightProbe::with_delay(std::time::Duration::from_millis(latency_ms));
    // As the function's main builds them: SLUICE_CONCURRENCY requests in flight.
    let config = limit_in_flight(&emulators.config_with_probe(&probe), concurrency);
    let clients = Clients::counted(&config, &counter);
    let publisher = Publisher::new(&clients, publisher_settings(&table, concurrency));
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
        let busy: Vec<String> = counter
            .busy()
            .iter()
            .map(|(service, time)| format!("{service} {:.2} s", time.as_secs_f64()))
            .collect();
        println!(
            "| {count} | {invocation} | {:.2} s | {} | {:.2} | {} | {} | {} | {} |",
            elapsed.as_secs_f64(),
            by_api.join(", "),
            total as f64 / count as f64,
            calls.get("CloudWatch.PutMetricData").copied().unwrap_or(0),
            peak_rss()
                .map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0))
                .unwrap_or_else(|| "n/a".to_owned()),
            probe.most(),
            busy.join(", "),
        );
    }
    Ok(())
}

/// A table of `count` targets, each with one queue holding a message, one service
/// and a GPU reading: the publisher's worst ordinary case.
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

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:bench-wake";

/// Decision counts are not what is measured: keep them out of the printed figures.
struct Discard;

impl sluice_aws::EmfLog for Discard {
    fn emit(&self, _line: &str) {}
}

/// A sleeping service with an empty queue, its watcher, and where to look.
struct Sleeper {
    emulators: Emulators,
    cluster: String,
    service: String,
    queue_url: String,
    watcher: zero_watcher::Watcher,
}

async fn sleeper(interval: u64, window: u64) -> Result<Sleeper> {
    let emulators = Emulators::connect().await?;
    let table = unique("bench-wake");
    let store = emulators.create_table(&table).await?;
    let cluster = unique("wake-cluster");
    emulators.create_cluster(&cluster).await?;
    let service = unique("wake-svc");
    emulators
        .create_running_service(&cluster, &service, 0)
        .await?;
    let queue = unique("wake-q");
    let queue_url = emulators.create_queue(&queue).await?;
    let target = Target::new("sleeper", &cluster, &service)
        .with_queues([queue])
        .with_capacity(0, 8)
        .with_backlog_per_task(10.0)
        .with_scale_to_zero(ScaleToZero {
            topics: vec![TOPIC.to_owned()],
            ..ScaleToZero::default()
        });
    emulators.store_targets(&store, &[target]).await?;
    let settings = zero_watcher::Settings {
        common: Common {
            namespace: "SluiceBench".to_owned(),
            concurrency: 16,
            ..Common::for_table(&table)
        },
        dry_run: false,
        poll_interval_seconds: interval,
        poll_window_seconds: window,
        account: None,
    };
    let watcher =
        zero_watcher::Watcher::new(&emulators.clients, settings).with_emf(Box::new(Discard));
    Ok(Sleeper {
        emulators,
        cluster,
        service,
        queue_url,
        watcher,
    })
}

impl Sleeper {
    /// Polls ECS every 20 ms until desiredCount is above zero; returns when it saw it,
    /// and the count it saw: the tasks the wake reached in one step.
    async fn woken(&self, give_up: std::time::Duration) -> Result<(Instant, i32)> {
        let deadline = Instant::now() + give_up;
        loop {
            let desired = self
                .emulators
                .desired_count(&self.cluster, &self.service)
                .await?;
            if desired > 0 {
                return Ok((Instant::now(), desired));
            }
            anyhow::ensure!(Instant::now() < deadline, "not woken within {give_up:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// The publisher's settings for a bench run: its own namespace, `concurrency`
/// requests in flight.
fn publisher_settings(table: &str, concurrency: usize) -> Settings {
    Settings {
        common: Common {
            namespace: unique("Bench"),
            concurrency,
            ..Common::for_table(table)
        },
        ..Settings::for_table(table)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// One row of the wake table: the measured latencies, the tasks the first
/// UpdateService reached, and the WakeLatency the watcher reported for the same wakes.
struct WakeRuns {
    seconds: Vec<f64>,
    tasks: Vec<i32>,
    reported: Vec<f64>,
}

impl WakeRuns {
    fn new() -> Self {
        WakeRuns {
            seconds: Vec::new(),
            tasks: Vec::new(),
            reported: Vec::new(),
        }
    }

    fn add(&mut self, seconds: f64, tasks: i32, report: &zero_watcher::Report) {
        self.seconds.push(seconds);
        self.tasks.push(tasks);
        let reported = report.decisions.iter().find_map(|d| d.wake_latency_seconds);
        self.reported.extend(reported.map(|s| s as f64));
    }

    fn print(mut self, label: &str) {
        self.seconds.sort_by(f64::total_cmp);
        self.reported.sort_by(f64::total_cmp);
        let tasks_min = self.tasks.iter().min().copied().unwrap_or(0);
        let tasks_max = self.tasks.iter().max().copied().unwrap_or(0);
        let tasks = if tasks_min == tasks_max {
            tasks_min.to_string()
        } else {
            format!("{tasks_min}-{tasks_max}")
        };
        let reported = if self.reported.is_empty() {
            "-".to_owned()
        } else {
            format!(
                "{:.0} s / {:.0} s",
                percentile(&self.reported, 50.0),
                percentile(&self.reported, 95.0)
            )
        };
        println!(
            "| {label} | {} | {:.2} s | {:.2} s | {:.2} s | {:.2} s | {tasks} | {reported} |",
            self.seconds.len(),
            percentile(&self.seconds, 50.0),
            percentile(&self.seconds, 95.0),
            self.seconds.first().copied().unwrap_or(0.0),
            self.seconds.last().copied().unwrap_or(0.0),
        );
    }
}

async fn bench_wake(runs: usize, interval: u64, burst: u64) -> Result<()> {
    println!(
        "| path | runs | p50 | p95 | min | max | tasks reached in one step | reported WakeLatency p50 / p95 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let window = 50;
    let mut poll = WakeRuns::new();
    for run in 0..runs {
        let sleeper = sleeper(interval, window).await?;
        let event = serde_json::json!({"source": "sluice.scheduler"});
        // The burst lands at a different point of the poll cycle each run.
        let offset =
            std::time::Duration::from_millis(1000 + (run as u64 * 7919) % (interval * 1000));
        let watching = sleeper.watcher.handle(&event);
        let measuring = async {
            tokio::time::sleep(offset).await;
            let sent = Instant::now();
            sleeper
                .emulators
                .send_messages(&sleeper.queue_url, burst as usize, 0)
                .await?;
            let (woken, tasks) = sleeper
                .woken(std::time::Duration::from_secs(window))
                .await?;
            Ok::<_, anyhow::Error>(((woken - sent).as_secs_f64(), tasks))
        };
        let (report, measured) = tokio::join!(watching, measuring);
        let report = report.context("watcher")?;
        let (seconds, tasks) = measured?;
        poll.add(seconds, tasks, &report);
    }
    poll.print(&format!(
        "poll mode, interval {interval} s, {burst} messages at 10 per task (first message \
         sent -> desiredCount raised = the oldest message's age at the wake)"
    ));

    let mut push = WakeRuns::new();
    let sns = sluice_testkit::fixture("zero-watcher/sns.json")?;
    let mut sns = sns;
    sns["Records"][0]["Sns"]["TopicArn"] = TOPIC.into();
    for _ in 0..runs {
        let sleeper = sleeper(interval, 0).await?;
        let delivered = Instant::now();
        let report = sleeper.watcher.handle(&sns).await.context("watcher")?;
        let (woken, tasks) = sleeper.woken(std::time::Duration::from_secs(10)).await?;
        push.add((woken - delivered).as_secs_f64(), tasks, &report);
    }
    push.print("SNS push (delivered -> desiredCount raised; a push wakes wake_tasks)");
    Ok(())
}

/// Runs the gold tier's configuration for `days` once per target (each its own seed)
/// and prints how many simulated minutes a second of wall time covers.
fn bench_simulate(targets: usize, days: u32) -> Result<()> {
    use sluice_sim::{self as sim, demand, ecs, report};
    let (target, schedule) = gold_tier()?;
    let start: jiff::Timestamp = "2026-11-01T00:00:00Z".parse()?;
    let minutes = days * 24 * 60;
    let spec = demand::DemandSpec::Diurnal {
        base: 30.0,
        peak: 400.0,
        peak_hour: 14,
        timezone: "Europe/Berlin".to_owned(),
    };
    let began = Instant::now();
    let mut checksum = 0.0;
    for index in 0..targets {
        let seed = index as u64;
        let arrivals = demand::generate(&spec, start, minutes, seed).map_err(anyhow::Error::msg)?;
        let scenario = sim::Scenario {
            target: target.clone(),
            schedule: schedule.clone(),
            start,
            tasks: ecs::TaskModel {
                price_per_hour: 1.01,
                ..ecs::TaskModel::plain(ecs::Latency::Range([60, 300]), 50.0)
            },
            denominator: sim::Denominator::Desired,
            initial_tasks: 1,
            seed,
            controller: sim::Kind::Sluice,
            signals: Default::default(),
            watcher_phase_seconds: 0,
            sqs_count_lag_seconds: sim::attributes::LAG_SECONDS,
        };
        let run = sim::run(&scenario, &arrivals);
        checksum += report::summarize(&scenario, &run, &[]).task_hours;
    }
    let wall = began.elapsed().as_secs_f64();
    let simulated = targets as f64 * f64::from(minutes);
    println!(
        "| {targets} | {days} | {simulated:.0} | {wall:.2} s | {:.0} |",
        simulated / wall.max(f64::MIN_POSITIVE)
    );
    // Keeps the runs from being optimised away, and says they did something.
    eprintln!("({targets} targets: {checksum:.0} task-hours in total)");
    Ok(())
}

/// The gold tier's target and compiled profile, from its example configuration.
fn gold_tier() -> Result<(
    sluice_core::config::Target,
    Option<sluice_core::profile::Schedule>,
)> {
    use sluice_core::config::{Document, Format};
    let config = sluice_testkit::repo_root().join("infra/examples/gpu-inference/sluice.yaml");
    let text = std::fs::read_to_string(&config).context("the gold tier's configuration")?;
    let document = Document::parse(&text, Format::Yaml).map_err(|p| anyhow::anyhow!("{p}"))?;
    let target = document
        .targets
        .iter()
        .find(|t| t.name == "gold-inference")
        .context("gold-inference")?
        .clone();
    let schedule = document
        .profiles
        .first()
        .map(|p| sluice_core::profile::Schedule::compile(p, "profile"))
        .transpose()
        .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    Ok((target, schedule))
}

mod fleet {
    //! `sluice-bench fleet`: wall time per period, calls per target and memory per
    //! invocation of the publisher at fleet scale, shard by shard.

    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use super::publisher_settings;
    use anyhow::{Context, Result};
    use async_trait::async_trait;
    use metric_publisher::publish::{Ports, Stack, publish};
    use sluice_aws::memory::MemoryAws;
    use sluice_aws::{
        AwsError, CallCounter, Clients, DynamoStore, EcsServices, MetricReader, MetricSink,
        SqsQueues, limit_in_flight,
    };
    use sluice_core::facts::MetricQuery;
    use sluice_core::metrics::Datum;
    use sluice_testkit::Emulators;
    use sluice_testkit::probe::InFlightProbe;

    use super::{Discard, peak_rss, reset_peak_rss};

    /// CloudWatch for the bench: the in-memory store behind the same per-call latency
    /// as the emulators' requests, each call counted.
    struct CloudWatchStandIn {
        store: MemoryAws,
        latency: Duration,
        calls: Mutex<BTreeMap<String, u64>>,
    }

    impl CloudWatchStandIn {
        async fn call(&self, operation: &str) {
            *self
                .calls
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(operation.to_owned())
                .or_default() += 1;
            tokio::time::sleep(self.latency).await;
        }

        fn take_calls(&self) -> BTreeMap<String, u64> {
            std::mem::take(
                &mut self
                    .calls
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        }
    }

    #[async_trait]
    impl MetricReader for CloudWatchStandIn {
        async fn points(
            &self,
            queries: &[MetricQuery],
            lookback_minutes: u32,
        ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
            self.call("CloudWatch.GetMetricData").await;
            self.store.points(queries, lookback_minutes).await
        }
    }

    #[async_trait]
    impl MetricSink for CloudWatchStandIn {
        async fn put_metric_data(&self, namespace: &str, datums: &[Datum]) -> Result<(), AwsError> {
            self.call("CloudWatch.PutMetricData").await;
            self.store.put_metric_data(namespace, datums).await
        }
    }

    pub async fn bench(
        count: usize,
        shards: &[u64],
        concurrency: usize,
        latency_ms: u64,
    ) -> Result<()> {
        let emulators = Emulators::connect().await?;
        let seeding = Instant::now();
        let (table, targets) = emulators.seed_fleet_with(count, false).await?;
        eprintln!(
            "seeded {count} targets in {:.0} s",
            seeding.elapsed().as_secs_f64()
        );
        let latency = Duration::from_millis(latency_ms);
        let cloudwatch = std::sync::Arc::new(CloudWatchStandIn {
            store: MemoryAws::new(),
            latency,
            calls: Mutex::default(),
        });
        for gpu in targets.iter().filter_map(|t| t.gpu.as_ref()) {
            for query in gpu.queries() {
                cloudwatch.store.set_metric(&query, Some(50.0));
            }
        }
        let fleet = Fleet {
            emulators: &emulators,
            table: &table,
            cloudwatch: &cloudwatch,
            concurrency,
        };
        for &shard_count in shards {
            let mut invocations = Vec::new();
            for index in 0..shard_count {
                invocations.extend(fleet.shard(index, shard_count).await?);
            }
            for run in 0..2 {
                print_row(
                    count,
                    shard_count,
                    invocations.iter().filter(|i| i.run == run),
                );
            }
        }
        Ok(())
    }

    /// The seeded fleet the shards publish for.
    struct Fleet<'a> {
        emulators: &'a Emulators,
        table: &'a str,
        cloudwatch: &'a std::sync::Arc<CloudWatchStandIn>,
        concurrency: usize,
    }

    impl Fleet<'_> {
        /// One shard's cold and warm invocations, as its own Lambda container: its own
        /// clients and caches.
        async fn shard(&self, index: u64, shard_count: u64) -> Result<Vec<Invocation>> {
            let cloudwatch = self.cloudwatch;
            let counter = CallCounter::default();
            let probe = InFlightProbe::with_delay(cloudwatch.latency);
            let config =
                limit_in_flight(&self.emulators.config_with_probe(&probe), self.concurrency);
            let clients = Clients::counted(&config, &counter);
            let store = DynamoStore::new(clients.dynamodb().clone(), self.table.to_owned());
            let here = sluice_aws::Account {
                queues: std::sync::Arc::new(SqsQueues::new(clients.sqs().clone())),
                services: std::sync::Arc::new(EcsServices::new(clients.ecs().clone())),
                metrics: cloudwatch.clone(),
                ..sluice_aws::Account::unused()
            };
            let cloudwatch = cloudwatch.as_ref();
            let stack = Stack {
                store: &store,
                own_metrics: cloudwatch,
                sink: cloudwatch,
                emf: &Discard,
                accounts: &cloudwatch.store,
                rates: &store,
                starts: &store,
                clock: &sluice_lambda::SystemClock,
            };
            let ports = Ports { here: &here, stack };
            let settings = publisher_settings(self.table, self.concurrency);
            let event = serde_json::json!({
                "source": "sluice.scheduler",
                "shard": {"index": index, "count": shard_count},
            });
            let mut invocations = Vec::new();
            for (run, invocation) in ["cold", "warm"].into_iter().enumerate() {
                counter.reset();
                cloudwatch.take_calls();
                reset_peak_rss();
                let started = Instant::now();
                let summary = publish(&event, &settings, &ports)
                    .await
                    .context("publish")?;
                let wall = started.elapsed();
                anyhow::ensure!(
                    summary.failed_targets == 0,
                    "{} failed",
                    summary.failed_targets
                );
                let mut calls = counter.snapshot();
                calls.extend(cloudwatch.take_calls());
                invocations.push(Invocation {
                    run,
                    label: invocation,
                    wall,
                    published: summary.published_targets,
                    calls,
                    rss_kib: peak_rss().unwrap_or(0),
                    most: probe.most(),
                });
            }
            Ok(invocations)
        }
    }

    struct Invocation {
        run: usize,
        label: &'static str,
        wall: Duration,
        published: usize,
        calls: BTreeMap<String, u64>,
        rss_kib: u64,
        most: usize,
    }

    fn print_row<'a>(count: usize, shards: u64, invocations: impl Iterator<Item = &'a Invocation>) {
        let invocations: Vec<&Invocation> = invocations.collect();
        let slowest = invocations.iter().map(|i| i.wall).max().unwrap_or_default();
        let published: usize = invocations.iter().map(|i| i.published).sum();
        let mut calls: BTreeMap<&str, u64> = BTreeMap::new();
        for invocation in &invocations {
            for (api, n) in &invocation.calls {
                *calls.entry(api).or_default() += n;
            }
        }
        let total: u64 = calls.values().sum();
        let by_api: Vec<String> = calls.iter().map(|(api, n)| format!("{api} {n}")).collect();
        let rss = invocations.iter().map(|i| i.rss_kib).max().unwrap_or(0);
        let most = invocations.iter().map(|i| i.most).max().unwrap_or(0);
        let label = invocations.first().map_or("", |i| i.label);
        println!(
            "| {count} | {shards} | {label} | {:.2} s | {:.2} | {} | {:.1} MiB | {most} |",
            slowest.as_secs_f64(),
            total as f64 / published.max(1) as f64,
            by_api.join(", "),
            rss as f64 / 1024.0,
        );
    }
}

mod init {
    //! `sluice-bench init`: the part of a cold start that is the function's own.

    use std::path::Path;
    use std::time::{Duration, Instant};

    use anyhow::{Context, Result, bail};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::process::Command;

    use super::percentile;

    /// The floor: it answers its event without calling AWS.
    const BARE: &str = "bare-runtime";

    pub async fn bench(runs: usize, binaries: &[String], trust: Option<&Path>) -> Result<()> {
        println!(
            "| binary | runs | init p50 | init min | first AWS request (bare: answer) p50 | min | size |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let dir = sluice_testkit::repo_root().join("target/release");
        for binary in binaries {
            let path = dir.join(binary);
            let size = std::fs::metadata(&path)
                .with_context(|| format!("{} (cargo build --release --bins)", path.display()))?
                .len();
            let event = event_of(binary)?;
            let (mut init, mut work) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
            for _ in 0..runs {
                let cold = once(&path, &event, binary.starts_with(BARE), trust).await?;
                init.push(cold.init.as_secs_f64() * 1000.0);
                work.push(cold.work.as_secs_f64() * 1000.0);
            }
            init.sort_by(f64::total_cmp);
            work.sort_by(f64::total_cmp);
            println!(
                "| {binary} | {runs} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} MB |",
                percentile(&init, 50.0),
                init[0],
                percentile(&work, 50.0),
                work[0],
                size as f64 / 1e6,
            );
        }
        Ok(())
    }

    /// The function's scheduled event from events/ (the name up to a `-` suffix, so a
    /// copy such as `metric-publisher-eager` finds it too); `{}` for the bare runtime.
    fn event_of(binary: &str) -> Result<String> {
        let events = sluice_testkit::repo_root().join("events");
        let Some(function) = ["metric-publisher", "zero-watcher", "prescaler"]
            .into_iter()
            .find(|f| binary.starts_with(f))
        else {
            return Ok("{}".to_owned());
        };
        let path = events.join(function).join("scheduled.json");
        std::fs::read_to_string(&path).with_context(|| path.display().to_string())
    }

    /// When, after exec, the function first polled its Runtime API, and when it first
    /// did its work: its first AWS request (the first byte at a stand-in endpoint), or
    /// for the bare runtime its answer.
    struct Cold {
        init: Duration,
        work: Duration,
    }

    /// The function binary at `path` with Lambda's environment, its Runtime API at
    /// `runtime_api` and every AWS endpoint at `aws`.
    fn lambda_command(
        path: &Path,
        runtime_api: &TcpListener,
        aws: &TcpListener,
        trust: Option<&Path>,
    ) -> Result<Command> {
        let mut command = Command::new(path);
        command
            .env_clear()
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                runtime_api.local_addr()?.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "init-bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "init-bench")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "init-bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "ASIAINITBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "init-bench")
            .env("AWS_SESSION_TOKEN", "init-bench")
            .env("AWS_ENDPOINT_URL", format!("http://{}", aws.local_addr()?))
            .env("SLUICE_TABLE", "init-bench")
            .env("RUST_LOG", "debug")
            .stdout(std::fs::File::create("/tmp/bench-out.log")?)
            .stderr(std::fs::File::create("/tmp/bench-err.log")?)
            .kill_on_drop(true);
        if let Some(bundle) = trust {
            command.env("SSL_CERT_FILE", bundle);
        }
        Ok(command)
    }

    /// One cold start, with Lambda's environment and a local stand-in for the Runtime
    /// API (GET /2018-06-01/runtime/invocation/next answered with `event`).
    async fn once(
        path: &Path,
        event: &str,
        answers_only: bool,
        trust: Option<&Path>,
    ) -> Result<Cold> {
        let runtime_api = TcpListener::bind("127.0.0.1:0").await?;
        let aws = TcpListener::bind("127.0.0.1:0").await?;
        let mut command = lambda_command(path, &runtime_api, &aws, trust)?;
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| path.display().to_string())?;
        let (mut poll, _) = within("poll the Runtime API", runtime_api.accept()).await?;
        let mut head = [0u8; 1024];
        within("send its poll", poll.read_exact(&mut head[..1])).await?;
        let init = started.elapsed();
        within("finish its poll", read_head(&mut poll, &mut head)).await?;
        poll.write_all(invocation(event).as_bytes()).await?;
        let work = if answers_only {
            within("answer", answered(&mut poll, &runtime_api)).await?
        } else {
            within("call AWS", async {
                tokio::select! {
                    called = first_byte(&aws) => called,
                    _ = answered(&mut poll, &runtime_api) => bail!("it answered without calling AWS"),
                }
            })
            .await?
        };
        let cold = Cold {
            init,
            work: work - started,
        };
        child.kill().await?;
        Ok(cold)
    }

    /// `step` of a cold start, or an error naming it after 10 s.
    async fn within<T, E: Into<anyhow::Error>>(
        step: &str,
        doing: impl std::future::Future<Output = std::result::Result<T, E>>,
    ) -> Result<T> {
        match tokio::time::timeout(Duration::from_secs(10), doing).await {
            Ok(done) => done
                .map_err(Into::into)
                .with_context(|| format!("could not {step}")),
            Err(_) => bail!("did not {step} within 10 s"),
        }
    }

    /// Reads the rest of a request head (a GET: no body).
    async fn read_head(socket: &mut TcpStream, buffer: &mut [u8]) -> Result<()> {
        let mut read = 1;
        while !buffer[..read].ends_with(b"\r\n\r\n") {
            if read == buffer.len() {
                bail!("request head over {} bytes", buffer.len());
            }
            match socket.read(&mut buffer[read..]).await? {
                0 => bail!("the function closed its poll"),
                more => read += more,
            }
        }
        Ok(())
    }

    /// The Runtime API's answer to `next`, with the headers lambda_runtime requires.
    fn invocation(event: &str) -> String {
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            + 60_000;
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
             Lambda-Runtime-Aws-Request-Id: init-bench-1\r\n\
             Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
             Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:init-bench\r\n\
             Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
             Content-Length: {}\r\n\r\n{event}",
            event.len()
        )
    }

    /// The first byte the function sends after its event: its answer, on the poll's
    /// connection or on a new one.
    async fn answered(poll: &mut TcpStream, runtime_api: &TcpListener) -> Result<Instant> {
        let mut byte = [0u8; 1];
        tokio::select! {
            read = poll.read(&mut byte) => { read?; Ok(Instant::now()) }
            sent = first_byte(runtime_api) => sent,
        }
    }

    /// The first byte on any connection `listener` accepts: a client may open several
    /// (lambda_runtime sometimes does, the SDK may) and send on any of them first.
    async fn first_byte(listener: &TcpListener) -> Result<Instant> {
        let (sent, mut first) = tokio::sync::mpsc::unbounded_channel();
        loop {
            tokio::select! {
                Some(at) = first.recv() => return Ok(at),
                accepted = listener.accept() => {
                    let (mut socket, _) = accepted?;
                    let sent = sent.clone();
                    tokio::spawn(async move {
                        if socket.read_exact(&mut [0u8; 1]).await.is_ok() {
                            let _ = sent.send(Instant::now());
                        }
                    });
                }
            }
        }
    }
}
