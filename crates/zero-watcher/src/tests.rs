//! The watcher over in-memory fakes with an injected clock: what it reads, claims and
//! changes, including when reads fail and invocations race. The same paths run
//! against the emulators in tests/zero_watcher.rs.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use sluice_aws::{
    AwsError, ConfigStore, EmfLog, ErrorKind, ItemKind, MetricReader, QueueDepths, ScalableTargets,
    ServiceCounts, ServiceResult, ServiceScaler, StoredItem, Versioned, WatchStates,
};
use sluice_core::config::{Capacity, ScaleToZero, Target};
use sluice_core::facts::ScalableBounds;
use sluice_core::facts::{MetricQuery, QueueDepth, TaskCounts};
use sluice_core::zero::WatchState;

use crate::settings::Settings;
use crate::watch::{Clock, Outcome, Ports, WatchError, watch};

const T0: i64 = 1_800_000_000;
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:gold-requests";

#[derive(Default)]
struct Fakes {
    targets: Vec<StoredItem>,
    backlog: Mutex<BTreeMap<String, QueueDepth>>,
    desired: Mutex<BTreeMap<String, u32>>,
    bounds: BTreeMap<String, ScalableBounds>,
    states: Mutex<BTreeMap<String, Versioned<WatchState>>>,
    sqs_fails: bool,
    /// Make the next N saves lose, as if another invocation wrote first.
    lose_saves: Mutex<usize>,
    ecs_reads: Mutex<usize>,
    ecs_writes: Mutex<Vec<(String, u32)>>,
    saves: Mutex<usize>,
    now: AtomicI64,
    emf: Mutex<Vec<String>>,
    metric_value: Mutex<Option<f64>>,
    metric_reads: Mutex<usize>,
}

#[async_trait]
impl ConfigStore for Fakes {
    async fn list(&self, _: ItemKind) -> Result<Vec<StoredItem>, AwsError> {
        Ok(self.targets.clone())
    }
    async fn put(&self, _: ItemKind, _: &str, _: &str) -> Result<bool, AwsError> {
        unreachable!()
    }
    async fn delete(&self, _: ItemKind, _: &str) -> Result<(), AwsError> {
        unreachable!()
    }
}

#[async_trait]
impl WatchStates for Fakes {
    async fn load_all(&self) -> Result<BTreeMap<String, Versioned<WatchState>>, AwsError> {
        Ok(self.states.lock().unwrap().clone())
    }
    async fn save(
        &self,
        target: &str,
        state: &WatchState,
        expected: u64,
        _: &str,
    ) -> Result<bool, AwsError> {
        *self.saves.lock().unwrap() += 1;
        let mut lose = self.lose_saves.lock().unwrap();
        if *lose > 0 {
            *lose -= 1;
            return Ok(false);
        }
        let mut states = self.states.lock().unwrap();
        let current = states.get(target).map(|v| v.version).unwrap_or(0);
        if current != expected {
            return Ok(false);
        }
        states.insert(
            target.to_owned(),
            Versioned {
                value: *state,
                version: expected + 1,
            },
        );
        Ok(true)
    }
}

#[async_trait]
impl QueueDepths for Fakes {
    async fn queue_depth(&self, queue: &str) -> Result<QueueDepth, AwsError> {
        if self.sqs_fails {
            return Err(AwsError::new(
                "SQS.GetQueueAttributes",
                ErrorKind::Throttled,
                "Rate exceeded",
            ));
        }
        Ok(self
            .backlog
            .lock()
            .unwrap()
            .get(queue)
            .copied()
            .unwrap_or_default())
    }
}

#[async_trait]
impl ServiceCounts for Fakes {
    async fn task_counts(
        &self,
        _: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ServiceResult>, AwsError> {
        *self.ecs_reads.lock().unwrap() += 1;
        let desired = self.desired.lock().unwrap();
        Ok(services
            .iter()
            .map(|s| {
                let d = desired.get(s).copied().ok_or_else(|| "MISSING".to_owned());
                (
                    s.clone(),
                    d.map(|d| TaskCounts {
                        running: d,
                        pending: 0,
                        desired: d,
                    }),
                )
            })
            .collect())
    }
}

#[async_trait]
impl ServiceScaler for Fakes {
    async fn set_desired(&self, _: &str, service: &str, desired: u32) -> Result<(), AwsError> {
        self.ecs_writes
            .lock()
            .unwrap()
            .push((service.to_owned(), desired));
        self.desired
            .lock()
            .unwrap()
            .insert(service.to_owned(), desired);
        Ok(())
    }
}

#[async_trait]
impl ScalableTargets for Fakes {
    async fn bounds(&self, ids: &[String]) -> Result<BTreeMap<String, ScalableBounds>, AwsError> {
        Ok(ids
            .iter()
            .filter_map(|id| self.bounds.get(id).map(|b| (id.clone(), *b)))
            .collect())
    }
    async fn set_min_capacity(&self, _: &str, _: u32) -> Result<(), AwsError> {
        unreachable!("the watcher never changes scalable targets")
    }
}

#[async_trait]
impl MetricReader for Fakes {
    async fn latest(&self, queries: &[MetricQuery], _: u32) -> Result<Vec<Option<f64>>, AwsError> {
        *self.metric_reads.lock().unwrap() += 1;
        let value = *self.metric_value.lock().unwrap();
        Ok(queries
            .iter()
            .map(|q| (q.metric == "SumOffsetLag").then_some(value).flatten())
            .collect())
    }
}

impl EmfLog for Fakes {
    fn emit(&self, line: &str) {
        self.emf.lock().unwrap().push(line.to_owned());
    }
}

impl Clock for Fakes {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

impl Fakes {
    fn new() -> Self {
        let fakes = Fakes::default().with_target("gold", 1, false);
        fakes.now.store(T0, Ordering::SeqCst);
        fakes
    }

    /// The first target also wakes on `SumOffsetLag` above `threshold`.
    fn with_activation_metric(mut self, threshold: f64) -> Self {
        let mut target: Target = serde_json::from_str(&self.targets[0].spec).unwrap();
        if let Some(zero) = target.scale_to_zero.as_mut() {
            zero.metric = Some(sluice_core::config::ActivationMetric {
                namespace: "AWS/Kafka".into(),
                metric: "SumOffsetLag".into(),
                dimensions: BTreeMap::new(),
                statistic: "Maximum".into(),
                threshold,
            });
        }
        self.targets[0].spec = serde_json::to_string(&target).unwrap();
        self
    }

    fn with_target(mut self, name: &str, wake_tasks: u32, paused: bool) -> Self {
        let target = Target {
            name: name.to_owned(),
            cluster: "cluster".to_owned(),
            service: format!("{name}-svc"),
            queues: vec![format!("{name}-q")],
            capacity: Capacity { min: 0, max: 10 },
            backlog_per_task: 10.0,
            gpu: None,
            scale_to_zero: Some(ScaleToZero {
                idle_minutes: 5,
                wake_tasks,
                activation_backlog: 0,
                topics: vec![TOPIC.to_owned()],
                alarms: vec!["gold-backlog".to_owned()],
                metric: None,
            }),
            profile: None,
            paused,
            forecast_only: false,
        };
        self.targets.retain(|t| t.name != name);
        self.targets.push(StoredItem {
            name: name.to_owned(),
            spec: serde_json::to_string(&target).unwrap(),
        });
        self.desired
            .lock()
            .unwrap()
            .insert(format!("{name}-svc"), 0);
        self
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            store: self,
            states: self,
            queues: self,
            services: self,
            scaler: self,
            autoscaling: self,
            metrics: self,
            emf: self,
            clock: self,
        }
    }

    fn set_backlog(&self, queue: &str, visible: u64, in_flight: u64) {
        self.backlog.lock().unwrap().insert(
            queue.to_owned(),
            QueueDepth {
                visible,
                in_flight,
                delayed: 0,
            },
        );
    }

    fn advance(&self, seconds: i64) {
        self.now.fetch_add(seconds, Ordering::SeqCst);
    }

    fn writes(&self) -> Vec<(String, u32)> {
        self.ecs_writes.lock().unwrap().clone()
    }
}

fn settings() -> Settings {
    Settings {
        table: "t".to_owned(),
        namespace: "Sluice".to_owned(),
        dry_run: false,
        poll_interval_seconds: 1,
        poll_window_seconds: 0,
        concurrency: 4,
    }
}

fn poll() -> Value {
    json!({"source": "sluice.scheduler"})
}

fn sns() -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:sub",
        "Sns": {"Type": "Notification", "MessageId": "m", "TopicArn": TOPIC, "Message": "{}",
                "Timestamp": "2026-11-24T08:00:00.000Z", "SignatureVersion": "1", "Signature": "x",
                "SigningCertUrl": "https://x", "UnsubscribeUrl": "https://x", "MessageAttributes": {}}
    }]})
}

#[tokio::test]
async fn wakes_on_backlog_then_sleeps_after_the_idle_window() {
    let fakes = Fakes::new();
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        report.decisions[0].outcome,
        Outcome::Stayed,
        "asleep and nothing waiting"
    );

    fakes.set_backlog("gold-q", 2, 0);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(report.decisions[0].outcome, Outcome::Woke);
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 1)]);

    // Work picked up: in flight only still counts as busy.
    fakes.advance(60);
    fakes.set_backlog("gold-q", 0, 2);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        (
            report.decisions[0].outcome,
            report.decisions[0].reason.as_str()
        ),
        (Outcome::Stayed, "busy: backlog 2")
    );

    fakes.set_backlog("gold-q", 0, 0);
    fakes.advance(4 * 60);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        report.decisions[0].reason, "idle for 240s of 300s",
        "one minute short"
    );
    fakes.advance(60);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(report.decisions[0].outcome, Outcome::Slept);
    assert_eq!(
        fakes.writes(),
        vec![("gold-svc".to_owned(), 1), ("gold-svc".to_owned(), 0)]
    );
    // One EMF decision count per decision.
    assert_eq!(fakes.emf.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn a_failed_read_changes_nothing() {
    let mut fakes = Fakes::new();
    fakes.desired.lock().unwrap().insert("gold-svc".into(), 1);
    fakes.states.lock().unwrap().insert(
        "gold".into(),
        Versioned {
            value: WatchState {
                last_activity: Some(T0 - 3600),
                claimed: None,
                observed: None,
            },
            version: 4,
        },
    );
    fakes.sqs_fails = true;
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    let decision = &report.decisions[0];
    assert_eq!(decision.outcome, Outcome::Skipped);
    assert!(
        decision
            .reason
            .contains("not decided, nothing changed: SQS.GetQueueAttributes failed (Throttled)"),
        "{decision:?}"
    );
    assert!(
        fakes.writes().is_empty(),
        "never scale to zero on a failed read"
    );
    assert_eq!(*fakes.saves.lock().unwrap(), 0);
    assert_eq!(fakes.states.lock().unwrap()["gold"].version, 4);
}

#[tokio::test]
async fn a_burst_of_sns_to_an_awake_service_makes_no_ecs_call() {
    let fakes = Fakes::new();
    let first = watch(&sns(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(first.decisions[0].outcome, Outcome::Woke);
    let reads_after_wake = *fakes.ecs_reads.lock().unwrap();
    for _ in 0..100 {
        fakes.advance(1);
        let report = watch(&sns(), &settings(), &fakes.ports()).await.unwrap();
        assert_eq!(report.decisions[0].outcome, Outcome::Stayed);
    }
    assert_eq!(
        *fakes.ecs_reads.lock().unwrap(),
        reads_after_wake,
        "no DescribeServices"
    );
    assert_eq!(fakes.writes().len(), 1, "no UpdateService after the wake");
    // The pushes kept the idle clock at the last one.
    assert_eq!(
        fakes.states.lock().unwrap()["gold"].value.last_activity,
        Some(T0 + 100)
    );
}

#[tokio::test]
async fn a_lost_claim_never_acts_twice() {
    let fakes = Fakes::new();
    fakes.set_backlog("gold-q", 5, 0);
    // Another invocation claimed the wake first: it wrote the state and scaled.
    *fakes.lose_saves.lock().unwrap() = 1;
    fakes.states.lock().unwrap().insert(
        "gold".into(),
        Versioned {
            value: WatchState {
                last_activity: Some(T0),
                claimed: Some((sluice_core::zero::Transition::Wake, T0)),
                observed: Some((1, T0)),
            },
            version: 1,
        },
    );
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        report.decisions[0].reason,
        "wake already claimed by another invocation"
    );
    assert!(fakes.writes().is_empty());
}

#[tokio::test]
async fn aas_bounds_are_respected() {
    let mut fakes = Fakes::new().with_target("gold", 4, false);
    fakes.bounds.insert(
        "service/cluster/gold-svc".into(),
        ScalableBounds { min: 0, max: 2 },
    );
    fakes.set_backlog("gold-q", 1, 0);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        report.decisions[0].desired_after,
        Some(2),
        "wake count 4 capped at MaxCapacity 2"
    );
    fakes.bounds.insert(
        "service/cluster/gold-svc".into(),
        ScalableBounds { min: 1, max: 2 },
    );
    fakes.desired.lock().unwrap().insert("gold-svc".into(), 1);
    fakes.set_backlog("gold-q", 0, 0);
    fakes.advance(3600);
    let report = watch(
        &json!({"action": "sleep", "target": "gold"}),
        &settings(),
        &fakes.ports(),
    )
    .await
    .unwrap();
    assert_eq!(
        report.decisions[0].reason,
        "scalable target MinCapacity 1 > 0: never sleeps"
    );
    assert_eq!(fakes.writes().len(), 1);
}

#[tokio::test]
async fn dry_run_decides_and_changes_nothing() {
    let fakes = Fakes::new();
    fakes.set_backlog("gold-q", 3, 0);
    let mut dry = settings();
    dry.dry_run = true;
    let report = watch(&poll(), &dry, &fakes.ports()).await.unwrap();
    assert!(report.dry_run);
    assert_eq!(
        (
            report.decisions[0].outcome,
            report.decisions[0].desired_after
        ),
        (Outcome::WouldWake, Some(1))
    );
    assert!(fakes.writes().is_empty());
    assert_eq!(*fakes.saves.lock().unwrap(), 0);
}

#[tokio::test]
async fn paused_targets_are_skipped() {
    let fakes = Fakes::new().with_target("gold", 1, true);
    fakes.set_backlog("gold-q", 3, 0);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        (
            report.decisions[0].outcome,
            report.decisions[0].reason.as_str()
        ),
        (Outcome::Skipped, "paused")
    );
    assert!(fakes.writes().is_empty());
}

#[tokio::test]
async fn events_for_nobody_change_nothing() {
    let fakes = Fakes::new();
    let mut foreign = sns();
    foreign["Records"][0]["Sns"]["TopicArn"] =
        json!("arn:aws:sns:us-east-1:123456789012:someone-else");
    let report = watch(&foreign, &settings(), &fakes.ports()).await.unwrap();
    assert!(report.decisions.is_empty());
    assert_eq!(
        report.skipped_events,
        vec![
            "SNS topic arn:aws:sns:us-east-1:123456789012:someone-else: no target lists it in scale_to_zero.topics"
        ]
    );

    let ok_alarm = json!({"alarmData": {"alarmName": "gold-backlog", "state": {"value": "OK"}}});
    let report = watch(&ok_alarm, &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        report.skipped_events,
        vec!["alarm gold-backlog is OK: only ALARM wakes"]
    );

    let error = watch(
        &json!({"action": "wake", "target": "nope"}),
        &settings(),
        &fakes.ports(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, WatchError::UnknownTarget { .. }));
    assert_eq!(
        error.to_string(),
        "unknown target \"nope\"; targets with scale_to_zero: gold"
    );
    let error = watch(&json!({"nonsense": true}), &settings(), &fakes.ports())
        .await
        .unwrap_err();
    assert!(matches!(error, WatchError::BadEvent(_)));
    assert!(fakes.writes().is_empty());
    assert_eq!(*fakes.saves.lock().unwrap(), 0);
}

#[tokio::test]
async fn an_alarm_wakes_its_target() {
    let fakes = Fakes::new();
    let alarm = json!({"alarmData": {"alarmName": "gold-backlog", "state": {"value": "ALARM"}}});
    let report = watch(&alarm, &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        (
            report.decisions[0].outcome,
            report.decisions[0].reason.as_str()
        ),
        (Outcome::Woke, "alarm gold-backlog in ALARM")
    );
}

/// Real time, short intervals: no paused clock, because tokio's test-util feature
/// would change tokio's features for the test build only and make `cargo lambda
/// watch` rebuild every AWS crate.
#[tokio::test]
async fn poll_mode_wakes_within_the_interval() {
    let fakes = Fakes::new();
    let mut polling = settings();
    polling.poll_interval_seconds = 1;
    polling.poll_window_seconds = 6;
    let ports = fakes.ports();
    let event = poll();
    let run = watch(&event, &polling, &ports);
    let arrive = async {
        tokio::time::sleep(std::time::Duration::from_millis(2400)).await;
        fakes.set_backlog("gold-q", 1, 0);
    };
    let (report, ()) = futures::join!(run, arrive);
    let report = report.unwrap();
    let woke = report
        .decisions
        .iter()
        .find(|d| d.outcome == Outcome::Woke)
        .expect("woke");
    // Looks at about 1, 2, 3 s: the message (2.4 s) is seen at the next look, or the
    // one after if a loaded machine delays the timers.
    assert!((2..=4).contains(&woke.pass), "woken at look {}", woke.pass);
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 1)]);
    assert_eq!(
        report.passes,
        woke.pass + 1,
        "stops polling once nothing sleeps"
    );
}

#[tokio::test]
async fn an_activation_metric_above_its_threshold_wakes_and_keeps_awake() {
    let fakes = Fakes::new().with_activation_metric(100.0);
    *fakes.metric_value.lock().unwrap() = Some(100.0);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        report.decisions[0].outcome,
        Outcome::Stayed,
        "at the threshold is not above it"
    );
    *fakes.metric_value.lock().unwrap() = Some(250.0);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        (
            report.decisions[0].outcome,
            report.decisions[0].reason.as_str()
        ),
        (Outcome::Woke, "activation metric above its threshold")
    );
    fakes.advance(3600);
    let report = watch(&poll(), &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        (
            report.decisions[0].outcome,
            report.decisions[0].reason.as_str()
        ),
        (Outcome::Stayed, "busy: activity")
    );
}

#[tokio::test]
async fn polling_reads_activation_metrics_at_most_once_a_minute() {
    let fakes = Fakes::new().with_activation_metric(100.0);
    let mut polling = settings();
    polling.poll_interval_seconds = 1;
    polling.poll_window_seconds = 3;
    let report = watch(&poll(), &polling, &fakes.ports()).await.unwrap();
    assert!(report.passes >= 2, "looked again: {}", report.passes);
    assert_eq!(
        *fakes.metric_reads.lock().unwrap(),
        1,
        "read by the first decision only: CloudWatch has nothing newer within the minute"
    );
}
