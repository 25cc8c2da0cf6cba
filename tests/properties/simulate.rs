//! The simulator over generated targets, services, demand and controllers (Sluice in
//! each mode, and the peers): messages are neither lost nor invented, desiredCount
//! stays within the scalable target's bounds, and a run is the same every time.

use proptest::prelude::*;
use sluice_core::config::{ScaleToZero, Target};
use sluice_core::scaling::{Burst, BurstStep, Scaling};
use sluice_sim::ecs::{Latency, TaskModel};
use sluice_sim::{Denominator, Kind, Scenario, run};
use sluice_testkit::property_config;

fn target() -> impl Strategy<Value = Target> {
    (
        (0u32..3, 1u32..15).prop_map(|(min, extra)| (min, min + extra)),
        1u32..100,
        proptest::option::of(1u32..10),
        any::<bool>(),
        0u32..400,
    )
        .prop_map(|((min, max), per_task, idle, burst, cooldown)| {
            let mut target = Target::new("t", "c", "s")
                .with_queues(["q"])
                .with_capacity(min, max)
                .with_backlog_per_task(f64::from(per_task))
                .with_scaling(Scaling {
                    scale_out_cooldown: cooldown,
                    scale_in_cooldown: cooldown,
                    burst: burst.then(|| Burst {
                        steps: vec![BurstStep {
                            backlog: 100,
                            add: 2,
                        }],
                        cooldown,
                    }),
                    ..Scaling::default()
                });
            if let (Some(idle_minutes), 0) = (idle, min) {
                target = target.with_scale_to_zero(ScaleToZero {
                    idle_minutes: Some(idle_minutes),
                    wake_tasks: 1,
                    ..ScaleToZero::default()
                });
            }
            target
        })
}

fn tasks() -> impl Strategy<Value = TaskModel> {
    // Messages alike, or (a quarter of the cases: drawing sizes doubles a run's time)
    // varying in size (crates/sim/src/service.rs).
    let spread = prop_oneof![3 => Just(0.0), 1 => 0.0..2.0f64];
    (
        0u32..600,
        1u32..100,
        proptest::option::of(1u32..4),
        spread,
        any::<bool>(),
    )
        .prop_map(
            |(startup, per, per_instance, service_cv, protects_while_working)| TaskModel {
                startup_seconds: Latency::Fixed(startup),
                per_task_per_minute: f64::from(per),
                tasks_per_instance: per_instance,
                instance_warmup_seconds: 120,
                price_per_hour: 1.0,
                gpus_per_task: 1,
                service_cv,
                protects_while_working,
            },
        )
}

proptest! {
    #![proptest_config(property_config())]

    #[test]
    fn a_run_conserves_messages_and_keeps_desired_within_bounds(
        target in target(),
        tasks in tasks(),
        arrivals in proptest::collection::vec(prop_oneof![Just(0u32), 0u32..50, 0u32..2000], 1..180),
        initial in 0u32..5,
        denominator in prop_oneof![Just(Denominator::Desired), Just(Denominator::Running)],
        controller in prop_oneof![
            Just(Kind::Sluice),
            Just(Kind::SluiceDirect),
            Just(Kind::SluiceBefore),
            Just(Kind::AwsRecipe),
            Just(Kind::KedaHpa),
        ],
        watcher_phase in prop_oneof![Just(0u32), 0u32..60],
        sqs_lag in prop_oneof![Just(0u32), Just(60u32), 0u32..=120],
    ) {
        let scenario = Scenario {
            target: target.clone(),
            schedule: None,
            start: jiff::Timestamp::from_second(1_800_000_000).map_err(|e| TestCaseError::fail(e.to_string()))?,
            tasks,
            denominator,
            initial_tasks: initial,
            seed: 1,
            controller,
            signals: Default::default(),
            watcher_phase_seconds: watcher_phase,
            sqs_count_lag_seconds: sqs_lag,
        };
        let ran = run(&scenario, &arrivals);
        let arrived: u64 = arrivals.iter().map(|a| u64::from(*a)).sum();
        let served: u64 = ran.minutes.iter().map(|m| m.served).sum();
        let left = ran.minutes.last().map_or(0, |m| m.visible);
        let received: u64 = ran.waits.iter().sum();
        prop_assert!(received >= served, "a message is received before it is served");
        prop_assert!(arrived >= served + left, "no message invented");
        // What is neither served nor waiting is in flight: in a task's hands, or left
        // by a stopped task until its visibility timeout ends.
        let in_hand = arrived - served - left;
        let in_flight = ran.minutes.last().map_or(0, |m| m.in_flight);
        prop_assert!(in_hand <= in_flight, "{} neither served nor waiting, {} in flight", in_hand, in_flight);
        for minute in &ran.minutes {
            prop_assert!(minute.desired <= target.capacity.max, "{:?}", minute);
            prop_assert!(minute.desired >= minute.min_capacity, "{:?}", minute);
            prop_assert!(minute.running <= target.capacity.max.max(initial));
        }
        prop_assert_eq!(ran, run(&scenario, &arrivals), "deterministic");
    }
}
