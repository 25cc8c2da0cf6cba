//! Why a plan changes what it changes, as values: the prescaler's report, `sluicectl
//! why` and the tests render them with one `Display`.

use std::fmt;

use serde::Serialize;

/// Why one target's plan is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanReason {
    /// The scalable target's bounds are already what the hold asks for.
    BoundsAlready { min: u32, max: u32 },
    /// The bounds move: MinCapacity, MaxCapacity or both; `set_outside` when a live
    /// bound was set by neither the configuration nor the prescaler.
    Bounds {
        min: Option<MinMove>,
        max: Option<MaxMove>,
        set_outside: bool,
    },
    /// No scalable target, in a window: desiredCount raised to the floor (`to`, below
    /// `floor` when capacity.max caps it).
    WindowRaise { floor: u32, desired: u32, to: u32 },
    /// No scalable target, in a window, desiredCount already at or above `to`.
    AtFloor { desired: u32, floor: u32, to: u32 },
    /// No scalable target, no window, nothing of ours to give back.
    NoWindow,
    /// After a window: desiredCount is not what the prescaler last wrote (`ours`).
    ChangedElsewhere { desired: u32, ours: u32 },
    /// After a window: the backlog still needs what runs.
    BacklogHolds { needed: u32, desired: u32 },
    /// After a window: the prescaler's own raise given back to what is still needed.
    GiveBack {
        desired: u32,
        to: u32,
        baseline: u32,
        needed: u32,
    },
}

/// MinCapacity from `live` to `to`, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinMove {
    pub live: u32,
    pub to: u32,
    pub why: MinWhy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinWhy {
    /// A window's floor, and what held it under the floor, if anything.
    Window { floor: u32, capped: Option<Capped> },
    /// No window: the configured min.
    Configured,
}

/// A floor (`wanted`) held down to MaxCapacity `max`: a cap in force (a window's or a
/// budget's) or capacity.max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capped {
    pub wanted: u32,
    pub max: u32,
    pub by_cap: bool,
}

/// MaxCapacity from `live` to `to`, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxMove {
    pub live: u32,
    pub to: u32,
    pub why: MaxWhy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxWhy {
    /// An enforcing budget is spent: MaxCapacity at what runs, or the required floor.
    BudgetSpent,
    /// A window caps MaxCapacity at `cap`.
    WindowCap { cap: u32 },
    /// capacity.max: no cap in force.
    Configured,
}

impl fmt::Display for PlanReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PlanReason::BoundsAlready { min, max } => write!(f, "bounds already {min}-{max}"),
            PlanReason::Bounds {
                min,
                max,
                set_outside,
            } => {
                let parts: Vec<String> = [min.map(|m| m.to_string()), max.map(|m| m.to_string())]
                    .into_iter()
                    .flatten()
                    .collect();
                f.write_str(&parts.join("; "))?;
                if set_outside {
                    f.write_str(
                        " (the target's configuration owns the bounds: change capacity with \
                         sluicectl apply, or pause the target)",
                    )?;
                }
                Ok(())
            }
            PlanReason::WindowRaise { floor, desired, to } => {
                write!(f, "window floor {floor}: desiredCount {desired} -> {to}")?;
                capped_at_max(f, floor, to)
            }
            PlanReason::AtFloor { desired, floor, to } => {
                write!(
                    f,
                    "desiredCount {desired} already at or above the floor {to}"
                )?;
                capped_at_max(f, floor, to)
            }
            PlanReason::NoWindow => f.write_str("no window"),
            PlanReason::ChangedElsewhere { desired, ours } => write!(
                f,
                "window over; desiredCount {desired} is not the prescaler's last write \
                 ({ours}): someone else changed it, leaving it"
            ),
            PlanReason::BacklogHolds { needed, desired } => write!(
                f,
                "window over, but the backlog still needs {needed} tasks: leaving {desired}"
            ),
            PlanReason::GiveBack {
                desired,
                to,
                baseline,
                needed,
            } => write!(
                f,
                "window over: desiredCount {desired} (the prescaler's own write) -> {to} \
                 (configured min {baseline}, backlog needs {needed})"
            ),
        }
    }
}

/// A floor above what capacity.max lets desiredCount reach, said.
fn capped_at_max(f: &mut fmt::Formatter<'_>, floor: u32, to: u32) -> fmt::Result {
    if floor > to {
        write!(f, " (capped at capacity.max {to}; the floor is {floor})")?;
    }
    Ok(())
}

impl fmt::Display for MinMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let MinMove { live, to, why } = *self;
        match why {
            MinWhy::Window { floor, capped } => {
                write!(f, "window floor {floor}: MinCapacity {live} -> {to}")?;
                if let Some(Capped {
                    wanted,
                    max,
                    by_cap,
                }) = capped
                {
                    let by = if by_cap {
                        "MaxCapacity"
                    } else {
                        "capacity.max"
                    };
                    write!(f, " (capped at {by} {max}; the floor is {wanted})")?;
                }
                Ok(())
            }
            MinWhy::Configured => write!(
                f,
                "no window: MinCapacity {live} -> the configured min {to}"
            ),
        }
    }
}

impl fmt::Display for MaxMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let MaxMove { live, to, why } = *self;
        match why {
            MaxWhy::BudgetSpent => write!(
                f,
                "budget spent: MaxCapacity {live} -> {to} (what runs, or the required floor)"
            ),
            MaxWhy::WindowCap { cap } => write!(f, "window cap {cap}: MaxCapacity {live} -> {to}"),
            MaxWhy::Configured => write!(f, "MaxCapacity {live} -> capacity.max {to}"),
        }
    }
}

/// Reports and `sluicectl why --output json` carry the words.
impl Serialize for PlanReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
