//! What the metric publisher publishes for a target, decided from what was read.

use serde::Serialize;

use super::datum::{Datum, Unit};
use crate::config::Target;
use crate::facts::{GpuUtilization, TaskCounts};
use crate::names::{self, TARGET_DIMENSION};
use crate::queue::Backlog;

/// Backlog per task with zero tasks counted as one, so the metric exists at zero
/// tasks and a per-task target tracking policy can act on it (and wake a service from
/// zero: one datapoint above target starts one task).
pub fn backlog_per_task(backlog: u64, tasks: u32) -> f64 {
    backlog as f64 / f64::from(tasks.max(1))
}

/// Everything read for one target, from which its metrics follow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// Over the target's queues: the plain counts and the weighted backlog.
    pub backlog: Backlog,
    pub tasks: TaskCounts,
    /// None when no GPU source is configured or no datapoint was found: a missing
    /// reading is never published as 0, which would invite a scale-in.
    pub gpu: Option<GpuUtilization>,
    /// The largest age of the oldest message over the target's queues, in seconds, as
    /// SQS publishes it; None when no queue had a datapoint in the look-back window.
    pub oldest_age: Option<f64>,
    /// Desired-count changes within the alert's window (see [`ScalingChangeLimit`]);
    /// None when its history could not be read or the alert is off.
    pub scaling_changes: Option<u32>,
    /// The tasks needed now (crate::capacity), for a target under the load model.
    pub need: Option<crate::capacity::Need>,
}

/// "Scaling too often": at least `changes` desired-count changes within `minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScalingChangeLimit {
    /// The window, in minutes; 0 turns the count off (no history is read).
    pub minutes: u32,
    pub changes: u32,
}

impl Default for ScalingChangeLimit {
    /// 3 changes in 5 minutes: more than a proportional scale-out and its settling
    /// step, and less than a cooldown-free policy flapping every minute.
    fn default() -> Self {
        ScalingChangeLimit {
            minutes: 5,
            changes: 3,
        }
    }
}

/// Changes of the desired count over its published history (one value a minute,
/// oldest first) and the count read now.
pub fn scaling_changes(history: &[f64], desired_now: u32) -> u32 {
    let now = f64::from(desired_now);
    let steps = history.windows(2).filter(|w| w[0] != w[1]).count();
    let last = usize::from(history.last().is_some_and(|last| *last != now));
    u32::try_from(steps + last).unwrap_or(u32::MAX)
}

impl Reading {
    /// Visible + in flight + delayed, weighted by queue.
    pub fn backlog(&self) -> u64 {
        self.backlog.weighted
    }

    /// Work waiting and no task running: the condition an operator must hear about.
    pub fn backlog_without_capacity(&self) -> bool {
        self.backlog() > 0 && self.tasks.running == 0
    }

    pub fn backlog_per_task(&self) -> f64 {
        // Divided by desired tasks, not running ones: Application Auto Scaling's
        // proportional step multiplies this by its current (desired) capacity, so tasks
        // still starting count as capacity already asked for, and a slow GPU start does
        // not make target tracking add more (docs/metrics.md, `sluicectl simulate
        // --scenario infra/examples/gpu-inference/slow-start.yaml`).
        backlog_per_task(self.backlog(), self.tasks.desired)
    }

    pub fn datums(&self, target: &Target) -> Vec<Datum> {
        let count = |name, value: f64| Datum::count(&target.name, name, value);
        let mut datums = vec![
            count(names::VISIBLE, self.backlog.depth.visible as f64),
            count(names::IN_FLIGHT, self.backlog.depth.in_flight as f64),
            count(names::DELAYED, self.backlog.depth.delayed as f64),
            count(names::BACKLOG, self.backlog() as f64),
            count(names::BACKLOG_PER_TASK, self.backlog_per_task()),
            count(names::RUNNING_TASKS, f64::from(self.tasks.running)),
            count(names::PENDING_TASKS, f64::from(self.tasks.pending)),
            count(names::DESIRED_TASKS, f64::from(self.tasks.desired)),
        ];
        if let Some(age) = self.oldest_age {
            datums.push(Datum::seconds(&target.name, names::OLDEST_MESSAGE_AGE, age));
        }
        if let Some(changes) = self.scaling_changes {
            datums.push(count(names::SCALING_CHANGES, f64::from(changes)));
        }
        let stranded = if self.backlog_without_capacity() {
            1.0
        } else {
            0.0
        };
        datums.push(count(names::BACKLOG_WITHOUT_CAPACITY, stranded));
        if let Some(need) = &self.need {
            datums.push(Datum {
                unit: Unit::Percent,
                ..count(
                    names::CAPACITY_UTILIZATION,
                    need.utilization(self.tasks.desired),
                )
            });
            datums.push(count(names::TASKS_NEEDED, need.raw));
            if let crate::capacity::Basis::Rates {
                arrival, service, ..
            } = need.basis
            {
                datums.push(count(names::ARRIVAL_RATE, arrival));
                datums.push(count(names::SERVICE_RATE, service));
            }
        }
        if let Some(gpu) = self.gpu {
            for (name, value) in [(names::GPU_AVERAGE, gpu.average), (names::GPU_MAX, gpu.max)] {
                datums.push(Datum {
                    target: Some(target.name.clone()),
                    dimension: TARGET_DIMENSION,
                    name,
                    value,
                    unit: Unit::Percent,
                });
            }
        }
        datums
    }
}
