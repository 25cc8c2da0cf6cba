//! A target's Application Auto Scaling as data: the scalable target's bounds, the
//! scaling policies and the alarm a burst policy needs, declared from the target's
//! configuration and reconciled against what AWS holds.
//!
//! Sluice owns what carries its prefix (`sluice-` for policy names, `sluice-<target>-`
//! for alarm names) and never touches anything else: a policy a team added by hand
//! stays.

mod declare;
mod reconcile;
mod spec;
#[cfg(test)]
mod tests;

pub use declare::{alarm_prefix, declared, safety_net_seconds};
pub use reconcile::{Change, Drift, Live, LiveAlarm, LivePolicy, reconcile};
pub use spec::{
    AGE_POLICY, AlarmAction, AlarmSpec, AlarmWhen, BACKLOG_POLICY, BURST_POLICY, CAPACITY_POLICY,
    Declared, GPU_POLICY, METRIC_POLICY, MathOp, MathQuery, MetricRef, OWNED_PREFIX, PolicySpec,
    Rule, SAFETY_NET_POLICY, STEP_POLICY_PREFIX, Series, Step,
};
