//! What became of one target: the outcome every stage reports in and the report sums.

use serde::Serialize;
use sluice_core::config::Target;
use sluice_core::outcome::{Outcome, Prescale};
use sluice_core::prescale::{Change, FloorError};
use sluice_core::startup::Percentiles;

/// What became of a target's planned change (or an instance group's floor), in the
/// one vocabulary (`sluice_core::outcome`).
pub type ChangeStatus = Outcome<Prescale>;

/// Why nothing was decided for a target; `reason` is its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The target's profile does not compile.
    ProfileInvalid {
        profile: String,
        error: String,
    },
    /// No profile of that name is stored.
    ProfileMissing {
        profile: String,
    },
    Paused,
    /// A fact could not be read (the target's account could not be reached included).
    Unread(String),
    /// Deciding panicked.
    Panicked(String),
}

impl Skip {
    /// What the skip makes of the target's outcome: a fact unread is `Unread`,
    /// Sluice's own fault `Failed`, the rest the target's own doing (`Skipped`).
    pub fn outcome(&self) -> ChangeStatus {
        match self {
            Skip::Unread(_) => Outcome::Unread,
            Skip::Panicked(_) => Outcome::Failed,
            Skip::ProfileInvalid { .. } | Skip::ProfileMissing { .. } | Skip::Paused => {
                Outcome::Skipped
            }
        }
    }

    /// Counted in TargetsWithoutFloor: the profile gave no floor.
    pub fn leaves_no_floor(&self) -> bool {
        matches!(
            self,
            Skip::ProfileInvalid { .. } | Skip::ProfileMissing { .. }
        )
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::ProfileInvalid { profile, error } => {
                write!(
                    f,
                    "profile {profile} is invalid, target left as it is: {error}"
                )
            }
            Skip::ProfileMissing { profile } => {
                write!(
                    f,
                    "profile {profile} is not in the table, target left as it is"
                )
            }
            Skip::Paused => f.write_str("paused"),
            Skip::Unread(error) | Skip::Panicked(error) => {
                write!(f, "not decided, nothing changed: {error}")
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<u32>,
    /// The cap (MaxCapacity) of a capped window open now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// Indexes of the profile's windows that give the floor.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<usize>,
    /// Minutes ahead of a window its floor rises, and why that lead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_minutes: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lead: String,
    /// The target's measured start-ups (p50, p95, how many), when any were kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_up: Option<Percentiles>,
    /// Each budget that counts the target: its spend, and what it does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<String>,
    /// This interval's floor against the backlog's need.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_error: Option<FloorError>,
    pub outcome: ChangeStatus,
    pub change: Change,
    pub reason: String,
    /// Why nothing was decided, when nothing was.
    #[serde(skip)]
    pub skip: Option<Skip>,
    /// A raise recorded on the service the target named before it moved (another
    /// account, region or service): not given back here, said, and counted failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_behind: Option<String>,
}

impl TargetReport {
    pub fn new(target: &Target, profile: &str) -> Self {
        TargetReport {
            target: target.name.clone(),
            profile: profile.to_owned(),
            floor: None,
            cap: None,
            windows: Vec::new(),
            lead_minutes: None,
            lead: String::new(),
            start_up: None,
            budgets: Vec::new(),
            floor_error: None,
            outcome: ChangeStatus::Skipped,
            change: Change::None,
            reason: String::new(),
            skip: None,
            left_behind: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Skip;
    use sluice_core::outcome::Outcome;

    #[test]
    fn each_skip_is_counted_once_and_said_in_words() {
        let profile = || "business".to_owned();
        // (skip, outcome, counted without a floor, words)
        let cases = [
            (
                Skip::ProfileInvalid {
                    profile: profile(),
                    error: "bad zone".into(),
                },
                Outcome::Skipped,
                true,
                "profile business is invalid, target left as it is: bad zone",
            ),
            (
                Skip::ProfileMissing { profile: profile() },
                Outcome::Skipped,
                true,
                "profile business is not in the table, target left as it is",
            ),
            (Skip::Paused, Outcome::Skipped, false, "paused"),
            (
                Skip::Unread("throttled".into()),
                Outcome::Unread,
                false,
                "not decided, nothing changed: throttled",
            ),
            (
                Skip::Panicked("boom".into()),
                Outcome::Failed,
                false,
                "not decided, nothing changed: boom",
            ),
        ];
        for (skip, outcome, no_floor, words) in cases {
            assert_eq!(skip.outcome(), outcome, "{skip:?}");
            assert_eq!(skip.leaves_no_floor(), no_floor, "{skip:?}");
            assert_eq!(skip.to_string(), words);
        }
    }
}
