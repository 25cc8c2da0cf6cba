//! What a run means to the team that pays for it and the users who wait: task-hours
//! (billed: running, starting, and stopping with a message in hand) against the
//! clairvoyant limit, queue waits, minutes with a message older than the latency goal,
//! and how often the service was scaled.

use serde::Serialize;

use crate::clock::TICK_SECONDS;
use crate::levers::Changed;
use crate::signals::Signals;
use crate::{Run, Scenario};

/// Minutes within which capacity given back and asked for again counts as a
/// reversal: a start-up paid twice, and the waits of the second surge.
pub const REVERSAL_MINUTES: u32 = 10;

/// A run in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub minutes: u32,
    pub arrived: u64,
    pub served: u64,
    pub waiting_at_end: u64,
    /// Queue wait of served messages, in seconds.
    pub wait_p50: u32,
    pub wait_p95: u32,
    pub wait_max: u32,
    /// The latency goal the run is measured against, in seconds.
    pub latency_goal: u32,
    /// Minutes in which a message waited longer than the latency goal.
    pub late_minutes: u32,
    pub peak_tasks: u32,
    /// The fewest tasks running at any minute.
    pub fewest_tasks: u32,
    /// Task-hours billed: tasks running, starting, and stopping with a message in hand.
    pub task_hours: f64,
    pub gpu_hours: f64,
    pub cost: f64,
    /// The clairvoyant limit's task-hours (`crate::limit`), and the messages' service
    /// time alone (a bound below any schedule).
    pub limit_task_hours: f64,
    pub work_task_hours: f64,
    /// Task-hours billed above the clairvoyant schedule, minute by minute.
    pub over_need_task_hours: f64,
    /// The longest run of minutes with fewer tasks running than the clairvoyant
    /// schedule: how long a surge waited for capacity.
    pub longest_shortfall: u32,
    /// The longest run of minutes with more tasks running than it.
    pub longest_excess: u32,
    /// After each end of load the demand names (a surge's last minute), minutes until
    /// no more tasks ran than needed: the longest.
    pub settle_after_load: Option<u32>,
    /// The zero-watcher's (or KEDA's) wakes.
    pub wakes: u32,
    /// Times the service went to 0 tasks.
    pub sleeps: u32,
    pub scale_outs: u32,
    pub scale_ins: u32,
    /// desiredCount raised and lowered, by anyone (wakes and sleeps included).
    pub ups: u32,
    pub downs: u32,
    /// Capacity given back (a scale-in or a sleep) and asked for again (a scale-out
    /// or a wake) within [`REVERSAL_MINUTES`].
    pub reversals: u32,
    pub floor_raises: Vec<FloorReady>,
}

impl Summary {
    /// Task-hours as a multiple of the clairvoyant limit.
    pub fn limit_ratio(&self) -> f64 {
        if self.limit_task_hours > 0.0 {
            self.task_hours / self.limit_task_hours
        } else {
            f64::INFINITY
        }
    }
}

/// A MinCapacity raise by the profile, and when the capacity was there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FloorReady {
    /// The minute the prescaler raised MinCapacity.
    pub raised_at: u32,
    pub floor: u32,
    /// The minute the window opens (the raise plus the profile's lead).
    pub window_at: u32,
    /// The first minute with that many tasks running, if it came.
    pub ready_at: Option<u32>,
}

impl FloorReady {
    /// Minutes the capacity was ready before the window (negative: late).
    pub fn early_by(&self) -> Option<i64> {
        self.ready_at
            .map(|ready| i64::from(self.window_at) - i64::from(ready))
    }
}

/// `load_ends`: minutes at which the demand's load ends (a surge's end), to measure
/// how fast capacity follows it down.
pub fn summarize(scenario: &Scenario, run: &Run, load_ends: &[u32]) -> Summary {
    let minutes = &run.minutes;
    let billed: f64 = minutes.iter().map(|m| m.billed).sum();
    let over: f64 = minutes
        .iter()
        .map(|m| (m.billed - f64::from(m.needed)).max(0.0))
        .sum();
    let task_hours = billed / 60.0;
    let goal = scenario.latency_goal_seconds();
    let tick = |ticks: u32| ticks.saturating_mul(TICK_SECONDS as u32);
    let mut summary = Summary {
        minutes: u32::try_from(minutes.len()).unwrap_or(u32::MAX),
        arrived: minutes.iter().map(|m| u64::from(m.arrivals)).sum(),
        served: minutes.iter().map(|m| m.served).sum(),
        waiting_at_end: minutes.last().map_or(0, |m| m.visible),
        wait_p50: tick(quantile(&run.waits, 0.5)),
        wait_p95: tick(quantile(&run.waits, 0.95)),
        wait_max: tick(u32::try_from(run.waits.len().saturating_sub(1)).unwrap_or(u32::MAX)),
        latency_goal: u32::try_from(goal).unwrap_or(u32::MAX),
        late_minutes: minutes
            .iter()
            .filter(|m| i64::from(m.oldest_age) > goal)
            .count() as u32,
        peak_tasks: minutes.iter().map(|m| m.running).max().unwrap_or(0),
        fewest_tasks: minutes.iter().map(|m| m.running).min().unwrap_or(0),
        task_hours,
        gpu_hours: task_hours * f64::from(scenario.tasks.gpus_per_task),
        cost: task_hours * scenario.tasks.price_per_hour,
        limit_task_hours: run.limit.task_hours,
        work_task_hours: run.limit.work_task_hours,
        over_need_task_hours: over / 60.0,
        longest_shortfall: longest(minutes.iter().map(|m| m.running < m.needed)),
        longest_excess: longest(minutes.iter().map(|m| m.running > m.needed)),
        settle_after_load: settle(run, load_ends),
        floor_raises: floor_raises(scenario, run),
        ..Summary::default()
    };
    count_actions(run, &mut summary);
    summary
}

/// Wakes, sleeps, scale-outs and -ins, and reversals.
fn count_actions(run: &Run, summary: &mut Summary) {
    let mut last_given_back: Option<u32> = None;
    for minute in &run.minutes {
        for change in &minute.changes {
            let Some((from, to)) = change.desired() else {
                continue;
            };
            match change {
                Changed::Woke { .. } => summary.wakes += 1,
                Changed::Slept { .. } => summary.sleeps += 1,
                Changed::ScaledOut { .. } => summary.scale_outs += 1,
                Changed::ScaledIn { to, .. } => {
                    summary.scale_ins += 1;
                    summary.sleeps += u32::from(*to == 0);
                }
                _ => {}
            }
            if to < from {
                summary.downs += 1;
                last_given_back = Some(minute.minute);
                continue;
            }
            summary.ups += 1;
            if last_given_back.is_some_and(|at| minute.minute - at <= REVERSAL_MINUTES) {
                summary.reversals += 1;
                last_given_back = None;
            }
        }
    }
}

/// The wait (in ticks) below which `q` of the served messages fall.
fn quantile(waits: &[u64], q: f64) -> u32 {
    let total: u64 = waits.iter().sum();
    if total == 0 {
        return 0;
    }
    let rank = (total as f64 * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (wait, count) in waits.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return u32::try_from(wait).unwrap_or(u32::MAX);
        }
    }
    u32::try_from(waits.len().saturating_sub(1)).unwrap_or(u32::MAX)
}

fn longest(flags: impl Iterator<Item = bool>) -> u32 {
    let (mut best, mut current) = (0u32, 0u32);
    for flag in flags {
        current = if flag { current + 1 } else { 0 };
        best = best.max(current);
    }
    best
}

fn settle(run: &Run, load_ends: &[u32]) -> Option<u32> {
    load_ends
        .iter()
        .filter_map(|end| {
            let settled = run
                .minutes
                .get(*end as usize..)?
                .iter()
                .find(|m| m.running <= m.needed)?;
            Some(settled.minute - end)
        })
        .max()
}

fn floor_raises(scenario: &Scenario, run: &Run) -> Vec<FloorReady> {
    let lead = scenario
        .schedule
        .as_ref()
        .map_or(0, |s| u32::try_from(s.lead_minutes).unwrap_or(0));
    let mut raises = Vec::new();
    for minute in &run.minutes {
        for change in &minute.changes {
            let Changed::Floor { from, to } = change else {
                continue;
            };
            if to <= from {
                continue;
            }
            let ready_at = run.minutes[minute.minute as usize..]
                .iter()
                .find(|m| m.running >= *to)
                .map(|m| m.minute);
            raises.push(FloorReady {
                raised_at: minute.minute,
                floor: *to,
                window_at: minute.minute + lead,
                ready_at,
            });
        }
    }
    raises
}

/// Seconds as `m:ss`.
pub fn clock_time(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The summary as rows of (label, value), the order the text report prints.
pub fn rows(s: &Summary) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("minutes", s.minutes.to_string()),
        (
            "messages",
            format!(
                "{} arrived, {} served, {} waiting at the end",
                s.arrived, s.served, s.waiting_at_end
            ),
        ),
        ("queue wait", wait_row(s)),
        (
            "tasks",
            format!(
                "{}..{} running; {:.1} task-hours billed, {:.1} GPU-hours, ${:.2}",
                s.fewest_tasks, s.peak_tasks, s.task_hours, s.gpu_hours, s.cost
            ),
        ),
        (
            "vs the limit",
            format!(
                "{:.2} x the clairvoyant limit's {:.1} task-hours (the work alone: {:.1})",
                s.limit_ratio(),
                s.limit_task_hours,
                s.work_task_hours
            ),
        ),
        ("above need", above_need_row(s)),
        (
            "short of need",
            format!("longest {} min", s.longest_shortfall),
        ),
        (
            "actions",
            format!(
                "{} wakes, {} times to zero, {} scale-outs, {} scale-ins, {} reversals",
                s.wakes, s.sleeps, s.scale_outs, s.scale_ins, s.reversals
            ),
        ),
    ];
    rows.extend(
        s.floor_raises
            .iter()
            .map(|raise| ("floor", floor_row(raise))),
    );
    rows
}

fn wait_row(s: &Summary) -> String {
    format!(
        "p50 {}, p95 {}, max {} (goal {}); {} min with a message older than the goal",
        clock_time(s.wait_p50),
        clock_time(s.wait_p95),
        clock_time(s.wait_max),
        clock_time(s.latency_goal),
        s.late_minutes
    )
}

fn above_need_row(s: &Summary) -> String {
    let over_share = if s.task_hours > 0.0 {
        s.over_need_task_hours / s.task_hours * 100.0
    } else {
        0.0
    };
    let back = s
        .settle_after_load
        .map(|m| format!("; back to need {m} min after the load ended"))
        .unwrap_or_default();
    format!(
        "{:.1} task-hours ({over_share:.0}%); longest {} min{back}",
        s.over_need_task_hours, s.longest_excess
    )
}

fn floor_row(raise: &FloorReady) -> String {
    let when = match raise.early_by() {
        Some(early) if early >= 0 => format!("ready {early} min before its window"),
        Some(late) => format!("ready {} min after its window opened", -late),
        None => "never ready".to_owned(),
    };
    format!(
        "{} raised at minute {}: {when}",
        raise.floor, raise.raised_at
    )
}

/// What the run leaves out of `scaling`, one sentence each: a policy whose signal the
/// simulator cannot derive from the load never acts in it.
pub fn not_modelled(scaling: &sluice_core::scaling::Scaling) -> Vec<String> {
    let mut notes = Vec::new();
    if scaling.memory_utilization.is_some() {
        notes.push(
            "memory_utilization: memory does not follow from the load here; the run is as if sluice-memory-utilization were absent".to_owned(),
        );
    }
    for (index, rule) in scaling.step_rules.iter().enumerate() {
        let cpu = rule.namespace == "AWS/ECS" && rule.metric == crate::levers::predefined::ECS_CPU;
        if rule.namespace.starts_with("AWS/") && !cpu {
            notes.push(format!(
                "step_rules[{index}]: {}/{} is not derived from the load here; the rule never fires in this run",
                rule.namespace, rule.metric
            ));
        }
    }
    let high = [&scaling.cpu_utilization, &scaling.memory_utilization]
        .into_iter()
        .flatten()
        .any(|u| u.high_resolution);
    if high {
        notes.push(
            "high_resolution: read once a minute here, as every policy is; AWS evaluates the 20-second series sooner".to_owned(),
        );
    }
    notes
}

/// What the run assumes of the team's own metrics, one sentence each: the simulator
/// knows only its queue and tasks, so a metric of the team's (tracked, or a step
/// rule's outside AWS/) is read as what the scenario's `signals` say it stands for, by
/// default the messages waiting. Right for a queue depth or a lag, and for a latency
/// said to be one; for an error rate or a cache hit rate a stand-in, said here.
pub fn assumed(scaling: &sluice_core::scaling::Scaling, signals: &Signals) -> Vec<String> {
    let said = |metric: &str| signals.get(metric).copied().unwrap_or_default().said();
    let tracked = scaling.metric.iter().map(|m| ("metric".to_owned(), m));
    let several = scaling
        .metrics
        .iter()
        .enumerate()
        .map(|(index, m)| (format!("metrics[{index}]"), m));
    let mut notes: Vec<String> = tracked
        .chain(several)
        .map(|(field, m)| {
            format!(
                "{field} ({}/{}): {}",
                m.namespace,
                m.metric,
                said(&m.metric)
            )
        })
        .collect();
    for (index, rule) in scaling.step_rules.iter().enumerate() {
        if !rule.namespace.starts_with("AWS/") {
            notes.push(format!(
                "step_rules[{index}] ({}/{}): {}",
                rule.namespace,
                rule.metric,
                said(&rule.metric)
            ));
        }
    }
    notes
}

/// The text report of one run.
pub fn text(title: &str, summary: &Summary) -> String {
    let mut out = format!("{title}\n");
    for (label, value) in rows(summary) {
        out.push_str(&format!("  {label:<14}{value}\n"));
    }
    out
}

/// Runs side by side, one row per measure.
pub fn compare(labels: &[&str], summaries: &[&Summary]) -> String {
    let columns: Vec<Vec<(&'static str, String)>> = summaries.iter().map(|s| rows(s)).collect();
    let count = columns.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = columns
        .iter()
        .zip(labels)
        .map(|(rows, label)| {
            rows.iter()
                .map(|(_, v)| v.len())
                .max()
                .unwrap_or(0)
                .max(label.len())
        })
        .collect();
    let mut out = format!("  {:<14}", "");
    for (label, width) in labels.iter().zip(&widths) {
        out.push_str(&format!("{label:<width$}  "));
    }
    out = out.trim_end().to_owned() + "\n";
    for index in 0..count {
        let label = columns
            .iter()
            .find_map(|rows| rows.get(index).map(|(l, _)| *l))
            .unwrap_or("");
        let mut line = format!("  {label:<14}");
        for (rows, width) in columns.iter().zip(&widths) {
            let value = rows.get(index).map_or("", |(_, v)| v.as_str());
            line.push_str(&format!("{value:<width$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The minute-by-minute series as CSV, one row per minute.
pub fn csv(scenario: &Scenario, run: &Run) -> String {
    let mut out = String::from(
        "minute,time,arrivals,visible,in_flight,served,running,starting,billed,desired,min_capacity,needed,oldest_age_seconds,busy_percent,changes\n",
    );
    for m in &run.minutes {
        let at =
            jiff::Timestamp::from_second(scenario.start.as_second() + i64::from(m.minute) * 60)
                .map(|t| t.to_string())
                .unwrap_or_default();
        let changes: Vec<String> = m.changes.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "{},{at},{},{},{},{},{},{},{:.2},{},{},{},{},{},\"{}\"\n",
            m.minute,
            m.arrivals,
            m.visible,
            m.in_flight,
            m.served,
            m.running,
            m.starting,
            m.billed,
            m.desired,
            m.min_capacity,
            m.needed,
            m.oldest_age,
            m.busy_percent
                .map(|b| format!("{b:.1}"))
                .unwrap_or_default(),
            changes.join("; ").replace('"', "'")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::Signal;

    #[test]
    fn what_the_simulator_cannot_derive_from_the_load_is_said() {
        use sluice_core::scaling::{Scaling, Utilization};
        let percent = |target, high_resolution| Utilization {
            target,
            high_resolution,
            scale_out_cooldown: None,
            scale_in_cooldown: None,
        };
        assert!(not_modelled(&Scaling::default()).is_empty());
        let cpu = Scaling {
            cpu_utilization: Some(percent(70.0, false)),
            ..Scaling::default()
        };
        assert!(
            not_modelled(&cpu).is_empty(),
            "CPU is the tasks' busy share"
        );
        let both = Scaling {
            cpu_utilization: Some(percent(70.0, true)),
            memory_utilization: Some(percent(80.0, false)),
            ..Scaling::default()
        };
        let notes = not_modelled(&both);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("memory_utilization:"));
        assert!(notes[1].starts_with("high_resolution:"));
        let rules: Scaling = serde_yaml_ng::from_str(
            "step_rules:\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, above: 65, add: 1 }\n\
             \x20 - { namespace: AWS/ECS, metric: MemoryUtilization, above: 80, add: 1 }\n\
             \x20 - { namespace: Orchestrator, metric: WaitingRuns, above: 10, add: 1 }\n",
        )
        .expect("rules");
        assert_eq!(
            not_modelled(&rules),
            [
                "step_rules[1]: AWS/ECS/MemoryUtilization is not derived from the load here; the rule never fires in this run"
            ],
            "CPU is the busy share, a team's metric the waiting messages"
        );
    }

    #[test]
    fn what_the_run_assumes_of_a_teams_metrics_is_said() {
        let scaling: sluice_core::scaling::Scaling = serde_yaml_ng::from_str(
            "metric: { namespace: Orchestrator, metric: WaitingRuns, target: 10 }\n\
             step_rules:\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, above: 65, add: 1 }\n\
             \x20 - { namespace: Modules, metric: RequestLatency, above: 10, add: 1 }\n",
        )
        .expect("scaling");
        assert_eq!(
            assumed(&scaling, &Signals::new()),
            [
                "metric (Orchestrator/WaitingRuns): read as the messages waiting",
                "step_rules[1] (Modules/RequestLatency): read as the messages waiting",
            ]
        );
        let latency = Signals::from([("RequestLatency".to_owned(), Signal::WaitSeconds)]);
        assert_eq!(
            assumed(&scaling, &latency)[1],
            "step_rules[1] (Modules/RequestLatency): read as a request's latency: the oldest \
             waiting message's age plus one message's service, in seconds"
        );
    }

    #[test]
    fn quantiles_longest_runs_and_floor_lateness() {
        // 10 served at once, 8 after a tick, 2 after four.
        let waits = [10, 8, 0, 0, 2];
        assert_eq!((quantile(&waits, 0.5), quantile(&waits, 0.95)), (0, 4));
        assert_eq!(quantile(&[], 0.5), 0);
        assert_eq!(longest([true, true, false, true].into_iter()), 2);
        let late = FloorReady {
            raised_at: 10,
            floor: 5,
            window_at: 20,
            ready_at: Some(23),
        };
        assert_eq!(late.early_by(), Some(-3));
        assert_eq!(clock_time(95), "1:35");
    }
}
