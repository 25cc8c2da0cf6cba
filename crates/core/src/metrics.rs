//! What the metric publisher publishes for a target, decided from what was read.

use serde::Serialize;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    Count,
    Percent,
    Seconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Percent => "Percent",
            Unit::Seconds => "Seconds",
        }
    }
}

/// One value to publish, dimensioned by its target, or fleet-wide without dimensions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Datum {
    /// The value of the datum's one dimension (none when fleet-wide).
    pub target: Option<String>,
    /// That dimension's name: `Target`, or `Budget` for a budget's spend.
    #[serde(skip)]
    pub dimension: &'static str,
    pub name: &'static str,
    pub value: f64,
    pub unit: Unit,
}

impl Datum {
    pub fn count(target: &str, name: &'static str, value: f64) -> Self {
        Datum {
            target: Some(target.to_owned()),
            dimension: TARGET_DIMENSION,
            name,
            value,
            unit: Unit::Count,
        }
    }

    pub fn seconds(target: &str, name: &'static str, value: f64) -> Self {
        Datum {
            unit: Unit::Seconds,
            ..Datum::count(target, name, value)
        }
    }

    /// A budget's figure, dimensioned by the budget's name.
    pub fn per_budget(budget: &str, name: &'static str, value: f64, unit: Unit) -> Self {
        Datum {
            dimension: names::BUDGET_DIMENSION,
            unit,
            ..Datum::count(budget, name, value)
        }
    }

    pub fn fleet_count(name: &'static str, value: f64) -> Self {
        Datum {
            target: None,
            dimension: TARGET_DIMENSION,
            name,
            value,
            unit: Unit::Count,
        }
    }

    pub fn is_for(&self, target: &str) -> bool {
        self.target.as_deref() == Some(target)
    }
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

/// PutMetricData's limits per call.
pub const MAX_DATUMS_PER_CALL: usize = 1000;
pub const MAX_BYTES_PER_CALL: usize = 1_000_000;

/// An upper bound of a datum's share of a request body, whatever the protocol:
/// its strings plus room for field names, value, unit and timestamp.
fn encoded_size_bound(datum: &Datum) -> usize {
    datum.name.len() + datum.dimension.len() + datum.target.as_ref().map_or(0, String::len) + 160
}

/// Splits datums into the fewest PutMetricData calls that respect both the count
/// and the size limit, keeping their order.
pub fn batches(datums: &[Datum], max_count: usize, max_bytes: usize) -> Vec<&[Datum]> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (index, datum) in datums.iter().enumerate() {
        let size = encoded_size_bound(datum);
        if index > start && (index - start == max_count || bytes + size > max_bytes) {
            batches.push(&datums[start..index]);
            start = index;
            bytes = 0;
        }
        bytes += size;
    }
    if start < datums.len() {
        batches.push(&datums[start..]);
    }
    batches
}

/// Whether an Embedded Metric Format line also yields a fleet-wide series (no
/// dimensions) of each metric, for alarms that must not need one alarm per target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    PerTargetOnly,
    AlsoFleetWide,
}

/// The largest magnitude CloudWatch takes in a datum's value (and, besides 0, the
/// smallest): "Values ... between 8.515920e-109 and 1.174271e+108"
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html>).
pub const LARGEST_VALUE: f64 = 1.174_271e108;
pub const SMALLEST_VALUE: f64 = 8.515_920e-109;

impl Datum {
    /// Whether CloudWatch takes this value: finite and within its range. One it does
    /// not take makes PutMetricData refuse the whole batch (every target's datums and
    /// the fleet's heartbeat with it).
    pub fn is_publishable(&self) -> bool {
        let size = self.value.abs();
        self.value.is_finite() && (size == 0.0 || (SMALLEST_VALUE..=LARGEST_VALUE).contains(&size))
    }
}

/// The datums CloudWatch takes, and one note for each it would refuse (dropped, so the
/// rest of the batch lands).
pub fn publishable(datums: &[Datum]) -> (Vec<Datum>, Vec<String>) {
    let mut notes = Vec::new();
    let kept = datums
        .iter()
        .filter(|datum| {
            let fine = datum.is_publishable();
            if !fine {
                notes.push(format!(
                    "{} of {} is {}, which CloudWatch does not take: not published",
                    datum.name,
                    datum.target.as_deref().unwrap_or("the fleet"),
                    datum.value
                ));
            }
            fine
        })
        .cloned()
        .collect();
    (kept, notes)
}

/// One CloudWatch Embedded Metric Format log line holding datums of one target (or
/// fleet-wide ones): CloudWatch Logs turns it into the metrics PutMetricData would
/// write.
pub fn embedded_metric_line(
    namespace: &str,
    timestamp_ms: i64,
    datums: &[Datum],
    rollup: Rollup,
) -> String {
    let (datums, _) = publishable(datums);
    let Some(first) = datums.first() else {
        return String::new();
    };
    let mut root = serde_json::Map::new();
    let definitions: Vec<serde_json::Value> = datums
        .iter()
        .map(|datum| serde_json::json!({ "Name": datum.name, "Unit": datum.unit.as_str() }))
        .collect();
    let dimensions = match (&first.target, rollup) {
        (None, _) => serde_json::json!([[]]),
        (Some(_), Rollup::PerTargetOnly) => serde_json::json!([[TARGET_DIMENSION]]),
        (Some(_), Rollup::AlsoFleetWide) => serde_json::json!([[TARGET_DIMENSION], []]),
    };
    root.insert(
        "_aws".to_owned(),
        serde_json::json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": dimensions,
                "Metrics": definitions,
            }],
        }),
    );
    if let Some(target) = &first.target {
        root.insert(
            TARGET_DIMENSION.to_owned(),
            serde_json::Value::String(target.clone()),
        );
    }
    for datum in &datums {
        root.insert(datum.name.to_owned(), serde_json::json!(datum.value));
    }
    serde_json::Value::Object(root).to_string()
}

/// Fleet-wide counts over one publish, published without dimensions: the
/// publisher's heartbeat and what the template's alarms watch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FleetTally {
    /// What counts as scaling too often.
    pub limit: ScalingChangeLimit,
    pub published: u32,
    pub failed: u32,
    /// Desired tasks at (or above) the target's configured maximum.
    pub at_max_capacity: u32,
    /// Scale-to-zero targets with no desired task while their backlog is above the
    /// activation threshold: the zero-watcher should have woken them within seconds.
    pub asleep_with_work: u32,
    /// Targets whose desired count changed at least `limit.changes` times within
    /// `limit.minutes`.
    pub scaling_too_often: u32,
    /// Targets not paused with work waiting and no task running.
    pub backlog_without_capacity: u32,
}

impl FleetTally {
    pub fn new(limit: ScalingChangeLimit) -> Self {
        FleetTally {
            limit,
            ..FleetTally::default()
        }
    }

    pub fn count_published(&mut self, target: &Target, reading: &Reading) {
        self.published += 1;
        if reading
            .scaling_changes
            .is_some_and(|changes| changes >= self.limit.changes)
        {
            self.scaling_too_often += 1;
        }
        if target.capacity.max > 0 && reading.tasks.desired >= target.capacity.max {
            self.at_max_capacity += 1;
        }
        if !target.paused && reading.backlog_without_capacity() {
            self.backlog_without_capacity += 1;
        }
        if let Some(scale_to_zero) = &target.scale_to_zero
            && !target.paused
            && reading.tasks.desired == 0
            && reading.backlog() > scale_to_zero.activation_backlog
        {
            self.asleep_with_work += 1;
        }
    }

    pub fn count_failed(&mut self) {
        self.failed += 1;
    }

    pub fn datums(&self) -> Vec<Datum> {
        [
            (names::TARGETS_PUBLISHED, self.published),
            (names::TARGETS_FAILED, self.failed),
            (names::TARGETS_AT_MAX_CAPACITY, self.at_max_capacity),
            (names::TARGETS_ASLEEP_WITH_WORK, self.asleep_with_work),
            (names::TARGETS_SCALING_TOO_OFTEN, self.scaling_too_often),
            (
                names::TARGETS_BACKLOG_WITHOUT_CAPACITY,
                self.backlog_without_capacity,
            ),
        ]
        .into_iter()
        .map(|(name, value)| Datum::fleet_count(name, f64::from(value)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::QueueDepth;

    fn target(name: &str) -> Target {
        Target::new(name, "c", "s")
            .with_queues(["q"])
            .with_capacity(0, 10)
            .with_backlog_per_task(10.0)
    }

    fn value(datums: &[Datum], name: &str) -> Option<f64> {
        datums.iter().find(|d| d.name == name).map(|d| d.value)
    }

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
        let reading = Reading {
            backlog: Backlog::plain(QueueDepth {
                visible: 0,
                in_flight: 7,
                delayed: 0,
            }),
            tasks: TaskCounts {
                running: 2,
                pending: 0,
                desired: 2,
            },
            gpu: None,
            oldest_age: None,
            scaling_changes: None,
            need: None,
        };
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
        let mut reading = Reading {
            backlog: Backlog::default(),
            tasks: TaskCounts::default(),
            gpu: None,
            oldest_age: None,
            scaling_changes: None,
            need: None,
        };
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
                drain: 2.4,
                drain_within_goal: 2.4,
                deviations: crate::capacity::need::NOISE_DEVIATIONS,
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

    fn many(count: usize) -> Vec<Datum> {
        (0..count)
            .map(|i| Datum {
                target: Some(format!("target-{i}")),
                dimension: TARGET_DIMENSION,
                name: names::BACKLOG,
                value: i as f64,
                unit: Unit::Count,
            })
            .collect()
    }

    #[test]
    fn batches_are_the_fewest_under_the_count_limit() {
        for (count, expected) in [(0, 0), (1, 1), (1000, 1), (1001, 2), (8000, 8), (8001, 9)] {
            let datums = many(count);
            let batches = batches(&datums, MAX_DATUMS_PER_CALL, MAX_BYTES_PER_CALL);
            assert_eq!(batches.len(), expected, "{count} datums");
            assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), count);
        }
    }

    #[test]
    fn batches_respect_the_size_limit() {
        let datums = many(100);
        let one = encoded_size_bound(&datums[0]);
        let batches = batches(&datums, 1000, one * 10 + 5);
        assert!(batches.len() >= 10);
        for batch in &batches {
            let bytes: usize = batch.iter().map(encoded_size_bound).sum();
            assert!(bytes <= one * 10 + 5);
        }
    }

    #[test]
    fn embedded_metric_line_holds_every_datum() {
        let reading = Reading {
            backlog: Backlog::plain(QueueDepth {
                visible: 3,
                in_flight: 1,
                delayed: 0,
            }),
            tasks: TaskCounts {
                running: 2,
                pending: 1,
                desired: 3,
            },
            gpu: Some(GpuUtilization {
                average: 50.0,
                max: 75.0,
            }),
            oldest_age: None,
            scaling_changes: None,
            need: None,
        };
        let datums = reading.datums(&target("gold"));
        let line =
            embedded_metric_line("Sluice", 1_700_000_000_000, &datums, Rollup::PerTargetOnly);
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(parsed["Target"], "gold");
        assert_eq!(parsed["Backlog"], 4.0);
        assert_eq!(parsed["BacklogPerTask"], 4.0 / 3.0); // over desired tasks
        assert_eq!(parsed["GpuUtilizationMax"], 75.0);
        let directive = &parsed["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Sluice");
        assert_eq!(directive["Dimensions"], serde_json::json!([["Target"]]));
        assert_eq!(
            directive["Metrics"].as_array().map(Vec::len),
            Some(datums.len())
        );
        assert_eq!(parsed["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }

    #[test]
    fn embedded_metric_line_rollup_and_fleet_dimensions() {
        let dimensions = |datums: &[Datum], rollup| {
            let line = embedded_metric_line("Sluice", 0, datums, rollup);
            let parsed: serde_json::Value = serde_json::from_str(&line).expect("json");
            (
                parsed["_aws"]["CloudWatchMetrics"][0]["Dimensions"].clone(),
                parsed.get("Target").cloned(),
            )
        };
        let per_target = [Datum::count("gold", names::WATCHER_FAILED, 1.0)];
        assert_eq!(
            dimensions(&per_target, Rollup::AlsoFleetWide),
            (serde_json::json!([["Target"], []]), Some("gold".into()))
        );
        let fleet = FleetTally::default().datums();
        assert_eq!(
            dimensions(&fleet, Rollup::PerTargetOnly),
            (serde_json::json!([[]]), None)
        );
    }

    fn reading(backlog: u64, desired: u32) -> Reading {
        Reading {
            backlog: Backlog::plain(QueueDepth {
                visible: backlog,
                in_flight: 0,
                delayed: 0,
            }),
            tasks: TaskCounts {
                running: desired,
                pending: 0,
                desired,
            },
            gpu: None,
            oldest_age: None,
            scaling_changes: None,
            need: None,
        }
    }

    #[test]
    fn fleet_tally_counts_targets_at_max_and_asleep_with_work() {
        let sleeper = |activation_backlog, paused| Target {
            paused,
            ..target("sleeper").with_scale_to_zero(crate::config::ScaleToZero {
                activation_backlog,
                ..Default::default()
            })
        };
        let mut tally = FleetTally::default();
        tally.count_published(&target("busy"), &reading(500, 10)); // at max 10
        tally.count_published(&target("fine"), &reading(5, 3));
        tally.count_published(&sleeper(0, false), &reading(1, 0)); // work, asleep
        tally.count_published(&sleeper(5, false), &reading(5, 0)); // under activation
        tally.count_published(&sleeper(0, true), &reading(9, 0)); // paused on purpose
        tally.count_published(&target("no-queue-at-zero"), &reading(3, 0)); // no scale_to_zero
        tally.count_failed();
        assert_eq!(
            tally,
            FleetTally {
                published: 6,
                failed: 1,
                at_max_capacity: 1,
                asleep_with_work: 1,
                // Work waiting, no task: both sleepers and the target without one,
                // not the paused one.
                backlog_without_capacity: 3,
                ..FleetTally::default()
            }
        );
        let datums = tally.datums();
        assert!(datums.iter().all(|d| d.target.is_none()));
        assert_eq!(
            datums.iter().map(|d| (d.name, d.value)).collect::<Vec<_>>(),
            [
                ("TargetsPublished", 6.0),
                ("TargetsFailed", 1.0),
                ("TargetsAtMaxCapacity", 1.0),
                ("TargetsAsleepWithWork", 1.0),
                ("TargetsScalingTooOften", 0.0),
                ("TargetsBacklogWithoutCapacity", 3.0),
            ]
        );
    }

    #[test]
    fn what_cloudwatch_would_refuse_is_dropped_and_said_not_the_batch() {
        let values = [5.0, 0.0, f64::NAN, f64::INFINITY, 1e300, 1e-200, -3.0];
        let datums: Vec<Datum> = values
            .iter()
            .map(|v| Datum::count("t", names::BACKLOG, *v))
            .collect();
        let (kept, notes) = publishable(&datums);
        let kept: Vec<f64> = kept.iter().map(|d| d.value).collect();
        assert_eq!(kept, [5.0, 0.0, -3.0]);
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(notes[0].starts_with("Backlog of t is NaN"), "{notes:?}");
        let line = embedded_metric_line("Sluice", 0, &datums, Rollup::PerTargetOnly);
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
        assert_eq!(
            parsed["Backlog"],
            serde_json::json!(-3.0),
            "the last kept value: {line}"
        );
        assert!(!line.contains("null"), "{line}");
    }
}

#[cfg(test)]
mod scaling_change_tests {
    use super::*;

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
                backlog: Backlog::default(),
                tasks: TaskCounts::default(),
                gpu: None,
                oldest_age: None,
                scaling_changes: changes,
                need: None,
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
}
