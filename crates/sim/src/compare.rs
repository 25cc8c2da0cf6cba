//! Controllers side by side on one workload: Sluice, the peers, and the clairvoyant
//! limit, measured the same way (`crate::report`) on the same trace.

use crate::controller::Kind;
use crate::report::{self, Summary, clock_time};
use crate::workloads::Workload;
use crate::{Denominator, Run, Scenario};

/// One controller's run of a workload.
#[derive(Debug, Clone)]
pub struct Entry {
    pub controller: Kind,
    /// A peer tuned to the latency goal: the share of `backlog_per_task` it was given
    /// (KEDA's `queueLength`, the recipe's acceptable backlog); see [`tuned`].
    pub tuning: Option<f64>,
    pub summary: Summary,
    pub run: Run,
}

impl Entry {
    pub fn label(&self) -> String {
        match self.tuning {
            Some(share) => format!("{}, tuned (x{share:.2})", self.controller.label()),
            None => self.controller.label().to_owned(),
        }
    }
}

/// The shares of `backlog_per_task` a peer is tried at when tuned, largest first.
pub const TUNINGS: [f64; 6] = [0.75, 0.5, 0.35, 0.25, 0.15, 0.1];

/// A workload's runs, one per controller.
#[derive(Debug, Clone)]
pub struct Contest {
    pub workload: String,
    pub entries: Vec<Entry>,
    /// The limit's task-hours with every start-up the mean draw, when start-ups are
    /// drawn (`Scenario::mean_start_up_limit_spec`).
    pub limit_at_mean_start_up: Option<f64>,
}

impl Contest {
    pub fn entry(&self, controller: Kind) -> Option<&Entry> {
        self.entries.iter().find(|e| e.controller == controller)
    }
}

/// Runs `workload` under each of `controllers`, then each peer among them that
/// misses the latency goal as configured again, tuned to it ([`tuned`]).
pub fn contest(workload: &Workload, controllers: &[Kind]) -> Contest {
    let mut entries: Vec<Entry> = controllers
        .iter()
        .map(|controller| {
            let scenario = scenario(workload, *controller);
            entry(workload, &scenario, None)
        })
        .collect();
    let tuned: Vec<Entry> = entries
        .iter()
        .filter(|e| Kind::PEERS.contains(&e.controller))
        .filter_map(|e| tuned(workload, e.controller, &e.summary))
        .collect();
    entries.extend(tuned);
    let limit_at_mean_start_up = scenario(workload, Kind::Sluice)
        .mean_start_up_limit_spec()
        .map(|spec| crate::limit::limit(&workload.arrivals, spec).task_hours);
    Contest {
        workload: workload.name.clone(),
        entries,
        limit_at_mean_start_up,
    }
}

fn entry(workload: &Workload, scenario: &Scenario, tuning: Option<f64>) -> Entry {
    let run = crate::run(scenario, &workload.arrivals);
    let summary = report::summarize(scenario, &run, &workload.load_ends);
    Entry {
        controller: scenario.controller,
        tuning,
        summary,
        run,
    }
}

/// `peer` as a team would tune it to the latency goal, with hindsight: its per-task
/// figure the largest share of `backlog_per_task` in [`TUNINGS`] at which the p95 wait
/// is within the goal (the smallest tried when none is). The goal stays the target's.
/// None when the peer meets the goal as configured: there is nothing to tune.
pub fn tuned(workload: &Workload, peer: Kind, as_configured: &Summary) -> Option<Entry> {
    if as_configured.wait_p95 <= as_configured.latency_goal {
        return None;
    }
    let base = scenario(workload, peer);
    let goal = u32::try_from(base.latency_goal_seconds()).unwrap_or(u32::MAX);
    let mut last = None;
    for share in TUNINGS {
        let mut tuned = base.clone();
        tuned.target.latency_goal_seconds = Some(goal);
        tuned.target.backlog_per_task = base.target.backlog_per_task * share;
        let candidate = entry(workload, &tuned, Some(share));
        if candidate.summary.wait_p95 <= candidate.summary.latency_goal {
            return Some(candidate);
        }
        last = Some(candidate);
    }
    last
}

/// The scenario `controller` runs `workload` as.
pub fn scenario(workload: &Workload, controller: Kind) -> Scenario {
    Scenario {
        target: workload.target.clone(),
        schedule: None,
        start: workload.start,
        tasks: workload.tasks.clone(),
        denominator: Denominator::Desired,
        initial_tasks: workload.initial,
        seed: workload.seed,
        controller,
        signals: Default::default(),
        watcher_phase_seconds: workload.watcher_phase_seconds,
        sqs_count_lag_seconds: workload.sqs_count_lag_seconds,
    }
}

/// The header of [`summary_row`]'s table.
pub const SUMMARY_HEADER: &str = "| workload | start-up | goal | sluice x limit | p95 | late min | reversals | keda-hpa x limit | p95 | late min | cheapest peer run within the goal |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";

/// One line of the summary docs/control.md shows: Sluice beside KEDA as configured,
/// and the cheapest peer run (as configured or tuned) whose p95 wait is within the
/// goal, or "none".
pub fn summary_row(contest: &Contest, startup: &str) -> String {
    let cells = |kind: Kind| match contest.entry(kind) {
        Some(e) => {
            let s = &e.summary;
            format!(
                "{:.2} | {} | {}",
                s.limit_ratio(),
                clock_time(s.wait_p95),
                s.late_minutes
            )
        }
        None => "| |".to_owned(),
    };
    let sluice = contest.entry(Kind::Sluice);
    let goal = sluice.map_or(0, |e| e.summary.latency_goal);
    let reversals = sluice.map_or(0, |e| e.summary.reversals);
    let cheapest = contest
        .entries
        .iter()
        .filter(|e| Kind::PEERS.contains(&e.controller))
        .filter(|e| e.summary.wait_p95 <= e.summary.latency_goal)
        .min_by(|a, b| a.summary.task_hours.total_cmp(&b.summary.task_hours))
        .map_or("none".to_owned(), |e| {
            format!(
                "{}: x{:.2}, {} late min",
                e.label(),
                e.summary.limit_ratio(),
                e.summary.late_minutes
            )
        });
    format!(
        "| {} | {startup} | {} | {} | {reversals} | {} | {cheapest} |\n",
        contest.workload,
        clock_time(goal),
        cells(Kind::Sluice),
        cells(Kind::KedaHpa),
    )
}

/// The contest as a Markdown table: one row per controller, then the limit.
pub fn markdown(contest: &Contest) -> String {
    let mut out = String::from(
        "| controller | task-hours | x limit | wait p50 | p95 | max | min late | ups / downs | reversals | peak |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for entry in &contest.entries {
        let s = &entry.summary;
        out.push_str(&format!(
            "| {} | {:.1} | {:.2} | {} | {} | {} | {} | {} / {} | {} | {} |\n",
            entry.label(),
            s.task_hours,
            s.limit_ratio(),
            clock_time(s.wait_p50),
            clock_time(s.wait_p95),
            clock_time(s.wait_max),
            s.late_minutes,
            s.ups,
            s.downs,
            s.reversals,
            s.peak_tasks,
        ));
    }
    if let Some(first) = contest.entries.first() {
        let s = &first.summary;
        out.push_str(&format!(
            "| clairvoyant limit | {:.1} | 1.00 | | | {} (goal) | 0 | | | {} |\n",
            s.limit_task_hours,
            clock_time(s.latency_goal),
            first.run.limit.peak
        ));
        if let Some(hours) = contest.limit_at_mean_start_up {
            out.push_str(&format!(
                "| clairvoyant, mean start-up | {hours:.1} | {:.2} | | | {} (goal) | 0 | | | |\n",
                hours / s.limit_task_hours.max(f64::MIN_POSITIVE),
                clock_time(s.latency_goal),
            ));
        }
    }
    out
}
