//! What Sluice does with a target's desired count at a look, on its need:
//!
//! - `controller: tracking` (the default): raise at once when the need is above
//!   desired (the fast path: no waiting for three one-minute datapoints), and give
//!   capacity back once the need has stayed below desired for the give-back window,
//!   to the largest need seen in it (with room for noise and a tenth more, so noise
//!   does not flap; the need itself where the queue carries a fraction of a task).
//!   Application Auto Scaling's target tracking on CapacityUtilization does the same
//!   more slowly if Sluice stops.
//! - `controller: direct`: the need is the recommendation, and the HPA behaviour
//!   (`super::behavior`) decides how fast the count follows it.
//!
//! Either way: never outside the scalable target's bounds (a floor the prescaler holds
//! is its MinCapacity), never below the tasks with a message in hand.

use serde::{Deserialize, Serialize};

use super::behavior::{self, Behavior, History};
use super::need::Need;
use super::starting::Starting;
use crate::facts::ScalableBounds;

/// The give-back window when none is configured: a start-up, between these.
pub const GIVE_BACK_SECONDS: std::ops::RangeInclusive<i64> = 60..=180;

/// How long the need must stay below desired before capacity is given back: the
/// configured `give_back_after_seconds`, else the target's learned start-up, at least
/// a minute and at most three (three until a start-up is learned). Giving back
/// capacity the load then needs again costs a start-up of shortfall, so waiting about
/// one is the price of the insurance. On the seed workloads and the real traces
/// (`infra/bench.sh control`, docs/control.md) it bills up to 7 % fewer task-hours
/// than a fixed three minutes with 90 s start-ups (1.5-7 % on the real traces, at most
/// two more minutes with a late message in a fortnight), and the same with 4-7
/// minute ones.
pub fn give_back_window(configured: Option<u32>, start_up: Option<f64>) -> i64 {
    if let Some(seconds) = configured {
        return i64::from(seconds);
    }
    let (least, most) = (*GIVE_BACK_SECONDS.start(), *GIVE_BACK_SECONDS.end());
    match start_up.filter(|s| s.is_finite() && *s > 0.0) {
        Some(seconds) => (seconds.round() as i64).clamp(least, most),
        None => most,
    }
}

/// Why a look moved the count, or did not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Why {
    /// The need is above desired.
    NeedAbove { need: u32 },
    /// The need is above desired, but desired is at the scalable target's maximum.
    AtMaximum { max: u32 },
    /// The need is at desired.
    AtNeed,
    /// The need has been below desired for `seconds` of the `window`.
    Waiting { seconds: i64, window: i64 },
    /// The need stayed below desired for the window; the largest give-back level in
    /// it (`Need::give_back_level`: with room for noise and a tenth more).
    StayedBelow { window: i64, peak: f64 },
    /// The count is already at what the window's largest need (with tolerance), the
    /// floor or the busy tasks allow.
    NothingToGive { floor: u32, busy: u32 },
    /// The HPA behaviour's stabilisation and rates let the count go this far.
    Behavior { recommended: u32 },
    /// Below need, but the bounds allow no count above 0 (MaxCapacity 0): going to 0
    /// is the zero-watcher's sleep, not a give-back.
    ZeroIsTheSleeps,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::NeedAbove { need } => write!(f, "needs {need} tasks"),
            Why::AtMaximum { max } => write!(f, "needs more, but the maximum is {max}"),
            Why::AtNeed => write!(f, "at need"),
            Why::Waiting { seconds, window } => {
                write!(
                    f,
                    "below need for {seconds}s of the {window}s give-back window"
                )
            }
            Why::StayedBelow { window, peak } => {
                write!(f, "needed at most {peak:.2} tasks for {window}s")
            }
            Why::NothingToGive { floor, busy } => write!(
                f,
                "below need, but at the floor {floor} or the {busy} busy task(s)"
            ),
            Why::Behavior { recommended } => {
                write!(f, "toward {recommended} as the behavior allows")
            }
            Why::ZeroIsTheSleeps => write!(
                f,
                "below need, but MaxCapacity is 0: going to 0 is the sleep's, not a give-back"
            ),
        }
    }
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "move")]
pub enum Move {
    Raise { to: u32, why: Why },
    Lower { to: u32, why: Why },
    Hold { why: Why },
}

impl Move {
    /// The desired count to set, when the move changes it.
    pub fn to(&self) -> Option<u32> {
        match self {
            Move::Raise { to, .. } | Move::Lower { to, .. } => Some(*to),
            Move::Hold { .. } => None,
        }
    }

    pub fn why(&self) -> Why {
        match self {
            Move::Raise { why, .. } | Move::Lower { why, .. } | Move::Hold { why } => *why,
        }
    }
}

impl std::fmt::Display for Move {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Move::Raise { to, why } => write!(f, "raise to {to}: {why}"),
            Move::Lower { to, why } => write!(f, "lower to {to}: {why}"),
            Move::Hold { why } => write!(f, "hold: {why}"),
        }
    }
}

/// What the controller remembers of a target between looks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Since when the need has been below desired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below_since: Option<i64>,
    /// The needs (with room for noise, `Need::give_back_level`) of the looks within
    /// the give-back window: (when, need).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<(i64, f64)>,
    /// The HPA behaviour's recommendations and changes (`controller: direct`).
    #[serde(default, skip_serializing_if = "is_empty")]
    pub history: History,
    /// The watcher's last raise while its tasks start, to measure their start-up
    /// (`starting`): set by the watcher once ECS took the raise, carried by the
    /// decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting: Option<Starting>,
}

fn is_empty(history: &History) -> bool {
    *history == History::default()
}

impl Memory {
    /// The memory as stored, with what cannot be right dropped (a time ahead of `now`,
    /// a need that is not a number of tasks) and one note per thing dropped: a corrupt
    /// record delays a give-back, never stops a run.
    pub fn sanitized(&self, now: i64) -> (Memory, Vec<String>) {
        let mut notes = Vec::new();
        let ahead = now.saturating_add(crate::limits::CLOCK_SKEW_SECONDS);
        let below_since = self.below_since.filter(|at| {
            let fine = *at <= ahead;
            if !fine {
                notes.push(format!(
                    "stored below_since {at} is ahead of the clock: ignored"
                ));
            }
            fine
        });
        let needs: Vec<(i64, f64)> = self
            .needs
            .iter()
            .copied()
            .filter(|(at, raw)| {
                let fine = *at <= ahead && raw.is_finite() && *raw >= 0.0;
                if !fine {
                    notes.push(format!("stored need {raw} at {at} is not a need: ignored"));
                }
                fine
            })
            .collect();
        let mut history = self.history.clone();
        let before = history.recommendations.len() + history.changes.len();
        history.recommendations.retain(|(at, _)| *at <= ahead);
        history.changes.retain(|(at, _, _)| *at <= ahead);
        if history.recommendations.len() + history.changes.len() < before {
            notes.push("stored behavior history ahead of the clock: ignored".to_owned());
        }
        let starting = self.starting.filter(|s| {
            let fine = s.since <= ahead;
            if !fine {
                notes.push(format!(
                    "stored raise at {} is ahead of the clock: ignored",
                    s.since
                ));
            }
            fine
        });
        let clean = Memory {
            below_since,
            needs,
            history,
            starting,
        };
        (clean, notes)
    }
}

/// What a look knows besides the need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Situation {
    pub desired: u32,
    pub bounds: ScalableBounds,
    /// Messages in hand: a task holding one is not given back.
    pub in_flight: f64,
    pub now: i64,
}

impl Situation {
    /// The fewest tasks a lowering may leave: the floor, and the busy tasks. A floor
    /// above the maximum (bounds read while a lowered max failed to register) counts
    /// as the maximum, as in `within_bounds`: a lowering never lands above MaxCapacity.
    fn lowest(&self) -> (u32, u32) {
        let busy = if self.in_flight.is_finite() {
            self.in_flight.max(0.0).ceil().min(f64::from(u32::MAX)) as u32
        } else {
            0
        };
        (self.bounds.min.min(self.bounds.max), busy)
    }

    fn within_bounds(&self, count: u32) -> u32 {
        // Not clamp(): bounds read from AWS may be odd (min above max).
        count.max(self.bounds.min).min(self.bounds.max)
    }
}

/// `controller: tracking`: up at once; down once the need has stayed below desired
/// for `window_seconds`, to the largest give-back level (`Need::give_back_level`) of
/// the last `window_seconds`, step by step as that window slides.
pub fn tracking(
    need: &Need,
    at: &Situation,
    memory: &Memory,
    window_seconds: i64,
) -> (Move, Memory) {
    let desired = at.desired;
    let mut needs: Vec<(i64, f64)> = memory
        .needs
        .iter()
        .copied()
        .filter(|(when, raw)| at.now - when <= window_seconds && *when < at.now && raw.is_finite())
        .collect();
    needs.push((at.now, need.give_back_level()));
    let remember = |below_since: Option<i64>| Memory {
        below_since,
        needs: needs.clone(),
        history: History::default(),
        starting: memory.starting,
    };
    if need.asks_more_than(desired) {
        return (raise(need, at), remember(None));
    }
    if need.tasks >= desired {
        return (Move::Hold { why: Why::AtNeed }, remember(None));
    }
    let since = memory
        .below_since
        .filter(|since| *since <= at.now)
        .unwrap_or(at.now);
    let below_for = at.now - since;
    if below_for < window_seconds {
        let why = Why::Waiting {
            seconds: below_for,
            window: window_seconds,
        };
        return (Move::Hold { why }, remember(Some(since)));
    }
    let peak = needs.iter().map(|(_, raw)| *raw).fold(0.0, f64::max);
    let wanted = (peak - 1e-6).ceil().max(0.0);
    let wanted = wanted.min(f64::from(u32::MAX)) as u32;
    let (floor, busy) = at.lowest();
    let to = at.within_bounds(wanted.max(busy)).max(floor);
    if to >= desired {
        let why = Why::NothingToGive { floor, busy };
        return (Move::Hold { why }, remember(Some(since)));
    }
    let why = Why::StayedBelow {
        window: window_seconds,
        peak,
    };
    (lowered(to, why), remember(Some(since)))
}

/// A lowering to `to`, or a hold when that is 0: zero is the sleep's, after the idle
/// wait. Only a MaxCapacity of 0 brings a give-back there, and Application Auto
/// Scaling keeps desired within its own bounds.
fn lowered(to: u32, why: Why) -> Move {
    if to == 0 {
        Move::Hold {
            why: Why::ZeroIsTheSleeps,
        }
    } else {
        Move::Lower { to, why }
    }
}

/// Up at once to a need above desired, within the bounds; held when the bounds allow
/// no more.
fn raise(need: &Need, at: &Situation) -> Move {
    let to = at.within_bounds(need.tasks);
    if to > at.desired {
        Move::Raise {
            to,
            why: Why::NeedAbove { need: need.tasks },
        }
    } else {
        Move::Hold {
            why: Why::AtMaximum { max: at.bounds.max },
        }
    }
}

/// `controller: direct`: the HPA behaviour toward the need.
pub fn direct(need: &Need, at: &Situation, memory: &Memory, rules: &Behavior) -> (Move, Memory) {
    let recommended = at.within_bounds(need.tasks);
    let (to, history) = behavior::next(rules, &memory.history, at.desired, recommended, at.now);
    let (floor, busy) = at.lowest();
    let to = if to < at.desired {
        at.within_bounds(to.max(busy).max(floor)).min(at.desired)
    } else {
        at.within_bounds(to)
    };
    let kept = Memory {
        history,
        starting: memory.starting,
        ..Memory::default()
    };
    let why = Why::Behavior { recommended };
    let decision = match to.cmp(&at.desired) {
        std::cmp::Ordering::Greater => Move::Raise { to, why },
        std::cmp::Ordering::Less => lowered(to, why),
        std::cmp::Ordering::Equal => Move::Hold { why },
    };
    (decision, kept)
}

#[cfg(test)]
mod tests;
