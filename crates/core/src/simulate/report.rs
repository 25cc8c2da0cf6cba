//! What a run means to the team that pays for it and the users who wait: queue waits,
//! how long capacity fell short of the load, task- and GPU-hours and their cost,
//! capacity above the load, and how often the service was scaled.

use serde::Serialize;

use super::{Changed, Run, Scenario};

/// A run in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub minutes: u32,
    pub arrived: u64,
    pub served: u64,
    pub waiting_at_end: u64,
    /// Queue wait of served messages, in whole minutes (0: served the minute it came).
    pub wait_p50: u32,
    pub wait_p95: u32,
    pub wait_max: u32,
    pub peak_tasks: u32,
    pub task_hours: f64,
    pub gpu_hours: f64,
    pub cost: f64,
    /// Task-hours of running tasks above what each minute needed.
    pub over_need_task_hours: f64,
    /// The longest run of minutes with fewer tasks running than needed: how long a
    /// surge waited for capacity.
    pub longest_shortfall: u32,
    /// The longest run of minutes with more tasks running than needed.
    pub longest_excess: u32,
    /// Task-hours above need beyond what Application Auto Scaling's scale-in can undo
    /// (15 datapoints below target, then the scale-in cooldown): capacity a better
    /// configuration could have given back.
    pub over_need_beyond_scale_in: f64,
    /// After each end of load the demand names (a surge's last minute), minutes until
    /// no more tasks ran than needed: the longest.
    pub settle_after_load: Option<u32>,
    /// The fewest tasks running at any minute.
    pub fewest_tasks: u32,
    /// The zero-watcher's wakes.
    pub wakes: u32,
    /// Times the service went to 0 tasks, by the zero-watcher or target tracking.
    pub sleeps: u32,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub floor_raises: Vec<FloorReady>,
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
    let task_minutes: u64 = minutes.iter().map(|m| u64::from(m.running)).sum();
    let over: u64 = minutes
        .iter()
        .map(|m| u64::from(m.running.saturating_sub(m.needed)))
        .sum();
    let task_hours = task_minutes as f64 / 60.0;
    let mut summary = Summary {
        minutes: u32::try_from(minutes.len()).unwrap_or(u32::MAX),
        arrived: minutes.iter().map(|m| u64::from(m.arrivals)).sum(),
        served: minutes.iter().map(|m| m.served).sum(),
        waiting_at_end: minutes.last().map_or(0, |m| m.visible + m.in_flight),
        wait_p50: quantile(&run.waits, 0.5),
        wait_p95: quantile(&run.waits, 0.95),
        wait_max: u32::try_from(run.waits.len().saturating_sub(1)).unwrap_or(u32::MAX),
        peak_tasks: minutes.iter().map(|m| m.running).max().unwrap_or(0),
        task_hours,
        gpu_hours: task_hours * f64::from(scenario.tasks.gpus_per_task),
        cost: task_hours * scenario.tasks.price_per_hour,
        over_need_task_hours: over as f64 / 60.0,
        longest_shortfall: longest(minutes.iter().map(|m| m.running < m.needed)),
        longest_excess: longest(minutes.iter().map(|m| m.running > m.needed)),
        over_need_beyond_scale_in: beyond_scale_in(scenario, run) as f64 / 60.0,
        settle_after_load: settle(run, load_ends),
        fewest_tasks: minutes.iter().map(|m| m.running).min().unwrap_or(0),
        floor_raises: floor_raises(scenario, run),
        ..Summary::default()
    };
    for change in minutes.iter().flat_map(|m| &m.changes) {
        match change {
            Changed::Woke { .. } => summary.wakes += 1,
            Changed::Slept { .. } => summary.sleeps += 1,
            Changed::ScaledOut { .. } => summary.scale_outs += 1,
            Changed::ScaledIn { to, .. } => {
                summary.scale_ins += 1;
                summary.sleeps += u32::from(*to == 0);
            }
            Changed::Floor { .. }
            | Changed::RaisedToMin { .. }
            | Changed::Cap { .. }
            | Changed::LoweredToMax { .. } => {}
        }
    }
    summary
}

/// The wait (minutes) below which `q` of the served messages fall.
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

/// Excess task-minutes past the scale-in allowance of an excess episode: up to three
/// datapoints for the tracked metric to fall below target as the backlog drains,
/// fifteen below it, then the scale-in cooldown.
fn beyond_scale_in(scenario: &Scenario, run: &Run) -> u64 {
    let cooldown = u64::from(scenario.target.scaling.scale_in_cooldown).div_ceil(60);
    let allowance = (super::aas::HIGH_DATAPOINTS + super::aas::LOW_DATAPOINTS) as u64 + cooldown;
    let mut since = 0u64;
    let mut beyond = 0u64;
    for minute in &run.minutes {
        if minute.running > minute.needed {
            since += 1;
            if since > allowance {
                beyond += u64::from(minute.running - minute.needed);
            }
        } else {
            since = 0;
        }
    }
    beyond
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

/// The summary as rows of (label, value), the order the text report prints.
pub fn rows(s: &Summary) -> Vec<(&'static str, String)> {
    let over_share = if s.task_hours > 0.0 {
        s.over_need_task_hours / s.task_hours * 100.0
    } else {
        0.0
    };
    let back = s
        .settle_after_load
        .map(|m| format!("; back to need {m} min after the load ended"))
        .unwrap_or_default();
    let mut rows = vec![
        ("minutes", s.minutes.to_string()),
        (
            "messages",
            format!(
                "{} arrived, {} served, {} waiting at the end",
                s.arrived, s.served, s.waiting_at_end
            ),
        ),
        (
            "queue wait",
            format!(
                "p50 {} min, p95 {} min, max {} min",
                s.wait_p50, s.wait_p95, s.wait_max
            ),
        ),
        (
            "tasks",
            format!(
                "{}..{} running; {:.1} task-hours, {:.1} GPU-hours, ${:.2}",
                s.fewest_tasks, s.peak_tasks, s.task_hours, s.gpu_hours, s.cost
            ),
        ),
        (
            "above need",
            format!(
                "{:.1} task-hours ({over_share:.0}%)",
                s.over_need_task_hours
            ),
        ),
        (
            "short of need",
            format!(
                "longest {} min; longest above need {} min",
                s.longest_shortfall, s.longest_excess
            ),
        ),
        (
            "giving back",
            format!(
                "{:.1} task-hours above need past what scale-in allows{back}",
                s.over_need_beyond_scale_in
            ),
        ),
        (
            "actions",
            format!(
                "{} wakes, {} times to zero, {} scale-outs, {} scale-ins",
                s.wakes, s.sleeps, s.scale_outs, s.scale_ins
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

/// The text report of one run.
pub fn text(title: &str, summary: &Summary) -> String {
    let mut out = format!("{title}\n");
    for (label, value) in rows(summary) {
        out.push_str(&format!("  {label:<14}{value}\n"));
    }
    out
}

/// Two runs side by side, one row per measure.
pub fn compare(labels: [&str; 2], summaries: [&Summary; 2]) -> String {
    let left = rows(summaries[0]);
    let right = rows(summaries[1]);
    let width = left
        .iter()
        .map(|(_, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(labels[0].len());
    let mut out = format!("  {:<14}{:<width$}  {}\n", "", labels[0], labels[1]);
    let count = left.len().max(right.len());
    for index in 0..count {
        let (label, a) = left.get(index).cloned().unwrap_or(("", String::new()));
        let (other, b) = right.get(index).cloned().unwrap_or(("", String::new()));
        let label = if label.is_empty() { other } else { label };
        out.push_str(&format!("  {label:<14}{a:<width$}  {b}\n"));
    }
    out
}

/// The minute-by-minute series as CSV, one row per minute.
pub fn csv(scenario: &Scenario, run: &Run) -> String {
    let mut out = String::from(
        "minute,time,arrivals,visible,in_flight,served,running,starting,desired,min_capacity,needed,backlog_per_task,oldest_age_seconds,changes\n",
    );
    for m in &run.minutes {
        let at =
            jiff::Timestamp::from_second(scenario.start.as_second() + i64::from(m.minute) * 60)
                .map(|t| t.to_string())
                .unwrap_or_default();
        let changes: Vec<String> = m.changes.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "{},{at},{},{},{},{},{},{},{},{},{},{:.2},{},\"{}\"\n",
            m.minute,
            m.arrivals,
            m.visible,
            m.in_flight,
            m.served,
            m.running,
            m.starting,
            m.desired,
            m.min_capacity,
            m.needed,
            m.backlog_per_task,
            m.oldest_age,
            changes.join("; ").replace('"', "'")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_longest_runs_and_floor_lateness() {
        // 10 served at once, 8 after a minute, 2 after four.
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
    }
}
