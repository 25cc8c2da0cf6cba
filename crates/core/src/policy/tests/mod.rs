//! The targets and live states the policy tests share.

use super::*;
use std::collections::BTreeMap;

use crate::config::Target;
use crate::facts::ScalableBounds;
use crate::prescale::Hold;
use crate::scaling::{Compare, Controller, Scaling, Tracks};

mod declare;
mod reconcile;

fn gold() -> Target {
    Target::new("gold", "c", "gold-svc")
        .with_queues(["q1", "https://sqs.us-east-1.amazonaws.com/1/q2"])
        .with_capacity(1, 10)
        .with_backlog_per_task(50.0)
        .with_gpu(crate::config::GpuSource::agent([(
            "ServiceName",
            "gold-svc",
        )]))
        .with_scaling(Scaling {
            gpu_utilization: Some(75.0),
            oldest_message_age: Some(300),
            burst: Some(crate::scaling::tests::gold_burst()),
            ..Scaling::default()
        })
}

fn live_of(declared: &Declared) -> Live {
    Live {
        bounds: Some(declared.bounds),
        policies: declared
            .policies
            .iter()
            .map(|p| LivePolicy {
                name: p.name.clone(),
                arn: format!("arn:{}", p.name),
                rule: Some(p.rule.clone()),
            })
            .collect(),
        alarms: declared
            .alarms
            .iter()
            .map(|a| LiveAlarm {
                name: a.name.clone(),
                metric: Some(a.metric.clone()),
                when: Some(a.when),
                actions: vec![match &a.action {
                    AlarmAction::Policy(policy) => format!("arn:{policy}"),
                    AlarmAction::Topic(topic) => topic.clone(),
                }],
            })
            .collect(),
    }
}

/// What a target `t` with queue `q` and this `scaling:` block declares, and the
/// names of its policies.
fn declared_from(yaml: &str) -> (Declared, Vec<String>) {
    let scaling: Scaling = serde_yaml_ng::from_str(yaml).expect("scaling");
    let target = Target::new("t", "c", "s")
        .with_queues(["q"])
        .with_scaling(scaling);
    let declared = declared(&target, "Sluice", Hold::default()).expect("managed");
    let names = declared.policies.iter().map(|p| p.name.clone()).collect();
    (declared, names)
}
