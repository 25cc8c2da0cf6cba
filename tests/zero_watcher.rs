//! The zero-watcher through its real handler against the emulators: ECS desired counts
//! and UpdateService calls are read back from moto, never from the function.

use sluice_aws::{ControlMemories, DynamoStore, StartUpRecords};
use sluice_core::settings::Common;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use sluice_core::config::{ScaleToZero, Target};
use sluice_lambda::{Clock, Failure, Retry, SystemClock};
use sluice_testkit::faults::{Fault, FaultPlan};
use sluice_testkit::{Emulators, OneService, fixture, moto_recorder, refused, unique};
use zero_watcher::watch::{Effect, Zero};
use zero_watcher::{Settings, Watcher};

/// The names the fixtures under events/zero-watcher/ use.
use sluice_testkit::fixture_names::{ALARM, TARGET, TOPIC};
/// The account moto answers as unless told otherwise: the stack's own here.
const MOTO_ACCOUNT: &str = "123456789012";

struct Scenario {
    emulators: Emulators,
    table: String,
    cluster: String,
    service: String,
    queue_url: String,
}

/// A sleeping service (desired 0) with one empty queue, watched as `gold-inference`.
async fn scenario(wake_tasks: u32) -> Result<Scenario> {
    scenario_with(wake_tasks, |_| {}).await
}

/// As [`scenario`], with the target changed by `change` before it is stored.
async fn scenario_with(wake_tasks: u32, change: impl FnOnce(&mut Target)) -> Result<Scenario> {
    let emulators = Emulators::connect().await?;
    let one = emulators.one_service("zero", 0).await?;
    let mut target = one
        .target()
        .with_capacity(0, 10)
        .with_backlog_per_task(10.0)
        .with_scale_to_zero(ScaleToZero {
            // Declared: these tests count minutes against it. Unset, the wait follows
            // the measured start-up (an_unset_idle_wait_is_the_measured_start_up).
            idle_minutes: Some(5),
            wake_tasks,
            topics: vec![TOPIC.to_owned()],
            alarms: vec![ALARM.to_owned()],
            ..ScaleToZero::default()
        });
    change(&mut target);
    emulators.store_targets(&one.store, &[target]).await?;
    let OneService {
        table,
        cluster,
        service,
        queue_url,
        ..
    } = one;
    Ok(Scenario {
        emulators,
        table,
        cluster,
        service,
        queue_url,
    })
}

impl Scenario {
    fn watcher(&self, poll_window_seconds: u64) -> Watcher {
        Watcher::new(&self.emulators.clients, self.settings(poll_window_seconds))
    }

    /// A watcher whose every AWS request meets `plan`'s faults first.
    fn faulty_watcher(&self, plan: &FaultPlan) -> Result<Watcher> {
        let clients = self.emulators.clients_with_faults(plan)?;
        Ok(Watcher::new(&clients, self.settings(0)))
    }

    fn settings(&self, poll_window_seconds: u64) -> Settings {
        Settings {
            common: Common {
                namespace: "SluiceE2E".to_owned(),
                concurrency: 8,
                ..Common::for_table(&self.table)
            },
            dry_run: false,
            poll_interval_seconds: 1,
            poll_window_seconds,
            account: Some(MOTO_ACCOUNT.to_owned()),
        }
    }

    /// Awake at one task under the load model: its scalable target registered (0 to
    /// 10), as `sluicectl apply` leaves it.
    async fn awake_at_one_task(&self) -> Result<()> {
        self.register(0, 10).await?;
        self.set_desired(1).await
    }

    async fn set_desired(&self, desired: i32) -> Result<()> {
        self.emulators
            .set_desired(&self.cluster, &self.service, desired)
            .await
    }

    /// `count` messages on the target's queue, each delayed `delay` seconds.
    async fn send(&self, count: usize, delay: i32) -> Result<()> {
        self.emulators
            .send_messages(&self.queue_url, count, delay)
            .await
    }

    /// The service's scalable target registered with these bounds.
    async fn register(&self, min: i32, max: i32) -> Result<()> {
        self.emulators
            .register_scalable_target(&self.cluster, &self.service, min, max)
            .await
    }

    async fn desired(&self) -> Result<i32> {
        self.emulators
            .desired_count(&self.cluster, &self.service)
            .await
    }
}

/// Real time moved forward: what the watcher would see minutes from now.
struct Later(i64);

impl Clock for Later {
    fn now(&self) -> i64 {
        SystemClock.now() + self.0
    }
}

fn outcome(report: &zero_watcher::Report) -> Effect {
    report.decisions[0].outcome
}

/// Why the first target's look decided as it did.
fn reason(report: &zero_watcher::Report) -> &str {
    &report.decisions[0].reason
}

#[tokio::test]
async fn a_message_wakes_the_service_and_idleness_puts_it_back_to_sleep() -> Result<()> {
    let scenario = scenario(2).await?;
    let watcher = scenario.watcher(0);
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    assert_eq!(scenario.desired().await?, 0);

    scenario.send(1, 0).await?;
    let report = watcher
        .handle(&fixture("zero-watcher/scheduler.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert_eq!(scenario.desired().await?, 2, "woken to the wake count");

    // The worker finishes; the idle clock starts at the first idle look.
    assert_eq!(scenario.emulators.consume(&scenario.queue_url, 1).await?, 1);
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Unchanged);
    let report = watcher
        .handle_at(
            &fixture("zero-watcher/scheduled.json")?,
            &Later(4 * 60),
            None,
        )
        .await?;
    assert_eq!(
        outcome(&report),
        Effect::Unchanged,
        "a minute short: {report:?}"
    );
    assert_eq!(scenario.desired().await?, 2);
    let report = watcher
        .handle_at(
            &fixture("zero-watcher/scheduled.json")?,
            &Later(6 * 60),
            None,
        )
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Sleep), "{report:?}");
    assert_eq!(scenario.desired().await?, 0);
    Ok(())
}

/// A service without `idle_minutes`, woken by a message that is then consumed, and
/// looked at once more: its task runs, and the wake's start-up is measured.
async fn woken_with_its_start_up_measured() -> Result<(Scenario, Watcher)> {
    let scenario = scenario_with(1, |target| {
        if let Some(zero) = &mut target.scale_to_zero {
            zero.idle_minutes = None;
        }
    })
    .await?;
    let watcher = scenario.watcher(0);
    scenario.send(1, 0).await?;
    let scheduled = fixture("zero-watcher/scheduled.json")?;
    let report = watcher.handle(&scheduled).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert_eq!(scenario.emulators.consume(&scenario.queue_url, 1).await?, 1);
    let report = watcher.handle(&scheduled).await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    assert!(
        report.decisions[0].start_latency_seconds.is_some(),
        "{report:?}"
    );
    Ok((scenario, watcher))
}

/// Without `idle_minutes`, the service sleeps once idle for its last start-up (at
/// least a poll, 5 s): moto starts tasks at once, so the wait is the least, and the
/// service is asleep at moto after 10 idle seconds, where a declared five minutes
/// would still hold it.
#[tokio::test]
async fn an_unset_idle_wait_is_the_measured_start_up() -> Result<()> {
    let (scenario, watcher) = woken_with_its_start_up_measured().await?;
    let report = watcher
        .handle_at(&fixture("zero-watcher/scheduled.json")?, &Later(1), None)
        .await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "1 s idle: {report:?}");
    let report = watcher
        .handle_at(&fixture("zero-watcher/scheduled.json")?, &Later(10), None)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Sleep), "{report:?}");
    let reason = reason(&report);
    assert!(
        reason.ends_with("s (idle wait 5s: the last start-up)"),
        "{reason}"
    );
    assert_eq!(scenario.desired().await?, 0);
    // Work an hour later wakes it, and the watcher's record at moto keeps the gap the
    // idle wait learns from (zero::IdleGaps).
    scenario.send(1, 0).await?;
    let report = watcher
        .handle_at(&fixture("zero-watcher/scheduled.json")?, &Later(3690), None)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let stored = sluice_aws::WatchStates::load_all(&store).await?;
    let gaps = stored[TARGET].value.idle_gaps;
    assert!(
        matches!(gaps.seconds(), [gap] if (3600..=3700).contains(gap)),
        "{stored:?}"
    );
    Ok(())
}

/// The polls between minute looks run an awake service's idle clock: with a wait of
/// 5 s (moto's start-up, at least a poll), a scheduled invocation that finds the
/// service idle for less than that sleeps it at a later poll of the same invocation,
/// one UpdateService counted at moto, instead of at the next minute's look.
#[tokio::test]
async fn an_idle_service_sleeps_at_a_poll_not_at_the_next_minute() -> Result<()> {
    moto_recorder::start()?;
    let (scenario, _) = woken_with_its_start_up_measured().await?;
    let scheduled = fixture("zero-watcher/scheduled.json")?;
    let updates =
        || moto_recorder::count_any(&["UpdateService"], &[&format!("\"{}\"", scenario.service)]);
    let before = updates()?;
    let report = scenario.watcher(8).handle(&scheduled).await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    let slept = report
        .decisions
        .iter()
        .find(|d| d.outcome == Effect::Done(Zero::Sleep))
        .unwrap_or_else(|| panic!("slept at a poll: {report:?}"));
    assert!(slept.pass >= 1, "{report:?}");
    assert!(
        slept.reason.ends_with("(idle wait 5s: the last start-up)"),
        "{}",
        slept.reason
    );
    assert_eq!(scenario.desired().await?, 0);
    assert_eq!(updates()? - before, 1, "one UpdateService, counted at moto");
    Ok(())
}

#[tokio::test]
async fn an_sns_notification_wakes_its_target() -> Result<()> {
    let scenario = scenario(1).await?;
    let report = scenario
        .watcher(0)
        .handle(&fixture("zero-watcher/sns.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert_eq!(
        reason(&report),
        format!(
            "SNS notification from {TOPIC}; 1 task(s): wake_tasks 1 (a push: backlog not read)"
        )
    );
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

#[tokio::test]
async fn alarm_state_changes_wake_their_target() -> Result<()> {
    for shape in ["alarm-eventbridge.json", "alarm-action.json"] {
        let scenario = scenario(1).await?;
        let report = scenario
            .watcher(0)
            .handle(&fixture(&format!("zero-watcher/{shape}"))?)
            .await?;
        assert_eq!(
            outcome(&report),
            Effect::Done(Zero::Wake),
            "{shape}: {report:?}"
        );
        assert_eq!(scenario.desired().await?, 1, "{shape}");
    }
    Ok(())
}

/// Alarm names are unique within an account only: an alarm of the same name in
/// another account (EventBridge forwards other accounts' events to the bus) is not
/// the target's, and wakes nothing. Read back at moto: the service stays at 0.
#[tokio::test]
async fn an_alarm_of_another_account_wakes_nothing() -> Result<()> {
    for (shape, field) in [
        ("alarm-eventbridge.json", "account"),
        ("alarm-action.json", "accountId"),
    ] {
        let scenario = scenario(1).await?;
        let mut event = fixture(&format!("zero-watcher/{shape}"))?;
        event[field] = Value::from("999999999999");
        let report = scenario.watcher(0).handle(&event).await?;
        assert!(report.decisions.is_empty(), "{shape}: {report:?}");
        assert!(
            report.skipped_events[0].contains("is in account 999999999999, not the account of"),
            "{shape}: {:?}",
            report.skipped_events
        );
        assert_eq!(scenario.desired().await?, 0, "{shape}");
    }
    Ok(())
}

#[tokio::test]
async fn manual_wake_and_sleep() -> Result<()> {
    let scenario = scenario(1).await?;
    let watcher = scenario.watcher(0);
    let report = watcher.handle(&fixture("zero-watcher/wake.json")?).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake));
    assert_eq!(scenario.desired().await?, 1);
    let report = watcher.handle(&fixture("zero-watcher/sleep.json")?).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Sleep), "{report:?}");
    assert_eq!(scenario.desired().await?, 0);
    Ok(())
}

#[tokio::test]
async fn bad_events_change_nothing() -> Result<()> {
    let scenario = scenario(1).await?;
    scenario.send(1, 0).await?;
    let watcher = scenario.watcher(0);
    let malformed = fixture("zero-watcher/malformed.json")?;
    refused(watcher.handle(&malformed).await, "unknown field `service`")?;
    let unknown = serde_json::json!({"action": "wake", "target": "nobody"});
    let answer = watcher.handle(&unknown).await;
    refused(answer, "unknown target(s) in the event: nobody")?;
    let mut foreign: Value = fixture("zero-watcher/sns.json")?;
    foreign["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:not-ours".into();
    let report = watcher.handle(&foreign).await?;
    assert!(
        report.decisions.is_empty() && report.skipped_events.len() == 1,
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 0, "nothing woke");
    Ok(())
}

#[tokio::test]
async fn twenty_concurrent_invocations_make_exactly_one_update_service() -> Result<()> {
    moto_recorder::start()?;
    let scenario = scenario(1).await?;
    scenario.send(3, 0).await?;
    let needle = format!("\"{}\"", scenario.service);
    let seeded = moto_recorder::count("UpdateService", &needle)?;
    let watchers: Vec<Watcher> = (0..20).map(|_| scenario.watcher(0)).collect();
    let event = fixture("zero-watcher/scheduled.json")?;
    let reports = futures::future::join_all(watchers.iter().map(|w| w.handle(&event))).await;
    let woke = reports
        .iter()
        .filter(|r| matches!(r, Ok(r) if outcome(r) == Effect::Done(Zero::Wake)))
        .count();
    assert_eq!(woke, 1, "{reports:#?}");
    assert_eq!(scenario.desired().await?, 1);
    let calls = moto_recorder::count("UpdateService", &needle)? - seeded;
    assert_eq!(
        calls, 1,
        "UpdateService calls for this service, as moto recorded them"
    );
    Ok(())
}

#[tokio::test]
async fn a_burst_of_sns_deliveries_to_an_awake_service_makes_no_ecs_call() -> Result<()> {
    moto_recorder::start()?;
    let scenario = scenario(1).await?;
    let watcher = scenario.watcher(0);
    let sns = fixture("zero-watcher/sns.json")?;
    assert_eq!(
        outcome(&watcher.handle(&sns).await?),
        Effect::Done(Zero::Wake)
    );
    let needle = format!("\"{}\"", scenario.service);
    let before = (
        moto_recorder::count("DescribeServices", &needle)?,
        moto_recorder::count("UpdateService", &needle)?,
    );
    for _ in 0..100 {
        let report = watcher.handle(&sns).await?;
        assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    }
    let after = (
        moto_recorder::count("DescribeServices", &needle)?,
        moto_recorder::count("UpdateService", &needle)?,
    );
    assert_eq!(
        after, before,
        "(DescribeServices, UpdateService) for this service, as moto recorded them"
    );
    Ok(())
}

/// Stores the scenario's target again, woken also by `metric`.
async fn store_activation_metric(
    scenario: &Scenario,
    metric: sluice_core::config::ActivationMetric,
) -> Result<()> {
    let store = sluice_aws::DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        scenario.table.clone(),
    );
    let mut target = sluice_core::config::Target::from_stored(
        TARGET,
        &sluice_aws::ConfigStore::list(&store, sluice_aws::ItemKind::Target).await?[0].spec,
    )
    .map_err(anyhow::Error::msg)?;
    if let Some(zero) = target.scale_to_zero.as_mut() {
        zero.metric = Some(metric);
    }
    scenario.emulators.store_targets(&store, &[target]).await
}

/// One CloudWatch dimension, as a metric's dimensions.
fn dimension(name: &str, value: &str) -> std::collections::BTreeMap<String, String> {
    [(name.to_owned(), value.to_owned())].into()
}

/// A consumer lag (its Maximum) as the activation metric, its value or (`rate`) its
/// growth a minute above `threshold`.
fn lag_metric(
    namespace: &str,
    metric: &str,
    dimensions: &std::collections::BTreeMap<String, String>,
    threshold: f64,
    rate: bool,
) -> sluice_core::config::ActivationMetric {
    sluice_core::config::ActivationMetric {
        namespace: namespace.to_owned(),
        metric: metric.to_owned(),
        dimensions: dimensions.clone(),
        statistic: "Maximum".to_owned(),
        threshold,
        rate,
    }
}

#[tokio::test]
async fn an_activation_metric_in_cloudwatch_wakes_its_target() -> Result<()> {
    let scenario = scenario(1).await?;
    let namespace = unique("Kafka");
    let dimensions = dimension("Cluster Name", "events");
    let metric = lag_metric(&namespace, "SumOffsetLag", &dimensions, 10.0, false);
    store_activation_metric(&scenario, metric).await?;
    let watcher = scenario.watcher(0);
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(
        outcome(&report),
        Effect::Unchanged,
        "no datapoint: no activity"
    );
    scenario
        .emulators
        .put_readings(&namespace, "SumOffsetLag", &dimensions, &[(0, 42.0)])
        .await?;
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(
        (outcome(&report), reason(&report)),
        (
            Effect::Done(Zero::Wake),
            "activation metric above its threshold; 1 task(s): ceil(backlog 0 / 10 per task) = 0, raised to wake_tasks 1"
        )
    );
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

/// The lag-growth form against LocalStack: a lag that grew by 200 in the last minute
/// wakes the target; a larger one that shrinks did not.
#[tokio::test]
async fn an_activation_rate_in_cloudwatch_wakes_on_growth() -> Result<()> {
    let scenario = scenario(1).await?;
    let namespace = unique("Kafka");
    let dimensions = dimension("ConsumerGroup", "engine");
    let metric = lag_metric(&namespace, "ConsumerLag", &dimensions, 100.0, true);
    store_activation_metric(&scenario, metric).await?;
    let watcher = scenario.watcher(0);
    let put = |readings: Vec<(u64, f64)>| {
        let (namespace, dimensions) = (namespace.clone(), dimensions.clone());
        let emulators = &scenario.emulators;
        async move {
            emulators
                .put_readings(&namespace, "ConsumerLag", &dimensions, &readings)
                .await
        }
    };
    put(vec![(3, 9000.0), (2, 8000.0)]).await?;
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(
        outcome(&report),
        Effect::Unchanged,
        "a large lag that shrinks"
    );
    put(vec![(1, 100.0), (0, 300.0)]).await?;
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(
        outcome(&report),
        Effect::Done(Zero::Wake),
        "{:?}",
        report.decisions
    );
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_scalable_target_is_never_fought() -> Result<()> {
    let scenario = scenario(4).await?;
    scenario.register(0, 2).await?;
    let watcher = scenario.watcher(0);
    scenario.send(1, 0).await?;
    let report = watcher
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(
        report.decisions[0].desired_after,
        Some(2),
        "wake count 4 capped at MaxCapacity 2"
    );
    assert_eq!(scenario.desired().await?, 2);

    scenario.register(1, 2).await?;
    scenario.emulators.consume(&scenario.queue_url, 1).await?;
    scenario.set_desired(1).await?;
    let report = watcher
        .handle_at(&fixture("zero-watcher/scheduled.json")?, &Later(3600), None)
        .await?;
    assert_eq!(
        reason(&report),
        "scalable target MinCapacity 1 > 0: never sleeps"
    );
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

#[tokio::test]
async fn poll_mode_wakes_within_seconds_of_a_message() -> Result<()> {
    let scenario = scenario(1).await?;
    let watcher = scenario.watcher(8);
    let event = fixture("zero-watcher/scheduled.json")?;
    let send = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        scenario.send(1, 0).await
    };
    let (report, sent) = tokio::join!(watcher.handle(&event), send);
    sent?;
    let report = report?;
    let woke = report
        .decisions
        .iter()
        .find(|d| d.outcome == Effect::Done(Zero::Wake))
        .expect("woke during the poll window");
    // A look a second; the message lands at 2.5 s: woken at the next look, or a
    // later one if a loaded machine slows the emulators.
    assert!(
        (2..=6).contains(&woke.pass),
        "woken soon after the message: {report:?}"
    );
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

/// A target woken only by its topic: UpdateService refused (throttled through the
/// SDK's three attempts) for the push fails the invocation for Lambda to retry, and
/// the next poll wakes the service. Read back from moto.
#[tokio::test]
async fn a_topic_only_target_wakes_after_one_refused_update_service() -> Result<()> {
    let scenario = scenario_with(1, |target| target.queues.clear()).await?;
    let plan = FaultPlan::new();
    plan.next("ECS.UpdateService", Fault::Throttle, 3);
    let error = scenario
        .faulty_watcher(&plan)?
        .handle(&fixture("zero-watcher/sns.json")?)
        .await
        .expect_err("the push was not carried out");
    assert_eq!(error.retry(), Retry::Retryable, "{error}");
    assert_eq!(
        plan.sent("ECS.UpdateService"),
        3,
        "the SDK retried, then gave up"
    );
    assert_eq!(scenario.desired().await?, 0, "ECS never took the wake");
    let report = scenario
        .faulty_watcher(&plan)?
        .handle(&fixture("zero-watcher/scheduler.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert_eq!(scenario.desired().await?, 1, "read back from ECS");
    Ok(())
}

/// A watcher record whose version is not a number made every conditional write fail,
/// so the target was never decided again. It is reported, replaced, and the target
/// decided; read back from DynamoDB and ECS.
#[tokio::test]
async fn a_corrupt_state_record_is_reported_and_replaced() -> Result<()> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let scenario = scenario(1).await?;
    for version in [
        AttributeValue::S("seven".into()),
        AttributeValue::Bool(true),
    ] {
        scenario
            .emulators
            .clients
            .dynamodb()
            .put_item()
            .table_name(&scenario.table)
            .item("pk", AttributeValue::S("state#zero-watcher".into()))
            .item("sk", AttributeValue::S(TARGET.into()))
            .item("version", version)
            .item("claimed", AttributeValue::S("wake".into()))
            .item("claimed_at", AttributeValue::S("not a time".into()))
            .send()
            .await?;
        scenario.set_desired(0).await?;
        scenario.send(1, 0).await?;
        let report = scenario
            .watcher(0)
            .handle(&fixture("zero-watcher/scheduler.json")?)
            .await?;
        let decision = &report.decisions[0];
        assert_eq!(decision.outcome, Effect::Done(Zero::Wake), "{decision:?}");
        assert!(
            decision.notes.iter().any(|n| n.contains("version")),
            "reported: {decision:?}"
        );
        assert_eq!(scenario.desired().await?, 1, "read back from ECS");
        let stored = scenario
            .emulators
            .clients
            .dynamodb()
            .get_item()
            .table_name(&scenario.table)
            .key("pk", AttributeValue::S("state#zero-watcher".into()))
            .key("sk", AttributeValue::S(TARGET.into()))
            .send()
            .await?;
        let version = stored.item().and_then(|i| i.get("version")).cloned();
        assert!(
            matches!(version, Some(AttributeValue::N(_))),
            "replaced with a numeric version: {version:?}"
        );
    }
    Ok(())
}

/// The claim's answer is lost once: the write took effect, the SDK sends it again, and
/// the retry must recognise its own write rather than lose to it. Woken in the same
/// invocation, read back from ECS.
#[tokio::test]
async fn a_claim_whose_answer_was_lost_is_recognised_by_its_retry() -> Result<()> {
    let scenario = scenario(1).await?;
    scenario.send(1, 0).await?;
    let plan = FaultPlan::new();
    plan.next("DynamoDB.PutItem", Fault::ResponseLost, 1);
    let report = scenario
        .faulty_watcher(&plan)?
        .handle(&fixture("zero-watcher/scheduler.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert_eq!(plan.faulted("DynamoDB.PutItem"), 1);
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

/// Never stop busy work: a worker that protects its task around a job (ECS task
/// scale-in protection, UpdateTaskProtection) keeps an idle service from sleeping;
/// once it lifts the protection, the next look sleeps it. Protection is read with
/// ListTasks and GetTaskProtection through the real SDK (moto has no task protection:
/// infra/moto_server.py adds it).
#[tokio::test]
async fn a_protected_task_blocks_the_sleep_until_its_job_is_done() -> Result<()> {
    let scenario = scenario(1).await?;
    scenario.set_desired(1).await?;
    let task = scenario
        .emulators
        .run_worker_task(&scenario.cluster)
        .await?;
    scenario
        .emulators
        .protect_task(&scenario.cluster, &task, true)
        .await?;
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    watcher.handle(&event).await?;
    let report = watcher.handle_at(&event, &Later(10 * 60), None).await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    assert!(
        reason(&report).starts_with("blocked: 1 task(s) protected"),
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 1, "read back from ECS");

    scenario
        .emulators
        .protect_task(&scenario.cluster, &task, false)
        .await?;
    let report = watcher.handle_at(&event, &Later(11 * 60), None).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Sleep), "{report:?}");
    assert_eq!(scenario.desired().await?, 0);
    Ok(())
}

/// A 400-message burst at 50 messages per task wakes 8 tasks in one UpdateService
/// (counted by moto's recorder), not 1 followed by minutes of target tracking.
#[tokio::test]
async fn a_burst_wakes_to_what_the_backlog_needs_in_one_update() -> Result<()> {
    moto_recorder::start()?;
    let scenario = scenario_with(1, |target| target.backlog_per_task = 50.0).await?;
    scenario.send(400, 0).await?;
    let updates =
        || moto_recorder::count_any(&["UpdateService"], &[&format!("\"{}\"", scenario.service)]);
    let seeded = updates()?;
    let report = scenario
        .watcher(0)
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert!(
        reason(&report).ends_with("8 task(s): ceil(backlog 400 / 50 per task) = 8"),
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 8);
    assert_eq!(updates()? - seeded, 1, "one UpdateService");
    Ok(())
}

/// A sleeping service holds no message: messages a read shows in flight (SQS's counts
/// may lag the sleep by a minute; a stopped task's message waits out its visibility
/// timeout) are no one's to receive, so they wake nothing; visible ones wake it, sized
/// on what a woken task can receive. Counts as moto returns them, desired read back.
#[tokio::test]
async fn messages_in_flight_wake_no_sleeping_service() -> Result<()> {
    let scenario = scenario_with(1, |target| target.backlog_per_task = 2.0).await?;
    scenario.send(3, 0).await?;
    let taken = scenario
        .emulators
        .take_in_flight(&scenario.queue_url, 3)
        .await?;
    assert_eq!(taken, 3, "received, not deleted");
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    let report = watcher.handle(&event).await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    assert_eq!(scenario.desired().await?, 0, "read back from ECS");

    scenario.send(5, 0).await?;
    let report = watcher.handle(&event).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    let reason = reason(&report);
    assert!(
        reason.ends_with("3 task(s): ceil(backlog 5 / 2 per task) = 3"),
        "the 5 visible, not the 8 in the queue: {reason}"
    );
    assert_eq!(scenario.desired().await?, 3);
    Ok(())
}

/// A sleeping service whose latency goal leaves room beyond its start-up puts the
/// wake off, so jobs that come meanwhile share one start-up. Against the emulators: a
/// job on a target with a 5-minute goal whose tasks start in 90 s (the publisher's
/// record in DynamoDB): the first look leaves it at 0 and keeps when it saw the work
/// (read back from DynamoDB); a look once the room is spent wakes it (read back from
/// ECS).
#[tokio::test]
async fn a_wake_waits_the_room_its_latency_goal_leaves() -> Result<()> {
    use sluice_aws::{RateRecords, WatchStates};
    use sluice_core::capacity::Rates;
    let scenario = scenario_with(1, |target| {
        target.backlog_per_task = 4.0;
        target.latency_goal_seconds = Some(300);
    })
    .await?;
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let rates = Rates {
        start_up: Some(90.0),
        ..Rates::default()
    };
    store.save_rates(TARGET, &rates).await?;
    scenario.send(1, 0).await?;
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    let report = watcher.handle(&event).await?;
    assert_eq!(outcome(&report), Effect::Unchanged, "{report:?}");
    assert!(
        reason(&report).ends_with("of the 105s its latency goal leaves before a wake"),
        "300 - 1.5 x 90 - 60: {report:?}"
    );
    assert_eq!(scenario.desired().await?, 0, "read back from ECS");
    let stored = store.load_all().await?;
    let since = stored.get(TARGET).and_then(|s| s.value.waiting_since);
    assert!(since.is_some(), "kept in DynamoDB: {stored:?}");

    let report = watcher.handle_at(&event, &Later(120), None).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

/// A message on a priority queue wakes a target whose activation threshold the
/// ordinary backlog does not reach.
#[tokio::test]
async fn a_priority_message_wakes_past_a_high_threshold() -> Result<()> {
    let urgent = unique("urgent");
    let scenario = scenario_with(1, |target| {
        if let Some(zero) = target.scale_to_zero.as_mut() {
            zero.activation_backlog = 100;
        }
        target.queues.push(sluice_core::config::Queue {
            priority: true,
            ..sluice_core::config::Queue::new(urgent.clone())
        });
    })
    .await?;
    let urgent_url = scenario.emulators.create_queue(&urgent).await?;
    scenario.send(50, 0).await?;
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    let report = watcher.handle(&event).await?;
    assert_eq!(
        outcome(&report),
        Effect::Unchanged,
        "50 is below 100: {report:?}"
    );
    scenario.emulators.send_messages(&urgent_url, 1, 0).await?;
    let report = watcher.handle(&event).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    assert!(
        reason(&report).starts_with("1 message(s) on a priority queue"),
        "{report:?}"
    );
    assert_eq!(
        scenario.desired().await?,
        6,
        "sized: 51 messages at 10 a task"
    );
    Ok(())
}

/// A trickle: one job every 3 (simulated) minutes, received and deleted between two
/// looks, so every look finds the queue empty. SQS's own NumberOfMessagesReceived
/// (written to LocalStack here as SQS would publish it) restarts the idle clock, and
/// the service with idle_minutes 5 is never slept; once the trickle stops it is.
#[tokio::test]
async fn a_trickle_between_looks_never_sleeps_the_service() -> Result<()> {
    let scenario = scenario(1).await?;
    scenario.set_desired(1).await?;
    let queue = scenario
        .queue_url
        .rsplit('/')
        .next()
        .context("queue name")?
        .to_owned();
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    let now = SystemClock.now() / 60 * 60;
    // Jobs received 9, 6 and 3 minutes ago, and one at this minute.
    let received: Vec<(i64, f64)> = [9, 6, 3, 0].iter().map(|m| (now - m * 60, 1.0)).collect();
    scenario
        .emulators
        .put_points(
            "AWS/SQS",
            "NumberOfMessagesReceived",
            &[("QueueName".to_owned(), queue.clone())].into(),
            &received,
        )
        .await?;
    let state_idle_long = watcher.handle_at(&event, &Later(-3600), None).await?;
    assert_eq!(outcome(&state_idle_long), Effect::Unchanged);
    let report = watcher.handle(&event).await?;
    assert_eq!(
        outcome(&report),
        Effect::Unchanged,
        "an hour without a visible message, but work a minute ago: {report:?}"
    );
    assert_eq!(scenario.desired().await?, 1);
    let report = watcher.handle_at(&event, &Later(6 * 60), None).await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Sleep), "{report:?}");
    Ok(())
}

#[tokio::test]
async fn a_wakes_latency_and_start_up_are_measured() -> Result<()> {
    let scenario = scenario(1).await?;
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    let quiet = watcher.handle(&event).await?;
    assert_eq!(outcome(&quiet), Effect::Unchanged);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    scenario.send(1, 0).await?;
    let woke = watcher.handle(&event).await?;
    let latency = woke.decisions[0].wake_latency_seconds;
    assert_eq!(outcome(&woke), Effect::Done(Zero::Wake), "{woke:?}");
    assert!(
        matches!(latency, Some(2..=4)),
        "from the quiet look 2 s before: {latency:?}"
    );
    // moto runs the new task at once: the next look ends the start-up.
    let started = watcher.handle(&event).await?;
    let start = started.decisions[0].start_latency_seconds;
    assert!(matches!(start, Some(0..=2)), "{started:?}");
    let again = watcher.handle(&event).await?;
    assert_eq!(
        again.decisions[0].start_latency_seconds, None,
        "measured once"
    );
    // Kept once in DynamoDB for the prescaler's `lead: auto`.
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let kept = store.start_ups().await?;
    let seconds: Vec<i64> = kept[TARGET].0.iter().map(|s| s.seconds).collect();
    assert_eq!(seconds, vec![start.unwrap_or(-1)], "{kept:?}");
    Ok(())
}

/// A wake's start-up is measured at the poll that first sees its task running, against
/// the emulators: moto runs the new task at once, so the poll a second after the wake
/// measures it (the minute's next look would have made it a minute), kept in DynamoDB.
#[tokio::test]
async fn a_wakes_start_up_is_measured_at_a_poll() -> Result<()> {
    let scenario = scenario(1).await?;
    scenario.send(1, 0).await?;
    let report = scenario
        .watcher(3)
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    assert_eq!(outcome(&report), Effect::Done(Zero::Wake), "{report:?}");
    let started = report
        .decisions
        .iter()
        .find(|d| d.start_latency_seconds.is_some())
        .context("the start-up measured")?;
    assert!(started.pass > 0, "at a poll: {report:?}");
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let kept = store.start_ups().await?;
    let seconds: Vec<i64> = kept[TARGET].0.iter().map(|s| s.seconds).collect();
    assert_eq!(seconds, vec![started.start_latency_seconds.unwrap_or(-1)]);
    assert!(matches!(seconds[..], [0..=3]), "{seconds:?}");
    Ok(())
}

/// The watcher's own raise is measured at a poll, against the emulators: a burst on an
/// awake service is raised by the first look, moto runs the new tasks at once, the
/// next poll sees them all running; the start-up is kept in DynamoDB and the raise
/// forgotten in the memory of the need (both read back).
#[tokio::test]
async fn a_raises_start_up_is_measured_at_a_poll() -> Result<()> {
    use zero_watcher::watch::control::{ControlEffect, Resize};
    let scenario = scenario(1).await?;
    scenario.awake_at_one_task().await?;
    scenario.send(1000, 0).await?;
    let report = scenario
        .watcher(3)
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    let raised = report
        .capacity
        .iter()
        .find(|c| c.outcome == ControlEffect::Done(Resize::Raise))
        .context("a raise")?;
    assert_eq!(raised.pass, 0, "{report:?}");
    assert_eq!(scenario.desired().await?, 10);
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let kept = store.start_ups().await?;
    let samples = &kept.get(TARGET).context("a start-up kept")?.0;
    assert!(
        matches!(samples[..], [one] if (0..=3).contains(&one.seconds)),
        "one, measured at a poll a second or so on: {samples:?}"
    );
    let memories = store.memories(SystemClock.now()).await?;
    let memory = memories.get(TARGET).context("the memory of the need")?;
    assert_eq!(memory.starting, None, "{memory:?}");
    Ok(())
}

/// The fast path against the emulators: an awake service under the load model (its
/// scalable target registered, as `sluicectl apply` leaves it) meets a 1000-message
/// burst with one UpdateService, counted at moto, to what the backlog needs within
/// MaxCapacity; the next look changes nothing.
#[tokio::test]
async fn a_burst_on_an_awake_service_is_met_in_one_update_service() -> Result<()> {
    moto_recorder::start()?;
    let scenario = scenario(1).await?;
    scenario.awake_at_one_task().await?;
    scenario.send(1000, 0).await?;
    let needle = format!("\"{}\"", scenario.service);
    let seeded = moto_recorder::count("UpdateService", &needle)?;
    let watcher = scenario.watcher(0);
    let event = fixture("zero-watcher/scheduled.json")?;
    let report = watcher.handle(&event).await?;
    let raised = report
        .capacity
        .iter()
        .find(|c| c.target == TARGET)
        .context("a capacity decision")?;
    assert_eq!(
        raised.outcome,
        zero_watcher::watch::control::ControlEffect::Done(
            zero_watcher::watch::control::Resize::Raise
        ),
        "{report:?}"
    );
    assert_eq!(
        scenario.desired().await?,
        10,
        "1000 at 10 a task, capped at 10"
    );
    let again = watcher.handle(&event).await?;
    assert_eq!(
        again.capacity[0].outcome,
        zero_watcher::watch::control::ControlEffect::Unchanged
    );
    assert_eq!(
        moto_recorder::count("UpdateService", &needle)? - seeded,
        1,
        "one UpdateService for the burst, as moto recorded them"
    );
    Ok(())
}

/// A poll's raise starts the give-back window again, against the emulators: the
/// first look finds an awake service's queue empty (the need below desired, kept in
/// DynamoDB as "below since"), a burst arrives between looks, a poll raises, and the
/// memory read back from DynamoDB says the need is not below desired. Kept as the
/// first look left it, the next minute's look, on SQS's counts minutes late, would
/// give the new tasks back at once.
#[tokio::test]
async fn a_raise_between_looks_starts_the_give_back_window_again() -> Result<()> {
    let scenario = scenario(1).await?;
    scenario.awake_at_one_task().await?;
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let burst = {
        let (store, queue_url) = (store.clone(), scenario.queue_url.clone());
        // Once the first look has kept its memory: the polls come after it.
        tokio::spawn(async move {
            let emulators = Emulators::connect().await?;
            for _ in 0..100 {
                let kept = store.memories(SystemClock.now()).await?;
                if kept.get(TARGET).is_some_and(|m| m.below_since.is_some()) {
                    return emulators.send_messages(&queue_url, 100, 0).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            anyhow::bail!("the first look kept no memory of a need below desired")
        })
    };
    let report = scenario
        .watcher(8)
        .handle(&fixture("zero-watcher/scheduled.json")?)
        .await?;
    burst.await??;
    let raised = report
        .capacity
        .iter()
        .find(|c| {
            c.outcome
                == zero_watcher::watch::control::ControlEffect::Done(
                    zero_watcher::watch::control::Resize::Raise,
                )
        })
        .context("a raise")?;
    assert!(raised.pass > 0, "raised by a poll: {report:?}");
    assert_eq!(scenario.desired().await?, 10, "100 at 10 a task");
    let kept = store.memories(SystemClock.now()).await?;
    let memory = kept.get(TARGET).context("the memory of the need")?;
    assert_eq!(memory.below_since, None, "{memory:?}");
    // The messages land in batches of ten: a poll may raise on 96 of them (9.6 tasks).
    assert!(
        memory
            .needs
            .iter()
            .any(|(_, need)| (need - 1e-6).ceil() >= 10.0),
        "the last raise's need is in the window: {memory:?}"
    );
    Ok(())
}

/// The publisher's record as the watcher finds it: SQS's counts show nothing arriving,
/// the tasks do 10 a minute, its newest look `age` seconds before `clock`'s now.
async fn store_rates(store: &DynamoStore, clock: &dyn Clock, age: i64) -> Result<()> {
    use sluice_aws::RateRecords;
    use sluice_core::capacity::{Look, Rates};
    let rates = Rates {
        service: Some(10.0),
        samples: 5,
        arrival: Some(0.0),
        looks: vec![Look {
            at: clock.now() - age,
            waiting: 0.0,
            in_flight: 0.0,
            running: 4,
            desired: 4,
        }],
        ..Rates::default()
    };
    store.save_rates(TARGET, &rates).await?;
    Ok(())
}

/// A give-back waits for the publisher's next record, against the emulators: a
/// service at 4 tasks with nothing to do, the need below desired for five minutes (its
/// memory kept in DynamoDB by an earlier look); the record the first look reads is 55 s
/// old, so that look holds, and the poll once the next record is due gives back, on
/// that record (read back at moto: desired 1, set by a poll, not the first look).
#[tokio::test]
async fn a_give_back_waits_for_the_publishers_next_record() -> Result<()> {
    use zero_watcher::watch::control::{ControlEffect, Resize};
    // Not scaled to zero: idle, it would be slept, not given back to.
    let scenario = scenario_with(1, |t| t.scale_to_zero = None).await?;
    scenario.register(0, 10).await?;
    scenario.set_desired(4).await?;
    let store = DynamoStore::new(
        scenario.emulators.clients.dynamodb().clone(),
        &scenario.table,
    );
    let event = fixture("zero-watcher/scheduled.json")?;
    store_rates(&store, &SystemClock, 0).await?;
    let first = scenario.watcher(0).handle(&event).await?;
    assert_eq!(
        first.capacity[0].outcome,
        ControlEffect::Unchanged,
        "{first:?}"
    );
    let later = Later(300);
    store_rates(&store, &later, 55).await?;
    let next = {
        let store = store.clone();
        // The publisher's next run, 8 s on: its record is fresh.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(8)).await;
            store_rates(&store, &Later(300), 0).await
        })
    };
    let report = scenario.watcher(15).handle_at(&event, &later, None).await?;
    next.await??;
    let looks: Vec<(u32, ControlEffect, &str)> = report
        .capacity
        .iter()
        .map(|c| (c.pass, c.outcome, c.reason.as_str()))
        .collect();
    let (pass, effect, reason) = looks[0];
    assert_eq!((pass, effect), (0, ControlEffect::Unchanged), "{looks:?}");
    // Due 10 s on; a second may pass between storing the record and the look.
    assert!(
        reason.contains("on the publisher's next record, due in"),
        "{reason}"
    );
    let lowered = looks
        .iter()
        .find(|(_, effect, _)| *effect == ControlEffect::Done(Resize::Lower))
        .context("a give-back once the record was due")?;
    // Polls are a second apart plus their own work, so which one is due varies (9 or 10
    // in CI); what the rule decides is that it is a poll, not the first look.
    assert!(
        lowered.0 > 0,
        "by a poll once the record was due: {looks:?}"
    );
    assert_eq!(scenario.desired().await?, 1, "read back at moto");
    Ok(())
}

/// The idle clock knows about start-up, against the emulators: a service whose tasks
/// moto still holds pending (2 desired, none running) is not slept an hour later.
#[tokio::test]
async fn idle_time_does_not_count_while_tasks_start() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let OneService {
        table,
        store,
        cluster,
        queue,
        ..
    } = emulators.one_service("starting", 0).await?;
    let service = unique("loading-svc");
    emulators.create_service(&cluster, &service, 2).await?;
    let target = Target::new(TARGET, &cluster, &service)
        .with_queues([queue])
        .with_capacity(0, 10)
        .with_backlog_per_task(10.0)
        .with_scale_to_zero(ScaleToZero::default());
    emulators.store_targets(&store, &[target]).await?;
    let settings = Settings {
        common: Common {
            namespace: "SluiceE2E".to_owned(),
            concurrency: 8,
            ..Common::for_table(&table)
        },
        dry_run: false,
        poll_interval_seconds: 1,
        poll_window_seconds: 0,
        account: Some(MOTO_ACCOUNT.to_owned()),
    };
    let watcher = Watcher::new(&emulators.clients, settings);
    let event = fixture("zero-watcher/scheduled.json")?;
    watcher.handle(&event).await?;
    let report = watcher.handle_at(&event, &Later(3600), None).await?;
    assert_eq!(
        reason(&report),
        "starting: 0 of 2 task(s) running; the idle clock waits",
        "{report:?}"
    );
    assert_eq!(emulators.desired_count(&cluster, &service).await?, 2);
    Ok(())
}
