//! Capacity below the tasks: a GPU task on an EC2 capacity provider waits for an
//! instance (a 300 s warm-up is common) before it can even start. For a target that
//! names its Auto Scaling group, the prescaler raises the group's floor (MinSize, or
//! its warm pool's MinSize) by the instances the task floor needs, ahead of the task
//! floor by the instance warm-up, and gives back exactly its own raise after the
//! window. Pure.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// A target's instances, as written in its configuration (`instances:`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instances {
    /// The capacity provider's Auto Scaling group (its name).
    pub auto_scaling_group: String,
    /// How many of this service's tasks fit on one instance (GPUs per instance /
    /// GPUs per task).
    #[serde(default = "one")]
    pub tasks_per_instance: u32,
    /// How long an instance takes to join the cluster: the group's floor rises this
    /// much ahead of the task floor.
    #[serde(default = "five")]
    pub warm_up_minutes: u32,
    /// `min_size` (default): raise the group's MinSize, instances run; `warm_pool`:
    /// raise its warm pool's MinSize, instances wait stopped and start in seconds.
    #[serde(default)]
    pub floor: GroupFloor,
}

fn one() -> u32 {
    1
}

fn five() -> u32 {
    5
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupFloor {
    #[default]
    MinSize,
    WarmPool,
}

impl Instances {
    pub fn problems(&self, path: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let name = &self.auto_scaling_group;
        if name.trim().is_empty() || name.len() > 255 || name.starts_with("arn:") {
            problems.push(Problem::new(
                format!("{path}.auto_scaling_group"),
                format!(
                    "{name:?}: give the Auto Scaling group's name (1-255 characters, not its ARN)"
                ),
            ));
        }
        if self.tasks_per_instance > crate::limits::MAX_TASKS {
            problems.push(Problem::new(
                format!("{path}.tasks_per_instance"),
                format!(
                    "must be at most {}, got {}",
                    crate::limits::MAX_TASKS,
                    self.tasks_per_instance
                ),
            ));
        }
        if self.tasks_per_instance == 0 {
            problems.push(Problem::new(
                format!("{path}.tasks_per_instance"),
                "must be at least 1".to_owned(),
            ));
        }
        if self.warm_up_minutes > 60 {
            problems.push(Problem::new(
                format!("{path}.warm_up_minutes"),
                format!("must be at most 60, got {}", self.warm_up_minutes),
            ));
        }
        problems
    }

    /// Instances that `tasks` of this service need.
    pub fn for_tasks(&self, tasks: u32) -> u32 {
        tasks.div_ceil(self.tasks_per_instance.max(1))
    }
}

/// What was read of a group: the floor Sluice may raise (MinSize, or the warm pool's
/// MinSize, None when the group has no warm pool) and MaxSize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupFacts {
    pub floor: Option<u32>,
    pub max_size: u32,
}

/// The prescaler's own raise of a group's floor, kept so that it gives back only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupOwn {
    pub raised_to: u32,
    /// The floor before the raise, restored after the window.
    pub baseline: u32,
    /// Which floor was raised: what gives it back once no target declares the group
    /// any more. None in a record written before the kind was kept.
    #[serde(default)]
    pub floor: Option<GroupFloor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupPlan {
    /// (from, to) when the floor changes.
    pub change: Option<(u32, u32)>,
    /// What to record as the prescaler's own raise afterwards.
    pub own: Option<GroupOwn>,
    pub reason: GroupReason,
}

/// Why a group's floor moves or stays, with its figures; [`fmt::Display`] gives the
/// words the prescaler's report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum GroupReason {
    /// No warm pool to raise: the declaration asks for one.
    NoWarmPool,
    /// Raised to what the windows ahead need (`needed` above MaxSize: capped).
    Raise {
        needed: u32,
        from: u32,
        to: u32,
        max_size: Option<u32>,
    },
    /// The prescaler's own raise stands at what the windows need.
    AsNeeded {
        floor: u32,
        needed: u32,
        max_size: Option<u32>,
    },
    /// The prescaler's own raise comes down to the need, or to the floor it found.
    Lower { needed: u32, from: u32, to: u32 },
    /// The floor is not the prescaler's raise any more: left as it is.
    ChangedElsewhere { floor: u32, ours: u32 },
    /// A floor nobody raised for the windows already covers them.
    Covers { floor: u32, needed: u32 },
}

impl fmt::Display for GroupReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let capped = |f: &mut fmt::Formatter<'_>, max_size: Option<u32>, needed: u32| match max_size
        {
            Some(max) => write!(f, " (capped at MaxSize {max}; {needed} needed)"),
            None => Ok(()),
        };
        match *self {
            GroupReason::NoWarmPool => f.write_str(
                "the group has no warm pool: create one (PutWarmPool) or use floor: min_size",
            ),
            GroupReason::Raise {
                needed,
                from,
                to,
                max_size,
            } => {
                write!(
                    f,
                    "{needed} instances needed ahead of the windows: {from} -> {to}"
                )?;
                capped(f, max_size, needed)
            }
            GroupReason::AsNeeded {
                floor,
                needed,
                max_size,
            } => {
                write!(f, "floor {floor} instances, as the windows need ({needed})")?;
                capped(f, max_size, needed)
            }
            GroupReason::Lower { needed, from, to } => {
                write!(f, "{needed} instances needed now: our raise {from} -> {to}")
            }
            GroupReason::ChangedElsewhere { floor, ours } => write!(
                f,
                "the floor is {floor}, not our {ours}: someone else changed it, left as it is"
            ),
            GroupReason::Covers { floor, needed } => {
                write!(f, "floor {floor} instances covers the {needed} needed")
            }
        }
    }
}

/// The one change a group's floor calls for when its targets need `needed`
/// instances ahead of their windows: raise it to the need (at most MaxSize), and
/// lower only the prescaler's own raise, never below the floor it found.
pub fn plan_group(needed: u32, facts: GroupFacts, own: Option<GroupOwn>) -> GroupPlan {
    let Some(live) = facts.floor else {
        return GroupPlan {
            change: None,
            own,
            reason: GroupReason::NoWarmPool,
        };
    };
    let wanted = needed.min(facts.max_size);
    // MaxSize, when it keeps the floor below the need.
    let capped = (wanted < needed).then_some(facts.max_size);
    if wanted > live {
        let baseline = own.map_or(live, |o| o.baseline.min(live));
        return GroupPlan {
            change: Some((live, wanted)),
            own: Some(GroupOwn {
                raised_to: wanted,
                baseline,
                floor: own.and_then(|o| o.floor),
            }),
            reason: GroupReason::Raise {
                needed,
                from: live,
                to: wanted,
                max_size: capped,
            },
        };
    }
    at_or_above_need(needed, live, wanted, capped, own)
}

/// A group's floor at or above what its targets need: only the prescaler's own raise
/// comes down, to the need or to the floor it found; any other floor is left.
fn at_or_above_need(
    needed: u32,
    live: u32,
    wanted: u32,
    capped: Option<u32>,
    own: Option<GroupOwn>,
) -> GroupPlan {
    match own {
        // Our raise (or what is left of it after a lowering whose record was lost),
        // now above the need: lowered to the need, or to what we found.
        Some(own) if (own.baseline..=own.raised_to).contains(&live) => {
            let to = wanted.max(own.baseline);
            let kept = (to > own.baseline).then_some(GroupOwn {
                raised_to: to,
                ..own
            });
            if to == live {
                return GroupPlan {
                    change: None,
                    own: kept,
                    reason: GroupReason::AsNeeded {
                        floor: live,
                        needed,
                        max_size: capped,
                    },
                };
            }
            GroupPlan {
                change: Some((live, to)),
                own: kept,
                reason: GroupReason::Lower {
                    needed,
                    from: live,
                    to,
                },
            }
        }
        Some(own) => GroupPlan {
            change: None,
            own: None,
            reason: GroupReason::ChangedElsewhere {
                floor: live,
                ours: own.raised_to,
            },
        },
        None => GroupPlan {
            change: None,
            own: None,
            reason: GroupReason::Covers {
                floor: live,
                needed,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(floor: u32) -> GroupFacts {
        GroupFacts {
            floor: Some(floor),
            max_size: 10,
        }
    }

    #[test]
    fn instances_round_up_by_tasks_per_instance() {
        let gpus = Instances {
            auto_scaling_group: "g".into(),
            tasks_per_instance: 4,
            warm_up_minutes: 5,
            floor: GroupFloor::MinSize,
        };
        assert_eq!(
            (gpus.for_tasks(0), gpus.for_tasks(4), gpus.for_tasks(5)),
            (0, 1, 2)
        );
    }

    #[test]
    fn a_raise_is_recorded_and_only_it_is_given_back() {
        let raised = plan_group(3, facts(1), None);
        assert_eq!(raised.change, Some((1, 3)));
        let own = raised.own;
        assert_eq!(
            own,
            Some(GroupOwn {
                raised_to: 3,
                baseline: 1,
                floor: None,
            })
        );
        // Repeated in the window: nothing to do, the record kept.
        let again = plan_group(3, facts(3), own);
        assert_eq!((again.change, again.own), (None, own));
        // After the window: back to the baseline.
        let after = plan_group(0, facts(3), own);
        assert_eq!((after.change, after.own), (Some((3, 1)), None));
        // Someone changed it meanwhile: left alone, record dropped.
        let changed = plan_group(0, facts(7), own);
        assert_eq!((changed.change, changed.own), (None, None));
        assert_eq!(
            changed.reason,
            GroupReason::ChangedElsewhere { floor: 7, ours: 3 }
        );
        assert_eq!(
            changed.reason.to_string(),
            "the floor is 7, not our 3: someone else changed it, left as it is"
        );
    }

    #[test]
    fn a_raise_stops_at_max_size_and_never_lowers_a_higher_floor() {
        let capped = plan_group(
            20,
            GroupFacts {
                floor: Some(2),
                max_size: 6,
            },
            None,
        );
        assert_eq!(capped.change, Some((2, 6)));
        assert_eq!(
            capped.reason.to_string(),
            "20 instances needed ahead of the windows: 2 -> 6 (capped at MaxSize 6; 20 needed)"
        );
        assert_eq!(plan_group(2, facts(4), None).change, None);
        let no_pool = plan_group(
            2,
            GroupFacts {
                floor: None,
                max_size: 6,
            },
            None,
        );
        assert_eq!(no_pool.change, None);
        assert_eq!(no_pool.reason, GroupReason::NoWarmPool);
        // Raised higher by someone else in the window: never lowered, not ours after.
        let own = Some(GroupOwn {
            raised_to: 3,
            baseline: 1,
            floor: None,
        });
        let higher = plan_group(3, facts(5), own);
        assert_eq!(higher.change, None);
        assert_eq!(plan_group(0, facts(5), higher.own).change, None);
    }

    #[test]
    fn each_plan_says_why_with_its_figures() {
        let own = |raised_to, baseline| {
            Some(GroupOwn {
                raised_to,
                baseline,
                floor: None,
            })
        };
        let cases = [
            (
                plan_group(3, facts(1), None),
                "3 instances needed ahead of the windows: 1 -> 3",
            ),
            (
                plan_group(3, facts(3), own(3, 1)),
                "floor 3 instances, as the windows need (3)",
            ),
            (
                plan_group(2, facts(4), own(4, 1)),
                "2 instances needed now: our raise 4 -> 2",
            ),
            (
                plan_group(2, facts(4), None),
                "floor 4 instances covers the 2 needed",
            ),
        ];
        for (plan, words) in cases {
            assert_eq!(plan.reason.to_string(), words, "{plan:?}");
        }
    }
}
