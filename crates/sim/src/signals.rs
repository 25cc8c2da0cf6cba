//! What each of a team's own metrics stands for in a run. The simulator has a queue and
//! tasks, not the team's exporter: a scenario says, per metric name, which of the run's
//! quantities that exporter would publish (`signals: { RequestLatency: wait_seconds }`).
//! Unsaid, a metric is the messages waiting, right for a run queue, a consumer lag or
//! requests pending, and only a stand-in for anything else (the report says which).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sluice_core::scaling::Scaling;

/// A quantity of the run a team's metric is read as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The messages waiting (visible).
    #[default]
    Waiting,
    /// A request's latency in seconds: the oldest waiting message's age, plus one
    /// message's service. Requests wait in the queue before a task takes them, so a
    /// p99 of request latency follows the queue's oldest wait, not its depth.
    WaitSeconds,
}

/// Per metric name, what it stands for.
pub type Signals = BTreeMap<String, Signal>;

impl Signal {
    /// The value the team's exporter publishes now.
    pub fn value(self, visible: u64, oldest_age_seconds: i64, service_seconds: f64) -> f64 {
        match self {
            Signal::Waiting => visible as f64,
            Signal::WaitSeconds => oldest_age_seconds as f64 + service_seconds,
        }
    }

    /// How the report says it.
    pub fn said(self) -> &'static str {
        match self {
            Signal::Waiting => "read as the messages waiting",
            Signal::WaitSeconds => {
                "read as a request's latency: the oldest waiting message's age plus one \
                 message's service, in seconds"
            }
        }
    }
}

/// The team's own metrics a target's scaling reads, by name: tracked metrics and the
/// step rules on metrics outside AWS/ (AWS's own are modelled from the load).
pub fn teams_metrics(scaling: &Scaling) -> Vec<&str> {
    let tracked = scaling
        .metric
        .iter()
        .chain(&scaling.metrics)
        .map(|m| m.metric.as_str());
    let rules = scaling
        .step_rules
        .iter()
        .filter(|r| !r.namespace.starts_with("AWS/"))
        .map(|r| r.metric.as_str());
    tracked.chain(rules).collect()
}

/// A scenario's `signals` checked against what the target reads: a name the target
/// does not read is a mistake the run would otherwise hide.
pub fn problems(signals: &Signals, scaling: &Scaling, target: &str) -> Vec<String> {
    let read = teams_metrics(scaling);
    signals
        .keys()
        .filter(|name| !read.contains(&name.as_str()))
        .map(|name| {
            format!(
                "signals.{name}: target {target} reads no metric {name} of its team's (it reads: {})",
                if read.is_empty() {
                    "none".to_owned()
                } else {
                    read.join(", ")
                }
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaling() -> Scaling {
        serde_yaml_ng::from_str(
            "metric: { namespace: Orchestrator, metric: WaitingRuns, target: 10 }\n\
             step_rules:\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, above: 65, add: 1 }\n\
             \x20 - { namespace: Modules, metric: RequestLatency, above: 10, add: 1 }\n",
        )
        .expect("scaling")
    }

    #[test]
    fn a_latency_is_the_oldest_wait_and_a_service_a_depth_the_messages_waiting() {
        assert_eq!(Signal::Waiting.value(7, 95, 1.5), 7.0);
        assert_eq!(Signal::WaitSeconds.value(7, 95, 1.5), 96.5);
        assert_eq!(Signal::WaitSeconds.value(0, 0, 1.5), 1.5);
    }

    #[test]
    fn only_the_teams_metrics_the_target_reads_may_be_named() {
        assert_eq!(teams_metrics(&scaling()), ["WaitingRuns", "RequestLatency"]);
        let named = |name: &str| Signals::from([(name.to_owned(), Signal::WaitSeconds)]);
        assert!(problems(&named("RequestLatency"), &scaling(), "t").is_empty());
        assert_eq!(
            problems(&named("CPUUtilization"), &scaling(), "t"),
            [
                "signals.CPUUtilization: target t reads no metric CPUUtilization of its team's (it reads: WaitingRuns, RequestLatency)"
            ]
        );
    }
}
