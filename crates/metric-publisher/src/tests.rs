//! The publish run over the in-memory AWS (sluice_aws::memory): what is read, decided and written, with
//! failures injected where real AWS would fail. The same paths run against the
//! emulators in tests/metric_publisher.rs.

use serde_json::json;
use sluice_aws::memory::MemoryAws;
use sluice_aws::{ErrorKind, ItemKind};
use sluice_core::config::{GpuSource, Target};
use sluice_core::facts::{GpuUtilization, QueueDepth, TaskCounts};
use sluice_core::queue::{AGE_OF_OLDEST_MESSAGE, Queue};
use sluice_core::settings::Common;

use sluice_lambda::{Failure, RequestError, Retry};

use crate::publish::{Ports, Publish, PublishError, Stack, Status, publish};
use crate::settings::{Output, Settings};

fn ports(aws: &MemoryAws) -> Ports<'_> {
    Ports {
        here: aws.here(),
        stack: Stack::memory(aws),
    }
}

/// A target `name` of service `<name>-svc` in `cluster`, optionally with a GPU source.
fn with_target(aws: &MemoryAws, name: &str, queues: &[&str], gpu: bool) {
    let mut target = Target::new(name, "cluster", &format!("{name}-svc"))
        .with_queues(queues.iter().copied())
        .with_capacity(0, 10)
        .with_backlog_per_task(10.0);
    if gpu {
        target = target.with_gpu(GpuSource::agent([("ServiceName", format!("{name}-svc"))]));
    }
    aws.put_target(&target);
}

fn set_gpu(aws: &MemoryAws, service: &str, gpu: GpuUtilization) {
    let [average, max] = GpuSource::agent([("ServiceName", service)]).queries();
    aws.set_metric(&average, Some(gpu.average));
    aws.set_metric(&max, Some(gpu.max));
}

fn set_service(aws: &MemoryAws, service: &str, counts: TaskCounts) {
    aws.set_tasks("cluster", service, counts);
}

fn settings(output: Output) -> Settings {
    Settings {
        common: Common {
            namespace: "Sluice".to_owned(),
            concurrency: 4,
            ..Common::for_table("t")
        },
        output,
        scaling_changes: sluice_core::metrics::ScalingChangeLimit::default(),
    }
}

fn depth(visible: u64, in_flight: u64, delayed: u64) -> QueueDepth {
    QueueDepth {
        visible,
        in_flight,
        delayed,
    }
}

fn tasks(running: u32) -> TaskCounts {
    TaskCounts {
        running,
        pending: 0,
        desired: running,
    }
}

#[tokio::test]
async fn publishes_backlog_per_task_summed_over_queues() {
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q1", "q2"], true);
    aws.set_queue("q1", depth(10, 5, 1));
    aws.set_queue("q2", depth(4, 0, 0));
    set_service(&aws, "gold-svc", tasks(4));
    set_gpu(
        &aws,
        "gold-svc",
        GpuUtilization {
            average: 55.0,
            max: 90.0,
        },
    );
    for (queue, age) in [("q1", 30.0), ("q2", 95.0)] {
        let query = Queue::new(queue).sqs_metric(AGE_OF_OLDEST_MESSAGE, "Maximum");
        aws.set_metric(&query, Some(age));
    }
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("published");
    assert_eq!(
        (
            summary.published_targets,
            summary.failed_targets,
            summary.put_metric_data_calls
        ),
        (1, 0, 2),
        "the target's datums, then the fleet-wide counts"
    );
    let values = aws.published_for("gold");
    assert_eq!(values["Backlog"], 20.0);
    assert_eq!(values["BacklogPerTask"], 5.0);
    assert_eq!(values["InFlightMessages"], 5.0);
    assert_eq!(values["GpuUtilizationMax"], 90.0);
    assert_eq!(
        values["ScalingChanges"], 0.0,
        "no history yet: no change seen"
    );
    assert_eq!(
        values["OldestMessageAge"], 95.0,
        "the oldest over its queues"
    );
    // No rate learned yet: the need is the backlog's share at backlog_per_task 10.
    assert_eq!(values["TasksNeeded"], 2.0);
    assert_eq!(values["CapacityUtilization"], 50.0, "2 of the 4 desired");
    assert_eq!(values["BacklogWithoutCapacity"], 0.0);
    assert_eq!(values.len(), 15);
}

/// The load model learns across runs: SQS's counts and the looks become stored rates,
/// which the next run's need is reckoned on (ArrivalRate, ServiceRate published).
#[tokio::test]
async fn the_load_model_learns_rates_and_stores_them_between_runs() {
    use sluice_core::capacity::Rates;
    use sluice_core::queue::{MESSAGES_DELETED, MESSAGES_SENT};
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q1"], false);
    aws.set_queue("q1", depth(40, 2, 0));
    set_service(&aws, "gold-svc", tasks(2));
    let queue = Queue::new("q1");
    let now = sluice_lambda::Clock::now(&sluice_lambda::SystemClock);
    let minute = now / 60 * 60 - 300;
    aws.set_points(
        &queue.sqs_metric(MESSAGES_SENT, "Sum"),
        vec![(minute, 120.0), (minute + 60, 150.0)],
    );
    aws.set_points(
        &queue.sqs_metric(MESSAGES_DELETED, "Sum"),
        vec![(minute, 100.0), (minute + 60, 100.0)],
    );
    publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("published");
    let stored = aws.stored_rates("gold").expect("rates stored");
    assert_eq!(
        stored.arrival,
        Some(135.0),
        "the mean of the complete minutes"
    );
    assert_eq!(stored.looks.len(), 1);
    assert!(
        stored.service.is_none(),
        "no saturated minute bracketed yet"
    );
    aws.set_rates(
        "gold",
        Rates {
            service: Some(50.0),
            ..stored
        },
    );
    publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("published");
    let values = aws.published_for("gold");
    assert_eq!(values["ArrivalRate"], 135.0);
    assert_eq!(values["ServiceRate"], 50.0);
}

/// Rates that cannot be read are not guessed: the need is not published (target
/// tracking does nothing on missing data) and the target's other metrics are.
#[tokio::test]
async fn unreadable_rates_publish_no_need_and_store_nothing() {
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q1"], false);
    aws.set_queue("q1", depth(40, 0, 0));
    set_service(&aws, "gold-svc", tasks(2));
    aws.fail_next(
        "DynamoDB.Query",
        Some("state#rates"),
        ErrorKind::Throttled,
        1,
    );
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("published");
    let values = aws.published_for("gold");
    assert!(!values.contains_key("CapacityUtilization"), "{values:?}");
    assert_eq!(values["BacklogPerTask"], 20.0);
    assert!(
        summary.targets[0]
            .warnings
            .iter()
            .any(|w| w.contains("need not published"))
    );
    assert_eq!(aws.stored_rates("gold"), None);
}

#[tokio::test]
async fn a_missing_queue_leaves_only_its_target_unread() {
    let aws = MemoryAws::new();
    with_target(&aws, "good", &["q1"], false);
    with_target(&aws, "bad", &["q1", "gone"], false);
    aws.set_queue("q1", depth(3, 0, 0));
    set_service(&aws, "good-svc", tasks(0));
    set_service(&aws, "bad-svc", tasks(1));
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("partly published");
    assert_eq!((summary.published_targets, summary.failed_targets), (1, 1));
    let bad = summary.targets.iter().find(|r| r.name == "bad").unwrap();
    assert_eq!(bad.outcome, Status::Unread);
    assert!(
        bad.error
            .as_deref()
            .unwrap()
            .contains("queue gone does not exist"),
        "{bad:?}"
    );
    assert!(aws.published_for("bad").is_empty());
    // Zero running tasks count as one: the metric exists at zero.
    assert_eq!(aws.published_for("good")["BacklogPerTask"], 3.0);
}

#[tokio::test]
async fn a_missing_service_leaves_its_target_unread_and_a_failed_gpu_read_only_warns() {
    let aws = MemoryAws::new();
    with_target(&aws, "a", &["q"], true);
    with_target(&aws, "b", &["q"], true);
    aws.set_queue("q", depth(1, 0, 0));
    set_service(&aws, "a-svc", tasks(1));
    aws.fail("CloudWatch.GetMetricData", ErrorKind::Throttled);
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("a published");
    let a = &summary.targets[0];
    assert_eq!(a.outcome, Status::Done(Publish));
    assert!(a.warnings[0].contains("Throttled"), "{a:?}");
    assert!(
        !aws.published_for("a").contains_key("GpuUtilizationAverage"),
        "a failed GPU read is never published as 0"
    );
    let b = &summary.targets[1];
    assert_eq!(b.outcome, Status::Unread);
    assert!(
        b.error
            .as_deref()
            .unwrap()
            .contains("service cluster/b-svc: ECS could not describe it: MISSING"),
        "{b:?}"
    );
}

#[tokio::test]
async fn reads_and_writes_are_batched() {
    let aws = MemoryAws::new();
    for i in 0..120 {
        with_target(&aws, &format!("t{i}"), &["q"], i % 2 == 0);
        set_service(&aws, &format!("t{i}-svc"), tasks(1));
        set_gpu(
            &aws,
            &format!("t{i}-svc"),
            GpuUtilization {
                average: 1.0,
                max: 2.0,
            },
        );
    }
    aws.set_queue("q", depth(0, 0, 0));
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("published");
    assert_eq!(
        aws.batch_sizes("ECS.DescribeServices"),
        vec![10; 12],
        "120 services in one cluster: 12 calls of 10"
    );
    assert_eq!(
        aws.batch_sizes("CloudWatch.GetMetricData"),
        vec![120, 120, 240, 120],
        "all 60 GPU sources (avg + max) in one GetMetricData, the 120 targets' desired \
         histories in another, their queues' sent and deleted counts in a third, their \
         oldest-message ages in a fourth"
    );
    // 120 targets x 12 datums (9, BacklogWithoutCapacity, CapacityUtilization,
    // TasksNeeded) + 60 x 2 GPU datums = 1560 datums in two calls, then the 6
    // fleet-wide counts in a third.
    assert_eq!((summary.datums, summary.put_metric_data_calls), (1566, 3));
    assert_eq!((summary.fleet.published, summary.fleet.failed), (120, 0));
}

#[tokio::test]
async fn emf_output_writes_log_lines_and_makes_no_put_call() {
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q"], false);
    aws.set_queue("q", depth(8, 0, 0));
    set_service(&aws, "gold-svc", tasks(2));
    let summary = publish(
        &json!({}),
        &settings(Output::EmbeddedMetricFormat),
        &ports(&aws),
    )
    .await
    .expect("published");
    assert_eq!(summary.put_metric_data_calls, 0);
    assert_eq!(aws.calls("CloudWatch.PutMetricData"), 0);
    let lines = aws.emf_lines();
    assert_eq!(lines.len(), 2, "one line for the target, one fleet-wide");
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["BacklogPerTask"], 4.0);
    let fleet: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(fleet["TargetsPublished"], 1.0);
    assert!(fleet.get("Target").is_none());
}

#[tokio::test]
async fn bad_input_publishes_nothing() {
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q"], false);
    aws.set_queue("q", depth(8, 0, 0));
    set_service(&aws, "gold-svc", tasks(2));
    let error = publish(
        &json!({"target": "gold"}),
        &settings(Output::PutMetricData),
        &ports(&aws),
    )
    .await
    .expect_err("malformed");
    assert!(
        matches!(error, PublishError::Request(RequestError::BadEvent(_))),
        "{error}"
    );
    let error = publish(
        &json!({"targets": ["nope"]}),
        &settings(Output::PutMetricData),
        &ports(&aws),
    )
    .await
    .expect_err("unknown");
    assert_eq!(
        error.to_string(),
        "unknown target(s) in the event: nope; stored targets: gold"
    );
    assert_eq!(aws.calls("CloudWatch.PutMetricData"), 0);
}

#[tokio::test]
async fn an_invalid_stored_target_is_skipped_by_name() {
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q"], false);
    aws.put_item(
        ItemKind::Target,
        "broken",
        r#"{"name":"broken","cluster":"c"}"#,
    );
    aws.put_item(
        ItemKind::Target,
        "negative",
        r#"{"name":"negative","cluster":"c","service":"s","capacity":{"min":0,"max":2},"backlog_per_task":-1}"#,
    );
    aws.set_queue("q", depth(1, 0, 0));
    set_service(&aws, "gold-svc", tasks(1));
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("gold published");
    assert_eq!(summary.published_targets, 1);
    let invalid: Vec<_> = summary
        .invalid_targets
        .iter()
        .map(|r| (r.name.as_str(), r.error.clone().unwrap()))
        .collect();
    assert!(
        invalid[0].1.contains("missing field `service`"),
        "{invalid:?}"
    );
    assert!(
        invalid[1]
            .1
            .contains("backlog_per_task: must be a number from 0.001 to 1000000000"),
        "{invalid:?}"
    );
}

#[tokio::test]
async fn fails_as_a_whole_only_when_nothing_was_published() {
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q"], false);
    aws.set_queue("q", depth(1, 0, 0));
    set_service(&aws, "gold-svc", tasks(1));
    aws.fail("CloudWatch.PutMetricData", ErrorKind::Unavailable);
    let error = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect_err("nothing published");
    assert!(
        error
            .to_string()
            .contains("gold: CloudWatch.PutMetricData failed (Unavailable)"),
        "{error}"
    );
    // No targets at all is nothing to do, not a failure; the fleet-wide heartbeat
    // is still published, so a missing heartbeat means the publisher is not running.
    let empty = MemoryAws::new();
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&empty))
        .await
        .expect("empty ok");
    assert_eq!(
        (summary.published_targets, summary.put_metric_data_calls),
        (0, 1)
    );
    assert!(
        empty
            .put_datums()
            .iter()
            .flat_map(|(_, datums)| datums)
            .any(|d| d.name == "TargetsPublished" && d.value == 0.0)
    );
}

/// The fleet-wide counts go out after the targets' datums, counting the targets whose
/// datums PutMetricData refused as failed.
#[tokio::test]
async fn targets_whose_datums_were_refused_count_as_failed() {
    let aws = MemoryAws::new();
    with_target(&aws, "a", &["q"], false);
    with_target(&aws, "b", &["q"], false);
    aws.set_queue("q", depth(1, 0, 0));
    set_service(&aws, "a-svc", tasks(1));
    set_service(&aws, "b-svc", tasks(1));
    aws.fail_next("CloudWatch.PutMetricData", None, ErrorKind::Throttled, 1);
    let error = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect_err("no target's datums were written");
    assert!(
        matches!(error, PublishError::NothingPublished(_)),
        "{error}"
    );
    let fleet = aws.fleet_published();
    assert!(fleet.contains(&("TargetsFailed", 2.0)), "{fleet:?}");
    assert!(fleet.contains(&("TargetsPublished", 0.0)), "{fleet:?}");
}

#[tokio::test]
async fn nothing_published_for_permanent_reasons_is_not_worth_a_retry() {
    let aws = MemoryAws::new();
    with_target(&aws, "gone", &["deleted-queue"], false);
    set_service(&aws, "gone-svc", tasks(1));
    let error = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect_err("nothing published");
    assert_eq!(error.retry(), Retry::NonRetryable, "{error}");
    assert_eq!(
        error.diagnostic().error_type,
        "NonRetryable.NothingPublished"
    );
}

/// A target of service `<name>-svc` reading queue `<name>-q`, in the account of `role`.
fn with_target_elsewhere(aws: &MemoryAws, name: &str, role: &str) -> Target {
    let target = Target::new(name, "cluster", &format!("{name}-svc"))
        .with_queues([format!("{name}-q")])
        .with_capacity(0, 10)
        .with_backlog_per_task(10.0)
        .in_account(role, Some("eu-west-1"));
    aws.put_target(&target);
    target
}

#[tokio::test]
async fn a_target_elsewhere_is_read_in_its_account_and_its_policy_metrics_go_there_too() {
    let aws = MemoryAws::new();
    with_target(&aws, "home", &["home-q"], false);
    aws.set_queue("home-q", depth(3, 0, 0));
    set_service(&aws, "home-svc", tasks(1));
    let team = with_target_elsewhere(&aws, "team", "arn:aws:iam::111122223333:role/sluice");
    let account = aws.account(&team.place());
    account.set_queue("team-q", depth(40, 0, 0));
    account.set_tasks("cluster", "team-svc", tasks(2));

    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("published");

    assert_eq!((summary.published_targets, summary.failed_targets), (2, 0));
    assert_eq!(aws.published_for("team")["BacklogPerTask"], 20.0);
    assert_eq!(
        aws.calls("SQS.GetQueueAttributes"),
        1,
        "the stack's account read its own queue only"
    );
    let theirs = account.published_for("team");
    let names: Vec<&str> = theirs.keys().copied().collect();
    assert_eq!(
        names,
        ["Backlog", "BacklogPerTask", "CapacityUtilization"],
        "what its policies watch"
    );
    assert_eq!(theirs["BacklogPerTask"], 20.0);
    assert!(account.published_for("home").is_empty());
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_fails_only_its_targets_and_is_counted() {
    let aws = MemoryAws::new();
    with_target(&aws, "home", &["home-q"], false);
    aws.set_queue("home-q", depth(3, 0, 0));
    set_service(&aws, "home-svc", tasks(1));
    let role = "arn:aws:iam::444455556666:role/sluice-missing";
    with_target_elsewhere(&aws, "lost-a", role);
    with_target_elsewhere(&aws, "lost-b", role);

    let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws))
        .await
        .expect("the stack's own target was published");

    assert_eq!((summary.published_targets, summary.failed_targets), (1, 2));
    for lost in summary
        .targets
        .iter()
        .filter(|t| t.name.starts_with("lost"))
    {
        let error = lost.error.as_deref().unwrap_or_default();
        assert!(error.contains(role), "names the role: {error}");
    }
    let failed = aws
        .put_datums()
        .iter()
        .flat_map(|(_, datums)| datums)
        .find(|d| d.name == "TargetsFailed")
        .map(|d| d.value);
    assert_eq!(failed, Some(2.0), "the fleet-wide failure count");
}

#[tokio::test]
async fn a_refused_copy_in_the_targets_account_fails_that_target() {
    let aws = MemoryAws::new();
    let team = with_target_elsewhere(&aws, "team", "arn:aws:iam::111122223333:role/sluice");
    let account = aws.account(&team.place());
    account.set_queue("team-q", depth(40, 0, 0));
    account.set_tasks("cluster", "team-svc", tasks(2));
    account.fail(
        "CloudWatch.PutMetricData",
        sluice_aws::ErrorKind::AccessDenied,
    );

    let result = publish(&json!({}), &settings(Output::PutMetricData), &ports(&aws)).await;

    let Err(PublishError::NothingPublished(summary)) = result else {
        panic!("its policies would scale on nothing: {result:?}");
    };
    let error = summary.targets[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("policy metrics"), "{error}");
}

/// The need plans with the start-up the zero-watcher measured at its polls (here 90 s:
/// the room for noise is 3 deviations times its share of the 4-minute goal); the load
/// record keeps the publisher's own (240 s, all the goal: 3). When the measured ones
/// cannot be read, the record's stands and the need is still published.
#[tokio::test]
async fn the_need_plans_with_the_start_up_the_watcher_measured() {
    use sluice_core::capacity::{Basis, Rates};
    use sluice_core::startup::{StartUp, StartUps};
    let aws = MemoryAws::new();
    with_target(&aws, "gold", &["q1"], false);
    aws.set_queue("q1", depth(4, 2, 0));
    set_service(&aws, "gold-svc", tasks(2));
    let rates = Rates {
        service: Some(2.5),
        samples: 5,
        arrival: Some(5.0),
        start_up: Some(240.0),
        ..Rates::default()
    };
    let now = sluice_lambda::Clock::now(&sluice_lambda::SystemClock);
    let measured = StartUp {
        at: now - 60,
        seconds: 90,
    };
    aws.set_start_ups("gold", StartUps(vec![measured]));
    let deviations = async |aws: &MemoryAws| {
        let summary = publish(&json!({}), &settings(Output::PutMetricData), &ports(aws))
            .await
            .expect("published");
        let reading = summary.targets[0].reading.clone().expect("read");
        match reading.need.map(|n| n.basis) {
            Some(Basis::Rates { deviations, .. }) => deviations,
            other => panic!("no need on the rates: {other:?}"),
        }
    };
    aws.set_rates("gold", rates.clone());
    assert!((deviations(&aws).await - 1.125).abs() < 1e-9);
    let stored = aws.stored_rates("gold").expect("stored");
    assert_eq!(stored.start_up, Some(240.0), "the record keeps its own");
    aws.set_rates("gold", rates);
    aws.fail_next(
        "DynamoDB.Query",
        Some("state#startups"),
        ErrorKind::Throttled,
        1,
    );
    assert!((deviations(&aws).await - 3.0).abs() < 1e-9);
    assert!(
        aws.published_for("gold")
            .contains_key("CapacityUtilization")
    );
}
