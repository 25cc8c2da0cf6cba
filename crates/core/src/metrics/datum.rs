//! One CloudWatch datum as the functions publish it: its unit, the values CloudWatch
//! accepts, batches under the API's limits and the Embedded Metric Format line.

use serde::Serialize;

use crate::names::{self, TARGET_DIMENSION};

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

/// PutMetricData's limits per call.
pub const MAX_DATUMS_PER_CALL: usize = 1000;

pub const MAX_BYTES_PER_CALL: usize = 1_000_000;

/// An upper bound of a datum's share of a request body, whatever the protocol:
/// its strings plus room for field names, value, unit and timestamp.
pub(super) fn encoded_size_bound(datum: &Datum) -> usize {
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
