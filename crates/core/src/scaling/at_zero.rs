//! What can raise a service from zero tasks. A per-task metric is divided by the
//! running tasks (Sluice's `RunningTasks`): at zero there is nothing to divide by,
//! the metric math has no data, and target tracking does nothing on missing data. The
//! same holds for the averages over running tasks (CPU, memory, GPU, requests per
//! target). A service that may stand at zero therefore needs one signal that sees work
//! without tasks: its queues (the need counts desired 0 as one task), the oldest
//! message's age, the backlog's burst steps, a metric or step rule as it is, or the
//! zero-watcher.

use super::Scaling;

impl Scaling {
    /// The field of a per-task metric or step rule when it is all there is to raise
    /// the service from zero: nothing else here sees work while no task runs. None
    /// when the target has no per-task metric, or has a signal that exists at zero.
    /// `has_queues`: the target names queues, so its need is published at zero.
    pub fn per_task_without_tasks(&self, has_queues: bool) -> Option<&'static str> {
        if !self.managed {
            return None;
        }
        let as_it_is = has_queues
            || self.oldest_message_age.is_some()
            || self.burst.is_some()
            || self.metric.iter().chain(&self.metrics).any(|m| !m.per_task)
            || self.step_rules.iter().any(|r| !r.per_task);
        if as_it_is {
            return None;
        }
        if self.metric.as_ref().is_some_and(|m| m.per_task) {
            Some("metric")
        } else if self.metrics.iter().any(|m| m.per_task) {
            Some("metrics")
        } else if self.step_rules.iter().any(|r| r.per_task) {
            Some("step_rules")
        } else {
            None
        }
    }
}
