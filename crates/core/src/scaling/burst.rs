//! Burst: step scale-out on the backlog's own alarm, ahead of target tracking.

use serde::{Deserialize, Serialize};

use super::Scaling;

/// Step scaling on the target's `Backlog`: at each threshold, add that many tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub steps: Vec<BurstStep>,
    /// Seconds after a burst before the next one.
    #[serde(default = "Burst::default_cooldown")]
    pub cooldown: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstStep {
    /// Backlog at or above which this step applies.
    pub backlog: u64,
    /// Tasks to add.
    pub add: u32,
}

impl Burst {
    fn default_cooldown() -> u32 {
        60
    }

    pub(super) fn problems(&self, add: &mut impl FnMut(&str, String)) {
        if self.steps.is_empty() {
            add("burst.steps", "must name at least one step".to_owned());
        }
        if self.steps.len() > Scaling::MAX_STEPS {
            add(
                "burst.steps",
                format!(
                    "{} steps; Application Auto Scaling allows at most {}",
                    self.steps.len(),
                    Scaling::MAX_STEPS
                ),
            );
        }
        for (index, step) in self.steps.iter().enumerate() {
            if step.add == 0 || step.add > crate::limits::MAX_TASKS {
                add(
                    &format!("burst.steps[{index}].add"),
                    format!(
                        "must add 1 to {} tasks, got {}",
                        crate::limits::MAX_TASKS,
                        step.add
                    ),
                );
            }
            if step.backlog > crate::limits::MAX_BACKLOG {
                add(
                    &format!("burst.steps[{index}].backlog"),
                    format!(
                        "must be at most {} messages, got {}",
                        crate::limits::MAX_BACKLOG,
                        step.backlog
                    ),
                );
            }
            if index > 0 && step.backlog <= self.steps[index - 1].backlog {
                add(
                    &format!("burst.steps[{index}].backlog"),
                    format!(
                        "{} must be above the previous step's {}",
                        step.backlog,
                        self.steps[index - 1].backlog
                    ),
                );
            }
        }
        if self.steps.first().is_some_and(|s| s.backlog == 0) {
            add(
                "burst.steps[0].backlog",
                "must be above 0: a burst at no backlog is no burst".to_owned(),
            );
        }
        if self.cooldown > Scaling::MAX_COOLDOWN {
            add(
                "burst.cooldown",
                format!("{} s is more than a day", self.cooldown),
            );
        }
    }

    /// The tasks to add at `backlog`: the highest step reached, if any.
    pub fn tasks_to_add(&self, backlog: u64) -> Option<u32> {
        self.steps
            .iter()
            .rev()
            .find(|step| backlog >= step.backlog)
            .map(|step| step.add)
    }
}
