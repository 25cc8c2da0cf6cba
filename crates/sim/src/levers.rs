//! What a controller sees and moves at a tick, and the names of what AWS publishes
//! for it: the interface between the run (`crate::engine`) and the controllers.

use serde::Serialize;
use sluice_core::facts::ScalableBounds;

use crate::attributes::Counts;
use crate::clock::Tick;
use crate::ecs::Ecs;
use crate::queue::Queue;

/// What SQS publishes for the queue each minute (AWS/SQS, one queue).
pub mod sqs {
    pub const SENT: &str = sluice_core::queue::MESSAGES_SENT;
    pub const RECEIVED: &str = sluice_core::queue::MESSAGES_RECEIVED;
    pub const DELETED: &str = sluice_core::queue::MESSAGES_DELETED;
    pub const VISIBLE: &str = "ApproximateNumberOfMessagesVisible";
    pub const AGE: &str = sluice_core::queue::AGE_OF_OLDEST_MESSAGE;
}

/// What the service does each minute as the CloudWatch agent sees it.
pub const GPU_AGENT: &str = "nvidia_smi_utilization_gpu";

/// What AWS publishes for the service each minute, as predefined metrics name it
/// (`scaling.cpu_utilization`, `scaling.requests_per_task`; memory is not modelled:
/// it does not follow from the load).
pub mod predefined {
    pub const CPU: &str = "ECSServiceAverageCPUUtilization";
    pub const REQUESTS: &str = "ALBRequestCountPerTarget";
    /// The AWS/ECS series the predefined CPU metric is made of, for step rules.
    pub const ECS_CPU: &str = "CPUUtilization";
}

/// Who moved a lever, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Changed {
    Woke {
        to: u32,
        reason: String,
    },
    Slept {
        from: u32,
        reason: String,
    },
    ScaledOut {
        from: u32,
        to: u32,
        why: String,
    },
    ScaledIn {
        from: u32,
        to: u32,
        why: String,
    },
    /// MinCapacity set (and desiredCount raised to it if below).
    Floor {
        from: u32,
        to: u32,
    },
    RaisedToMin {
        from: u32,
        to: u32,
    },
    /// MaxCapacity set: a window's cap, or its end.
    Cap {
        from: u32,
        to: u32,
    },
    /// A MaxCapacity below desired: Application Auto Scaling scales in to it.
    LoweredToMax {
        from: u32,
        to: u32,
    },
}

impl std::fmt::Display for Changed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Changed::Woke { to, reason } => write!(f, "woke 0 -> {to} ({reason})"),
            Changed::Slept { from, reason } => write!(f, "slept {from} -> 0 ({reason})"),
            Changed::ScaledOut { from, to, why } => write!(f, "scaled out {from} -> {to} ({why})"),
            Changed::ScaledIn { from, to, why } => write!(f, "scaled in {from} -> {to} ({why})"),
            Changed::Floor { from, to } => write!(f, "MinCapacity {from} -> {to} (profile)"),
            Changed::RaisedToMin { from, to } => {
                write!(f, "desired {from} -> {to} (MinCapacity)")
            }
            Changed::Cap { from, to } => write!(f, "MaxCapacity {from} -> {to} (profile)"),
            Changed::LoweredToMax { from, to } => {
                write!(f, "desired {from} -> {to} (MaxCapacity)")
            }
        }
    }
}

impl Changed {
    /// The desired count before and after, when this change moved it.
    pub fn desired(&self) -> Option<(u32, u32)> {
        match self {
            Changed::Woke { to, .. } => Some((0, *to)),
            Changed::Slept { from, .. } => Some((*from, 0)),
            Changed::ScaledOut { from, to, .. }
            | Changed::ScaledIn { from, to, .. }
            | Changed::RaisedToMin { from, to }
            | Changed::LoweredToMax { from, to } => Some((*from, *to)),
            Changed::Floor { .. } | Changed::Cap { .. } => None,
        }
    }
}

/// The levers a controller pulls: ECS's desiredCount and the scalable target's bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Levers {
    pub desired: u32,
    pub bounds: ScalableBounds,
    changes: Vec<Changed>,
}

impl Levers {
    pub fn new(desired: u32, bounds: ScalableBounds) -> Levers {
        Levers {
            desired,
            bounds,
            changes: Vec::new(),
        }
    }

    /// Sets desiredCount to `to`, recording `change` when it moves.
    pub fn set_desired(&mut self, to: u32, change: Changed) {
        if to != self.desired {
            self.desired = to;
            self.changes.push(change);
        }
    }

    /// Records a change of the bounds (the caller sets them).
    pub fn note(&mut self, change: Changed) {
        self.changes.push(change);
    }

    pub(crate) fn take_changes(&mut self) -> Vec<Changed> {
        std::mem::take(&mut self.changes)
    }
}

/// What a controller can see at a tick: the queue and the service, as AWS shows them.
pub struct View<'a> {
    pub tick: Tick,
    /// Epoch seconds.
    pub now: i64,
    /// The queue as it is: what the run and CloudWatch's own SQS metrics see.
    pub queue: &'a Queue,
    /// The queue's counts as a GetQueueAttributes read returns them now, up to the
    /// scenario's lag late (`crate::attributes`): what every controller reads.
    pub sqs: Counts,
    pub ecs: &'a Ecs,
}

impl View<'_> {
    pub fn running(&self) -> u32 {
        self.ecs.running(self.now)
    }

    pub fn starting(&self) -> u32 {
        self.ecs.starting(self.now)
    }
}
