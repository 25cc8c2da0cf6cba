//! Who sets desiredCount and what the main policy tracks, and why the watcher may
//! leave giving back to others.

use serde::{Deserialize, Serialize};

/// Why the zero-watcher leaves scale-in to others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoGiveBack {
    /// `disable_scale_in`: nothing but the sleep removes tasks.
    ScaleInDisabled,
    /// Policies on signals the need does not see (their fields).
    Unseen(Vec<&'static str>),
}

impl std::fmt::Display for NoGiveBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoGiveBack::ScaleInDisabled => write!(f, "scale-in is disabled"),
            NoGiveBack::Unseen(fields) => write!(
                f,
                "scale-in is Application Auto Scaling's, when every policy agrees: {} {} what the need does not see",
                fields.join(", "),
                if fields.len() == 1 { "tracks" } else { "track" }
            ),
        }
    }
}

/// What the main target-tracking policy tracks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tracks {
    #[default]
    Capacity,
    BacklogPerTask,
}

impl Tracks {
    pub(super) fn is_default(&self) -> bool {
        *self == Tracks::default()
    }
}

/// Who sets desiredCount between the bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Controller {
    #[default]
    Tracking,
    Direct,
}

impl Controller {
    pub(super) fn is_default(&self) -> bool {
        *self == Controller::default()
    }
}
