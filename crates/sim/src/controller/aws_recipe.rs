//! AWS's documented recipe for queue workers ("Scaling policy based on Amazon SQS",
//! https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-using-sqs-queue.html),
//! applied to an ECS service: a script publishes the backlog per task, SQS's visible
//! messages divided by the tasks running, every minute, and a target-tracking policy
//! holds it at the acceptable backlog per task (here the target's
//! `backlog_per_task`), with Application Auto Scaling's default cooldowns for ECS,
//! 300 s out and in ("How target tracking works", "Define cooldown periods",
//! https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html).
//! Target tracking's alarms are modelled in `crate::aas`: 3 datapoints out, 15 in.

use sluice_core::config::Target;
use sluice_core::facts::ScalableBounds;
use sluice_core::policy::{Declared, MetricRef, PolicySpec, Rule, Series};

use super::Controller;
use crate::aas;
use crate::clock;
use crate::cloudwatch::CloudWatch;
use crate::levers::{Levers, View};

const METRIC: &str = "BacklogPerInstance";
const DEFAULT_COOLDOWN: u32 = 300;

pub struct AwsRecipe {
    bounds: ScalableBounds,
    autoscaling: aas::Model,
}

impl AwsRecipe {
    pub fn new(target: &Target) -> AwsRecipe {
        let bounds = ScalableBounds {
            min: target.capacity.min,
            max: target.capacity.max,
        };
        let policy = PolicySpec {
            name: "sqs-backlog-per-instance".to_owned(),
            rule: Rule::TargetTracking {
                series: Series::One(MetricRef {
                    namespace: "Recipe".to_owned(),
                    metric: METRIC.to_owned(),
                    dimensions: Default::default(),
                    statistic: "Average".to_owned(),
                }),
                target: target.backlog_per_task,
                scale_out_cooldown: DEFAULT_COOLDOWN,
                scale_in_cooldown: DEFAULT_COOLDOWN,
                disable_scale_in: false,
            },
        };
        let declared = Declared {
            bounds,
            policies: vec![policy],
            alarms: Vec::new(),
        };
        AwsRecipe {
            bounds,
            autoscaling: aas::Model::new(&declared),
        }
    }
}

impl Controller for AwsRecipe {
    fn levers(&self, initial: u32) -> Levers {
        Levers::new(initial.clamp(self.bounds.min, self.bounds.max), self.bounds)
    }

    fn tick(&mut self, view: &View<'_>, cloudwatch: &mut CloudWatch, levers: &mut Levers) {
        if !clock::starts_minute(view.tick) {
            return;
        }
        // The recipe divides by running (InService) capacity; with none running the
        // visible messages stand for themselves, so the metric still exists at zero.
        let per_task = view.sqs.visible as f64 / f64::from(view.running().max(1));
        cloudwatch.put(METRIC, view.now, per_task);
        self.autoscaling.act(view.now, cloudwatch, levers);
    }
}
