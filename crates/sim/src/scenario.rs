//! A scenario file: which target of which configuration, from when and for how long,
//! the assumptions about the service (start-up, throughput, price), the demand, and
//! the outcomes it promises. `sluicectl simulate --scenario FILE` runs it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use sluice_core::config::{Document, Target};
use sluice_core::profile::Schedule;

use crate::controller::Kind;
use crate::demand::DemandSpec;
use crate::ecs::TaskModel;
use crate::report::Summary;
use crate::signals::{self, Signals};
use crate::{Denominator, Scenario};

/// Where the demand comes from: a generator, or a CSV trace (one row per minute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DemandSource {
    Trace { csv: String },
    Generated(DemandSpec),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The configuration (targets and profiles), relative to the scenario file.
    pub config: String,
    pub target: String,
    /// RFC 3339, e.g. `2026-11-30T06:00:00+01:00`: profiles and calendar demand use it.
    pub start: String,
    #[serde(default = "ScenarioFile::default_minutes")]
    pub minutes: u32,
    pub tasks: TaskModel,
    pub demand: DemandSource,
    #[serde(default)]
    pub seed: u64,
    /// Tasks running when the run starts (0: asleep).
    #[serde(default)]
    pub initial_tasks: u32,
    #[serde(default)]
    pub denominator: Denominator,
    /// What decides the service's size: `sluice` (the configuration), or a peer
    /// (`aws-recipe`, `keda-hpa`) run on the same target and trace.
    #[serde(default = "ScenarioFile::default_controller")]
    pub controller: Kind,
    /// The outcomes this scenario promises; `simulate` checks each.
    #[serde(default, skip_serializing_if = "Expect::is_empty")]
    pub expect: Expect,
    /// What each of the team's own metrics stands for in the run, by metric name:
    /// `waiting` (the default) or `wait_seconds` (crate::signals).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signals: Signals,
    /// How stale SQS's counts may be when read (GetQueueAttributes), in seconds
    /// (`crate::attributes`; 0 to 600, default AWS's minute).
    #[serde(default = "ScenarioFile::default_sqs_count_lag")]
    pub sqs_count_lag_seconds: u32,
}

/// Promised outcomes, each an upper or lower bound on a measure of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Minutes a surge may wait for capacity (the longest shortfall).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall_at_most: Option<u32>,
    /// Minutes capacity may stay above the load (the longest excess).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_at_most: Option<u32>,
    /// Minutes after the load ends (a surge's end) until capacity is back at need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_at_most: Option<u32>,
    /// Capacity given back and asked for again within ten minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversals_at_most: Option<u32>,
    /// Task-hours billed as a multiple of the clairvoyant limit's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ratio_at_most: Option<f64>,
    /// Minutes in which a message waited longer than the latency goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_minutes_at_most: Option<u32>,
    /// The fewest tasks that may ever run (an always-on engine's 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fewest_tasks_at_least: Option<u32>,
    /// Minutes (a fraction for seconds) the 95th percentile of waits may reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_p95_at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_max_at_most: Option<f64>,
    /// Percent of task-hours above need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above_need_percent_at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleeps_at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_tasks_at_least: Option<u32>,
    /// Every floor the profile raises is running before its window opens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floors_ready_before_window: bool,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        *self == Expect::default()
    }

    /// Each promise, whether the run kept it, and what it measured.
    pub fn check(&self, summary: &Summary) -> Vec<(String, bool)> {
        let mut checks: Vec<(String, bool)> = PROMISES
            .iter()
            .filter_map(|(name, limit, measure, most)| {
                let (limit, value) = (limit(self)?, measure(summary));
                let (kept, op) = if *most {
                    (value <= limit, "<=")
                } else {
                    (value >= limit, ">=")
                };
                Some((format!("{name} {value} {op} {limit}"), kept))
            })
            .collect();
        if self.floors_ready_before_window {
            checks.push(floors_ready(summary));
        }
        checks
    }
}

/// A promise: its name, its limit if the scenario states one, the measure, and
/// whether the limit is a maximum (else a minimum).
type Promise = (
    &'static str,
    fn(&Expect) -> Option<f64>,
    fn(&Summary) -> f64,
    bool,
);

fn tenths(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Seconds as minutes, to two decimals.
fn minutes(seconds: u32) -> f64 {
    (f64::from(seconds) / 60.0 * 100.0).round() / 100.0
}

const PROMISES: [Promise; 13] = [
    (
        "longest shortfall (min)",
        |e| e.shortfall_at_most.map(f64::from),
        |s| f64::from(s.longest_shortfall),
        true,
    ),
    (
        "longest excess (min)",
        |e| e.excess_at_most.map(f64::from),
        |s| f64::from(s.longest_excess),
        true,
    ),
    (
        "settled after the load (min)",
        |e| e.settle_at_most.map(f64::from),
        |s| s.settle_after_load.map_or(f64::INFINITY, f64::from),
        true,
    ),
    (
        "reversals",
        |e| e.reversals_at_most.map(f64::from),
        |s| f64::from(s.reversals),
        true,
    ),
    (
        "task-hours x the limit",
        |e| e.limit_ratio_at_most,
        |s| (s.limit_ratio() * 100.0).round() / 100.0,
        true,
    ),
    (
        "minutes late",
        |e| e.late_minutes_at_most.map(f64::from),
        |s| f64::from(s.late_minutes),
        true,
    ),
    (
        "wait p95 (min)",
        |e| e.wait_p95_at_most,
        |s| minutes(s.wait_p95),
        true,
    ),
    (
        "wait max (min)",
        |e| e.wait_max_at_most,
        |s| minutes(s.wait_max),
        true,
    ),
    (
        "above need (%)",
        |e| e.above_need_percent_at_most,
        |s| tenths(s.over_need_task_hours / s.task_hours.max(f64::MIN_POSITIVE) * 100.0),
        true,
    ),
    (
        "cost ($)",
        |e| e.cost_at_most,
        |s| (s.cost * 100.0).round() / 100.0,
        true,
    ),
    (
        "sleeps",
        |e| e.sleeps_at_least.map(f64::from),
        |s| f64::from(s.sleeps),
        false,
    ),
    (
        "peak tasks",
        |e| e.peak_tasks_at_least.map(f64::from),
        |s| f64::from(s.peak_tasks),
        false,
    ),
    (
        "fewest tasks",
        |e| e.fewest_tasks_at_least.map(f64::from),
        |s| f64::from(s.fewest_tasks),
        false,
    ),
];

/// Whether every floor the profile raised was running before its window opened.
fn floors_ready(summary: &Summary) -> (String, bool) {
    let late: Vec<String> = summary
        .floor_raises
        .iter()
        .filter(|r| r.early_by().is_none_or(|early| early < 0))
        .map(|r| format!("floor {} raised at minute {}", r.floor, r.raised_at))
        .collect();
    let kept = late.is_empty() && !summary.floor_raises.is_empty();
    let said = if late.is_empty() {
        format!(
            "{} floors ready before their windows",
            summary.floor_raises.len()
        )
    } else {
        format!("late: {}", late.join(", "))
    };
    (said, kept)
}

impl ScenarioFile {
    fn default_minutes() -> u32 {
        24 * 60
    }

    fn default_controller() -> Kind {
        Kind::Sluice
    }

    fn default_sqs_count_lag() -> u32 {
        crate::attributes::LAG_SECONDS
    }

    /// The minutes at which the demand's load ends, to measure how fast capacity
    /// follows it down: a surge's end.
    pub fn load_ends(&self) -> Vec<u32> {
        match &self.demand {
            DemandSource::Generated(DemandSpec::Surge {
                at_minute, minutes, ..
            }) => vec![at_minute.saturating_add(*minutes)],
            _ => Vec::new(),
        }
    }

    pub fn parse(text: &str) -> Result<ScenarioFile, String> {
        let deserializer = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            format!("{path}: {}", e.into_inner())
        })
    }

    /// The target's profile from the document, compiled; None without one.
    fn schedule_of(
        &self,
        document: &Document,
        target: &Target,
    ) -> Result<Option<Schedule>, String> {
        let schedule = match &target.profile {
            None => None,
            Some(name) => {
                let profile = document
                    .profiles
                    .iter()
                    .find(|p| &p.name == name)
                    .ok_or_else(|| {
                        format!(
                            "target {} names profile {name}, which {} does not hold",
                            target.name, self.config
                        )
                    })?;
                Some(Schedule::compile(profile, "profile").map_err(|problems| {
                    let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    said.join("; ")
                })?)
            }
        };
        Ok(schedule)
    }

    /// The scenario for `document`'s target; an error names what is missing or wrong.
    pub fn scenario(&self, document: &Document) -> Result<Scenario, String> {
        let target = document
            .targets
            .iter()
            .find(|t| t.name == self.target)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = document.targets.iter().map(|t| t.name.as_str()).collect();
                format!(
                    "no target {:?} in {} (it has: {})",
                    self.target,
                    self.config,
                    known.join(", ")
                )
            })?;
        let schedule = self.schedule_of(document, &target)?;
        let start: Timestamp = self.start.parse().map_err(|e| {
            format!(
                "start {:?} is not an RFC 3339 time with an offset: {e}",
                self.start
            )
        })?;
        let problems = self.tasks.problems();
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let problems = signals::problems(&self.signals, &target.scaling, &target.name);
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        if self.sqs_count_lag_seconds > crate::attributes::MOST_LAG_SECONDS {
            return Err(format!(
                "sqs_count_lag_seconds must be 0 to {}, got {}",
                crate::attributes::MOST_LAG_SECONDS,
                self.sqs_count_lag_seconds
            ));
        }
        if self.minutes == 0 || self.minutes > 60 * 24 * 62 {
            return Err(format!(
                "minutes must be 1 to 89280 (62 days), got {}",
                self.minutes
            ));
        }
        Ok(Scenario {
            target,
            schedule,
            start,
            tasks: self.tasks.clone(),
            denominator: self.denominator,
            initial_tasks: self.initial_tasks,
            seed: self.seed,
            controller: self.controller,
            signals: self.signals.clone(),
            watcher_phase_seconds: 0,
            sqs_count_lag_seconds: self.sqs_count_lag_seconds,
        })
    }
}
