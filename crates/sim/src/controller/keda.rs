//! KEDA's SQS scaler driving the Kubernetes Horizontal Pod Autoscaler, as a team would
//! run it for this queue, with both projects' defaults:
//!
//! - KEDA `aws-sqs-queue` (https://keda.sh/docs/latest/scalers/aws-sqs/): the metric is
//!   ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible
//!   (`scaleOnInFlight` true), read from SQS when the HPA asks, with `queueLength` (the
//!   target average per replica; here the target's `backlog_per_task`) and
//!   `activationQueueLength` 0. KEDA's operator activates a scaled-to-zero workload
//!   (0 -> 1) at its `pollingInterval`, 30 s, and deactivates it (-> 0) after
//!   `cooldownPeriod`, 300 s, without activity (ScaledObject specification,
//!   https://keda.sh/docs/latest/reference/scaledobject-spec/).
//! - The HPA (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/):
//!   every 15 s, desired = ceil(metric / queueLength) for an AverageValue external
//!   metric, unless within the 10 % tolerance of the current replicas; scale-up
//!   without stabilisation, at most max(4 pods, 100 %) per 15 s; scale-down to the
//!   highest recommendation of the last 300 s, at most 100 % per 15 s; within
//!   minReplicas (at least 1) and maxReplicas.

use std::collections::VecDeque;

use sluice_core::config::Target;
use sluice_core::facts::ScalableBounds;

use super::Controller;
use crate::cloudwatch::CloudWatch;
use crate::levers::{Changed, Levers, View};

const HPA_SYNC_SECONDS: i64 = 15;
const TOLERANCE: f64 = 0.1;
const SCALE_DOWN_WINDOW_SECONDS: i64 = 300;
const SCALE_UP_PODS: u32 = 4;
const KEDA_POLLING_SECONDS: i64 = 30;
const KEDA_COOLDOWN_SECONDS: i64 = 300;

pub struct KedaHpa {
    queue_length: f64,
    min_replicas: u32,
    max_replicas: u32,
    /// Whether KEDA may scale the workload to zero (minReplicaCount 0).
    to_zero: bool,
    /// The HPA's recommendations of the last 300 s: (second, replicas).
    recommendations: VecDeque<(i64, u32)>,
    /// The last time KEDA's poll saw activity.
    last_active: Option<i64>,
}

impl KedaHpa {
    pub fn new(target: &Target) -> KedaHpa {
        let to_zero = target.scale_to_zero.is_some() && target.capacity.min == 0;
        KedaHpa {
            queue_length: target.backlog_per_task,
            min_replicas: target.capacity.min.max(1),
            max_replicas: target.capacity.max,
            to_zero,
            recommendations: VecDeque::new(),
            last_active: None,
        }
    }

    /// What KEDA's scaler returns: visible plus in flight.
    fn metric(view: &View<'_>) -> f64 {
        (view.sqs.visible + view.sqs.in_flight) as f64
    }

    /// KEDA's operator: 0 -> 1 on activity, -> 0 after the cooldown without it.
    fn activate(&mut self, view: &View<'_>, levers: &mut Levers) {
        let active = Self::metric(view) > 0.0;
        if active {
            self.last_active = Some(view.now);
        }
        if levers.desired == 0 && active {
            let reason = "KEDA: activation queue length exceeded".to_owned();
            levers.set_desired(1, Changed::Woke { to: 1, reason });
        } else if levers.desired > 0
            && self.to_zero
            && !active
            && self
                .last_active
                .is_none_or(|at| view.now - at >= KEDA_COOLDOWN_SECONDS)
        {
            let from = levers.desired;
            let reason = "KEDA: cooldownPeriod without activity".to_owned();
            levers.set_desired(0, Changed::Slept { from, reason });
            self.recommendations.clear();
        }
    }

    /// The HPA's sync: the replica count its algorithm and default behaviour give.
    fn sync(&mut self, view: &View<'_>, levers: &mut Levers) {
        let current = levers.desired;
        if current == 0 {
            return;
        }
        let metric = Self::metric(view);
        let ratio = metric / (self.queue_length * f64::from(current));
        let raw = if (ratio - 1.0).abs() <= TOLERANCE {
            current
        } else {
            (metric / self.queue_length).ceil().min(f64::from(u32::MAX)) as u32
        };
        let raw = raw.clamp(self.min_replicas, self.max_replicas.max(self.min_replicas));
        self.recommendations.push_back((view.now, raw));
        while self
            .recommendations
            .front()
            .is_some_and(|(at, _)| view.now - at > SCALE_DOWN_WINDOW_SECONDS)
        {
            self.recommendations.pop_front();
        }
        let stabilised = if raw < current {
            // Scale-down: the highest recommendation of the window.
            self.recommendations
                .iter()
                .map(|(_, r)| *r)
                .max()
                .unwrap_or(raw)
        } else {
            raw
        };
        let up_limit = current
            .saturating_add(SCALE_UP_PODS)
            .max(current.saturating_mul(2));
        let to = stabilised.min(up_limit);
        if to == current {
            return;
        }
        let why = format!("HPA: {metric} messages / queueLength {}", self.queue_length);
        let change = if to > current {
            Changed::ScaledOut {
                from: current,
                to,
                why,
            }
        } else {
            Changed::ScaledIn {
                from: current,
                to,
                why,
            }
        };
        levers.set_desired(to, change);
    }
}

impl Controller for KedaHpa {
    fn levers(&self, initial: u32) -> Levers {
        let bounds = ScalableBounds {
            min: if self.to_zero { 0 } else { self.min_replicas },
            max: self.max_replicas,
        };
        Levers::new(initial.clamp(bounds.min, bounds.max), bounds)
    }

    fn tick(&mut self, view: &View<'_>, _: &mut CloudWatch, levers: &mut Levers) {
        let second = view.now.rem_euclid(60);
        if second % KEDA_POLLING_SECONDS == 0 {
            self.activate(view, levers);
        }
        if second % HPA_SYNC_SECONDS == 0 {
            self.sync(view, levers);
        }
    }
}
