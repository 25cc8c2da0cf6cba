//! The fleet's figures a run adds up across targets: at max, asleep with work.

use serde::Serialize;

use super::datum::Datum;
use super::reading::{Reading, ScalingChangeLimit};
use crate::config::Target;
use crate::names;

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
