//! The decisions' invariants, over generated facts, states, clocks and settings,
//! stored times included at their extremes.

use proptest::prelude::*;
use sluice_core::budget;
use sluice_core::capacity::{self, Starting};
use sluice_core::config::{ScaleToZero, Target, WakeCount};
use sluice_core::facts::{ScalableBounds, TaskCounts};
use sluice_core::instances::{GroupFacts, GroupOwn, plan_group};
use sluice_core::prescale::{Change, Hold, OwnWrite, PrescaleFacts, plan};
use sluice_core::startup::{self, StartUp, StartUps};
use sluice_core::zero::{
    Cause, Decision, Facts, IdleGaps, IdleWait, Polled, Protection, Sizing, Transition, WatchState,
    Why, decide, wake_room,
};
use sluice_testkit::property_config;

const NOW: i64 = 1_800_000_000;

/// A stored time: near now, far in the past or future, or at the extremes.
fn time() -> impl Strategy<Value = i64> {
    prop_oneof![
        (NOW - 7200..NOW + 120),
        any::<i64>(),
        Just(i64::MIN),
        Just(i64::MAX),
    ]
}

fn bounds() -> impl Strategy<Value = Option<ScalableBounds>> {
    proptest::option::of((0u32..6, 0u32..12).prop_map(|(min, max)| ScalableBounds { min, max }))
}

fn state() -> impl Strategy<Value = WatchState> {
    (
        proptest::option::of(time()),
        proptest::option::of((any::<bool>(), time())),
        proptest::option::of((0u32..12, time())),
        (proptest::option::of(time()), proptest::option::of(time())),
        any::<u32>(),
        proptest::option::of(time()),
        proptest::option::of(time()),
        proptest::collection::vec(any::<i64>(), 0..12),
    )
        .prop_map(
            |(
                last_activity,
                claimed,
                observed,
                (wake_requested, waiting_since),
                skipped,
                woke_at,
                running_at,
                gaps,
            )| {
                WatchState {
                    last_activity,
                    claimed: claimed.map(|(wake, at)| {
                        let transition = if wake {
                            Transition::Wake
                        } else {
                            Transition::Sleep
                        };
                        (transition, at)
                    }),
                    observed,
                    waiting_since,
                    wake_requested,
                    woke_at,
                    running_at,
                    idle_gaps: gaps.iter().fold(IdleGaps::default(), |g, s| g.with(*s)),
                    skipped,
                }
            },
        )
}

fn cause() -> impl Strategy<Value = Cause> {
    prop_oneof![
        Just(Cause::Poll),
        Just(Cause::ManualSleep),
        Just(Cause::Push("push".to_owned())),
    ]
}

fn settings() -> impl Strategy<Value = ScaleToZero> {
    (
        proptest::option::of(1u32..30),
        1u32..8,
        0u64..20,
        any::<bool>(),
        0u32..30,
    )
        .prop_map(
            |(idle_minutes, wake_tasks, activation_backlog, sized, min_awake_minutes)| {
                ScaleToZero {
                    idle_minutes,
                    wake_tasks,
                    activation_backlog,
                    wake: if sized {
                        WakeCount::Sized
                    } else {
                        WakeCount::Fixed
                    },
                    min_awake_minutes,
                    ..ScaleToZero::default()
                }
            },
        )
}

fn sizing() -> impl Strategy<Value = Sizing> {
    (
        prop_oneof![Just(1.0), 0.5f64..500.0],
        1u32..100,
        prop::option::of(1u32..3600),
        prop::option::of(prop_oneof![Just(f64::NAN), -10.0f64..900.0]),
    )
        .prop_map(
            |(backlog_per_task, capacity_max, latency_goal_seconds, start_up_seconds)| Sizing {
                backlog_per_task,
                capacity_max,
                latency_goal_seconds,
                start_up_seconds,
            },
        )
}

fn protection() -> impl Strategy<Value = Protection> {
    prop_oneof![
        Just(Protection::Clear),
        Just(Protection::NotRead),
        (1u32..5).prop_map(Protection::Protected),
        Just(Protection::Unknown("AccessDenied".to_owned())),
    ]
}

/// What a window's polls saw: work, none, and the gaps that work ended, at any time.
fn polled() -> impl Strategy<Value = Polled> {
    (
        proptest::option::of(time()),
        proptest::option::of(time()),
        proptest::collection::vec(any::<i64>(), 0..10),
    )
        .prop_map(|(busy_at, quiet_at, gaps)| Polled {
            busy_at,
            quiet_at,
            gaps: gaps.iter().fold(IdleGaps::default(), |g, s| g.with(*s)),
        })
}

/// A share of a count in flight, in percent: none, all, or any part.
fn share() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(100u64), 0u64..=100]
}

/// `percent` of `count`, rounded down.
fn part(count: u64, percent: u64) -> u64 {
    (u128::from(count) * u128::from(percent) / 100) as u64
}

fn facts() -> impl Strategy<Value = Facts> {
    (
        (0u32..12, any::<bool>()),
        (prop_oneof![Just(0u64), 0u64..50, any::<u64>()], share()),
        any::<bool>(),
        bounds(),
        (prop_oneof![Just(0u64), 0u64..5], share()),
        proptest::option::of(time()),
        protection(),
        (proptest::option::of(0u32..4), polled()),
    )
        .prop_map(
            |(
                (desired, all_running),
                (backlog, held),
                metric_active,
                bounds,
                (priority, priority_held),
                recent,
                protection,
                (prescaled, polled),
            )| {
                Facts {
                    desired,
                    // All running, or some of the desired tasks still starting.
                    running: if all_running { desired } else { desired / 2 },
                    backlog,
                    in_flight: part(backlog, held),
                    priority_backlog: priority,
                    priority_in_flight: part(priority, priority_held),
                    metric_active,
                    bounds,
                    prescaled,
                    recent_activity: recent,
                    protection,
                    polled,
                }
            },
        )
}

proptest! {
    #![proptest_config(property_config())]

    /// Never to 0 while a task starts, with work seen, on a push, under a floor, with
    /// a task protected or protection unknown, within the idle window of work seen
    /// between looks or by the polls, or (but for a manual sleep) within
    /// min_awake_minutes of a wake; a wake only from 0, to at least one task, never
    /// above MaxCapacity or capacity.max, fixed at the wake count or sized to the
    /// backlog; a manual sleep never wakes.
    #[test]
    fn decide_keeps_the_zero_edge_safe(
        settings in settings(),
        sizing in sizing(),
        facts in facts(),
        state in state(),
        cause in cause(),
        now in prop_oneof![Just(NOW), time()],
    ) {
        let verdict = decide(&settings, sizing, &facts, &state, &cause, now);
        match verdict.decision {
            Decision::Sleep { .. } => {
                prop_assert!(facts.desired > 0);
                // At any count, once every task runs (idle means idle).
                prop_assert_eq!(facts.running, facts.desired);
                prop_assert!(facts.backlog == 0 && !facts.metric_active);
                prop_assert_eq!(facts.priority_backlog, 0);
                prop_assert!(!matches!(cause, Cause::Push(_)));
                prop_assert!(facts.bounds.is_none_or(|b| b.min == 0));
                prop_assert!(facts.prescaled.is_none_or(|floor| floor == 0));
                prop_assert_eq!(&facts.protection, &Protection::Clear);
                if cause == Cause::Poll {
                    // Declared, the wait is at least what it says; unset, at least a
                    // poll (sluice_core::zero::IdleWait), after work seen between looks
                    // or by the polls.
                    let idle = settings
                        .idle_minutes
                        .map_or(IdleWait::AUTO_LEAST_SECONDS, |m| i64::from(m) * 60);
                    let waited = |at: Option<i64>| at.is_none_or(|at| now.saturating_sub(at.min(now)) >= idle);
                    prop_assert!(waited(facts.recent_activity));
                    prop_assert!(waited(facts.polled.busy_at));
                    let awake = i64::from(settings.min_awake_minutes) * 60;
                    prop_assert!(state.woke_at.is_none_or(|at| now.saturating_sub(at) >= awake));
                }
            }
            Decision::Wake { to, .. } => {
                prop_assert_eq!(facts.desired, 0);
                prop_assert!(to >= 1);
                prop_assert!(facts.bounds.is_none_or(|b| to <= b.max));
                let floor = facts.bounds.map_or(0, |b| b.min);
                let most = match settings.wake {
                    WakeCount::Fixed => settings.wake_tasks,
                    WakeCount::Sized => settings.wake_tasks.max(sizing.capacity_max),
                };
                prop_assert!(to <= most.max(floor));
                prop_assert!(cause != Cause::ManualSleep);
                prop_assert_eq!(verdict.state.woke_at, Some(now));
                // A poll wakes for work a task woken now could receive: what is in
                // flight is no one's to receive until it is visible again.
                if cause == Cause::Poll && !facts.metric_active && state.wake_requested.is_none() {
                    let waiting = facts.backlog - facts.in_flight;
                    let urgent = facts.priority_backlog - facts.priority_in_flight;
                    prop_assert!(waiting > settings.activation_backlog || urgent > 0);
                }
            }
            Decision::Stay { reason: Why::WakePutOff { waited, room } } => {
                // Put off only on a poll of a sleeping service with queued work alone,
                // within the room its goal leaves beyond a start-up and a stale read.
                prop_assert_eq!(facts.desired, 0);
                prop_assert_eq!(&cause, &Cause::Poll);
                prop_assert!(!facts.metric_active && state.wake_requested.is_none());
                prop_assert_eq!(facts.priority_backlog - facts.priority_in_flight, 0);
                // At most the room a single message leaves one task.
                prop_assert!(wake_room(&sizing, 1, 1).is_some_and(|most| room <= most));
                let goal = i64::from(sizing.latency_goal_seconds.unwrap_or(0));
                prop_assert!((0..room).contains(&waited) && room < goal);
                prop_assert!(verdict.state.waiting_since.is_some());
            }
            Decision::Stay { .. } => {}
        }
        // A decided look clears the skip streak.
        prop_assert_eq!(verdict.state.skipped, 0);
    }

    /// The bounds follow the configuration and a window's cap, the floor never leaves
    /// [min, MaxCapacity], and a
    /// window never lowers desiredCount; after a window only the prescaler's own write
    /// is given back, never below what the backlog needs or the configured min.
    #[test]
    fn plan_never_lowers_a_floor_or_passes_max(
        (min, max) in (0u32..5, 1u32..20).prop_map(|(min, extra)| (min, min + extra)),
        floor in 0u32..30,
        desired in 0u32..25,
        backlog in prop_oneof![0u64..200, any::<u64>()],
        bounds in bounds(),
        own in proptest::option::of(0u32..25),
        cap in proptest::option::of(0u32..25),
        (spent, running, required) in (any::<bool>(), 0u32..25, 0u32..30),
    ) {
        let target = Target::new("t", "c", "s")
            .with_queues(["q"])
            .with_capacity(min, max)
            .with_backlog_per_task(10.0)
            .with_profile("p");
        let facts = PrescaleFacts { desired, running, backlog, bounds };
        let own = own.map(|raised_to| OwnWrite { raised_to, capped_to: None, at: NOW - 60, resource: None });
        // An enforcing budget that is spent holds MaxCapacity at what runs, never below
        // the required floor or the configured min.
        let budget_cap = spent.then(|| budget::cap(running, required.max(min)));
        let planned = plan(&target, Hold { floor, cap, budget_cap }, &facts, own, NOW);
        let in_window = floor > min;
        match planned.change {
            Change::SetBounds { min: (_, to_min), max: (_, to_max) } => {
                // A window's cap lowers MaxCapacity, never raises it past capacity.max,
                // and MinCapacity never passes it.
                let capped = [cap, budget_cap].into_iter().flatten().fold(max, u32::min);
                prop_assert_eq!(to_max, capped);
                if spent {
                    // Never below what runs or the required floor (unless a window's
                    // cap or capacity.max is lower still).
                    let kept = running.max(required).max(min).min(max);
                    prop_assert!(to_max >= kept.min(cap.unwrap_or(u32::MAX)));
                }
                prop_assert!(to_min <= to_max);
                prop_assert_eq!(to_min, floor.max(min).min(to_max));
            }
            Change::SetDesired { from, to } => {
                prop_assert_eq!(from, desired);
                prop_assert!(bounds.is_none());
                prop_assert!(to <= max);
                if in_window {
                    prop_assert!(to > desired, "a window never lowers: {} -> {}", desired, to);
                } else {
                    prop_assert!(to < desired && to >= min);
                    prop_assert!(own.is_some_and(|o| o.raised_to == desired), "only its own write");
                }
            }
            Change::None => {}
        }
    }

    /// Kept start-ups are at most KEPT, recent, distinct and in order, whatever
    /// arrives; the lead they give stays within a day.
    #[test]
    fn start_ups_kept_are_bounded_and_recent(
        ats in prop::collection::vec(0..40 * 86_400i64, 0..60),
        seconds in 0..100_000i64,
    ) {
        let mut kept = StartUps::default();
        for at in &ats {
            kept = kept.with(StartUp { at: NOW - at, seconds }, NOW);
        }
        prop_assert!(kept.0.len() <= startup::KEPT);
        prop_assert!(kept.0.windows(2).all(|w| w[0].at < w[1].at));
        prop_assert!(kept.0.iter().all(|s| s.at >= NOW - startup::RECENT_DAYS * 86_400));
        let lead = startup::auto(&kept, 10, 5, NOW);
        prop_assert!((0..=startup::MAX_LEAD_MINUTES).contains(&lead.minutes));
    }

    /// A group's floor rises to the need (at most MaxSize), is lowered only from the
    /// prescaler's own raise and never below the floor it found, and the record names
    /// the floor left behind.
    #[test]
    fn a_groups_floor_is_raised_to_the_need_and_only_our_raise_is_lowered(
        needed in 0u32..30,
        live in 0u32..30,
        max_size in 0u32..30,
        own in proptest::option::of((0u32..30, 0u32..30)),
    ) {
        let own = own.map(|(raised_to, baseline)| GroupOwn { raised_to: raised_to.max(baseline), baseline, floor: None });
        let facts = GroupFacts { floor: Some(live), max_size };
        let plan = plan_group(needed, facts, own);
        let after = plan.change.map_or(live, |(_, to)| to);
        if let Some((from, to)) = plan.change {
            prop_assert_eq!(from, live);
            if to > from {
                prop_assert_eq!(to, needed.min(max_size));
            } else {
                let own = own.expect("only our raise is lowered");
                prop_assert!(to >= own.baseline && live <= own.raised_to);
                prop_assert!(to >= needed.min(max_size));
            }
        }
        if let Some(kept) = plan.own {
            prop_assert_eq!(kept.raised_to, after);
            prop_assert!(kept.baseline < kept.raised_to || plan.change.is_none());
        }
    }

    /// A raise's start-up (capacity::starting) is measured at most once, only at a look
    /// that sees every task it asked for running and desired still at least the raise,
    /// as the time since the raise, never negative nor beyond a day; once measured or
    /// dropped it is forgotten, and a look that is neither keeps it.
    #[test]
    fn a_raise_is_measured_once_and_only_when_its_tasks_run(
        since in time(),
        to in 1u32..12,
        looks in proptest::collection::vec((0u32..12, 0u32..12, 0i64..400), 0..20),
    ) {
        let mut starting = Some(Starting { since, to });
        let mut measured = 0;
        let mut at = NOW;
        for (desired, running, step) in looks {
            at += step;
            let tasks = TaskCounts { desired, running, ..TaskCounts::default() };
            let before = starting;
            let sample = capacity::measure(&mut starting, &tasks, at);
            let Some(kept) = before else {
                prop_assert_eq!(sample, None);
                prop_assert_eq!(starting, None);
                continue;
            };
            let seconds = at.checked_sub(kept.since);
            let plausible = seconds.is_some_and(|s| (0..=86_400).contains(&s));
            match sample {
                Some(sample) => {
                    measured += 1;
                    prop_assert!(desired >= to && running >= to && plausible);
                    prop_assert_eq!(Some(sample.seconds), seconds);
                    prop_assert_eq!(sample.at, at);
                    prop_assert_eq!(starting, None);
                }
                None if starting.is_none() => prop_assert!(desired < to || !plausible),
                None => {
                    prop_assert_eq!(starting, before);
                    prop_assert!(running < to && desired >= to && plausible);
                }
            }
        }
        prop_assert!(measured <= 1);
    }

    /// The need never falls as SQS's count rises, all else equal (a count doubted for
    /// being small, capacity::arrival, meets the fraction the queue carries there), and
    /// the doubted keep-up term never asks for more than the reading: counts stepped up
    /// a tenth at a time over queues filled to a share of what the goal allows,
    /// start-ups, goals and polls a few seconds apart.
    #[test]
    fn the_need_never_falls_as_the_count_rises(
        // Small counts of long jobs as often as web traffic.
        (counted, service) in prop_oneof![(0.0f64..8.0, 0.1f64..4.0), (0.0f64..600.0, 0.1f64..60.0)],
        goal_seconds in 30u32..900,
        start_up in proptest::option::of(10.0f64..600.0),
        fill in 0.0f64..1.5,
        (running, starting) in (0u32..8, prop_oneof![Just(0u32), 0u32..3]),
        polls in proptest::collection::vec((0.0f64..20.0, 0u32..8, 1i64..30), 0..5),
    ) {
        let goal = capacity::Goal {
            backlog_per_task: 4.0 * service,
            latency_seconds: Some(goal_seconds),
            utilization: 0.8,
            prior_service: None,
        };
        let look = |at: i64, waiting: f64, running: u32, desired: u32| capacity::Look {
            at, waiting, in_flight: f64::from(running).min(waiting + 1.0), running, desired,
        };
        let mut at = NOW;
        let looks: Vec<capacity::Look> = polls
            .iter()
            .map(|&(waiting, running, step)| {
                at += step;
                look(at, waiting, running, running)
            })
            .collect();
        let allowed = service * f64::from(goal_seconds) / 60.0 * f64::from(running.max(1));
        let now = look(at + 5, fill * allowed, running, running + starting);
        let mut last: Option<capacity::Need> = None;
        for step in 0..30 {
            let rates = capacity::Rates {
                arrival: Some(counted + f64::from(step) / 10.0),
                service: Some(service),
                start_up,
                samples: 3,
                looks: looks.clone(),
                ..capacity::Rates::default()
            };
            let need = capacity::Need::of(&goal, &rates, &now);
            let capacity::Basis::Rates { keep_up, keep_up_sure, carried, .. } = need.basis else {
                return Err(TestCaseError::fail(format!("rates: {need:?}")));
            };
            prop_assert!(keep_up_sure <= keep_up - carried + 1e-9, "{need:?}");
            if let Some(last) = last {
                prop_assert!(need.raw >= last.raw - 1e-9, "{last:?} then {need:?}");
                prop_assert!(need.tasks >= last.tasks, "{last:?} then {need:?}");
            }
            last = Some(need);
        }
    }
}
