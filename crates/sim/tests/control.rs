//! What the issue promised of Sluice's capacity, on the seed workloads (the real traces
//! are not in the repository: `infra/bench.sh control` runs them), each with a 90 s
//! and a 4-7 minute start-up: a steady load settles, target tracking never undoes
//! what Sluice raised, and Sluice is ahead of the peers where users wait and where
//! the bill comes from.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure here is a failed test"
)]

use sluice_sim::Changed;
use sluice_sim::Kind;
use sluice_sim::compare::{self, Contest, Entry};
use sluice_sim::workloads::{self, StartUp, Workload};

fn seeds() -> Vec<(StartUp, Workload)> {
    StartUp::BOTH
        .into_iter()
        .flat_map(|startup| {
            let seeds = workloads::seeds(startup).expect("the seed workloads generate");
            seeds.into_iter().map(move |w| (startup, w))
        })
        .collect()
}

fn seed(name: &str, startup: StartUp) -> Workload {
    workloads::seeds(startup)
        .expect("the seed workloads generate")
        .into_iter()
        .find(|w| w.name == name)
        .expect("a seed of that name")
}

fn sluice(contest: &Contest) -> &Entry {
    contest.entry(Kind::Sluice).expect("sluice ran")
}

/// 150 a minute, 50 a task: three tasks' work. Once settled (the start-up and a
/// give-back window after the first minute), no action for the rest of the four hours,
/// and at most one task above the three the load needs at full utilisation.
#[test]
fn a_steady_load_settles_and_stays() {
    for startup in StartUp::BOTH {
        let contest = compare::contest(&seed("steady", startup), &[Kind::Sluice]);
        let minutes = &sluice(&contest).run.minutes;
        let last_change = minutes
            .iter()
            .rposition(|m| !m.changes.is_empty())
            .unwrap_or(0);
        assert!(
            last_change <= 20,
            "{startup:?}: still moving at minute {last_change}: {:?}",
            minutes[last_change].changes
        );
        let settled = &minutes[last_change + 1..];
        assert!(
            settled.iter().all(|m| (3..=4).contains(&m.running)),
            "{startup:?}: running {:?}",
            settled.iter().map(|m| m.running).collect::<Vec<_>>()
        );
    }
}

/// Sluice raises desired itself; target tracking on CapacityUtilization (its scale-in
/// disabled) must never take that back, on any seed.
#[test]
fn target_tracking_never_undoes_a_raise() {
    for (startup, workload) in seeds() {
        let contest = compare::contest(&workload, &[Kind::Sluice]);
        for minute in &sluice(&contest).run.minutes {
            for change in &minute.changes {
                if let Changed::ScaledIn { why, .. } = change {
                    assert!(
                        why.starts_with("Sluice"),
                        "{} ({startup:?}) minute {}: {change}",
                        workload.name,
                        minute.minute
                    );
                }
            }
        }
    }
}

/// On every seed: no more minutes with a late message than either peer as configured,
/// and fewer task-hours than any run of a peer that keeps the latency goal at p95 (as
/// configured, or tuned to the goal with hindsight: `compare::tuned`).
#[test]
fn sluice_is_ahead_of_the_peers_on_the_seeds() {
    for (startup, workload) in seeds() {
        let contest = compare::contest(&workload, &Kind::ALL);
        let ours = &sluice(&contest).summary;
        let label = format!("{} ({startup:?})", workload.name);
        for peer in contest
            .entries
            .iter()
            .filter(|e| Kind::PEERS.contains(&e.controller))
        {
            let theirs = &peer.summary;
            if peer.tuning.is_none() {
                assert!(
                    ours.late_minutes <= theirs.late_minutes,
                    "{label}: {} late minutes against {}'s {}",
                    ours.late_minutes,
                    peer.label(),
                    theirs.late_minutes
                );
            }
            if theirs.wait_p95 <= theirs.latency_goal {
                assert!(
                    ours.task_hours < theirs.task_hours,
                    "{label}: {:.1} task-hours against {}'s {:.1} at p95 {}s",
                    ours.task_hours,
                    peer.label(),
                    theirs.task_hours,
                    theirs.wait_p95
                );
            }
        }
    }
}

/// The limit is a schedule that keeps the goal: never below the messages' work, and
/// never above what Sluice ran.
#[test]
fn the_limit_lies_between_the_work_and_sluice() {
    for (startup, workload) in seeds() {
        let contest = compare::contest(&workload, &[Kind::Sluice]);
        let s = &sluice(&contest).summary;
        assert!(
            s.work_task_hours <= s.limit_task_hours + 1e-9 && s.limit_task_hours <= s.task_hours,
            "{} ({startup:?}): work {:.2}, limit {:.2}, sluice {:.2}",
            workload.name,
            s.work_task_hours,
            s.limit_task_hours,
            s.task_hours
        );
    }
}

/// The limit pays the fastest draw for every start-up; a clairvoyant whose tasks start
/// as the controllers' do pays the mean draw, never less, and most where the bill is
/// start-ups (the bursty seed's jobs wake a sleeping service each time). A fixed
/// start-up has no such second figure: it is the limit's own.
#[test]
fn a_clairvoyant_paying_the_mean_start_up_bills_at_least_the_limit() {
    for (startup, workload) in seeds() {
        let contest = compare::contest(&workload, &[Kind::Sluice]);
        let limit = sluice(&contest).summary.limit_task_hours;
        let mean = contest
            .limit_at_mean_start_up
            .expect("the seeds draw their start-ups");
        assert!(
            mean >= limit,
            "{} ({startup:?}): {mean} < {limit}",
            workload.name
        );
        if workload.name == "bursty" {
            assert!(mean > 1.15 * limit, "{startup:?}: {mean} against {limit}");
        }
    }
    let mut fixed = seed("surge", StartUp::Seconds60To120);
    fixed.tasks.startup_seconds = sluice_sim::ecs::Latency::Fixed(90);
    let contest = compare::contest(&fixed, &[Kind::Sluice]);
    assert_eq!(contest.limit_at_mean_start_up, None);
}

/// The summary docs/control.md shows is written by the tool, one row per contest with
/// the header's cells: Sluice, KEDA as configured, the cheapest peer run in the goal.
#[test]
fn the_summary_row_has_the_headers_cells() {
    // SQS's counts read fresh, so that a tuned peer keeps the goal and is named.
    let mut steady = seed("steady", StartUp::Seconds60To120);
    steady.sqs_count_lag_seconds = 0;
    let contest = compare::contest(&steady, &Kind::ALL);
    let row = compare::summary_row(&contest, StartUp::Seconds60To120.short());
    let cells = |line: &str| line.trim().trim_matches('|').split('|').count();
    let header = compare::SUMMARY_HEADER.lines().next().expect("a header");
    assert_eq!(cells(&row), cells(header), "{row}");
    assert!(row.starts_with("| steady | 60-120 s | 1:00 | 1.3"), "{row}");
    assert!(row.contains("keda-hpa, tuned"), "{row}");
}

/// The simulator must not flatter: a target that names no queues has no need Sluice
/// could read (its backlog is somewhere Sluice does not look), so the surge's work
/// waits on what its own policies do; here none, so nothing moves. Before, the
/// simulated watcher read the scenario's queue anyway and met the surge.
#[test]
fn a_target_without_queues_is_sized_by_nothing_but_its_policies() {
    let mut workload = seed("surge", StartUp::Seconds60To120);
    workload.target.queues.clear();
    let contest = compare::contest(&workload, &[Kind::Sluice]);
    let minutes = &sluice(&contest).run.minutes;
    let moves: Vec<String> = minutes
        .iter()
        .flat_map(|m| m.changes.iter().map(|c| format!("{}: {c}", m.minute)))
        .collect();
    assert!(moves.is_empty(), "{moves:?}");
    assert!(
        sluice(&contest).summary.late_minutes > 0,
        "the surge waited"
    );
}
