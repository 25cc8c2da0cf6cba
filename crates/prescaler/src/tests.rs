//! The prescaler over the in-memory AWS (sluice_aws::memory) at fixed instants: what it reads, records and
//! changes. The same paths run against the emulators in tests/prescaler.rs.

use jiff::Timestamp;
use serde_json::{Value, json};
use sluice_aws::ErrorKind;
use sluice_aws::ItemKind;
use sluice_aws::memory::MemoryAws;
use sluice_core::budget::{Budget, BudgetMode, Period, SpendUnit};
use sluice_core::config::Target;
use sluice_core::facts::{MetricQuery, QueueDepth, TaskCounts};
use sluice_core::names;
use sluice_core::prescale::Change;
use sluice_core::profile::{Profile, WindowSpec};
use sluice_core::settings::Common;
use sluice_core::startup::{StartUp, StartUps};

use sluice_lambda::{RequestError, SelectError};

use crate::prescale::{ChangeStatus, Ports, Prescale, Stack, prescale};
use crate::settings::Settings;

/// Target `gold` (capacity min..20) following profile `business` in Berlin.
fn world(min: u32, profile_windows: Vec<WindowSpec>) -> MemoryAws {
    let aws = MemoryAws::new();
    aws.put_target(
        &Target::new("gold", "c", "gold-svc")
            .with_queues(["q"])
            .with_capacity(min, 20)
            .with_backlog_per_task(10.0)
            .with_profile("business"),
    );
    aws.put_profile(&Profile::new(
        "business",
        "Europe/Berlin",
        10,
        profile_windows,
    ));
    aws.set_service("c", "gold-svc", min);
    aws.set_queue("q", Default::default());
    aws
}

fn ports(aws: &MemoryAws) -> Ports<'_> {
    Ports {
        here: aws.here(),
        stack: Stack::memory(aws),
    }
}

/// The scheduled run at `time` on Monday 30 November, with the default settings.
async fn scheduled_at(aws: &MemoryAws, time: &str) -> crate::prescale::Report {
    prescale(&scheduled(), &settings(), &ports(aws), monday(time))
        .await
        .expect("a scheduled run answers")
}

/// The floors published, in order.
fn floors(aws: &MemoryAws) -> Vec<f64> {
    aws.put_datums()
        .iter()
        .flat_map(|(_, datums)| datums)
        .filter(|d| d.name == names::PRESCALE_FLOOR)
        .map(|d| d.value)
        .collect()
}

fn desired_writes(aws: &MemoryAws) -> Vec<u32> {
    aws.desired_writes().into_iter().map(|(_, d)| d).collect()
}

fn business_hours() -> Vec<WindowSpec> {
    vec![WindowSpec {
        days: vec!["mon".into()],
        start: Some("08:00".into()),
        end: Some("18:00".into()),
        min_tasks: 5.0,
        ..WindowSpec::default()
    }]
}

fn settings() -> Settings {
    Settings::of(Common {
        namespace: "Sluice".to_owned(),
        concurrency: 4,
        ..Common::for_table("t")
    })
}

/// Monday 2026-11-30 at a Berlin (CET, +01:00) local time.
fn monday(local: &str) -> Timestamp {
    format!("2026-11-30T{local}:00+01:00").parse().unwrap()
}

fn scheduled() -> Value {
    json!({"source": "sluice.scheduler"})
}

#[tokio::test]
async fn raises_desired_ahead_of_the_window_and_restores_its_own_write_after() {
    let fakes = world(1, business_hours());
    let before = scheduled_at(&fakes, "07:49").await;
    assert_eq!(
        (before.targets[0].floor, before.targets[0].outcome),
        (Some(0), ChangeStatus::Unchanged)
    );
    let raised = scheduled_at(&fakes, "07:50").await;
    assert_eq!(
        raised.targets[0].change,
        Change::SetDesired { from: 1, to: 5 }
    );
    assert_eq!(desired_writes(&fakes), vec![5]);
    assert_eq!(
        fakes.own_write("gold").map(|o| o.raised_to),
        Some(5),
        "recorded as the prescaler's own write"
    );
    let during = scheduled_at(&fakes, "12:00").await;
    assert_eq!(during.targets[0].outcome, ChangeStatus::Unchanged);
    let after = scheduled_at(&fakes, "18:00").await;
    assert_eq!(
        after.targets[0].change,
        Change::SetDesired { from: 5, to: 1 }
    );
    assert_eq!(fakes.own_write("gold"), None);
    // Every run publishes the floor.
    assert_eq!(floors(&fakes), vec![0.0, 5.0, 5.0, 0.0]);
}

#[tokio::test]
async fn someone_elses_change_in_between_is_left_alone() {
    let fakes = world(1, business_hours());
    scheduled_at(&fakes, "09:00").await;
    fakes.set_service("c", "gold-svc", 7);
    let after = scheduled_at(&fakes, "18:30").await;
    assert_eq!(after.targets[0].change, Change::None);
    assert!(
        after.targets[0].reason.contains("someone else changed it"),
        "{}",
        after.targets[0].reason
    );
    assert_eq!(desired_writes(&fakes), vec![5]);
}

#[tokio::test]
async fn with_a_scalable_target_the_bounds_move_and_desired_is_never_written() {
    let fakes = world(1, business_hours());
    fakes.set_scalable("c", "gold-svc", 1, 3);
    let raised = scheduled_at(&fakes, "08:00").await;
    assert_eq!(
        raised.targets[0].change,
        Change::SetBounds {
            min: (1, 5),
            max: (3, 20)
        }
    );
    assert!(
        raised.targets[0]
            .reason
            .contains("MaxCapacity 3 -> capacity.max 20"),
        "{}",
        raised.targets[0].reason
    );
    let restored = scheduled_at(&fakes, "19:00").await;
    assert_eq!(
        restored.targets[0].change,
        Change::SetBounds {
            min: (5, 1),
            max: (20, 20)
        }
    );
    let writes: Vec<(u32, u32)> = fakes
        .bounds_writes()
        .into_iter()
        .map(|(_, min, max)| (min, max))
        .collect();
    assert_eq!(writes, vec![(5, 20), (1, 20)]);
    assert!(desired_writes(&fakes).is_empty());
}

#[tokio::test]
async fn forecast_only_and_dry_run_change_nothing() {
    let fakes = world(1, business_hours());
    let mut forecast = settings();
    forecast.forecast_only = true;
    let report = prescale(&scheduled(), &forecast, &ports(&fakes), monday("09:00"))
        .await
        .unwrap();
    assert_eq!(report.targets[0].outcome, ChangeStatus::Would(Prescale));
    assert!(
        report.targets[0]
            .reason
            .starts_with("forecast only: window floor 5")
    );
    assert_eq!(report.published_floors, 1, "the forecast is published");
    let mut dry = settings();
    dry.dry_run = true;
    let report = prescale(&scheduled(), &dry, &ports(&fakes), monday("09:00"))
        .await
        .unwrap();
    assert_eq!(report.published_floors, 0);
    assert!(desired_writes(&fakes).is_empty() && fakes.own_write("gold").is_none());
}

#[tokio::test]
async fn a_bad_stored_profile_skips_its_targets_by_name() {
    let fakes = world(1, business_hours());
    fakes.put_item(
        ItemKind::Profile,
        "business",
        r#"{"name": "business", "timezone": "Mars/Olympus", "windows": []}"#,
    );
    let report = scheduled_at(&fakes, "09:00").await;
    assert_eq!(report.targets[0].outcome, ChangeStatus::Skipped);
    assert!(
        report.targets[0]
            .reason
            .contains("profile business is invalid, target left as it is"),
        "{}",
        report.targets[0].reason
    );
    assert!(report.invalid["profile business"].contains("unknown IANA time zone"));
    assert!(desired_writes(&fakes).is_empty());
}

#[tokio::test]
async fn what_if_time_and_bad_events() {
    let fakes = world(1, business_hours());
    let report = prescale(
        &json!({"at": "2026-11-30T07:55:00+01:00"}),
        &settings(),
        &ports(&fakes),
        monday("03:00"),
    )
    .await
    .unwrap();
    assert_eq!(report.at, "2026-11-30T06:55:00Z");
    assert_eq!(
        report.targets[0].floor,
        Some(5),
        "the what-if time, not now"
    );
    let error = prescale(
        &json!({"targets": ["silver"]}),
        &settings(),
        &ports(&fakes),
        monday("03:00"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            RequestError::Select(SelectError::UnknownTargets { .. })
        ),
        "{error}"
    );
    let error = prescale(
        &json!({"at": "soon"}),
        &settings(),
        &ports(&fakes),
        monday("03:00"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, RequestError::BadEvent(_)));
}

#[tokio::test]
async fn targets_whose_profile_cannot_be_evaluated_are_counted_and_published() {
    let fakes = world(1, business_hours());
    fakes.put_item(
        ItemKind::Profile,
        "business",
        r#"{"name": "business", "timezone": "Europe/Atlantis", "windows": []}"#,
    );
    let report = scheduled_at(&fakes, "09:00").await;
    assert_eq!(report.targets_without_floor, 1);
    let fleet = fakes.fleet_published();
    assert_eq!(
        fleet,
        vec![("TargetsWithoutFloor", 1.0), ("PrescalerFailed", 0.0)],
        "a bad profile is its own count, not a failure to read or change"
    );
}

#[tokio::test]
async fn a_what_if_is_a_dry_run_unless_it_asks_to_apply() {
    let fakes = world(1, business_hours());
    let what_if = json!({"at": "2026-11-30T07:55:00+01:00"});
    let report = prescale(&what_if, &settings(), &ports(&fakes), monday("03:00"))
        .await
        .unwrap();
    assert!(report.dry_run, "a what-if plans, it does not act");
    assert_eq!(report.targets[0].outcome, ChangeStatus::Would(Prescale));
    assert_eq!(fakes.mutations(), 0);
    assert!(
        fakes.put_datums().is_empty(),
        "nor publishes a floor for another time"
    );
    let applied = json!({"at": "2026-11-30T07:55:00+01:00", "apply": true});
    let report = prescale(&applied, &settings(), &ports(&fakes), monday("03:00"))
        .await
        .unwrap();
    assert_eq!(report.targets[0].outcome, ChangeStatus::Done(Prescale));
    assert_eq!(desired_writes(&fakes), vec![5]);
}

#[tokio::test]
async fn a_what_if_time_must_be_within_a_year_and_a_real_offset() {
    let fakes = world(1, business_hours());
    // (at, part of the error)
    let cases = [
        ("9999-01-01T00:00:00Z", "more than 3660 days from now"),
        ("2000-01-01T00:00:00Z", "more than 3660 days from now"),
        ("2026-11-30T07:55:00+25:00", "offset"),
        (
            "2026-11-30T07:55:00+14:30",
            "offset +14:30 is not a UTC offset in use (-12:00 to +14:00)",
        ),
    ];
    for (at, expected) in cases {
        let error = prescale(
            &json!({"at": at}),
            &settings(),
            &ports(&fakes),
            monday("03:00"),
        )
        .await
        .expect_err("refused");
        assert!(error.to_string().contains(expected), "{at}: {error}");
    }
    assert_eq!(fakes.mutations(), 0);
}

/// The profile `business` switched to `lead: auto`, with lead_minutes 10 as fallback.
fn auto_lead(aws: &MemoryAws) {
    aws.put_profile(&Profile {
        name: "business".into(),
        timezone: "Europe/Berlin".into(),
        lead_minutes: 10,
        lead: sluice_core::profile::LeadMode::Auto,
        holidays: Vec::new(),
        calendars: Vec::new(),
        windows: business_hours(),
    });
}

fn start_ups(seconds: &[i64]) -> StartUps {
    let at = monday("07:00").as_second();
    StartUps(
        seconds
            .iter()
            .enumerate()
            .map(|(i, s)| StartUp {
                at: at - 86_400 * (i as i64 + 1),
                seconds: *s,
            })
            .collect(),
    )
}

#[tokio::test]
async fn lead_auto_rises_ahead_by_the_measured_p95_start_up_and_says_so() {
    let fakes = world(1, business_hours());
    auto_lead(&fakes);
    // GPU start-ups of 4-4.5 min: p95 270 s = 5 min, + interval 5 + 1 = 11 min.
    fakes.set_start_ups("gold", start_ups(&[240, 250, 270, 245]));
    let early = scheduled_at(&fakes, "07:48").await;
    assert_eq!(early.targets[0].floor, Some(0), "{:?}", early.targets[0]);
    let report = scheduled_at(&fakes, "07:49").await;
    let target = &report.targets[0];
    assert_eq!(target.change, Change::SetDesired { from: 1, to: 5 });
    assert_eq!(target.lead_minutes, Some(11));
    assert!(
        target.lead.contains("p95 start-up 270s over 4 start-ups"),
        "{}",
        target.lead
    );
    let published: Vec<(&str, f64)> = fakes
        .put_datums()
        .iter()
        .flat_map(|(_, datums)| datums.clone())
        .filter(|d| d.target.as_deref() == Some("gold"))
        .map(|d| (d.name, d.value))
        .collect();
    for expected in [
        ("PrescaleLead", 660.0),
        ("StartUpP50", 245.0),
        ("StartUpP95", 270.0),
    ] {
        assert!(
            published.contains(&expected),
            "{expected:?} in {published:?}"
        );
    }
}

/// A stored record with samples no wake could have measured (i64::MAX seconds, a
/// negative one, one dated 2100): the run goes on, on the real samples alone.
#[tokio::test]
async fn a_corrupt_start_up_sample_stops_nothing() {
    let fakes = world(1, business_hours());
    auto_lead(&fakes);
    let mut stored = start_ups(&[240, 250, 270, 245]);
    let at = monday("07:00").as_second();
    stored.0.extend([
        StartUp {
            at,
            seconds: i64::MAX,
        },
        StartUp {
            at,
            seconds: -1_000_000_000_000,
        },
        StartUp {
            at: at + 74 * 365 * 86_400,
            seconds: 300,
        },
        StartUp {
            at: i64::MIN,
            seconds: 60,
        },
    ]);
    fakes.set_start_ups("gold", stored);
    let report = scheduled_at(&fakes, "07:49").await;
    let target = &report.targets[0];
    assert_eq!(target.lead_minutes, Some(11), "{}", target.lead);
    assert_eq!(target.change, Change::SetDesired { from: 1, to: 5 });
}

#[tokio::test]
async fn lead_auto_without_enough_start_ups_uses_lead_minutes() {
    let fakes = world(1, business_hours());
    auto_lead(&fakes);
    fakes.set_start_ups("gold", start_ups(&[240, 250]));
    let report = scheduled_at(&fakes, "07:49").await;
    assert_eq!(report.targets[0].floor, Some(0));
    assert!(
        report.targets[0].lead.contains("2 start-up(s)"),
        "{}",
        report.targets[0].lead
    );
    // Unreadable start-ups: still lead_minutes, and the reason says why.
    fakes.fail_next(
        "DynamoDB.Query",
        Some("state#startups"),
        ErrorKind::Unavailable,
        1,
    );
    let report = scheduled_at(&fakes, "07:50").await;
    let target = &report.targets[0];
    assert_eq!(target.lead_minutes, Some(10));
    assert!(target.lead.contains("cannot be read"), "{}", target.lead);
    assert_eq!(target.change, Change::SetDesired { from: 1, to: 5 });
}

/// Budget `gpus` over target `gold`: 10 task-hours a day (UTC), in `mode`.
fn with_budget(aws: &MemoryAws, mode: BudgetMode) {
    let budget = Budget {
        name: "gpus".into(),
        targets: vec!["gold".into()],
        period: Period::Day,
        timezone: "UTC".into(),
        limit: 10.0,
        unit: SpendUnit::TaskHours,
        gpus_per_task: None,
        price_per_task_hour: None,
        mode,
    };
    let spec = serde_json::to_string(&budget).unwrap();
    aws.put_item(ItemKind::Budget, "gpus", &spec);
}

/// `running` tasks, and that many on average in each of the `hours` before `now`.
fn ran(aws: &MemoryAws, running: u32, hours: i64, now: Timestamp) {
    let query = MetricQuery {
        namespace: "Sluice".into(),
        metric: "RunningTasks".into(),
        dimensions: [("Target".to_owned(), "gold".to_owned())].into(),
        statistic: "Average",
    };
    let start = now.as_second() - hours * 3600;
    let points = (0..hours)
        .map(|h| (start + h * 3600, f64::from(running)))
        .collect();
    aws.set_points(&query, points);
    aws.set_tasks(
        "c",
        "gold-svc",
        TaskCounts {
            running,
            pending: 0,
            desired: running,
        },
    );
}

fn budget_figures(aws: &MemoryAws) -> Vec<(&'static str, Option<String>, f64)> {
    aws.put_datums()
        .iter()
        .flat_map(|(_, datums)| datums.clone())
        .filter(|d| d.name.starts_with("Budget"))
        .map(|d| (d.name, d.target, d.value))
        .collect()
}

#[tokio::test]
async fn a_spent_enforcing_budget_holds_max_capacity_at_what_runs_and_says_so() {
    let fakes = world(1, business_hours());
    fakes.set_scalable("c", "gold-svc", 1, 20);
    with_budget(&fakes, BudgetMode::Enforce);
    let now = monday("07:00");
    ran(&fakes, 3, 4, now);
    let report = prescale(&scheduled(), &settings(), &ports(&fakes), now)
        .await
        .unwrap();
    let target = &report.targets[0];
    assert_eq!(
        target.change,
        Change::SetBounds {
            min: (1, 1),
            max: (20, 3)
        },
        "{target:?}"
    );
    assert!(
        target.reason.contains("budget spent: MaxCapacity 20 -> 3"),
        "{}",
        target.reason
    );
    assert!(
        target.budgets[0].contains("budget gpus: 12.0 of 10 task-hours this day (120 %), spent"),
        "{:?}",
        target.budgets
    );
    let figures = budget_figures(&fakes);
    for expected in [
        ("BudgetSpend", Some("gpus".to_owned()), 12.0),
        ("BudgetUsedPercent", Some("gpus".to_owned()), 120.0),
        ("BudgetUsedPercentMax", None, 120.0),
    ] {
        assert!(figures.contains(&expected), "{expected:?} in {figures:?}");
    }
    // In the window the floor (5) is above the cap: MinCapacity rises to the cap only.
    let report = scheduled_at(&fakes, "08:00").await;
    let target = &report.targets[0];
    assert_eq!(
        target.change,
        Change::SetBounds {
            min: (1, 3),
            max: (3, 3)
        }
    );
    assert!(
        target
            .reason
            .contains("(capped at MaxCapacity 3; the floor is 5)"),
        "{}",
        target.reason
    );
}

#[tokio::test]
async fn a_required_window_keeps_its_floor_under_a_spent_budget() {
    let windows = vec![WindowSpec {
        required: true,
        ..business_hours().remove(0)
    }];
    let fakes = world(1, windows);
    fakes.set_scalable("c", "gold-svc", 1, 20);
    with_budget(&fakes, BudgetMode::Enforce);
    let now = monday("09:00");
    ran(&fakes, 2, 6, now);
    let report = prescale(&scheduled(), &settings(), &ports(&fakes), now)
        .await
        .unwrap();
    assert_eq!(
        report.targets[0].change,
        Change::SetBounds {
            min: (1, 5),
            max: (20, 5)
        },
        "{:?}",
        report.targets[0]
    );
}

#[tokio::test]
async fn an_alert_only_budget_changes_nothing_and_an_unread_enforcing_one_decides_nothing() {
    let fakes = world(1, Vec::new());
    fakes.set_scalable("c", "gold-svc", 1, 20);
    with_budget(&fakes, BudgetMode::Alert);
    let now = monday("07:00");
    ran(&fakes, 3, 5, now);
    let report = prescale(&scheduled(), &settings(), &ports(&fakes), now)
        .await
        .unwrap();
    assert_eq!(report.targets[0].change, Change::None);
    assert!(report.targets[0].budgets[0].ends_with("(150 %), alert only"));

    with_budget(&fakes, BudgetMode::Enforce);
    fakes.fail_next("CloudWatch.GetMetricData", None, ErrorKind::Throttled, 5);
    let report = prescale(&scheduled(), &settings(), &ports(&fakes), now)
        .await
        .unwrap();
    let target = &report.targets[0];
    assert_eq!(target.outcome, ChangeStatus::Unread);
    assert!(
        target.reason.contains("budget gpus: spend cannot be read"),
        "{}",
        target.reason
    );
    assert!(fakes.bounds_writes().is_empty());
}

#[tokio::test]
async fn each_run_publishes_the_floors_error_against_the_backlogs_need() {
    let fakes = world(1, business_hours());
    let figure = |name: &str| {
        fakes
            .put_datums()
            .iter()
            .flat_map(|(_, datums)| datums.clone())
            .filter(|d| d.name == name)
            .map(|d| d.value)
            .next_back()
    };
    // Floor 5, nothing queued: 5 tasks idle for the 5-minute interval.
    let report = scheduled_at(&fakes, "09:00").await;
    let error = report.targets[0].floor_error.unwrap();
    assert!(
        (error.over_task_hours - 5.0 * 5.0 / 60.0).abs() < 1e-9,
        "{error:?}"
    );
    assert_eq!(figure("FloorUnderTaskHours"), Some(0.0));
    // 100 queued at 10 per task needs 10: the floor was 5 short.
    fakes.set_queue(
        "q",
        QueueDepth {
            visible: 100,
            ..QueueDepth::default()
        },
    );
    scheduled_at(&fakes, "09:05").await;
    let under = figure("FloorUnderTaskHours").unwrap_or(0.0);
    assert!((under - 5.0 * 5.0 / 60.0).abs() < 1e-9, "{under}");
    assert_eq!(figure("FloorOverTaskHours"), Some(0.0));
}

/// [`fakes_target_on_group`] stored, and its group at MinSize 1 of at most 8.
fn on_instances(aws: &MemoryAws) {
    aws.put_target(&fakes_target_on_group());
    aws.set_group("gpu-asg", 1, None, 8);
}

#[tokio::test]
async fn a_refused_group_raise_keeps_its_record_and_the_next_run_finishes_it() {
    let fakes = world(1, business_hours());
    on_instances(&fakes);
    fakes.fail_next(
        "AutoScaling.UpdateAutoScalingGroup",
        None,
        ErrorKind::Throttled,
        1,
    );
    let refused = scheduled_at(&fakes, "07:45").await;
    let group = &refused.groups[0];
    assert_eq!(
        (group.needed, group.outcome),
        (3, ChangeStatus::Failed),
        "{group:?}"
    );
    assert_eq!(fakes.group("gpu-asg"), Some((1, None, 8)));
    let done = scheduled_at(&fakes, "07:50").await;
    assert_eq!(done.groups[0].change, Some((1, 3)));
    assert_eq!(fakes.group("gpu-asg"), Some((3, None, 8)));
    // The window's end gives back exactly the raise, to the MinSize it found.
    scheduled_at(&fakes, "18:30").await;
    assert_eq!(fakes.group("gpu-asg"), Some((1, None, 8)));
    // A dry run says what it would do and changes nothing.
    let dry = Settings {
        dry_run: true,
        ..settings()
    };
    let would = prescale(&scheduled(), &dry, &ports(&fakes), monday("07:50"))
        .await
        .unwrap();
    assert_eq!(would.groups[0].outcome, ChangeStatus::Would(Prescale));
    assert_eq!(fakes.group("gpu-asg"), Some((1, None, 8)));
}

/// With two shards, the group is decided once, by the shard that owns its name, and
/// its need counts the targets of both shards.
#[tokio::test]
async fn a_group_shared_by_two_shards_is_decided_once_for_all_its_targets() {
    let fakes = world(1, business_hours());
    on_instances(&fakes);
    let second = Target {
        name: "silver".into(),
        service: "silver-svc".into(),
        ..fakes_target_on_group()
    };
    fakes.put_target(&second);
    fakes.set_service("c", "silver-svc", 1);
    let mut decided = Vec::new();
    for index in 0..2 {
        let event = json!({"source": "sluice.scheduler", "shard": {"index": index, "count": 2}});
        let report = prescale(&event, &settings(), &ports(&fakes), monday("07:45"))
            .await
            .unwrap();
        decided.extend(report.groups.iter().map(|g| (g.needed, g.targets.len())));
    }
    // 5 tasks each, two to an instance: 3 + 3.
    assert_eq!(decided, vec![(6, 2)]);
    assert_eq!(fakes.group("gpu-asg"), Some((6, None, 8)));
}

/// A table that holds a MinSize target and a warm-pool target on one group (written
/// before validation refused the mix): the prescaler changes the group not at all,
/// and says why, rather than let each kind take the other's record of its raise.
#[tokio::test]
async fn a_group_with_two_kinds_of_floor_is_left_alone_and_said() {
    let fakes = world(1, business_hours());
    fakes.put_target(&fakes_target_on_group());
    fakes.set_group("gpu-asg", 1, Some(0), 8);
    let mut pooled = Target {
        name: "silver".into(),
        service: "silver-svc".into(),
        ..fakes_target_on_group()
    };
    if let Some(instances) = pooled.instances.as_mut() {
        instances.floor = sluice_core::instances::GroupFloor::WarmPool;
    }
    fakes.put_target(&pooled);
    fakes.set_service("c", "silver-svc", 1);
    for at in ["07:45", "07:50", "18:30"] {
        let report = prescale(&scheduled(), &settings(), &ports(&fakes), monday(at))
            .await
            .unwrap();
        assert_eq!(report.groups.len(), 2, "{:?}", report.groups);
        for group in &report.groups {
            assert_eq!(group.outcome, ChangeStatus::Failed);
            assert!(
                group.reason.contains("one group takes one kind of floor"),
                "{}",
                group.reason
            );
        }
        assert_eq!(
            fleet_datum(&fakes, names::PRESCALER_FAILED),
            Some(2.0),
            "the alarm hears it"
        );
    }
    assert_eq!(fakes.group("gpu-asg"), Some((1, Some(0), 8)), "untouched");
}

/// A stored budget that no longer parses holds no cap while it is invalid: the
/// PrescalerFailed alarm hears of it, as of a refused group raise.
#[tokio::test]
async fn an_invalid_stored_budget_and_a_refused_group_raise_are_counted_failed() {
    let fakes = world(1, business_hours());
    on_instances(&fakes);
    fakes.put_item(ItemKind::Budget, "spent", "{not json");
    fakes.fail_next(
        "AutoScaling.UpdateAutoScalingGroup",
        None,
        ErrorKind::AccessDenied,
        1,
    );
    let report = scheduled_at(&fakes, "07:45").await;
    assert!(
        report.invalid.contains_key("budget spent"),
        "{:?}",
        report.invalid
    );
    assert_eq!(report.groups[0].outcome, ChangeStatus::Failed);
    assert_eq!(fleet_datum(&fakes, names::PRESCALER_FAILED), Some(2.0));
}

/// `gold` with its tasks two to an instance on group `gpu-asg`, warm-up 5 minutes.
fn fakes_target_on_group() -> Target {
    Target {
        instances: Some(sluice_core::instances::Instances {
            auto_scaling_group: "gpu-asg".into(),
            tasks_per_instance: 2,
            warm_up_minutes: 5,
            floor: sluice_core::instances::GroupFloor::MinSize,
        }),
        ..Target::new("gold", "c", "gold-svc")
            .with_queues(["q"])
            .with_capacity(1, 20)
            .with_backlog_per_task(10.0)
            .with_profile("business")
    }
}

#[tokio::test]
async fn a_target_elsewhere_gets_its_floor_in_its_own_account() {
    let aws = world(1, business_hours());
    let role = "arn:aws:iam::111122223333:role/sluice";
    let team = Target::new("team", "c", "team-svc")
        .with_queues(["team-q"])
        .with_capacity(1, 20)
        .with_backlog_per_task(10.0)
        .in_account(role, Some("eu-west-1"))
        .with_profile("business");
    let account = aws.account(&team.place());
    account.set_service("c", "team-svc", 1);
    account.set_scalable("c", "team-svc", 1, 20);
    account.set_queue("team-q", Default::default());
    aws.put_target(&team);

    prescale(&scheduled(), &settings(), &ports(&aws), monday("09:00"))
        .await
        .expect("prescaled");

    assert_eq!(account.scalable("c", "team-svc").map(|b| b.min), Some(5));
    assert_eq!(
        desired_writes(&aws),
        vec![5],
        "gold, in the stack's account"
    );
    assert!(
        aws.own_write("team").is_some(),
        "its record is kept in the stack's table"
    );
}

#[tokio::test]
async fn a_refused_raise_is_counted_as_failed_and_a_clean_run_publishes_zero() {
    let fakes = world(1, business_hours());
    fakes.fail_next("ECS.UpdateService", None, ErrorKind::AccessDenied, 1);
    let refused = scheduled_at(&fakes, "07:50").await;
    assert_eq!(refused.targets[0].outcome, ChangeStatus::Failed);
    assert_eq!(refused.targets_failed, 1);
    assert_eq!(fleet_datum(&fakes, names::PRESCALER_FAILED), Some(1.0));

    let raised = scheduled_at(&fakes, "07:55").await;
    assert_eq!(raised.targets[0].outcome, ChangeStatus::Done(Prescale));
    assert_eq!(raised.targets_failed, 0);
    assert_eq!(fleet_datum(&fakes, names::PRESCALER_FAILED), Some(0.0));
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_leaves_its_targets_unchanged_and_unrecorded() {
    let aws = world(1, business_hours());
    let role = "arn:aws:iam::444455556666:role/sluice-missing";
    aws.put_target(
        &Target::new("lost", "c", "lost-svc")
            .with_capacity(1, 20)
            .in_account(role, None)
            .with_profile("business"),
    );

    let report = prescale(&scheduled(), &settings(), &ports(&aws), monday("09:00"))
        .await
        .expect("prescaled");

    let lost = report
        .targets
        .iter()
        .find(|t| t.target == "lost")
        .expect("reported");
    assert_eq!(
        lost.outcome,
        ChangeStatus::Unread,
        "as any target it cannot read"
    );
    assert!(lost.reason.contains(role), "{}", lost.reason);
    assert!(aws.own_write("lost").is_none(), "nothing recorded for it");
    assert_eq!(desired_writes(&aws), vec![5], "gold still raised");
    assert_eq!(report.targets_failed, 1, "lost, and gold is not");
    assert_eq!(fleet_datum(&aws, names::PRESCALER_FAILED), Some(1.0));
}

/// The last fleet-wide value of `name` the prescaler published.
fn fleet_datum(aws: &MemoryAws, name: &str) -> Option<f64> {
    aws.put_datums()
        .into_iter()
        .flat_map(|(_, datums)| datums)
        .rfind(|d| d.name == name && d.target.is_none())
        .map(|d| d.value)
}
