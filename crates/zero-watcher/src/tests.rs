//! The watcher over the in-memory AWS (sluice_aws::memory) with an injected clock: what it reads, claims and
//! changes, including when reads fail and invocations race. The same paths run
//! against the emulators in tests/zero_watcher.rs.

use serde_json::{Value, json};
use sluice_aws::ErrorKind;
use sluice_aws::memory::MemoryAws;
use sluice_core::config::{ActivationMetric, ScaleToZero, Target};
use sluice_core::facts::{QueueDepth, TaskCounts};
use sluice_core::settings::Common;
use sluice_core::zero::WatchState;

use crate::settings::Settings;
use sluice_lambda::{Failure, FixedClock, RequestError, Retry, SelectError};

use crate::watch::control::{self, ControlEffect, ControlReport, Known, Resize};
use crate::watch::{Effect, Ports, QuietLooks, Stack, WatchError, Zero, watch};

const T0: i64 = 1_800_000_000;
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:gold-requests";

/// The in-memory AWS, a clock the test moves, and one sleeping target `gold`.
struct World {
    aws: MemoryAws,
    clock: FixedClock,
    looks: QuietLooks,
}

fn gold(wake_tasks: u32) -> Target {
    target("gold", wake_tasks)
}

fn target(name: &str, wake_tasks: u32) -> Target {
    Target::new(name, "cluster", &format!("{name}-svc"))
        .with_queues([format!("{name}-q")])
        .with_capacity(0, 10)
        .with_backlog_per_task(10.0)
        .with_scale_to_zero(ScaleToZero {
            // Declared: the tests count minutes against it (unset, the wait follows
            // the measured start-up: sluice_core::zero::IdleWait).
            idle_minutes: Some(5),
            wake_tasks,
            topics: vec![TOPIC.to_owned()],
            alarms: vec!["gold-backlog".to_owned()],
            ..ScaleToZero::default()
        })
}

fn activation_metric(threshold: f64) -> ActivationMetric {
    ActivationMetric {
        namespace: "AWS/Kafka".into(),
        metric: "SumOffsetLag".into(),
        dimensions: Default::default(),
        statistic: "Maximum".into(),
        threshold,
        rate: false,
    }
}

impl World {
    fn new() -> Self {
        Self::with(gold(1))
    }

    fn with(target: Target) -> Self {
        let world = World {
            aws: MemoryAws::new(),
            clock: FixedClock::at(T0),
            looks: QuietLooks::default(),
        };
        world.add(target);
        world
    }

    /// Stores the target with its service asleep and its queue empty.
    fn add(&self, target: Target) {
        self.aws.set_service(&target.cluster, &target.service, 0);
        for queue in &target.queues {
            self.aws.set_queue(&queue.name, QueueDepth::default());
        }
        self.aws.put_target(&target);
    }

    /// The first target also wakes on `SumOffsetLag` above `threshold`.
    fn with_activation_metric(threshold: f64) -> Self {
        let mut target = gold(1);
        if let Some(zero) = target.scale_to_zero.as_mut() {
            zero.metric = Some(activation_metric(threshold));
        }
        Self::with(target)
    }

    fn set_metric(&self, value: Option<f64>) {
        let query = activation_metric(0.0).query().unwrap();
        self.aws.set_metric(&query, value);
    }

    /// One invocation on `event` with the default settings.
    async fn run(&self, event: &Value) -> Result<crate::watch::Report, WatchError> {
        watch(event, &settings(), &self.ports()).await
    }

    /// One invocation on `event` whose first decision is `effect`.
    async fn expect(&self, event: &Value, effect: Effect) -> crate::watch::Report {
        let report = self.run(event).await.unwrap();
        assert_eq!(first(&report).0, effect, "{report:?}");
        report
    }

    /// The next call of `operation` fails with `kind`.
    fn fail_once(&self, operation: &'static str, kind: ErrorKind) {
        self.aws.fail_next(operation, None, kind, 1);
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            here: self.aws.here(),
            stack: Stack::memory(&self.aws, &self.clock, &self.looks),
        }
    }

    fn set_backlog(&self, queue: &str, visible: u64, in_flight: u64) {
        self.aws.set_queue(
            queue,
            QueueDepth {
                visible,
                in_flight,
                delayed: 0,
            },
        );
    }

    fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    fn writes(&self) -> Vec<(String, u32)> {
        self.aws.desired_writes()
    }

    fn saves(&self) -> usize {
        self.aws.calls("DynamoDB.PutItem")
    }
}

fn settings() -> Settings {
    Settings::one_look(Common {
        namespace: "Sluice".to_owned(),
        concurrency: 4,
        ..Common::for_table("t")
    })
}

/// The invocation's first decision that had `effect`.
fn with_effect(report: &crate::watch::Report, effect: Effect) -> &crate::watch::DecisionReport {
    let found = report.decisions.iter().find(|d| d.outcome == effect);
    found.unwrap_or_else(|| panic!("no {effect:?} in {report:?}"))
}

/// The first target's outcome and reason, as a pair to compare.
fn first(report: &crate::watch::Report) -> (Effect, &str) {
    let decision = &report.decisions[0];
    (decision.outcome, decision.reason.as_str())
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
    let fakes = World::new();
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        first(&report).0,
        Effect::Unchanged,
        "asleep and nothing waiting"
    );

    fakes.set_backlog("gold-q", 2, 0);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report).0, Effect::Done(Zero::Wake));
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 1)]);

    // Work picked up: in flight only still counts as busy.
    fakes.advance(60);
    fakes.set_backlog("gold-q", 0, 2);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report), (Effect::Unchanged, "busy: backlog 2"));

    fakes.set_backlog("gold-q", 0, 0);
    fakes.advance(4 * 60);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        report.decisions[0].reason, "idle for 240s of 300s",
        "one minute short"
    );
    fakes.advance(60);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report).0, Effect::Done(Zero::Sleep));
    assert_eq!(
        fakes.writes(),
        vec![("gold-svc".to_owned(), 1), ("gold-svc".to_owned(), 0)]
    );
    // One EMF decision count per decision.
    assert_eq!(fakes.aws.emf_lines().len(), 5);
}

#[tokio::test]
async fn a_wake_reports_its_latency_and_the_first_running_task_its_start_up() {
    let fakes = World::new();
    fakes.run(&poll()).await.unwrap();
    fakes.advance(5);
    fakes.set_backlog("gold-q", 2, 0);
    let report = fakes.run(&poll()).await.unwrap();
    let woke = &report.decisions[0];
    assert_eq!(
        (woke.outcome, woke.wake_latency_seconds),
        (Effect::Done(Zero::Wake), Some(5))
    );
    // ECS is slow to start the task: 0 running for two looks, then 1.
    let starting = TaskCounts {
        running: 0,
        pending: 1,
        desired: 1,
    };
    fakes.aws.set_tasks("cluster", "gold-svc", starting);
    fakes.advance(60);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(report.decisions[0].start_latency_seconds, None, "starting");
    fakes.aws.set_service("cluster", "gold-svc", 1);
    fakes.advance(60);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(report.decisions[0].start_latency_seconds, Some(120));
    fakes.advance(60);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(report.decisions[0].start_latency_seconds, None, "once");
    let lines = fakes.aws.emf_lines().join("\n");
    for metric in ["\"WakeLatency\":5", "\"StartLatency\":120"] {
        assert_eq!(lines.matches(metric).count(), 1, "{metric} in {lines}");
    }
    let kept = fakes.aws.start_ups_of("gold");
    assert_eq!(kept.0.len(), 1, "kept once for lead: auto: {kept:?}");
    assert_eq!(kept.0[0].seconds, 120);
}

#[tokio::test]
async fn a_start_up_that_cannot_be_kept_loses_the_sample_not_the_look() {
    let fakes = World::new();
    fakes.run(&poll()).await.unwrap();
    fakes.set_backlog("gold-q", 2, 0);
    fakes.run(&poll()).await.unwrap();
    fakes.aws.set_service("cluster", "gold-svc", 1);
    fakes.advance(60);
    fakes.aws.fail_next(
        "DynamoDB.PutItem",
        Some("state#startups"),
        ErrorKind::Throttled,
        1,
    );
    let report = fakes.run(&poll()).await.unwrap();
    let look = &report.decisions[0];
    assert_eq!(look.start_latency_seconds, Some(60));
    assert!(
        look.reason.contains("start-up 60s not recorded"),
        "{}",
        look.reason
    );
    assert_eq!(fakes.aws.start_ups_of("gold").0, vec![]);
}

#[tokio::test]
async fn a_failed_read_changes_nothing() {
    let fakes = World::new();
    fakes.aws.set_service("cluster", "gold-svc", 1);
    fakes.aws.set_watch_state(
        "gold",
        WatchState {
            last_activity: Some(T0 - 3600),
            ..WatchState::default()
        },
        4,
    );
    fakes
        .aws
        .fail("SQS.GetQueueAttributes", ErrorKind::Throttled);
    let report = fakes.run(&poll()).await.unwrap();
    let decision = &report.decisions[0];
    assert_eq!(decision.outcome, Effect::Unread);
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
    // The one state write counts the skip; the idle clock is not touched.
    assert_eq!(fakes.saves(), 1);
    let stored = fakes.aws.watch_state("gold").expect("stored");
    assert_eq!(
        (
            stored.value.last_activity,
            stored.value.skipped,
            decision.skipped_in_a_row
        ),
        (Some(T0 - 3600), 1, 1)
    );
    fakes.advance(60);
    let again = fakes.run(&poll()).await.unwrap();
    assert_eq!(again.decisions[0].skipped_in_a_row, 2, "in a row");
    let line = fakes.aws.emf_lines().pop().unwrap_or_default();
    assert!(line.contains("\"WatcherSkippedInARow\":2.0"), "{line}");
    fakes.aws.heal();
    fakes.advance(60);
    fakes.run(&poll()).await.unwrap();
    assert_eq!(
        fakes.aws.watch_state("gold").map(|v| v.value.skipped),
        Some(0),
        "decided: reset"
    );
}

#[tokio::test]
async fn a_burst_of_sns_to_an_awake_service_makes_no_ecs_call() {
    let fakes = World::new();
    let woken = fakes.run(&sns()).await.unwrap();
    assert_eq!(first(&woken).0, Effect::Done(Zero::Wake));
    let reads_after_wake = fakes.aws.calls("ECS.DescribeServices");
    for _ in 0..100 {
        fakes.advance(1);
        let report = fakes.run(&sns()).await.unwrap();
        assert_eq!(first(&report).0, Effect::Unchanged);
    }
    assert_eq!(
        fakes.aws.calls("ECS.DescribeServices"),
        reads_after_wake,
        "no DescribeServices"
    );
    assert_eq!(fakes.writes().len(), 1, "no UpdateService after the wake");
    // The pushes kept the idle clock at the last one.
    assert_eq!(
        fakes
            .aws
            .watch_state("gold")
            .and_then(|v| v.value.last_activity),
        Some(T0 + 100)
    );
}

#[tokio::test]
async fn a_lost_claim_never_acts_twice() {
    let fakes = World::new();
    fakes.set_backlog("gold-q", 5, 0);
    // Another invocation claimed the wake first: it wrote the state and scaled.
    fakes.aws.lose_next_saves(1);
    fakes.aws.set_watch_state(
        "gold",
        WatchState {
            last_activity: Some(T0),
            claimed: Some((sluice_core::zero::Transition::Wake, T0)),
            observed: Some((1, T0)),
            ..WatchState::default()
        },
        1,
    );
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        report.decisions[0].reason,
        "wake already claimed by another invocation"
    );
    assert!(fakes.writes().is_empty());
}

#[tokio::test]
async fn aas_bounds_are_respected() {
    let fakes = World::with(gold(4));
    fakes.aws.set_scalable("cluster", "gold-svc", 0, 2);
    fakes.set_backlog("gold-q", 1, 0);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        report.decisions[0].desired_after,
        Some(2),
        "wake count 4 capped at MaxCapacity 2"
    );
    fakes.aws.set_scalable("cluster", "gold-svc", 1, 2);
    fakes.aws.set_service("cluster", "gold-svc", 1);
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
    let fakes = World::new();
    fakes.set_backlog("gold-q", 3, 0);
    let mut dry = settings();
    dry.dry_run = true;
    let report = watch(&poll(), &dry, &fakes.ports()).await.unwrap();
    assert!(report.dry_run);
    assert_eq!(
        (first(&report).0, report.decisions[0].desired_after),
        (Effect::Would(Zero::Wake), Some(1))
    );
    assert!(fakes.writes().is_empty());
    assert_eq!(fakes.saves(), 0);
}

#[tokio::test]
async fn paused_targets_are_skipped() {
    let fakes = World::with(gold(1).paused());
    fakes.set_backlog("gold-q", 3, 0);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report), (Effect::Skipped, "paused"));
    assert!(fakes.writes().is_empty());
}

#[tokio::test]
async fn events_for_nobody_change_nothing() {
    let fakes = World::new();
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

    let ok_alarm = json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "gold-backlog", "state": {"value": "OK"}}});
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
    assert!(matches!(
        error,
        WatchError::Request(RequestError::Select(SelectError::UnknownTargets { .. }))
    ));
    assert_eq!(
        error.to_string(),
        "unknown target(s) in the event: nope; stored targets with scale_to_zero or under the load model: gold"
    );
    let error = watch(&json!({"nonsense": true}), &settings(), &fakes.ports())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        WatchError::Request(RequestError::BadEvent(_))
    ));
    assert!(fakes.writes().is_empty());
    assert_eq!(fakes.saves(), 0);
}

#[tokio::test]
async fn an_alarm_wakes_its_target() {
    let fakes = World::new();
    let alarm = json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "gold-backlog", "state": {"value": "ALARM"}}});
    let report = watch(&alarm, &settings(), &fakes.ports()).await.unwrap();
    assert_eq!(
        first(&report),
        (
            Effect::Done(Zero::Wake),
            "alarm gold-backlog in ALARM; 1 task(s): wake_tasks 1 (a push: backlog not read)"
        )
    );
}

/// Real time, short intervals: no paused clock, because tokio's test-util feature
/// would change tokio's features for the test build only and make `cargo lambda
/// watch` rebuild every AWS crate.
#[tokio::test]
async fn poll_mode_wakes_within_the_interval() {
    let fakes = World::new();
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
    let woke = with_effect(&report, Effect::Done(Zero::Wake));
    // Looks at about 1, 2, 3 s: the message (2.4 s) is seen at the next look, or the
    // one after if a loaded machine delays the timers.
    assert!((2..=4).contains(&woke.pass), "woken at look {}", woke.pass);
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 1)]);
    // The fake runs the new task at once: the next look sees it and measures the
    // wake's start-up (the fixed clock made it 0 s), then nothing sleeps or starts.
    let started = report
        .decisions
        .iter()
        .find(|d| d.start_latency_seconds.is_some())
        .expect("start-up measured at a poll");
    assert_eq!(
        (started.pass, started.start_latency_seconds),
        (woke.pass + 1, Some(0))
    );
    assert_eq!(
        fakes.aws.start_ups_of("gold").0,
        vec![sluice_core::startup::StartUp { at: T0, seconds: 0 }]
    );
    // The woken service works its message: the polls keep its idle clock to the
    // window's end.
    assert!(report.passes > woke.pass + 1, "{} polls", report.passes);
}

/// Gold without `idle_minutes`, awake at `desired` tasks: woken 100 s ago and running
/// 30 s later (its wait is that start-up, 30 s), a message in flight.
fn awake_with_a_message(desired: u32) -> World {
    let mut auto = gold(1);
    if let Some(zero) = auto.scale_to_zero.as_mut() {
        zero.idle_minutes = None;
    }
    let fakes = World::with(auto);
    fakes.aws.set_service("cluster", "gold-svc", desired);
    let woken = WatchState {
        last_activity: Some(T0 - 10),
        observed: Some((desired, T0 - 10)),
        woke_at: Some(T0 - 100),
        running_at: Some(T0 - 70),
        ..WatchState::default()
    };
    fakes.aws.set_watch_state("gold", woken, 1);
    fakes.set_backlog("gold-q", 0, 1);
    fakes
}

impl World {
    /// A scheduled invocation polling every second for `window` seconds, while
    /// `steps` happen: each (milliseconds of real time later, seconds the watcher's
    /// clock moves on, messages in flight on gold's queue from then, if they change).
    async fn window(&self, window: u64, steps: &[(u64, i64, Option<u64>)]) -> crate::watch::Report {
        let mut polling = settings();
        polling.poll_interval_seconds = 1;
        polling.poll_window_seconds = window;
        let ports = self.ports();
        let event = poll();
        let happen = async {
            for (millis, seconds, in_flight) in steps {
                tokio::time::sleep(std::time::Duration::from_millis(*millis)).await;
                self.advance(*seconds);
                if let Some(in_flight) = in_flight {
                    self.set_backlog("gold-q", 0, *in_flight);
                }
            }
        };
        let (report, ()) = futures::join!(watch(&event, &polling, &ports), happen);
        report.unwrap()
    }
}

/// An awake service whose idle wait ends between minute looks sleeps at the poll it
/// ends, not at the next minute's look; work the polls see moves its clock on.
#[tokio::test]
async fn an_idle_service_sleeps_at_the_poll_its_wait_ends() {
    let fakes = awake_with_a_message(2);
    // The message in flight is done 1.5 s in (at T0 + 5 on the watcher's clock);
    // then 30 s pass by the next poll.
    let report = fakes
        .window(8, &[(1500, 5, Some(0)), (1000, 30, None)])
        .await;
    assert_eq!(first(&report).0, Effect::Unchanged, "{report:?}");
    let slept = with_effect(&report, Effect::Done(Zero::Sleep));
    // Looks at about 1 s (busy), 2 s (quiet, T0 + 5), 3 s (T0 + 35: over); a loaded
    // machine may delay it a look or two, never to the window's last (about 7).
    assert!((3..=5).contains(&slept.pass), "at look {}", slept.pass);
    assert!(slept.reason.contains("idle wait 30s"), "{}", slept.reason);
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 0)]);
    let state = fakes.aws.watch_state("gold").expect("stored").value;
    assert_eq!(
        state.last_activity,
        Some(T0),
        "the polls' clock: busy at T0 only"
    );
}

/// What the polls saw is not lost when the window closes: its last poll makes a full
/// look, which stores the clock where the work was last seen and the gap the polls
/// saw end, so the next invocation does not count the window as idle.
#[tokio::test]
async fn the_windows_last_poll_keeps_what_the_polls_saw() {
    let fakes = awake_with_a_message(1);
    // Done at T0 + 10, shorter than the wait; the next message at T0 + 25.
    let report = fakes
        .window(6, &[(1500, 10, Some(0)), (1000, 15, Some(1))])
        .await;
    assert!(fakes.writes().is_empty(), "no sleep: {report:?}");
    let state = fakes.aws.watch_state("gold").expect("stored").value;
    assert_eq!(state.last_activity, Some(T0 + 25), "{state:?}");
    assert_eq!(
        state.idle_gaps.seconds(),
        &[25],
        "from T0's work to T0 + 25's"
    );
}

/// Without a declared latency goal the watcher reads the load model's (backlog per
/// task at the rate the publisher learned) when a sleep is possible: a 90 s start-up
/// inside a 2-minute goal makes no work late, so the gaps it has seen may shorten the
/// wait below the start-up. Unread, the goal is unknown and the start-up stands.
#[tokio::test]
async fn an_undeclared_latency_goal_is_read_from_the_learned_rates() {
    use sluice_core::capacity::Rates;
    use sluice_core::zero::IdleGaps;
    let look = |rates: Option<f64>, fail: bool| async move {
        let fakes = awake_with_a_message(1);
        fakes.set_backlog("gold-q", 0, 0);
        let gaps = [3600, 3600, 3600, 60]
            .iter()
            .fold(IdleGaps::default(), |g, s| g.with(*s));
        let woken = WatchState {
            last_activity: Some(T0 - 10),
            observed: Some((1, T0 - 10)),
            woke_at: Some(T0 - 190),
            running_at: Some(T0 - 100),
            idle_gaps: gaps,
            ..WatchState::default()
        };
        fakes.aws.set_watch_state("gold", woken, 1);
        if let Some(service) = rates {
            let learned = Rates {
                service: Some(service),
                samples: 5,
                ..Rates::default()
            };
            fakes.aws.set_rates("gold", learned);
        }
        if fail {
            let rates = Some("state#rates");
            fakes
                .aws
                .fail_next("DynamoDB.Query", rates, ErrorKind::Throttled, 1);
        }
        let report = fakes.run(&poll()).await.unwrap();
        report.decisions[0].reason.clone()
    };
    // backlog_per_task 10 at 5 a task-minute: a 2-minute goal.
    assert_eq!(
        look(Some(5.0), false).await,
        "idle for 10s (idle wait 5s: the cheapest over the last 4 idle gaps (start-up 90s))"
    );
    // No rate learned, or the rates unread: the start-up.
    assert_eq!(look(None, false).await, "idle for 10s of 90s");
    assert_eq!(look(Some(5.0), true).await, "idle for 10s of 90s");
}

/// A wake's start-up is measured at the poll that first sees a task running, not at
/// the next minute's look: the polls look at the woken service while its tasks start.
#[tokio::test]
async fn a_wake_is_measured_at_the_poll_its_task_runs() {
    let fakes = World::new();
    fakes.aws.start_slowly("cluster", "gold-svc");
    fakes.set_backlog("gold-q", 3, 0);
    let mut polling = settings();
    polling.poll_window_seconds = 6;
    let ports = fakes.ports();
    let event = poll();
    let run = watch(&event, &polling, &ports);
    let start = async {
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        fakes.advance(40);
        fakes.aws.set_service("cluster", "gold-svc", 1);
    };
    let (report, ()) = futures::join!(run, start);
    let report = report.unwrap();
    assert_eq!(first(&report).0, Effect::Done(Zero::Wake));
    let started = report
        .decisions
        .iter()
        .find(|d| d.start_latency_seconds.is_some())
        .expect("start-up measured at a poll");
    assert!((2..=4).contains(&started.pass), "at look {}", started.pass);
    assert_eq!(started.start_latency_seconds, Some(40));
    assert_eq!(
        fakes.aws.start_ups_of("gold").0,
        vec![sluice_core::startup::StartUp {
            at: T0 + 40,
            seconds: 40
        }]
    );
    assert_eq!(
        report
            .decisions
            .iter()
            .filter(|d| d.start_latency_seconds.is_some())
            .count(),
        1,
        "measured once"
    );
}

#[tokio::test]
async fn an_activation_metric_above_its_threshold_wakes_and_keeps_awake() {
    let fakes = World::with_activation_metric(100.0);
    fakes.set_metric(Some(100.0));
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        first(&report).0,
        Effect::Unchanged,
        "at the threshold is not above it"
    );
    fakes.set_metric(Some(250.0));
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        first(&report),
        (
            Effect::Done(Zero::Wake),
            "activation metric above its threshold; 1 task(s): ceil(backlog 0 / 10 per task) = 0, raised to wake_tasks 1"
        )
    );
    fakes.advance(3600);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report), (Effect::Unchanged, "busy: activity"));
}

/// "Scale on lag growth, not lag": a lag of 5000 that shrinks is no work to wake for;
/// one growing by 150 a minute is.
#[tokio::test]
async fn an_activation_rate_wakes_on_growth_not_on_size() {
    let mut target = gold(1);
    if let Some(zero) = target.scale_to_zero.as_mut() {
        zero.metric = Some(ActivationMetric {
            rate: true,
            ..activation_metric(100.0)
        });
    }
    let fakes = World::with(target);
    let query = activation_metric(0.0).query().unwrap();
    fakes.aws.set_series(&query, vec![6000.0, 5000.0]);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report).0, Effect::Unchanged, "shrinking");
    fakes.aws.set_series(&query, vec![200.0, 350.0]);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        first(&report).0,
        Effect::Done(Zero::Wake),
        "growing 150 a minute"
    );
}

#[tokio::test]
async fn polling_reads_activation_metrics_at_most_once_a_minute() {
    let fakes = World::with_activation_metric(100.0);
    let mut polling = settings();
    polling.poll_interval_seconds = 1;
    polling.poll_window_seconds = 3;
    let report = watch(&poll(), &polling, &fakes.ports()).await.unwrap();
    assert!(report.passes >= 2, "looked again: {}", report.passes);
    assert_eq!(
        fakes.aws.calls("CloudWatch.GetMetricData"),
        1,
        "read by the first decision only: CloudWatch has nothing newer within the minute"
    );
}

/// Two targets with activation metrics; one's query fails. That target is unknown and
/// left alone (not "inactive"); the other is decided as usual.
#[tokio::test]
async fn a_failed_activation_query_is_unknown_and_affects_only_its_target() {
    let mut with_metric = gold(1);
    if let Some(zero) = with_metric.scale_to_zero.as_mut() {
        zero.metric = Some(ActivationMetric {
            metric: "BrokenLag".into(),
            ..activation_metric(0.0)
        });
    }
    let fakes = World::with(with_metric);
    let mut other = target("silver", 1);
    if let Some(zero) = other.scale_to_zero.as_mut() {
        zero.metric = Some(activation_metric(100.0));
    }
    fakes.add(other);
    fakes.set_metric(Some(500.0));
    fakes.aws.fail_next(
        "CloudWatch.GetMetricData",
        Some("BrokenLag"),
        ErrorKind::Unavailable,
        10,
    );
    let report = fakes.run(&poll()).await.unwrap();
    let gold = report
        .decisions
        .iter()
        .find(|d| d.target == "gold")
        .unwrap();
    assert_eq!(gold.outcome, Effect::Unread, "{gold:?}");
    assert!(gold.reason.contains("activation metric"), "{gold:?}");
    let silver = report
        .decisions
        .iter()
        .find(|d| d.target == "silver")
        .unwrap();
    assert_eq!(silver.outcome, Effect::Done(Zero::Wake), "{silver:?}");
}

/// A target woken only by its SNS topic: no queue, no metric a poll could see.
fn topic_only() -> World {
    let mut target = gold(1);
    target.queues.clear();
    World::with(target)
}

#[tokio::test]
async fn a_push_wake_refused_once_fails_the_invocation_and_the_next_poll_honours_it() {
    let fakes = topic_only();
    fakes.fail_once("ECS.UpdateService", ErrorKind::Unavailable);
    let error = fakes
        .run(&sns())
        .await
        .expect_err("the push could not be carried out: Lambda must retry it");
    assert_eq!(error.retry(), Retry::Retryable, "{error}");
    assert!(error.to_string().contains("gold"), "{error}");
    assert_eq!(fakes.aws.desired("cluster", "gold-svc"), Some(0));
    fakes.advance(30);
    fakes.expect(&poll(), Effect::Done(Zero::Wake)).await;
    assert_eq!(fakes.aws.desired("cluster", "gold-svc"), Some(1));
}

#[tokio::test]
async fn a_refused_wake_is_not_mistaken_for_an_awake_service() {
    let fakes = topic_only();
    fakes.fail_once("ECS.UpdateService", ErrorKind::Throttled);
    let _ = fakes.run(&sns()).await;
    fakes.advance(5);
    fakes.expect(&sns(), Effect::Done(Zero::Wake)).await;
    assert_eq!(fakes.aws.desired("cluster", "gold-svc"), Some(1));
}

#[tokio::test]
async fn a_push_whose_facts_cannot_be_read_is_recorded_for_the_next_poll() {
    let fakes = topic_only();
    fakes.fail_once("ECS.DescribeServices", ErrorKind::Unavailable);
    let error = fakes.run(&sns()).await.expect_err("not carried out");
    assert_eq!(error.retry(), Retry::Retryable, "{error}");
    assert!(
        fakes.aws.desired_writes().is_empty(),
        "no change on unread facts"
    );
    fakes.expect(&poll(), Effect::Done(Zero::Wake)).await;
}

#[tokio::test]
async fn a_burst_after_a_wake_still_costs_no_ecs_call() {
    let fakes = topic_only();
    fakes.run(&sns()).await.unwrap();
    let reads = fakes.aws.calls("ECS.DescribeServices");
    for _ in 0..10 {
        fakes.advance(1);
        fakes.run(&sns()).await.unwrap();
    }
    assert_eq!(fakes.aws.calls("ECS.DescribeServices"), reads);
}

#[tokio::test]
async fn a_manual_sleep_never_wakes_a_sleeping_service() {
    let fakes = World::new();
    fakes.set_backlog("gold-q", 5, 0);
    let report = watch(
        &json!({"action": "sleep", "target": "gold"}),
        &settings(),
        &fakes.ports(),
    )
    .await
    .unwrap();
    assert_eq!(first(&report).0, Effect::Unchanged, "{report:?}");
    assert!(fakes.writes().is_empty(), "asked to sleep: not woken");
}

#[tokio::test]
async fn an_alarm_notification_through_a_topic_wakes_only_on_alarm() {
    let fakes = World::new();
    let notification = |state: &str| {
        let mut event = sns();
        event["Records"][0]["Sns"]["Message"] = json!(format!(
            "{{\"AlarmName\":\"gold-backlog\",\"NewStateValue\":\"{state}\",\"OldStateValue\":\"ALARM\"}}"
        ));
        event
    };
    let report = watch(&notification("OK"), &settings(), &fakes.ports())
        .await
        .unwrap();
    assert!(report.decisions.is_empty(), "{report:?}");
    assert!(
        report.skipped_events[0].starts_with("alarm gold-backlog is OK (through arn:aws:sns:"),
        "{report:?}"
    );
    assert!(fakes.writes().is_empty());
    let report = watch(&notification("ALARM"), &settings(), &fakes.ports())
        .await
        .unwrap();
    assert_eq!(first(&report).0, Effect::Done(Zero::Wake), "{report:?}");
}

#[tokio::test]
async fn a_scheduled_event_from_a_foreign_source_is_refused() {
    let fakes = World::new();
    fakes.set_backlog("gold-q", 5, 0);
    let foreign =
        json!({"detail-type": "Scheduled Event", "source": "attacker.events", "detail": {}});
    let error = watch(&foreign, &settings(), &fakes.ports())
        .await
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("from source \"attacker.events\""),
        "{error}"
    );
    assert_eq!(fakes.aws.mutations(), 0);
}

/// The poll window ends before the invocation's deadline, wherever the first look
/// left it, so the function never runs into its timeout.
#[tokio::test]
async fn polling_stops_before_the_invocation_deadline() {
    let fakes = World::new();
    let mut polling = settings();
    polling.poll_interval_seconds = 1;
    polling.poll_window_seconds = 30;
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2500);
    let started = std::time::Instant::now();
    let report = crate::watch::watch_until(&poll(), &polling, &fakes.ports(), Some(deadline))
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_millis(2500),
        "stopped at {:?}, {} looks",
        started.elapsed(),
        report.passes
    );
}

#[tokio::test]
async fn a_target_elsewhere_is_woken_in_its_own_account() {
    let role = "arn:aws:iam::111122223333:role/sluice";
    let fakes = World::new();
    let team = target("team", 2).in_account(role, None);
    let account = fakes.aws.account(&team.place());
    account.set_service(&team.cluster, &team.service, 0);
    account.set_queue("team-q", QueueDepth::default());
    fakes.aws.put_target(&team);
    account.set_queue(
        "team-q",
        QueueDepth {
            visible: 5,
            in_flight: 0,
            delayed: 0,
        },
    );

    let report = fakes.run(&poll()).await.unwrap();

    let team_decision = report.decisions.iter().find(|d| d.target == "team");
    assert_eq!(
        team_decision.map(|d| d.outcome),
        Some(Effect::Done(Zero::Wake))
    );
    assert_eq!(account.desired_writes(), vec![("team-svc".to_owned(), 2)]);
    assert!(
        fakes.writes().is_empty(),
        "nothing changed in the stack's account"
    );
    assert!(
        fakes.aws.watch_state("team").is_some(),
        "its state is kept in the stack's table"
    );
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_leaves_its_targets_unread_and_the_others_go_on() {
    let role = "arn:aws:iam::444455556666:role/sluice-missing";
    let fakes = World::new();
    fakes.set_backlog("gold-q", 2, 0);
    fakes
        .aws
        .put_target(&target("lost", 1).in_account(role, None));

    let report = fakes.run(&poll()).await.unwrap();

    let outcome = |name: &str| report.decisions.iter().find(|d| d.target == name);
    assert_eq!(
        outcome("gold").map(|d| d.outcome),
        Some(Effect::Done(Zero::Wake))
    );
    let lost = outcome("lost").expect("reported");
    assert_eq!(lost.outcome, Effect::Unread);
    assert!(lost.reason.contains(role), "{}", lost.reason);
    assert_eq!(lost.skipped_in_a_row, 1, "{lost:?}");
    assert!(
        fakes
            .aws
            .emf_lines()
            .iter()
            .any(|l| l.contains("WatcherSkippedInARow")),
        "counted in the looks in a row the skipping alarm watches"
    );
}

/// A push for a target whose role cannot be assumed is recorded in the stack's table,
/// and the first look that reaches the account wakes it: a topic-only target is not
/// left asleep once Lambda's retries run out.
#[tokio::test]
async fn a_push_for_an_unreachable_account_is_kept_for_the_next_look() {
    let role = "arn:aws:iam::444455556666:role/sluice-late";
    let fakes = World::new();
    let late = target("late", 1).in_account(role, None);
    fakes.aws.put_target(&late);

    let pushed = fakes.run(&sns()).await;
    let report = match &pushed {
        Ok(report) => report,
        Err(crate::watch::WatchError::PushNotCarriedOut(report)) => report.as_ref(),
        Err(other) => panic!("{other}"),
    };
    let decision = report
        .decisions
        .iter()
        .find(|d| d.target == "late")
        .expect("reported");
    assert_eq!(decision.outcome, Effect::Unread);
    assert_eq!(decision.skipped_in_a_row, 1, "the skipping alarm counts it");
    assert!(
        decision
            .reason
            .contains("the push is recorded for the next look"),
        "{}",
        decision.reason
    );
    let stored = fakes
        .aws
        .watch_state("late")
        .expect("recorded in the stack's table");
    assert!(stored.value.wake_requested.is_some(), "{:?}", stored.value);

    // The role works again; the queue is still empty: the next look wakes it anyway.
    let account = fakes.aws.account(&late.place());
    account.set_service("cluster", "late-svc", 0);
    account.set_queue("late-q", Default::default());
    fakes.advance(60);
    let report = fakes.run(&poll()).await.unwrap();
    let decision = report
        .decisions
        .iter()
        .find(|d| d.target == "late")
        .expect("reported");
    assert_eq!(
        decision.outcome,
        Effect::Done(Zero::Wake),
        "{}",
        decision.reason
    );
}

/// `gold` awake at `desired` tasks, its scalable target 0-10, its rates learnt by the
/// publisher: a task finishes 10 messages a minute, 10 arrive.
fn sized(fakes: &World, desired: u32) {
    use sluice_core::capacity::Rates;
    fakes.aws.set_service("cluster", "gold-svc", desired);
    fakes.aws.set_scalable("cluster", "gold-svc", 0, 10);
    fakes.aws.set_rates(
        "gold",
        Rates {
            service: Some(10.0),
            samples: 5,
            arrival: Some(10.0),
            ..Rates::default()
        },
    );
}

fn capacity(report: &crate::watch::Report) -> Vec<(crate::watch::control::ControlEffect, String)> {
    report
        .capacity
        .iter()
        .map(|c| (c.outcome, c.reason.clone()))
        .collect()
}

#[tokio::test]
async fn a_burst_on_an_awake_service_is_met_in_one_update_service() {
    let fakes = World::new();
    sized(&fakes, 1);
    fakes.set_backlog("gold-q", 1000, 1);
    let report = fakes.run(&poll()).await.unwrap();
    // 1000 waiting at backlog_per_task 10: a need of 100, capped at MaxCapacity 10.
    assert_eq!(
        capacity(&report)[0].0,
        ControlEffect::Done(Resize::Raise),
        "{report:?}"
    );
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 10)]);
    fakes.advance(5);
    let again = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        capacity(&again)[0].0,
        ControlEffect::Unchanged,
        "at the maximum: nothing more"
    );
    assert_eq!(fakes.writes().len(), 1, "one UpdateService for the burst");
}

/// A target under the load model and scaled to zero, awake: each poll reads its queue
/// once, for its capacity and its idle clock alike.
#[tokio::test]
async fn a_poll_reads_an_awake_targets_queue_once_for_its_capacity_and_its_idle_clock() {
    let fakes = World::new();
    sized(&fakes, 1);
    fakes.set_backlog("gold-q", 0, 1);
    let report = fakes.window(3, &[]).await;
    assert!(report.passes >= 2, "{report:?}");
    let reads = fakes.aws.calls("SQS.GetQueueAttributes");
    // The first look's reads (the watcher's facts and the capacity look), one a poll,
    // and the full look of the window's last poll (the polls saw work).
    let polls = report.passes as usize - 1;
    assert_eq!(reads, 2 + polls + 1, "{reads} reads, {report:?}");
}

/// Regression case found by the control plane's model-based test
/// (tests/properties/control_plane.rs): an apply lowered capacity.max to 2 but its
/// RegisterScalableTarget failed, leaving MaxCapacity at 10; the watcher's raise then
/// went to 3, past the configuration that owns the bound. A raise stops at the lower of
/// the two.
#[tokio::test]
async fn a_raise_never_passes_capacity_max_when_max_capacity_is_stale() {
    let fakes = World::new();
    fakes.aws.put_target(&gold(1).with_capacity(0, 2));
    sized(&fakes, 1);
    fakes.set_backlog("gold-q", 1000, 1);
    fakes.run(&poll()).await.unwrap();
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 2)]);
}

/// The publisher and the watcher run a minute apart in no set order. The record the
/// first look reads is 40 s old: it does not give back on it (an arrival rate a minute
/// staler than it need be); the look once the publisher's next record is due does, on
/// that record.
#[tokio::test]
async fn a_give_back_waits_for_the_publishers_next_record() {
    use sluice_core::capacity::{Look, Rates};
    use sluice_lambda::Clock;
    let fakes = World::new();
    sized(&fakes, 8);
    fakes.set_backlog("gold-q", 0, 1);
    for _ in 0..3 {
        fakes.run(&poll()).await.unwrap();
        fakes.advance(60);
    }
    let stored_at = |at: i64| Rates {
        service: Some(10.0),
        samples: 5,
        arrival: Some(10.0),
        looks: vec![Look {
            at,
            waiting: 0.0,
            in_flight: 1.0,
            running: 8,
            desired: 8,
        }],
        ..Rates::default()
    };
    let now = fakes.clock.now();
    fakes.aws.set_rates("gold", stored_at(now - 40));
    let gold = gold(1);
    let targets = control::controlled(std::slice::from_ref(&gold));
    let moved = std::collections::BTreeSet::new();
    let ports = fakes.ports();
    let (first, mut known) =
        control::first_look(&targets, &moved, now + 50, &settings(), &ports).await;
    assert_eq!(first[0].outcome, ControlEffect::Unchanged, "{first:?}");
    assert!(
        first[0]
            .reason
            .ends_with("decided again on the publisher's next record, due in 25s"),
        "{}",
        first[0].reason
    );
    fakes.advance(10);
    let early = control::due_looks(&targets, &mut known, 2, &settings(), &ports).await;
    assert!(early.is_empty(), "not due yet: {early:?}");
    assert!(fakes.writes().is_empty());
    fakes.advance(15);
    fakes
        .aws
        .set_rates("gold", stored_at(fakes.clock.now() - 3));
    let due = control::due_looks(&targets, &mut known, 5, &settings(), &ports).await;
    assert_eq!(
        due[0].outcome,
        ControlEffect::Done(Resize::Lower),
        "{due:?}"
    );
    assert_eq!(due[0].pass, 5);
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 2)]);
    let again = control::due_looks(&targets, &mut known, 6, &settings(), &ports).await;
    assert!(again.is_empty(), "one give-back look: {again:?}");
}

#[tokio::test]
async fn capacity_is_given_back_once_the_need_stayed_below_for_the_window() {
    let fakes = World::new();
    sized(&fakes, 8);
    // One message in hand: the tasks keep up with 10 a minute, one task's worth; with
    // room for three standard deviations of a 30-message count, 1.55, and a tenth
    // more, 1.70.
    fakes.set_backlog("gold-q", 0, 1);
    for minute in 0..3 {
        let report = fakes.run(&poll()).await.unwrap();
        assert_eq!(
            capacity(&report)[0].0,
            ControlEffect::Unchanged,
            "minute {minute}"
        );
        fakes.advance(60);
    }
    let report = fakes.run(&poll()).await.unwrap();
    let (effect, reason) = &capacity(&report)[0];
    assert_eq!(*effect, ControlEffect::Done(Resize::Lower), "{reason}");
    assert!(
        reason.starts_with("lower to 2: needed at most 1.70 tasks for 180s"),
        "{reason}"
    );
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 2)]);
    assert!(
        fakes.aws.stored_memory("gold").is_some(),
        "the window is remembered between looks"
    );
}

#[tokio::test]
async fn a_cpu_policy_takes_the_give_back_to_application_auto_scaling() {
    let fakes = World::new();
    let mut cpu = gold(1);
    cpu.scaling.cpu_utilization = Some(sluice_core::scaling::Utilization {
        target: 65.0,
        high_resolution: false,
        scale_out_cooldown: None,
        scale_in_cooldown: None,
    });
    fakes.aws.put_target(&cpu);
    sized(&fakes, 8);
    fakes.set_backlog("gold-q", 0, 1);
    for _ in 0..4 {
        fakes.advance(60);
        fakes.run(&poll()).await.unwrap();
    }
    let report = fakes.run(&poll()).await.unwrap();
    let (effect, reason) = &capacity(&report)[0];
    assert_eq!(*effect, ControlEffect::Unchanged, "{reason}");
    assert!(
        reason.ends_with("not done: scale-in is Application Auto Scaling's, when every policy agrees: cpu_utilization tracks what the need does not see"),
        "{reason}"
    );
    assert!(
        fakes.writes().is_empty(),
        "the CPU policy's eight tasks are not undone"
    );
}

#[tokio::test]
async fn the_need_moves_nothing_when_it_cannot_be_trusted_or_in_a_dry_run() {
    let fakes = World::new();
    sized(&fakes, 1);
    fakes.set_backlog("gold-q", 1000, 1);
    fakes.aws.fail_next(
        "DynamoDB.Query",
        Some("state#rates"),
        ErrorKind::Throttled,
        1,
    );
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(first(&report).0, Effect::Unchanged);
    let (effect, reason) = &capacity(&report)[0];
    assert_eq!(*effect, ControlEffect::Unread);
    assert!(reason.contains("not decided, nothing changed"), "{reason}");
    assert!(fakes.writes().is_empty());

    let dry = Settings {
        dry_run: true,
        ..settings()
    };
    let report = watch(&poll(), &dry, &fakes.ports()).await.unwrap();
    assert_eq!(capacity(&report)[0].0, ControlEffect::Would(Resize::Raise));
    assert!(fakes.writes().is_empty(), "a dry run changes nothing");

    let unregistered = World::new();
    unregistered.aws.set_service("cluster", "gold-svc", 1);
    unregistered.set_backlog("gold-q", 1000, 1);
    let report = watch(&poll(), &settings(), &unregistered.ports())
        .await
        .unwrap();
    let (effect, reason) = &capacity(&report)[0];
    assert_eq!(*effect, ControlEffect::Skipped);
    assert!(reason.starts_with("no scalable target"), "{reason}");
    assert!(unregistered.writes().is_empty());
}

#[tokio::test]
async fn idle_time_does_not_count_while_tasks_start_and_a_start_that_never_ends_is_reported() {
    let fakes = World::new();
    fakes.aws.set_tasks(
        "cluster",
        "gold-svc",
        TaskCounts {
            running: 0,
            pending: 2,
            desired: 2,
        },
    );
    fakes.aws.set_watch_state(
        "gold",
        WatchState {
            last_activity: Some(T0 - 3600),
            woke_at: Some(T0 - 600),
            ..WatchState::default()
        },
        1,
    );
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(
        first(&report),
        (
            Effect::Unchanged,
            "starting: 0 of 2 task(s) running; the idle clock waits"
        ),
        "an hour without work, but its model is still loading"
    );
    assert!(!report.decisions[0].start_overdue);
    fakes.advance(30 * 60);
    let report = fakes.run(&poll()).await.unwrap();
    assert!(
        report.decisions[0].start_overdue,
        "40 minutes and no task running"
    );
    assert_eq!(
        first(&report).0,
        Effect::Unchanged,
        "not slept and woken in a loop"
    );
    assert!(
        fakes
            .aws
            .emf_lines()
            .iter()
            .any(|l| l.contains("StartOverdue")),
        "counted for the alarm"
    );
}

/// An ECS that panics on one service: a stand-in for a bug met on one target's odd
/// record, wherever in its work.
struct PanicsOn {
    service: &'static str,
    rest: std::sync::Arc<dyn sluice_aws::ServiceScaler>,
}

#[async_trait::async_trait]
impl sluice_aws::ServiceScaler for PanicsOn {
    async fn set_desired(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> Result<(), sluice_aws::AwsError> {
        if service == self.service {
            panic!("odd record of {service}");
        }
        self.rest.set_desired(cluster, service, desired).await
    }
}

/// Issue 23 item 1: a panic in one target's work ends that target's work alone. Two
/// targets need a wake; the victim's panics: the other is woken, the victim is
/// reported failed with the panic's message, and the invocation answers.
#[tokio::test]
async fn a_panic_in_one_targets_work_ends_only_that_targets_work() {
    let fakes = World::new();
    fakes.add(target("victim", 1));
    fakes.set_backlog("gold-q", 3, 0);
    fakes.set_backlog("victim-q", 3, 0);
    let here = sluice_aws::Account {
        scaler: std::sync::Arc::new(PanicsOn {
            service: "victim-svc",
            rest: fakes.aws.here().scaler.clone(),
        }),
        ..fakes.aws.here().clone()
    };
    let ports = Ports {
        here: &here,
        ..fakes.ports()
    };
    let report = watch(&poll(), &settings(), &ports).await.unwrap();
    assert_eq!(fakes.writes(), vec![("gold-svc".to_owned(), 1)]);
    let victim = report
        .decisions
        .iter()
        .find(|d| d.target == "victim")
        .expect("reported");
    assert_eq!(victim.outcome, Effect::Failed, "{victim:?}");
    assert!(
        victim.reason.contains("panicked") && victim.reason.contains("odd record of victim-svc"),
        "{}",
        victim.reason
    );
}

/// The first capacity look at gold alone, with two minutes of polls ahead.
async fn first_capacity_look(fakes: &World) -> (ControlReport, Known) {
    let gold = gold(1);
    let targets = control::controlled(std::slice::from_ref(&gold));
    let last_poll = sluice_lambda::Clock::now(&fakes.clock) + 120;
    let moved = std::collections::BTreeSet::new();
    let (mut first, known) =
        control::first_look(&targets, &moved, last_poll, &settings(), &fakes.ports()).await;
    (first.remove(0), known)
}

/// A poll of gold alone, 5 s after the last.
async fn capacity_poll(fakes: &World, known: &mut Known, pass: u32) {
    let gold = gold(1);
    let targets = control::controlled(std::slice::from_ref(&gold));
    fakes.advance(5);
    let awake = control::awake(&targets, known);
    let read = control::read_queues(&awake, &settings(), &fakes.ports()).await;
    control::poll_look(&targets, known, (pass, &read), &settings(), &fakes.ports()).await;
}

/// A service at one task, a burst the first look raises to 10 for, and new tasks that
/// start only when the test says.
fn a_burst_on_slow_starts() -> World {
    let fakes = World::new();
    sized(&fakes, 1);
    fakes.aws.start_slowly("cluster", "gold-svc");
    fakes.set_backlog("gold-q", 1000, 1);
    fakes
}

/// The watcher measures the start-up of its own raise at the poll that first sees every
/// task it asked for running (the publisher's minute looks would make a 90 s start 60
/// or 120 s), keeps it, and forgets the raise then.
#[tokio::test]
async fn a_raise_is_measured_at_the_poll_its_tasks_run() {
    use sluice_core::startup::StartUp;
    let fakes = a_burst_on_slow_starts();
    let start = sluice_lambda::Clock::now(&fakes.clock);
    let (first, mut known) = first_capacity_look(&fakes).await;
    assert_eq!(
        first.outcome,
        ControlEffect::Done(Resize::Raise),
        "{first:?}"
    );
    let raise = fakes.aws.stored_memory("gold").and_then(|m| m.starting);
    assert_eq!(raise.map(|r| (r.since, r.to)), Some((start, 10)));
    for pass in 1..=17 {
        capacity_poll(&fakes, &mut known, pass).await;
    }
    assert!(
        fakes.aws.start_ups_of("gold").0.is_empty(),
        "still starting"
    );
    fakes.aws.set_service("cluster", "gold-svc", 10);
    capacity_poll(&fakes, &mut known, 18).await;
    let measured = StartUp {
        at: start + 90,
        seconds: 90,
    };
    assert_eq!(fakes.aws.start_ups_of("gold").0, vec![measured]);
    let memory = fakes.aws.stored_memory("gold").unwrap_or_default();
    assert_eq!(memory.starting, None, "measured once");
    capacity_poll(&fakes, &mut known, 19).await;
    assert_eq!(fakes.aws.start_ups_of("gold").0.len(), 1);
}

/// A raise given back before its tasks all ran measures nothing: the tasks it asked
/// for may never start, and what runs then is not its start-up.
#[tokio::test]
async fn a_raise_given_back_before_its_tasks_run_measures_nothing() {
    let fakes = a_burst_on_slow_starts();
    let (first, mut known) = first_capacity_look(&fakes).await;
    assert_eq!(
        first.outcome,
        ControlEffect::Done(Resize::Raise),
        "{first:?}"
    );
    fakes.aws.set_service("cluster", "gold-svc", 4);
    fakes.set_backlog("gold-q", 0, 1);
    capacity_poll(&fakes, &mut known, 1).await;
    assert!(fakes.aws.start_ups_of("gold").0.is_empty());
    let memory = fakes.aws.stored_memory("gold").unwrap_or_default();
    assert_eq!(memory.starting, None, "dropped, not measured");
}

/// A failed UpdateService starts no measurement: no task was asked for.
#[tokio::test]
async fn a_failed_raise_measures_nothing() {
    let fakes = a_burst_on_slow_starts();
    fakes.fail_once("ECS.UpdateService", ErrorKind::Throttled);
    let (first, _) = first_capacity_look(&fakes).await;
    assert_eq!(first.outcome, ControlEffect::Failed, "{first:?}");
    let starting = fakes.aws.stored_memory("gold").and_then(|m| m.starting);
    assert_eq!(starting, None);
}

/// The load model plans with the start-up the watcher measured: the give-back window
/// (a start-up, one to three minutes) is the measured minute, not the three minutes
/// of a start-up not yet learned.
#[tokio::test]
async fn the_give_back_window_is_the_measured_start_up() {
    use sluice_core::startup::{StartUp, StartUps};
    let fakes = World::new();
    sized(&fakes, 8);
    let measured = (1..=3).map(|i| StartUp {
        at: T0 - 600 * i,
        seconds: 60,
    });
    fakes
        .aws
        .set_start_ups("gold", StartUps(measured.rev().collect()));
    fakes.set_backlog("gold-q", 0, 1);
    let report = fakes.run(&poll()).await.unwrap();
    assert_eq!(capacity(&report)[0].0, ControlEffect::Unchanged);
    fakes.advance(60);
    let report = fakes.run(&poll()).await.unwrap();
    let (effect, reason) = &capacity(&report)[0];
    assert_eq!(*effect, ControlEffect::Done(Resize::Lower), "{reason}");
    assert!(reason.contains("tasks for 60s"), "{reason}");
}
