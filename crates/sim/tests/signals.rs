//! A team's metric read as what the scenario says it stands for: a latency rule sees the
//! queue's wait, not its depth.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure here is a failed test"
)]

use sluice_core::config::Target;
use sluice_core::scaling::Scaling;
use sluice_sim::Kind;
use sluice_sim::compare;
use sluice_sim::ecs::{Latency, TaskModel};
use sluice_sim::signals::{Signal, Signals};
use sluice_sim::workloads::Workload;

/// Minute-long jobs arriving two a minute at one task: the queue grows a job a minute,
/// so within the hour the oldest job waits many minutes while fewer than 120 wait.
/// The team's rule: an instance more when `Latency` is above 120 for 2 minutes.
fn workload() -> Workload {
    let scaling: Scaling = serde_yaml_ng::from_str(
        "step_rules:\n\
         \x20 - { namespace: Team, metric: Latency, above: 120, for_minutes: 2, add: 1 }\n",
    )
    .expect("scaling");
    Workload {
        name: "jobs".to_owned(),
        about: "two minute-long jobs a minute".to_owned(),
        // No queues: nothing but the team's rule sizes the service.
        target: Target::new("jobs", "sim", "jobs")
            .with_capacity(1, 10)
            .with_backlog_per_task(1.0)
            .with_scaling(scaling),
        tasks: TaskModel::plain(Latency::Fixed(60), 1.0),
        arrivals: vec![2; 60],
        start: jiff::Timestamp::UNIX_EPOCH,
        initial: 1,
        seed: 1,
        load_ends: Vec::new(),
        watcher_phase_seconds: 0,
        sqs_count_lag_seconds: sluice_sim::attributes::LAG_SECONDS,
    }
}

fn scale_outs(signals: Signals) -> usize {
    let workload = workload();
    let mut scenario = compare::scenario(&workload, Kind::Sluice);
    scenario.signals = signals;
    let run = sluice_sim::run(&scenario, &workload.arrivals);
    let last = run.minutes.last().expect("minutes");
    assert!(last.visible < 120, "never 120 waiting: {}", last.visible);
    run.minutes
        .iter()
        .flat_map(|m| &m.changes)
        .filter(|c| c.to_string().contains("Latency"))
        .count()
}

#[test]
fn a_latency_rule_scales_on_the_wait_where_the_depth_stays_under_it() {
    assert_eq!(scale_outs(Signals::new()), 0, "read as the jobs waiting");
    let latency = Signals::from([("Latency".to_owned(), Signal::WaitSeconds)]);
    assert!(
        scale_outs(latency) >= 1,
        "read as a latency, the wait passes 120 s within minutes"
    );
}
