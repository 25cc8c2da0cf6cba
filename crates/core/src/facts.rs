//! Facts read from AWS that more than one decision uses: queue depth, task counts,
//! GPU utilisation, a scalable target's bounds, and what to ask CloudWatch for.

use std::collections::BTreeMap;

use serde::Serialize;

/// One CloudWatch statistic of one metric, of which the newest datapoint is wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricQuery {
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    /// `Average`, `Maximum`, `Minimum`, `Sum` or `SampleCount`.
    pub statistic: &'static str,
}

/// SQS's approximate counts for one queue (or summed over a target's queues).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub visible: u64,
    /// Received but not yet deleted: work in progress.
    pub in_flight: u64,
    pub delayed: u64,
}

impl QueueDepth {
    /// Visible alone would scale in while work is still running: count everything.
    pub fn backlog(&self) -> u64 {
        self.visible
            .saturating_add(self.in_flight)
            .saturating_add(self.delayed)
    }
}

impl std::ops::Add for QueueDepth {
    type Output = QueueDepth;
    fn add(self, other: QueueDepth) -> QueueDepth {
        QueueDepth {
            visible: self.visible.saturating_add(other.visible),
            in_flight: self.in_flight.saturating_add(other.in_flight),
            delayed: self.delayed.saturating_add(other.delayed),
        }
    }
}

impl std::iter::Sum for QueueDepth {
    fn sum<I: Iterator<Item = QueueDepth>>(iter: I) -> QueueDepth {
        iter.fold(QueueDepth::default(), |sum, depth| sum + depth)
    }
}

/// ECS's task counts for one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    pub running: u32,
    pub pending: u32,
    pub desired: u32,
}

/// GPU utilisation over a service, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuUtilization {
    pub average: f64,
    pub max: f64,
}

/// Application Auto Scaling's bounds for a service, when a scalable target exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScalableBounds {
    pub min: u32,
    pub max: u32,
}
