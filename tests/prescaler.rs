//! The prescaler through its real handler against the emulators, at what-if times:
//! MinCapacity and desiredCount are read back from moto, floors from CloudWatch.

use anyhow::Result;
use prescaler::prescale::{ChangeStatus, Prescale};
use prescaler::{Prescaler, Settings};
use serde_json::json;
use sluice_aws::{ConfigStore, DynamoStore, ItemKind, StartUpRecords};
use sluice_core::budget::{Budget, BudgetMode, Period, SpendUnit};
use sluice_core::config::Target;
use sluice_core::instances::{GroupFloor, Instances};
use sluice_core::prescale::Change;
use sluice_core::profile::WindowSpec;
use sluice_core::profile::{LeadMode, Profile};
use sluice_core::settings::Common;
use sluice_core::startup::StartUp;
use sluice_testkit::{Emulators, business_hours, fixture, refused, unique};

/// The fixtures' target and profile: business hours Monday to Friday in Berlin.
use sluice_testkit::fixture_names::TARGET;

struct Scenario {
    emulators: Emulators,
    table: String,
    store: DynamoStore,
    namespace: String,
    cluster: String,
    service: String,
}

async fn scenario(forecast_only: bool) -> Result<Scenario> {
    let emulators = Emulators::connect().await?;
    let one = emulators.one_service("prescale", 1).await?;
    let target = Target {
        forecast_only,
        ..one
            .target()
            .with_capacity(1, 20)
            .with_backlog_per_task(10.0)
            .with_profile("business-hours")
    };
    let profile = business_hours();
    let (table, store, cluster, service) = (one.table, one.store, one.cluster, one.service);
    emulators.store_targets(&store, &[target]).await?;
    emulators.store_profile(&store, &profile).await?;
    Ok(Scenario {
        emulators,
        table,
        store,
        namespace: unique("SluicePrescale"),
        cluster,
        service,
    })
}

impl Scenario {
    fn prescaler(&self) -> Prescaler {
        self.prescaler_with(&self.emulators.clients)
    }

    fn prescaler_with(&self, clients: &sluice_aws::Clients) -> Prescaler {
        let settings = Settings::of(Common {
            namespace: self.namespace.clone(),
            concurrency: 8,
            ..Common::for_table(&self.table)
        });
        Prescaler::new(clients, settings)
    }

    async fn desired(&self) -> Result<i32> {
        self.emulators
            .desired_count(&self.cluster, &self.service)
            .await
    }

    /// The service's scalable target's (MinCapacity, MaxCapacity), read at moto.
    async fn bounds(&self) -> Result<(i32, i32)> {
        self.emulators
            .scalable_bounds(&self.cluster, &self.service)
            .await
    }

    /// Registers the service as a scalable target with these bounds.
    async fn register(&self, min: i32, max: i32) -> Result<()> {
        self.emulators
            .register_scalable_target(&self.cluster, &self.service, min, max)
            .await
    }
}

/// A what-if that acts: Monday 30 November at a Berlin (CET) local time.
fn at(local: &str) -> serde_json::Value {
    json!({ "at": format!("2026-11-30T{local}:00+01:00"), "apply": true })
}

#[tokio::test]
async fn a_scalable_targets_bounds_follow_the_configuration_and_the_window() -> Result<()> {
    let scenario = scenario(false).await?;
    scenario.register(1, 10).await?;
    let prescaler = scenario.prescaler();
    let report = prescaler
        .handle(&fixture("prescaler/what-if-apply.json")?)
        .await?;
    assert_eq!(
        report.targets[0].change,
        Change::SetBounds {
            min: (1, 5),
            max: (10, 20)
        },
        "{report:?}"
    );
    assert!(
        report.targets[0].reason.contains(
            "MaxCapacity 10 -> capacity.max 20 (the target's configuration owns the bounds"
        ),
        "the override is named: {report:?}"
    );
    assert_eq!(
        scenario.bounds().await?,
        (5, 20),
        "07:55: 5 minutes before 08:00 with a 10 minute lead; MaxCapacity is capacity.max"
    );
    assert_eq!(
        scenario.desired().await?,
        1,
        "desiredCount is target tracking's, never written"
    );
    let report = prescaler.handle(&at("18:30")).await?;
    assert_eq!(
        report.targets[0].change,
        Change::SetBounds {
            min: (5, 1),
            max: (20, 20)
        }
    );
    assert_eq!(
        report.targets[0].reason, "no window: MinCapacity 5 -> the configured min 1",
        "the window's end is the prescaler's own, not an override"
    );
    assert_eq!(scenario.bounds().await?, (1, 20));
    Ok(())
}

#[tokio::test]
async fn without_a_scalable_target_desired_is_raised_and_restored() -> Result<()> {
    let scenario = scenario(false).await?;
    let prescaler = scenario.prescaler();
    let report = prescaler.handle(&at("07:49")).await?;
    assert_eq!(report.targets[0].outcome, ChangeStatus::Unchanged);
    let report = prescaler.handle(&at("07:50")).await?;
    assert_eq!(
        report.targets[0].outcome,
        ChangeStatus::Done(Prescale),
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 5);
    let report = prescaler.handle(&at("18:00")).await?;
    assert_eq!(
        report.targets[0].change,
        Change::SetDesired { from: 5, to: 1 },
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 1);
    Ok(())
}

/// Two writers of one desiredCount, together (issue 23 item 9): on a service without a
/// scalable target the prescaler holds its window floor as desiredCount; the watcher,
/// seeing the service idle, slept it, the prescaler raised it again at its next run,
/// and the two took turns through the window. The watcher now reads the prescaler's
/// own write as a floor, as it reads MinCapacity. Read back at moto.
#[tokio::test]
async fn the_watcher_does_not_sleep_a_window_floor_without_a_scalable_target() -> Result<()> {
    use sluice_core::config::ScaleToZero;
    let scenario = scenario(false).await?;
    let store = &scenario.store;
    let stored = store.list(ItemKind::Target).await?;
    let mut target: Target = serde_json::from_str(&stored[0].spec)?;
    target.capacity.min = 0;
    target.scale_to_zero = Some(ScaleToZero {
        wake_tasks: 1,
        idle_minutes: Some(5),
        ..ScaleToZero::default()
    });
    scenario.emulators.store_targets(store, &[target]).await?;
    scenario.prescaler().handle(&at("07:50")).await?;
    assert_eq!(scenario.desired().await?, 5, "the window's floor");

    let watcher = zero_watcher::Watcher::new(
        &scenario.emulators.clients,
        zero_watcher::Settings::one_look(Common {
            namespace: scenario.namespace.clone(),
            concurrency: 8,
            ..Common::for_table(&scenario.table)
        }),
    );
    let poll = fixture("zero-watcher/scheduled.json")?;
    for later in [0, 6 * 60, 30 * 60] {
        let report = watcher.handle_at(&poll, &LaterBy(later), None).await?;
        let decision = &report.decisions[0];
        assert_eq!(
            decision.outcome,
            zero_watcher::watch::Effect::Unchanged,
            "{later} s: {report:?}"
        );
        if later > 0 {
            assert!(
                decision.reason.contains("the prescaler's window floor 5"),
                "{}",
                decision.reason
            );
        }
        assert_eq!(scenario.desired().await?, 5, "{later} s");
    }
    // The window's end gives the floor back; then idleness may sleep the service.
    scenario.prescaler().handle(&at("18:00")).await?;
    assert_eq!(scenario.desired().await?, 0);
    Ok(())
}

/// Real time moved forward by so many seconds.
struct LaterBy(i64);

impl sluice_lambda::Clock for LaterBy {
    fn now(&self) -> i64 {
        sluice_lambda::SystemClock.now() + self.0
    }
}

/// Issue 23 item 4: a window's end forgot the prescaler's own write before it gave
/// the raise back, so a refused UpdateService left the raise with no record of
/// whose it was, for good. Now the record goes only after the give-back is made:
/// refused, the next run gives back. Read back at moto.
#[tokio::test]
async fn a_refused_give_back_is_given_back_at_the_next_run() -> Result<()> {
    use sluice_testkit::faults::{Fault, FaultPlan};
    let scenario = scenario(false).await?;
    scenario.prescaler().handle(&at("07:50")).await?;
    assert_eq!(scenario.desired().await?, 5);
    let plan = FaultPlan::new();
    plan.always("ECS.UpdateService", Fault::AccessDenied);
    let refused = scenario
        .prescaler_with(&scenario.emulators.clients_with_faults(&plan)?)
        .handle(&at("18:00"))
        .await?;
    assert_eq!(
        refused.targets[0].outcome,
        ChangeStatus::Failed,
        "{refused:?}"
    );
    assert_eq!(scenario.desired().await?, 5, "refused: still raised");
    let report = scenario.prescaler().handle(&at("18:05")).await?;
    assert_eq!(
        report.targets[0].change,
        Change::SetDesired { from: 5, to: 1 },
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 1, "given back at the next run");
    Ok(())
}

/// Start-ups kept in DynamoDB by ten concurrent writers (as the watcher records
/// them) all count, and `lead: auto` raises the floor ahead by their p95: 600 s is
/// 10 min, + the 5 min interval + 1 = 16 min before 08:00.
#[tokio::test]
async fn lead_auto_rises_ahead_by_start_ups_kept_in_dynamodb() -> Result<()> {
    let scenario = scenario(false).await?;
    let store = &scenario.store;
    let profile = Profile {
        lead: LeadMode::Auto,
        ..business_hours()
    };
    scenario.emulators.store_profile(store, &profile).await?;
    let now = jiff::Timestamp::now().as_second();
    let writes = (0..10).map(|i| {
        let sample = StartUp {
            at: now - 60 * i,
            seconds: 540 + i,
        };
        store.record_start(TARGET, sample, now)
    });
    for written in futures::future::join_all(writes).await {
        written?;
    }
    let kept = store.start_ups().await?;
    assert_eq!(kept.get(TARGET).map(|s| s.0.len()), Some(10), "{kept:?}");
    let prescaler = scenario.prescaler();
    let report = prescaler.handle(&at("07:43")).await?;
    assert_eq!(report.targets[0].floor, Some(0), "{report:?}");
    let report = prescaler.handle(&at("07:44")).await?;
    let target = &report.targets[0];
    assert_eq!(target.lead_minutes, Some(16), "{}", target.lead);
    assert!(
        target.lead.contains("p95 start-up 549s over 10"),
        "{}",
        target.lead
    );
    assert_eq!(scenario.desired().await?, 5);
    Ok(())
}

/// A zone whose day began at least an hour ago, so that a budget's day holds the
/// last hour's history whatever the wall clock says.
fn zone_past_midnight() -> &'static str {
    let utc_hour = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .hour();
    if utc_hour >= 1 { "UTC" } else { "Asia/Tokyo" }
}

async fn store_budget(scenario: &Scenario, mode: BudgetMode) -> Result<String> {
    let store = &scenario.store;
    let budget = Budget {
        name: unique("gpus"),
        targets: vec![TARGET.to_owned()],
        period: Period::Day,
        timezone: zone_past_midnight().to_owned(),
        limit: 1.0,
        unit: SpendUnit::TaskHours,
        gpus_per_task: None,
        price_per_task_hour: None,
        mode,
    };
    store
        .put(
            ItemKind::Budget,
            &budget.name,
            &serde_json::to_string(&budget)?,
        )
        .await?;
    // Four tasks running for the last 40 minutes, as the publisher would have written.
    let now = jiff::Timestamp::now().as_second();
    let points: Vec<(i64, f64)> = (1..=40).map(|m| (now - 60 * m, 4.0)).collect();
    scenario
        .emulators
        .put_history(&scenario.namespace, TARGET, "RunningTasks", &points)
        .await?;
    Ok(budget.name)
}

/// A scenario whose service has a scalable target (1-20) and a budget of `mode`
/// already spent today; the budget's name.
async fn budget_scenario(mode: BudgetMode) -> Result<(Scenario, String)> {
    let scenario = scenario(false).await?;
    scenario.register(1, 20).await?;
    let name = store_budget(&scenario, mode).await?;
    Ok((scenario, name))
}

/// Spend summed from RunningTasks in LocalStack; an enforcing budget that is spent
/// holds MaxCapacity (read back from moto) at what runs, and the spend is published
/// per budget and fleet-wide (read back from LocalStack).
#[tokio::test]
async fn a_spent_enforcing_budget_caps_max_capacity_in_moto() -> Result<()> {
    let (scenario, name) = budget_scenario(BudgetMode::Enforce).await?;
    let prescaler = scenario.prescaler();
    let report = prescaler.handle(&at("03:00")).await?;
    let target = &report.targets[0];
    assert!(
        target.budgets[0].contains("spent: MaxCapacity held"),
        "{report:?}"
    );
    assert!(
        target.reason.contains("budget spent: MaxCapacity 20 -> 1"),
        "{report:?}"
    );
    assert_eq!(
        scenario.bounds().await?,
        (1, 1),
        "held at what runs (moto's one task, and capacity.min 1)"
    );
    let again = prescaler.handle(&at("03:00")).await?;
    assert_eq!(
        again.targets[0].outcome,
        ChangeStatus::Unchanged,
        "{again:?}"
    );
    let published = scenario
        .emulators
        .published_by(&scenario.namespace, "Budget", &name)
        .await?;
    let percent = published.get("BudgetUsedPercent").copied().unwrap_or(0.0);
    assert!(percent >= 100.0, "{published:?}");
    let fleet = scenario
        .emulators
        .published_fleet_wide(&scenario.namespace)
        .await?;
    assert!(
        fleet.get("BudgetUsedPercentMax").copied().unwrap_or(0.0) >= 100.0,
        "{fleet:?}"
    );
    Ok(())
}

/// Issue 23 item 3: a stored budget that no longer parses was dropped, and the cap it
/// held lifted at the next run. Which targets it covered is unknown, so while any
/// stored budget is unreadable no cap in force is lifted (and PrescalerFailed counts
/// it). Read back at moto.
#[tokio::test]
async fn an_unreadable_budget_lifts_no_cap() -> Result<()> {
    let (scenario, name) = budget_scenario(BudgetMode::Enforce).await?;
    let prescaler = scenario.prescaler();
    prescaler.handle(&at("03:00")).await?;
    let bounds = || scenario.bounds();
    assert_eq!(bounds().await?, (1, 1), "the spent budget's cap");
    let store = &scenario.store;
    store
        .put(ItemKind::Budget, &name, "{\"name\": \"garbled\"")
        .await?;
    let report = prescaler.handle(&at("03:05")).await?;
    assert!(
        report.invalid.contains_key(&format!("budget {name}")),
        "{report:?}"
    );
    assert!(
        report.targets[0]
            .reason
            .contains("MaxCapacity 1 kept: a stored budget does not parse"),
        "{}",
        report.targets[0].reason
    );
    assert_eq!(bounds().await?, (1, 1), "not lifted");
    Ok(())
}

#[tokio::test]
async fn an_alert_only_budget_publishes_its_spend_and_changes_nothing() -> Result<()> {
    let (scenario, _) = budget_scenario(BudgetMode::Alert).await?;
    let report = scenario.prescaler().handle(&at("03:00")).await?;
    assert_eq!(
        report.targets[0].outcome,
        ChangeStatus::Unchanged,
        "{report:?}"
    );
    assert!(
        report.targets[0].budgets[0].ends_with("alert only"),
        "{report:?}"
    );
    assert_eq!(scenario.bounds().await?, (1, 20));
    Ok(())
}

/// The target's tasks fit two to an instance, instances take 5 minutes: the group's
/// floor rises 15 minutes before 08:00 (lead 10 + warm-up 5) to the 3 instances 5
/// tasks need, and the window's end gives back exactly that raise (read from moto).
async fn group_scenario(floor: GroupFloor) -> Result<(Scenario, String)> {
    let scenario = scenario(false).await?;
    let group = unique("gpu-asg");
    scenario
        .emulators
        .create_group(&group, 0, 8, floor == GroupFloor::WarmPool)
        .await?;
    let store = &scenario.store;
    let target = Target {
        instances: Some(Instances {
            auto_scaling_group: group.clone(),
            tasks_per_instance: 2,
            warm_up_minutes: 5,
            floor,
        }),
        ..Target::new(TARGET, &scenario.cluster, &scenario.service)
            .with_capacity(0, 20)
            .with_backlog_per_task(10.0)
            .with_profile("business-hours")
    };
    scenario.emulators.store_targets(store, &[target]).await?;
    Ok((scenario, group))
}

#[tokio::test]
async fn a_groups_min_size_rises_ahead_by_the_warm_up_and_its_end_gives_it_back() -> Result<()> {
    let (scenario, group) = group_scenario(GroupFloor::MinSize).await?;
    let prescaler = scenario.prescaler();
    let early = prescaler.handle(&at("07:44")).await?;
    assert_eq!(early.groups[0].needed, 0, "{early:?}");
    assert_eq!(scenario.emulators.group_floors(&group).await?.0, 0);
    let ahead = prescaler.handle(&at("07:45")).await?;
    assert_eq!(ahead.groups[0].change, Some((0, 3)), "{ahead:?}");
    assert_eq!(ahead.groups[0].outcome, ChangeStatus::Done(Prescale));
    assert_eq!(scenario.emulators.group_floors(&group).await?.0, 3);
    let again = prescaler.handle(&at("09:00")).await?;
    assert_eq!(
        again.groups[0].outcome,
        ChangeStatus::Unchanged,
        "{again:?}"
    );
    let after = prescaler.handle(&at("18:30")).await?;
    assert_eq!(after.groups[0].change, Some((3, 0)), "{after:?}");
    assert_eq!(scenario.emulators.group_floors(&group).await?.0, 0);
    Ok(())
}

/// Issue 23 item 4: a raise no target asks for any more is given back. A group raised
/// for a target that is then made forecast-only (or loses its `instances`, or is
/// deleted) is no longer among the groups declared; the prescaler's record says
/// which floor it raised, and the next run gives that back. A forecast-only target
/// never raises its group. Read back at moto's Auto Scaling.
#[tokio::test]
async fn a_group_raise_is_given_back_when_its_target_no_longer_asks() -> Result<()> {
    let (scenario, group) = group_scenario(GroupFloor::WarmPool).await?;
    let prescaler = scenario.prescaler();
    prescaler.handle(&at("07:50")).await?;
    assert_eq!(scenario.emulators.group_floors(&group).await?, (0, Some(3)));
    let store = &scenario.store;
    let stored = store.list(ItemKind::Target).await?;
    let mut target: Target = serde_json::from_str(&stored[0].spec)?;
    target.forecast_only = true;
    scenario.emulators.store_targets(store, &[target]).await?;
    let report = prescaler.handle(&at("09:00")).await?;
    assert_eq!(report.groups[0].change, Some((3, 0)), "{report:?}");
    assert!(
        report.groups[0]
            .reason
            .starts_with("no target declares the group any more"),
        "{}",
        report.groups[0].reason
    );
    assert_eq!(
        scenario.emulators.group_floors(&group).await?,
        (0, Some(0)),
        "the warm pool given back, MinSize untouched"
    );
    let again = prescaler.handle(&at("09:05")).await?;
    assert!(again.groups.is_empty(), "nothing left to give: {again:?}");
    Ok(())
}

/// A what-if applied for named targets moves only the groups they declare.
#[tokio::test]
async fn a_what_if_for_named_targets_moves_only_their_groups() -> Result<()> {
    let (scenario, group) = group_scenario(GroupFloor::MinSize).await?;
    let other_group = unique("other-asg");
    scenario
        .emulators
        .create_group(&other_group, 0, 8, false)
        .await?;
    let store = &scenario.store;
    let other_service = unique("other-svc");
    scenario
        .emulators
        .create_service(&scenario.cluster, &other_service, 1)
        .await?;
    let other = Target {
        instances: Some(Instances {
            auto_scaling_group: other_group.clone(),
            tasks_per_instance: 2,
            warm_up_minutes: 5,
            floor: GroupFloor::MinSize,
        }),
        ..Target::new("other", &scenario.cluster, &other_service)
            .with_capacity(0, 20)
            .with_backlog_per_task(10.0)
            .with_profile("business-hours")
    };
    scenario.emulators.store_targets(store, &[other]).await?;
    let named = json!({ "at": "2026-11-30T09:00:00+01:00", "apply": true, "targets": [TARGET] });
    let report = scenario.prescaler().handle(&named).await?;
    assert_eq!(report.groups.len(), 1, "{report:?}");
    assert_eq!(report.groups[0].group, group);
    assert_eq!(scenario.emulators.group_floors(&group).await?.0, 3);
    assert_eq!(
        scenario.emulators.group_floors(&other_group).await?.0,
        0,
        "a group no named target declares is left alone"
    );
    Ok(())
}

#[tokio::test]
async fn a_warm_pool_is_filled_ahead_and_emptied_after() -> Result<()> {
    let (scenario, group) = group_scenario(GroupFloor::WarmPool).await?;
    let prescaler = scenario.prescaler();
    prescaler.handle(&at("07:50")).await?;
    assert_eq!(
        scenario.emulators.group_floors(&group).await?,
        (0, Some(3)),
        "the warm pool holds the instances; MinSize is left alone"
    );
    prescaler.handle(&at("18:30")).await?;
    assert_eq!(scenario.emulators.group_floors(&group).await?, (0, Some(0)));
    Ok(())
}

#[tokio::test]
async fn a_service_someone_else_changed_is_left_alone() -> Result<()> {
    let scenario = scenario(false).await?;
    let prescaler = scenario.prescaler();
    prescaler.handle(&at("09:00")).await?;
    assert_eq!(scenario.desired().await?, 5);
    scenario
        .emulators
        .set_desired(&scenario.cluster, &scenario.service, 7)
        .await?;
    let report = prescaler.handle(&at("18:30")).await?;
    assert_eq!(report.targets[0].outcome, ChangeStatus::Unchanged);
    assert!(
        report.targets[0].reason.contains("someone else changed it"),
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 7);
    Ok(())
}

#[tokio::test]
async fn forecast_only_publishes_the_floor_and_changes_nothing() -> Result<()> {
    let scenario = scenario(true).await?;
    let report = scenario.prescaler().handle(&at("09:00")).await?;
    assert_eq!(
        report.targets[0].outcome,
        ChangeStatus::Would(Prescale),
        "{report:?}"
    );
    assert_eq!(scenario.desired().await?, 1);
    let published = scenario
        .emulators
        .published(&scenario.namespace, TARGET)
        .await?;
    assert_eq!(
        published.get("PrescaleFloor"),
        Some(&5.0),
        "read back from CloudWatch: {published:?}"
    );
    Ok(())
}

#[tokio::test]
async fn scheduled_fixtures_run_and_bad_events_change_nothing() -> Result<()> {
    let scenario = scenario(false).await?;
    let prescaler = scenario.prescaler();
    for fixture_name in ["prescaler/scheduled.json", "prescaler/scheduler.json"] {
        let report = prescaler.handle(&fixture(fixture_name)?).await?;
        assert_eq!(report.targets.len(), 1, "{fixture_name}: {report:?}");
        assert!(report.targets[0].floor.is_some());
    }
    let before = scenario.desired().await?;
    let malformed = fixture("prescaler/malformed.json")?;
    refused(
        prescaler.handle(&malformed).await,
        "is not an RFC 3339 time",
    )?;
    let unknown = json!({"at": "2026-11-30T09:00:00+01:00", "targets": ["nobody"]});
    let answer = prescaler.handle(&unknown).await;
    refused(answer, "unknown target(s) in the event: nobody")?;
    assert_eq!(scenario.desired().await?, before);
    Ok(())
}

#[tokio::test]
async fn a_windows_cap_holds_max_capacity_down_and_its_end_gives_it_back() -> Result<()> {
    let scenario = scenario(false).await?;
    // The night is capped at 2 tasks (a cheaper night), Monday 22:00 to Tuesday 06:00.
    let store = &scenario.store;
    let profile = Profile::new(
        "business-hours",
        "Europe/Berlin",
        10,
        vec![WindowSpec {
            days: vec!["mon".to_owned()],
            start: Some("22:00".to_owned()),
            end: Some("06:00".to_owned()),
            min_tasks: 0.0,
            max_tasks: Some(2),
            ..WindowSpec::default()
        }],
    );
    scenario.emulators.store_profile(store, &profile).await?;
    scenario.register(1, 20).await?;
    let bounds = || scenario.bounds();
    let prescaler = scenario.prescaler();
    let before = prescaler.handle(&at("21:55")).await?;
    assert_eq!(
        before.targets[0].change,
        Change::None,
        "no lead for a cap: {before:?}"
    );
    let night = prescaler.handle(&at("22:00")).await?;
    assert_eq!(night.targets[0].reason, "window cap 2: MaxCapacity 20 -> 2");
    assert_eq!(night.targets[0].cap, Some(2));
    assert_eq!(bounds().await?, (1, 2), "read back from moto");
    let again = prescaler.handle(&at("23:00")).await?;
    assert_eq!(
        again.targets[0].change,
        Change::None,
        "a repeat changes nothing"
    );
    let morning = json!({ "at": "2026-12-01T06:00:00+01:00", "apply": true });
    let after = prescaler.handle(&morning).await?;
    assert_eq!(
        after.targets[0].reason, "MaxCapacity 2 -> capacity.max 20",
        "its own cap, given back without calling it an override"
    );
    assert_eq!(bounds().await?, (1, 20));
    Ok(())
}
