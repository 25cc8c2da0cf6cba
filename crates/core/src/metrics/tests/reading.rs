//! What a target's reading publishes.

use super::*;

#[test]
fn backlog_per_task_table() {
    // (backlog, tasks, expected)
    let cases = [
        (0, 0, 0.0),
        (10, 0, 10.0), // zero tasks count as one: the metric exists at zero
        (10, 1, 10.0),
        (10, 4, 2.5),
        (0, 3, 0.0),
    ];
    for (backlog, running, expected) in cases {
        assert_eq!(
            backlog_per_task(backlog, running),
            expected,
            "{backlog}/{running}"
        );
    }
}

#[test]
fn in_flight_only_backlog_keeps_the_service_busy() {
    let tasks = TaskCounts {
        running: 2,
        pending: 0,
        desired: 2,
    };
    let reading = held(0, 7, tasks);
    let datums = reading.datums(&target("t"));
    assert_eq!(value(&datums, names::VISIBLE), Some(0.0));
    assert_eq!(value(&datums, names::BACKLOG), Some(7.0));
    assert_eq!(value(&datums, names::BACKLOG_PER_TASK), Some(3.5));
}

#[test]
fn backlog_sums_visible_in_flight_and_delayed_over_queues() {
    let depth: QueueDepth = [
        QueueDepth {
            visible: 1,
            in_flight: 2,
            delayed: 3,
        },
        QueueDepth {
            visible: 10,
            in_flight: 0,
            delayed: 5,
        },
    ]
    .into_iter()
    .sum();
    assert_eq!(
        depth,
        QueueDepth {
            visible: 11,
            in_flight: 2,
            delayed: 8
        }
    );
    assert_eq!(depth.backlog(), 21);
}

#[test]
fn a_missing_gpu_reading_is_not_published() {
    let mut reading = held(0, 0, TaskCounts::default());
    let datums = reading.datums(&target("t"));
    assert_eq!(datums.len(), 9);
    assert_eq!(value(&datums, names::BACKLOG_WITHOUT_CAPACITY), Some(0.0));
    assert_eq!(value(&datums, names::GPU_AVERAGE), None);
    assert_eq!(value(&datums, names::GPU_MAX), None);
    assert_eq!(value(&datums, names::OLDEST_MESSAGE_AGE), None, "none read");

    reading.oldest_age = Some(42.0);
    let datums = reading.datums(&target("t"));
    let age = datums.iter().find(|d| d.name == names::OLDEST_MESSAGE_AGE);
    assert_eq!(age.map(|d| (d.value, d.unit)), Some((42.0, Unit::Seconds)));
    reading.oldest_age = None;

    reading.gpu = Some(GpuUtilization {
        average: 40.0,
        max: 90.0,
    });
    let datums = reading.datums(&target("t"));
    assert_eq!(value(&datums, names::GPU_AVERAGE), Some(40.0));
    assert_eq!(value(&datums, names::GPU_MAX), Some(90.0));
    assert!(datums.iter().all(|d| d.is_for("t")));
}

#[test]
fn a_target_under_the_load_model_publishes_its_need_and_rates() {
    use crate::capacity::{Basis, Need};
    let mut reading = reading(120, 3);
    reading.need = Some(Need {
        raw: 4.5,
        tasks: 5,
        basis: Basis::Rates {
            arrival: 200.0,
            service: 50.0,
            keep_up: 4.44,
            keep_up_sure: 4.44,
            drain: 2.4,
            drain_within_goal: 2.4,
            deviations: crate::capacity::need::NOISE_DEVIATIONS,
            carried: 0.0,
            utilization: 1.0,
        },
    });
    let datums = reading.datums(&target("t"));
    assert_eq!(
        value(&datums, names::CAPACITY_UTILIZATION),
        Some(150.0),
        "4.5 of 3"
    );
    assert_eq!(value(&datums, names::TASKS_NEEDED), Some(4.5));
    assert_eq!(value(&datums, names::ARRIVAL_RATE), Some(200.0));
    assert_eq!(value(&datums, names::SERVICE_RATE), Some(50.0));
    let unit = datums
        .iter()
        .find(|d| d.name == names::CAPACITY_UTILIZATION)
        .map(|d| d.unit);
    assert_eq!(unit, Some(Unit::Percent));
    reading.tasks.running = 0;
    assert_eq!(
        value(
            &reading.datums(&target("t")),
            names::BACKLOG_WITHOUT_CAPACITY
        ),
        Some(1.0)
    );
}

#[test]
fn changes_are_counted_over_the_history_and_the_count_now() {
    // (history oldest first, desired now, changes)
    let cases: [(&[f64], u32, u32); 6] = [
        (&[], 4, 0),
        (&[4.0], 4, 0),
        (&[4.0], 5, 1),
        (&[1.0, 1.0, 1.0, 1.0], 1, 0),
        (&[1.0, 4.0, 2.0, 5.0], 3, 4),
        (&[1.0, 4.0, 4.0, 4.0], 4, 1),
    ];
    for (history, now, want) in cases {
        assert_eq!(
            scaling_changes(history, now),
            want,
            "{history:?} then {now}"
        );
    }
}

#[test]
fn targets_at_the_limit_count_as_scaling_too_often() {
    let target = Target::new("t", "c", "s").with_capacity(0, 10);
    let mut tally = FleetTally::new(ScalingChangeLimit::default());
    for changes in [Some(2), Some(3), None, Some(9)] {
        let reading = Reading {
            scaling_changes: changes,
            ..held(0, 0, TaskCounts::default())
        };
        tally.count_published(&target, &reading);
    }
    assert_eq!(tally.scaling_too_often, 2);
    let datum = tally
        .datums()
        .into_iter()
        .find(|d| d.name == names::TARGETS_SCALING_TOO_OFTEN)
        .map(|d| d.value);
    assert_eq!(datum, Some(2.0));
}
