//! The move one target's controller makes on its facts and the need, and the memory
//! to keep: target tracking's raise and give-back window, or direct control's HPA
//! behaviour (sluice_core::capacity::control), a poll's only raising.

use sluice_aws::ServiceFacts as Facts;
use sluice_core::capacity::control::{direct, tracking};
use sluice_core::capacity::{Look, Memory, Move, Need, Pass, Rates, Situation};
use sluice_core::config::Target;
use sluice_core::facts::ScalableBounds;
use sluice_core::scaling::Controller;

use super::report::{ControlEffect, ControlReport};

/// Where the target stands for a move. Going to zero is the sleep's to decide, after
/// its idle wait, so MinCapacity counts as at least 1. MaxCapacity as read, and never
/// above capacity.max: an apply that lowered the max but could not register it leaves
/// the live MaxCapacity higher, and the configuration owns the bound (found by the
/// control plane's model-based test).
fn situation(
    target: &Target,
    bounds: ScalableBounds,
    desired: u32,
    in_flight: f64,
    now: i64,
) -> Situation {
    Situation {
        desired,
        bounds: ScalableBounds {
            min: bounds.min.max(1),
            max: bounds.max.min(target.capacity.max),
        },
        in_flight,
        now,
    }
}

/// The move the target's controller makes on the need, and the memory to keep:
/// target tracking's raise and give-back window, or direct control's HPA behaviour.
fn choose(
    target: &Target,
    need: &Need,
    situation: &Situation,
    memory: &Memory,
    rates: &Rates,
) -> (Move, Memory) {
    let scaling = &target.scaling;
    match scaling.controller {
        Controller::Tracking => tracking(
            need,
            situation,
            memory,
            sluice_core::capacity::control::give_back_window(
                scaling.give_back_after_seconds,
                rates.start_up,
            ),
        ),
        Controller::Direct => {
            let behavior = scaling.behavior.clone().unwrap_or_default();
            direct(need, situation, memory, &behavior)
        }
    }
}

/// Which look decides: the invocation's pass (0: the first), what kind of look it is
/// (a poll only raises) and its clock reading.
#[derive(Debug, Clone, Copy)]
pub struct At {
    pub pass: u32,
    pub kind: Pass,
    pub now: i64,
}

/// The decision for one target on its facts, rates and memory at the look `at`.
/// Returns the report (a move not yet carried out) and the memory to keep.
pub fn decide(
    target: &Target,
    (facts, rates, memory): (&Facts, &Rates, &Memory),
    At { pass, kind, now }: At,
) -> (ControlReport, Memory) {
    let desired = facts.tasks.desired;
    let Some(bounds) = facts.bounds else {
        let reason = "no scalable target: `sluicectl apply` registers it".to_owned();
        return (ControlReport::skipped(target, pass, reason), memory.clone());
    };
    if desired == 0 {
        let reason = "asleep: the zero-watcher wakes it".to_owned();
        return (ControlReport::skipped(target, pass, reason), memory.clone());
    }
    let look = Look::of(now, &facts.backlog, &facts.tasks);
    let need = Need::of(&target.goal(), rates, &look);
    let situation = situation(target, bounds, desired, look.in_flight, now);
    let scaling = &target.scaling;
    let (decision, kept) = choose(target, &need, &situation, memory, rates);
    let allowed = kind.may(&decision, scaling.gives_back());
    let reason = match (decision, scaling.no_give_back()) {
        (Move::Lower { .. }, Some(why)) if kind == Pass::Minute => {
            format!("{decision}; not done: {why}")
        }
        _ => decision.to_string(),
    };
    let report = ControlReport {
        target: target.name.clone(),
        pass,
        outcome: ControlEffect::Unchanged,
        reason,
        need: Some(need),
        decision: Some(decision),
        desired_before: Some(desired),
        desired_after: decision.to().filter(|_| allowed),
        error: None,
    };
    let kept = if kind.keeps_memory(&decision) {
        kept
    } else {
        memory.clone()
    };
    (report, kept)
}
