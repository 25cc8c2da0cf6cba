//! Kubernetes HPA `behavior` semantics for a desired count Sluice sets itself
//! (`scaling.controller: direct`): stabilisation windows, rate policies and
//! `selectPolicy`, as the HPA applies them after its metric gives a recommendation
//! ("Configurable scaling behavior",
//! https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior).
//!
//! - Stabilisation: scaling up goes to the lowest recommendation of the scale-up
//!   window, scaling down to the highest of the scale-down window.
//! - Rate: each policy allows `value` tasks (or percent) of change per `period`,
//!   counted from the size at the start of the period (the size now, undoing the
//!   changes made within it); `selectPolicy: Max` takes the policy allowing the most
//!   change, `Min` the least, `Disabled` forbids the direction.
//! - Defaults are the HPA's: up without stabilisation, at most max(4 tasks, 100 %)
//!   per 15 s; down after a 300 s window, at most 100 % per 15 s.

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Behavior {
    #[serde(default = "Rules::default_up")]
    pub scale_up: Rules,
    #[serde(default = "Rules::default_down")]
    pub scale_down: Rules,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            scale_up: Rules::default_up(),
            scale_down: Rules::default_down(),
        }
    }
}

/// One direction's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rules {
    #[serde(default)]
    pub stabilization_window_seconds: u32,
    #[serde(default)]
    pub policies: Vec<RatePolicy>,
    #[serde(default)]
    pub select_policy: Select,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RatePolicy {
    #[serde(rename = "type")]
    pub kind: RateKind,
    pub value: u32,
    pub period_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RateKind {
    /// A number of tasks (the HPA's `Pods`).
    #[serde(alias = "Pods")]
    Tasks,
    Percent,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Select {
    #[default]
    Max,
    Min,
    Disabled,
}

impl Rules {
    fn default_up() -> Rules {
        Rules {
            stabilization_window_seconds: 0,
            policies: vec![
                RatePolicy {
                    kind: RateKind::Percent,
                    value: 100,
                    period_seconds: 15,
                },
                RatePolicy {
                    kind: RateKind::Tasks,
                    value: 4,
                    period_seconds: 15,
                },
            ],
            select_policy: Select::Max,
        }
    }

    fn default_down() -> Rules {
        Rules {
            stabilization_window_seconds: 300,
            policies: vec![RatePolicy {
                kind: RateKind::Percent,
                value: 100,
                period_seconds: 15,
            }],
            select_policy: Select::Max,
        }
    }

    fn problems(&self, path: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.stabilization_window_seconds > 3600 {
            problems.push(Problem::new(
                format!("{path}.stabilizationWindowSeconds"),
                format!(
                    "must be at most 3600 (the HPA's limit), got {}",
                    self.stabilization_window_seconds
                ),
            ));
        }
        for (index, policy) in self.policies.iter().enumerate() {
            let at = format!("{path}.policies[{index}]");
            if policy.value == 0 {
                problems.push(Problem::new(
                    format!("{at}.value"),
                    "must be above 0".to_owned(),
                ));
            }
            if !(1..=1800).contains(&policy.period_seconds) {
                problems.push(Problem::new(
                    format!("{at}.periodSeconds"),
                    format!(
                        "must be 1 to 1800 (the HPA's limit), got {}",
                        policy.period_seconds
                    ),
                ));
            }
        }
        if self.policies.is_empty() && self.select_policy != Select::Disabled {
            problems.push(Problem::new(
                format!("{path}.policies"),
                "must name at least one policy (or selectPolicy: Disabled)".to_owned(),
            ));
        }
        problems
    }
}

impl Behavior {
    pub fn problems(&self, path: &str) -> Vec<Problem> {
        let mut problems = self.scale_up.problems(&format!("{path}.scaleUp"));
        problems.extend(self.scale_down.problems(&format!("{path}.scaleDown")));
        problems
    }

    /// The longest time the rules look back: how much history to keep.
    pub fn memory_seconds(&self) -> i64 {
        [&self.scale_up, &self.scale_down]
            .iter()
            .flat_map(|r| {
                std::iter::once(r.stabilization_window_seconds)
                    .chain(r.policies.iter().map(|p| p.period_seconds))
            })
            .max()
            .map_or(0, i64::from)
    }
}

/// What the rules remember: past recommendations and past changes, each with when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(default)]
    pub recommendations: Vec<(i64, u32)>,
    /// (when, from, to)
    #[serde(default)]
    pub changes: Vec<(i64, u32, u32)>,
}

/// The desired count the rules allow at `now` from `current` toward `recommended`,
/// and the history to keep.
pub fn next(
    behavior: &Behavior,
    history: &History,
    current: u32,
    recommended: u32,
    now: i64,
) -> (u32, History) {
    let mut history = history.clone();
    let keep = behavior.memory_seconds();
    history
        .recommendations
        .retain(|(at, _)| now - at <= keep && *at <= now);
    history
        .changes
        .retain(|(at, _, _)| now - at <= keep && *at <= now);
    history.recommendations.push((now, recommended));
    let within = |seconds: u32| {
        let cutoff = now - i64::from(seconds);
        history
            .recommendations
            .iter()
            .filter(move |(at, _)| *at >= cutoff)
            .map(|(_, r)| *r)
    };
    let up_to = within(behavior.scale_up.stabilization_window_seconds)
        .min()
        .unwrap_or(recommended);
    let down_to = within(behavior.scale_down.stabilization_window_seconds)
        .max()
        .unwrap_or(recommended);
    let stabilised = current.max(up_to).min(down_to);
    let to = if stabilised > current {
        stabilised.min(limit(&behavior.scale_up, &history, current, now, true))
    } else if stabilised < current {
        stabilised.max(limit(&behavior.scale_down, &history, current, now, false))
    } else {
        current
    };
    if to != current {
        history.changes.push((now, current, to));
    }
    (to, history)
}

/// The furthest the rules let the count go this way now.
fn limit(rules: &Rules, history: &History, current: u32, now: i64, up: bool) -> u32 {
    if rules.select_policy == Select::Disabled || rules.policies.is_empty() {
        return current;
    }
    let allowed = rules.policies.iter().map(|policy| {
        let since = now - i64::from(policy.period_seconds);
        // The size at the period's start: now, with this period's changes undone.
        let start = history
            .changes
            .iter()
            .filter(|(at, _, _)| *at > since)
            .fold(i64::from(current), |size, (_, from, to)| {
                size - (i64::from(*to) - i64::from(*from))
            })
            .max(0) as f64;
        let change = match policy.kind {
            RateKind::Tasks => f64::from(policy.value),
            RateKind::Percent => start * f64::from(policy.value) / 100.0,
        };
        if up {
            (start + change).ceil()
        } else {
            (start - change).floor().max(0.0)
        }
    });
    let chosen = match (rules.select_policy, up) {
        (Select::Max, true) | (Select::Min, false) => allowed.fold(f64::MIN, f64::max),
        _ => allowed.fold(f64::MAX, f64::min),
    };
    chosen.clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds one recommendation every 15 s, returning the counts after each.
    fn follow(behavior: &Behavior, start: u32, recommended: &[u32]) -> Vec<u32> {
        let mut history = History::default();
        let mut current = start;
        recommended
            .iter()
            .enumerate()
            .map(|(step, r)| {
                let (to, kept) = next(behavior, &history, current, *r, step as i64 * 15);
                history = kept;
                current = to;
                to
            })
            .collect()
    }

    #[test]
    fn the_default_doubles_or_adds_four_per_15_s_and_holds_five_minutes_before_going_down() {
        let behavior = Behavior::default();
        assert_eq!(follow(&behavior, 1, &[20, 20, 20, 20]), [5, 10, 20, 20]);
        let mut wave = vec![10; 4];
        wave.extend([2; 22]);
        let counts = follow(&behavior, 10, &wave);
        assert_eq!(counts[20], 10, "still within 300 s of a 10");
        assert_eq!(counts[24], 2, "then all the way at once (100 % per 15 s)");
    }

    #[test]
    fn a_team_behavior_limits_each_direction() {
        // Up at most 2 tasks per 30 s after a 60 s window; down at most 1 per 60 s
        // after 300 s.
        let behavior = Behavior {
            scale_up: Rules {
                stabilization_window_seconds: 60,
                policies: vec![RatePolicy {
                    kind: RateKind::Tasks,
                    value: 2,
                    period_seconds: 30,
                }],
                select_policy: Select::Max,
            },
            scale_down: Rules {
                stabilization_window_seconds: 300,
                policies: vec![RatePolicy {
                    kind: RateKind::Tasks,
                    value: 1,
                    period_seconds: 60,
                }],
                select_policy: Select::Max,
            },
        };
        let mut rising = vec![2; 4];
        rising.extend([10; 12]);
        let counts = follow(&behavior, 2, &rising);
        assert_eq!(
            &counts[4..8],
            &[2, 2, 2, 2],
            "the 60 s window holds the rise"
        );
        assert_eq!(counts[8], 4, "then 2 tasks");
        assert_eq!(counts[9], 4, "and not again within 30 s");
        assert_eq!(counts[10], 6);
        let mut down = vec![10; 2];
        down.extend([1; 40]);
        let counts = follow(&behavior, 10, &down);
        assert_eq!(counts[21], 10, "300 s of stabilisation");
        assert_eq!(
            (counts[22], counts[25], counts[26]),
            (9, 9, 8),
            "one a minute"
        );
        let frozen = Behavior {
            scale_down: Rules {
                select_policy: Select::Disabled,
                ..behavior.scale_down.clone()
            },
            ..behavior
        };
        assert_eq!(follow(&frozen, 10, &[1; 40])[39], 10);
    }

    #[test]
    fn bad_rules_are_named_by_path() {
        let bad = Behavior {
            scale_up: Rules {
                stabilization_window_seconds: 4000,
                policies: vec![RatePolicy {
                    kind: RateKind::Percent,
                    value: 0,
                    period_seconds: 0,
                }],
                select_policy: Select::Max,
            },
            scale_down: Rules {
                policies: Vec::new(),
                ..Rules::default_down()
            },
        };
        let said: Vec<String> = bad.problems("b").iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "b.scaleUp.stabilizationWindowSeconds: must be at most 3600 (the HPA's limit), got 4000",
                "b.scaleUp.policies[0].value: must be above 0",
                "b.scaleUp.policies[0].periodSeconds: must be 1 to 1800 (the HPA's limit), got 0",
                "b.scaleDown.policies: must name at least one policy (or selectPolicy: Disabled)",
            ]
        );
    }
}
