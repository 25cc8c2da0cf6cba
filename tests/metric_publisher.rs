//! The metric publisher against the emulators: seeded queues, services and GPU
//! readings in, metrics read back from CloudWatch (never echoed from the function).

use sluice_core::settings::Common;
use std::collections::BTreeMap;

use anyhow::{Context, Result};
use metric_publisher::publish::Status;
use metric_publisher::{Output, Publisher, Settings};
use sluice_core::config::{GpuSource, Target};
use sluice_testkit::{Emulators, OneService, fixture, refused, unique};

struct Scenario {
    emulators: Emulators,
    table: String,
    namespace: String,
    gold: String,
    silver: String,
    broken: String,
}

fn target(name: &str, cluster: &str, service: &str, queues: Vec<String>) -> Target {
    Target::new(name, cluster, service)
        .with_queues(queues)
        .with_capacity(0, 20)
        .with_backlog_per_task(5.0)
}

/// gold: two queues (5 visible + 2 in flight, 3 delayed), 2 running tasks, two GPUs
/// reading 20% and 40% now (and an older 99% that must not count).
/// gold runs at its maximum of 2 tasks; SQS says its queues' oldest messages are 40
/// and 75 s old.
/// silver: an empty queue, 0 running tasks, a GPU source with no readings.
/// broken: a queue that does not exist.
async fn seed() -> Result<Scenario> {
    let emulators = Emulators::connect().await?;
    let table = unique("sluice-e2e");
    let store = emulators.create_table(&table).await?;
    let cluster = unique("cluster");
    emulators.create_cluster(&cluster).await?;
    let gold_service = unique("gold-svc");
    emulators
        .create_running_service(&cluster, &gold_service, 2)
        .await?;
    let silver_service = unique("silver-svc");
    emulators
        .create_service(&cluster, &silver_service, 0)
        .await?;

    let gold_main = unique("gold-main");
    let gold_main_url = emulators.create_queue(&gold_main).await?;
    emulators.send_messages(&gold_main_url, 7, 0).await?;
    assert_eq!(emulators.take_in_flight(&gold_main_url, 2).await?, 2);
    let gold_retry = unique("gold-retry");
    let gold_retry_url = emulators.create_queue(&gold_retry).await?;
    emulators.send_messages(&gold_retry_url, 3, 600).await?;
    let silver_queue = unique("silver");
    emulators.create_queue(&silver_queue).await?;

    let namespace = unique("SluiceE2E");
    let gpu_namespace = unique("CWAgentE2E");
    let gpu_dimensions: BTreeMap<String, String> = [
        ("ClusterName".to_owned(), cluster.clone()),
        ("ServiceName".to_owned(), gold_service.clone()),
    ]
    .into();
    emulators
        .put_readings(
            &gpu_namespace,
            "nvidia_smi_utilization_gpu",
            &gpu_dimensions,
            &[(2, 99.0), (0, 20.0), (0, 40.0)],
        )
        .await?;

    // SQS's own age of the oldest message: the older queue is what counts.
    for (queue, age) in [(&gold_main, 40.0), (&gold_retry, 75.0)] {
        emulators
            .put_readings(
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                &[("QueueName".to_owned(), queue.clone())].into(),
                &[(0, age)],
            )
            .await?;
    }

    let gold = unique("gold");
    let silver = unique("silver");
    let broken = unique("broken");
    let mut gold_target = target(
        &gold,
        &cluster,
        &gold_service,
        vec![gold_main, gold_retry_url],
    );
    gold_target.gpu = Some(GpuSource {
        namespace: gpu_namespace.clone(),
        metric: "nvidia_smi_utilization_gpu".to_owned(),
        dimensions: gpu_dimensions.clone(),
    });
    // Its 2 desired tasks are its maximum: counted in TargetsAtMaxCapacity.
    gold_target = gold_target.with_capacity(0, 2);
    let mut silver_target = target(&silver, &cluster, &silver_service, vec![silver_queue]);
    silver_target.gpu = Some(GpuSource {
        namespace: gpu_namespace,
        metric: "nvidia_smi_utilization_gpu".to_owned(),
        dimensions: [("ServiceName".to_owned(), silver_service)].into(),
    });
    let broken_target = target(
        &broken,
        &cluster,
        &gold_service,
        vec![unique("no-such-queue")],
    );
    emulators
        .store_targets(&store, &[gold_target, silver_target, broken_target])
        .await?;
    Ok(Scenario {
        emulators,
        table,
        namespace,
        gold,
        silver,
        broken,
    })
}

fn settings(scenario: &Scenario, output: Output) -> Settings {
    settings_for(&scenario.table, &scenario.namespace, output)
}

/// Settings for `table`, publishing to `namespace` through `output`, 8 requests at once.
fn settings_for(table: &str, namespace: &str, output: Output) -> Settings {
    Settings {
        common: Common {
            namespace: namespace.to_owned(),
            concurrency: 8,
            ..Common::for_table(table)
        },
        output,
        scaling_changes: sluice_core::metrics::ScalingChangeLimit::default(),
    }
}

/// One service running `tasks`, `messages` on its queue, stored as one target
/// (capacity 0-20, backlog per task 5) named after `prefix`.
async fn one_target(
    emulators: &Emulators,
    prefix: &str,
    tasks: i32,
    messages: usize,
) -> Result<(OneService, String)> {
    let scene = emulators.one_service(prefix, tasks).await?;
    emulators
        .send_messages(&scene.queue_url, messages, 0)
        .await?;
    let name = unique(prefix);
    let stored = target(
        &name,
        &scene.cluster,
        &scene.service,
        vec![scene.queue.clone()],
    );
    emulators.store_targets(&scene.store, &[stored]).await?;
    Ok((scene, name))
}

/// The scenario's table, and its gold target as stored there.
async fn stored_gold(scenario: &Scenario) -> Result<(sluice_aws::DynamoStore, Target)> {
    use sluice_aws::ConfigStore;
    let store = sluice_aws::DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        scenario.table.clone(),
    );
    let gold = store
        .list(sluice_aws::ItemKind::Target)
        .await?
        .into_iter()
        .find(|t| t.name == scenario.gold)
        .and_then(|t| Target::from_stored(&t.name, &t.spec).ok())
        .context("gold stored")?;
    Ok((store, gold))
}

async fn assert_published(scenario: &Scenario) -> Result<()> {
    let gold = scenario
        .emulators
        .published(&scenario.namespace, &scenario.gold)
        .await?;
    let expected_gold: BTreeMap<String, f64> = [
        ("VisibleMessages", 5.0),
        ("InFlightMessages", 2.0),
        ("DelayedMessages", 3.0),
        ("Backlog", 10.0),
        ("BacklogPerTask", 5.0),
        ("RunningTasks", 2.0),
        ("PendingTasks", 0.0),
        ("DesiredTasks", 2.0),
        ("GpuUtilizationAverage", 30.0),
        ("GpuUtilizationMax", 40.0),
        ("ScalingChanges", 0.0),
        ("OldestMessageAge", 75.0),
        // The load model, before any rate is learnt: the backlog's share at
        // backlog_per_task 5 is 2 tasks, 100 % of the 2 desired.
        ("BacklogWithoutCapacity", 0.0),
        ("CapacityUtilization", 100.0),
        ("TasksNeeded", 2.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(
        gold, expected_gold,
        "gold, read back from CloudWatch with dimension Target={}",
        scenario.gold
    );

    let silver = scenario
        .emulators
        .published(&scenario.namespace, &scenario.silver)
        .await?;
    assert_eq!(
        silver.get("BacklogPerTask"),
        Some(&0.0),
        "zero running tasks: metric still exists"
    );
    assert_eq!(silver.get("RunningTasks"), Some(&0.0));
    assert!(
        !silver.contains_key("GpuUtilizationAverage"),
        "missing GPU reading never published as 0: {silver:?}"
    );
    assert_eq!(
        silver.len(),
        12,
        "eight readings, ScalingChanges, BacklogWithoutCapacity and the need (2)"
    );
    assert_eq!(
        silver.get("CapacityUtilization"),
        Some(&100.0),
        "asleep and idle: at target, so target tracking neither wakes nor scales in"
    );

    let broken = scenario
        .emulators
        .published(&scenario.namespace, &scenario.broken)
        .await?;
    assert!(
        broken.is_empty(),
        "a target with a missing queue publishes nothing: {broken:?}"
    );
    Ok(())
}

#[tokio::test]
async fn publishes_in_process_and_reads_back_from_cloudwatch() -> Result<()> {
    let scenario = seed().await?;
    let publisher = Publisher::new(
        &scenario.emulators.clients,
        settings(&scenario, Output::PutMetricData),
    );
    let summary = publisher
        .handle(&fixture("metric-publisher/scheduled.json")?)
        .await?;
    assert_eq!(
        (summary.published_targets, summary.failed_targets),
        (2, 1),
        "{summary:#?}"
    );
    assert_eq!(
        summary.put_metric_data_calls, 2,
        "the targets' datums, then the fleet-wide counts"
    );
    let broken = summary
        .targets
        .iter()
        .find(|t| t.name == scenario.broken)
        .context("broken report")?;
    assert_eq!(broken.outcome, Status::Unread);
    assert!(
        broken
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("NonExistentQueue"),
        "{broken:?}"
    );
    assert_published(&scenario).await?;
    let fleet = scenario
        .emulators
        .published_fleet_wide(&scenario.namespace)
        .await?;
    assert_eq!(
        fleet,
        [
            ("TargetsPublished".to_owned(), 2.0),
            ("TargetsFailed".to_owned(), 1.0),
            ("TargetsAtMaxCapacity".to_owned(), 1.0),
            ("TargetsAsleepWithWork".to_owned(), 0.0),
            ("TargetsScalingTooOften".to_owned(), 0.0),
            ("TargetsBacklogWithoutCapacity".to_owned(), 0.0),
        ]
        .into(),
        "fleet-wide metrics, without dimensions, for the template's alarms"
    );
    Ok(())
}

/// The load model across runs, against the emulators: SQS's counts (in CloudWatch)
/// become rates stored in the table, read back from DynamoDB; a service rate stored
/// there is what the next run's need is reckoned on, read back from CloudWatch.
#[tokio::test]
async fn the_load_model_stores_what_it_learns_and_publishes_its_rates() -> Result<()> {
    use sluice_aws::RateRecords;
    let scenario = seed().await?;
    let (store, gold) = stored_gold(&scenario).await?;
    let gold_queue = gold.queues[0].short_name().to_owned();
    let queue = [("QueueName".to_owned(), gold_queue)].into();
    for (metric, counts) in [
        ("NumberOfMessagesSent", [(5, 90.0), (4, 120.0), (3, 150.0)]),
        (
            "NumberOfMessagesDeleted",
            [(5, 80.0), (4, 100.0), (3, 100.0)],
        ),
    ] {
        scenario
            .emulators
            .put_readings("AWS/SQS", metric, &queue, &counts)
            .await?;
    }
    let publisher = Publisher::new(
        &scenario.emulators.clients,
        settings(&scenario, Output::PutMetricData),
    );
    publisher.handle(&serde_json::json!({})).await?;
    let now = jiff::Timestamp::now().as_second();
    let stored = store.rates(now).await?;
    let gold = stored.get(&scenario.gold).context("gold's rates stored")?;
    assert_eq!(
        gold.arrival,
        Some(120.0),
        "the three complete minutes' mean"
    );
    assert_eq!(
        gold.looks.len(),
        1,
        "this run's look, for the next to learn from"
    );
    assert!(
        !stored.contains_key(&scenario.broken),
        "a target that failed stores nothing"
    );
    store
        .save_rates(
            &scenario.gold,
            &sluice_core::capacity::Rates {
                service: Some(40.0),
                ..gold.clone()
            },
        )
        .await?;
    publisher.handle(&serde_json::json!({})).await?;
    let published = scenario
        .emulators
        .published(&scenario.namespace, &scenario.gold)
        .await?;
    assert_eq!(published.get("ArrivalRate"), Some(&120.0), "{published:?}");
    assert_eq!(published.get("ServiceRate"), Some(&40.0));
    Ok(())
}

#[tokio::test]
async fn a_direct_invocation_publishes_only_the_named_targets() -> Result<()> {
    let scenario = seed().await?;
    let publisher = Publisher::new(
        &scenario.emulators.clients,
        settings(&scenario, Output::PutMetricData),
    );
    let event = serde_json::json!({ "targets": [scenario.silver] });
    let summary = publisher.handle(&event).await?;
    assert_eq!(summary.targets.len(), 1);
    assert!(
        scenario
            .emulators
            .published(&scenario.namespace, &scenario.gold)
            .await?
            .is_empty()
    );
    assert_eq!(
        scenario
            .emulators
            .published(&scenario.namespace, &scenario.silver)
            .await?
            .len(),
        12
    );
    Ok(())
}

#[tokio::test]
async fn a_malformed_event_publishes_nothing() -> Result<()> {
    let scenario = seed().await?;
    let publisher = Publisher::new(
        &scenario.emulators.clients,
        settings(&scenario, Output::PutMetricData),
    );
    let malformed = fixture("metric-publisher/malformed.json")?;
    refused(publisher.handle(&malformed).await, "unknown field `target`")?;
    assert_eq!(
        scenario.emulators.metric_count(&scenario.namespace).await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn emf_output_makes_no_put_metric_data_call() -> Result<()> {
    let scenario = seed().await?;
    let publisher = Publisher::new(
        &scenario.emulators.clients,
        settings(&scenario, Output::EmbeddedMetricFormat),
    );
    let summary = publisher
        .handle(&fixture("metric-publisher/scheduler.json")?)
        .await?;
    assert_eq!(
        (summary.published_targets, summary.put_metric_data_calls),
        (2, 0)
    );
    assert_eq!(
        scenario.emulators.metric_count(&scenario.namespace).await?,
        0,
        "EMF writes log lines, not PutMetricData"
    );
    Ok(())
}

/// The benchmark's figures come from this counter: it must see real SDK calls.
#[tokio::test]
async fn the_call_counter_counts_real_calls_by_operation() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let counter = sluice_aws::CallCounter::default();
    let clients = sluice_aws::Clients::counted(&emulators.config, &counter);
    clients.sqs().list_queues().send().await?;
    clients.sqs().list_queues().send().await?;
    clients
        .cloudwatch()
        .list_metrics()
        .namespace(unique("Counted"))
        .send()
        .await?;
    let counts = counter.snapshot();
    assert_eq!(counts.get("SQS.ListQueues"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("CloudWatch.ListMetrics"), Some(&1), "{counts:?}");
    Ok(())
}

/// What the template's WorkWaitingWhileAsleepAlarm watches: a scale-to-zero target
/// with work on its queue and no desired task, counted fleet-wide without dimensions.
#[tokio::test]
async fn a_sleeping_target_with_work_is_counted_for_the_watcher_alarm() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let scene = emulators.one_service("sleeper", 0).await?;
    emulators.send_messages(&scene.queue_url, 2, 0).await?;
    let mut sleeper = target(
        &unique("sleeper"),
        &scene.cluster,
        &scene.service,
        vec![scene.queue],
    );
    sleeper.scale_to_zero = Some(sluice_core::config::ScaleToZero {
        idle_minutes: Some(5),
        wake_tasks: 1,
        activation_backlog: 1,
        ..Default::default()
    });
    emulators.store_targets(&scene.store, &[sleeper]).await?;
    let namespace = unique("SluiceE2E");
    let settings = settings_for(&scene.table, &namespace, Output::PutMetricData);
    Publisher::new(&emulators.clients, settings)
        .handle(&fixture("metric-publisher/scheduler.json")?)
        .await?;
    let fleet = emulators.published_fleet_wide(&namespace).await?;
    assert_eq!(
        (
            fleet.get("TargetsPublished"),
            fleet.get("TargetsAsleepWithWork")
        ),
        (Some(&1.0), Some(&1.0)),
        "backlog 2 above activation_backlog 1 at 0 desired tasks: {fleet:?}"
    );
    Ok(())
}

/// SQS answers without one of the three counts: the target fails, and its backlog is
/// never published as if the missing count were 0.
#[tokio::test]
async fn a_missing_queue_attribute_is_a_failed_read_not_zero() -> Result<()> {
    use sluice_testkit::faults::{Fault, FaultPlan};
    let emulators = Emulators::connect().await?;
    let (scene, name) = one_target(&emulators, "attr", 1, 3).await?;
    let plan = FaultPlan::new();
    plan.always(
        "SQS.GetQueueAttributes",
        Fault::Answer(
            r#"{"Attributes": {"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesDelayed": "0"}}"#
                .to_owned(),
        ),
    );
    let namespace = unique("SluiceE2E");
    let settings = settings_for(&scene.table, &namespace, Output::PutMetricData);
    let publisher = Publisher::new(&emulators.clients_with_faults(&plan)?, settings);
    let published = publisher
        .handle(&fixture("metric-publisher/scheduler.json")?)
        .await;
    refused(
        published,
        "no ApproximateNumberOfMessagesNotVisible in the answer",
    )?;
    assert!(
        emulators.published(&namespace, &name).await?.is_empty(),
        "read back from CloudWatch: nothing for the target"
    );
    Ok(())
}

/// A target whose desired count went 1 -> 4 -> 2 over the last minutes (as earlier
/// runs published it to LocalStack) and is 2 now: 2 changes, under the limit of 3;
/// at 5 now it is the third, and the target counts as scaling too often.
#[tokio::test]
async fn desired_count_changes_are_counted_from_the_published_history() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let scene = emulators.one_service("churn", 2).await?;
    let target = unique("churn");
    emulators
        .store_targets(
            &scene.store,
            &[Target::new(&target, &scene.cluster, &scene.service)
                .with_queues([scene.queue.clone()])
                .with_capacity(0, 10)],
        )
        .await?;
    let namespace = unique("SluiceChurn");
    let now = jiff::Timestamp::now().as_second();
    emulators
        .put_history(
            &namespace,
            &target,
            "DesiredTasks",
            &[(now - 180, 1.0), (now - 120, 4.0), (now - 60, 2.0)],
        )
        .await?;
    let publisher = Publisher::new(
        &emulators.clients,
        Settings {
            common: Common {
                namespace: namespace.clone(),
                ..Common::for_table(&scene.table)
            },
            ..Settings::for_table(&scene.table)
        },
    );
    let event = fixture("metric-publisher/scheduled.json")?;
    publisher.handle(&event).await?;
    assert_eq!(
        emulators.published(&namespace, &target).await?["ScalingChanges"],
        2.0
    );
    assert_eq!(
        emulators.published_fleet_wide(&namespace).await?["TargetsScalingTooOften"],
        0.0
    );

    emulators
        .set_desired(&scene.cluster, &scene.service, 5)
        .await?;
    publisher.handle(&event).await?;
    let published = emulators.published(&namespace, &target).await?;
    assert_eq!(published["ScalingChanges"], 3.0, "{published:?}");
    assert_eq!(
        emulators.published_fleet_wide(&namespace).await?["TargetsScalingTooOften"],
        1.0
    );
    Ok(())
}

/// SLUICE_CONCURRENCY bounds the AWS requests in flight across all of an
/// invocation's reads and writes, counted beneath the SDK with 15 ms per request:
/// at 4, never more than 4, yet more than 1 (the reads do overlap). Without the bound
/// the same settings let the three read streams and the writes overlap past 4.
#[tokio::test]
async fn concurrency_bounds_the_requests_in_flight_across_every_stream() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let table = emulators.seed_fleet(40).await?;
    let settings = || {
        Settings::of(Common {
            namespace: unique("InFlight"),
            concurrency: 4,
            ..Common::for_table(&table)
        })
    };
    let run = |limited: bool| {
        let probe =
            sluice_testkit::probe::InFlightProbe::with_delay(std::time::Duration::from_millis(15));
        let config = emulators.config_with_probe(&probe);
        let config = if limited {
            sluice_aws::limit_in_flight(&config, 4)
        } else {
            config
        };
        let publisher = Publisher::new(&sluice_aws::Clients::new(&config), settings());
        async move {
            let summary = publisher.handle(&serde_json::json!({})).await?;
            anyhow::ensure!(summary.published_targets == 40, "{summary:?}");
            Ok::<usize, anyhow::Error>(probe.most())
        }
    };
    let limited = run(true).await?;
    assert!(
        (2..=4).contains(&limited),
        "at most 4 in flight, got {limited}"
    );
    let unlimited = run(false).await?;
    assert!(
        unlimited > 4,
        "per-stream bounds alone overlap past 4: {unlimited}"
    );
    Ok(())
}

/// Two schedule slots, shard 0 and 1 of 2, publish disjoint halves of a 20-target
/// fleet that together are all of it (read back from the published figures).
#[tokio::test]
async fn two_shards_publish_each_target_exactly_once() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let table = emulators.seed_fleet(20).await?;
    let namespace = unique("Shards");
    let settings = settings_for(&table, &namespace, Output::PutMetricData);
    let publisher = Publisher::new(&emulators.clients, settings);
    let mut fixture_shard = fixture("metric-publisher/scheduler-shard.json")?;
    let mut published = Vec::new();
    for index in 0..2 {
        fixture_shard["shard"]["index"] = serde_json::json!(index);
        let summary = publisher.handle(&fixture_shard).await?;
        published.push(summary.published_targets);
    }
    assert!(
        published.iter().all(|n| *n > 0),
        "both shards work: {published:?}"
    );
    assert_eq!(published.iter().sum::<usize>(), 20, "{published:?}");
    let mut seen = 0;
    for index in 0..20 {
        let figures = emulators
            .published(&namespace, &format!("target-{index}"))
            .await?;
        seen += usize::from(figures.contains_key("Backlog"));
    }
    assert_eq!(seen, 20, "every target published by one of the shards");
    Ok(())
}

/// Work waiting and no task running: `BacklogWithoutCapacity` 1 on the target's own
/// series and `TargetsBacklogWithoutCapacity` 1 fleet-wide (what the template's alarm
/// watches), read back from CloudWatch.
#[tokio::test]
async fn backlog_without_capacity_is_published_for_the_target_and_the_fleet() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let (service, name) = one_target(&emulators, "stranded", 0, 5).await?;
    let namespace = unique("SluiceStranded");
    let settings = settings_for(&service.table, &namespace, Output::PutMetricData);
    Publisher::new(&emulators.clients, settings)
        .handle(&serde_json::json!({}))
        .await?;
    let published = emulators.published(&namespace, &name).await?;
    assert_eq!(
        published.get("BacklogWithoutCapacity"),
        Some(&1.0),
        "{published:?}"
    );
    let fleet = emulators.published_fleet_wide(&namespace).await?;
    assert_eq!(
        fleet.get("TargetsBacklogWithoutCapacity"),
        Some(&1.0),
        "{fleet:?}"
    );
    Ok(())
}

/// The need plans with the start-up the zero-watcher measured, against the emulators:
/// a start-up recorded in DynamoDB (`state#startups`) is read by the publisher's run and
/// sets the need's room for noise (its share of the latency goal); the load record the
/// run stores keeps the publisher's own start-up.
#[tokio::test]
async fn the_need_plans_with_the_start_up_recorded_in_the_table() -> Result<()> {
    use sluice_aws::{RateRecords, StartUpRecords};
    use sluice_core::capacity::need::noise_deviations;
    use sluice_core::capacity::{Basis, Rates};
    use sluice_core::startup::StartUp;
    let scenario = seed().await?;
    let (store, gold) = stored_gold(&scenario).await?;
    // A service rate that makes the goal ten minutes: a 95 s start-up is under a third
    // of it (one deviation), the record's 600 s is all of it (three).
    let service = gold.backlog_per_task / 10.0;
    let rates = Rates {
        service: Some(service),
        samples: 4,
        arrival: Some(service),
        start_up: Some(600.0),
        ..Rates::default()
    };
    store.save_rates(&scenario.gold, &rates).await?;
    let now = jiff::Timestamp::now().as_second();
    let measured = StartUp {
        at: now - 60,
        seconds: 95,
    };
    store.record_start(&scenario.gold, measured, now).await?;
    let publisher = Publisher::new(
        &scenario.emulators.clients,
        settings(&scenario, Output::PutMetricData),
    );
    let summary = publisher.handle(&serde_json::json!({})).await?;
    let report = summary
        .targets
        .iter()
        .find(|t| t.name == scenario.gold)
        .context("gold reported")?;
    let need = report.reading.as_ref().and_then(|r| r.need);
    let Some(Basis::Rates { deviations, .. }) = need.map(|n| n.basis) else {
        anyhow::bail!("no need on the rates: {report:?}");
    };
    let goal_minutes = gold
        .latency_goal_seconds
        .map_or(10.0, |s| f64::from(s) / 60.0);
    assert!(
        (deviations - noise_deviations(goal_minutes, Some(95.0))).abs() < 1e-9,
        "planned with the measured 95 s: {deviations}"
    );
    let stored = store.rates(now + 5).await?;
    let kept = stored.get(&scenario.gold).context("gold's record")?;
    assert_eq!(kept.start_up, Some(600.0), "the record keeps its own");
    Ok(())
}
