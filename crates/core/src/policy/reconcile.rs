//! What AWS holds, and the changes that make it what a target declares, touching only
//! what Sluice owns.

use serde::Serialize;

use super::spec::{
    AlarmAction, AlarmSpec, AlarmWhen, Declared, OWNED_PREFIX, PolicySpec, Rule, Series,
};
use crate::facts::ScalableBounds;

/// What AWS holds for one target: the bounds (None: no scalable target), its
/// policies (a rule Sluice cannot read is None, and is replaced if Sluice owns it)
/// and the alarms named with the target's Sluice prefix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub bounds: Option<ScalableBounds>,
    pub policies: Vec<LivePolicy>,
    pub alarms: Vec<LiveAlarm>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LivePolicy {
    pub name: String,
    pub arn: String,
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveAlarm {
    pub name: String,
    pub metric: Option<Series>,
    /// None when the alarm is of a shape Sluice does not make (it is then put again).
    pub when: Option<AlarmWhen>,
    pub actions: Vec<String>,
}

/// Why a policy or alarm Sluice owns is put: what AWS holds differs from what the
/// target declares, in this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drift {
    /// Not in AWS.
    Missing,
    /// A policy whose rule Sluice cannot read: replaced.
    Unreadable,
    /// A policy whose rule differs.
    RuleChanged,
    /// An alarm whose policy is put in this run: its action is the new policy's.
    PolicyPut,
    ActionChanged,
    MetricChanged,
    ConditionChanged,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Drift::Missing => "new",
            Drift::Unreadable => "unreadable, replaced",
            Drift::RuleChanged => "changed",
            Drift::PolicyPut => "its policy is put in this run",
            Drift::ActionChanged => "action changed",
            Drift::MetricChanged => "metric changed",
            Drift::ConditionChanged => "condition changed",
        })
    }
}

/// One change to make; `reason` says why, for `--dry-run` and the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Change {
    Register {
        from: Option<ScalableBounds>,
        to: ScalableBounds,
    },
    PutPolicy {
        spec: PolicySpec,
        reason: Drift,
    },
    DeletePolicy {
        name: String,
    },
    /// `action` is the policy's ARN; None when the policy is created in this run.
    PutAlarm {
        spec: AlarmSpec,
        action: Option<String>,
        reason: Drift,
    },
    DeleteAlarm {
        name: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Register { from: None, to } => {
                write!(f, "register scalable target {}-{}", to.min, to.max)
            }
            Change::Register {
                from: Some(from),
                to,
            } => write!(
                f,
                "bounds {}-{} -> {}-{}",
                from.min, from.max, to.min, to.max
            ),
            Change::PutPolicy { spec, reason } => write!(f, "put policy {} ({reason})", spec.name),
            Change::DeletePolicy { name } => write!(f, "delete policy {name} (no longer declared)"),
            Change::PutAlarm { spec, reason, .. } => {
                write!(f, "put alarm {} ({reason})", spec.name)
            }
            Change::DeleteAlarm { name } => write!(f, "delete alarm {name} (no longer declared)"),
        }
    }
}

/// The changes that make `live` what `declared` says, bounds first, then policies,
/// then the alarms that invoke them. Policies and alarms Sluice does not own are
/// never in the list.
pub fn reconcile(declared: &Declared, live: &Live) -> Vec<Change> {
    let mut changes = Vec::new();
    if live.bounds != Some(declared.bounds) {
        changes.push(Change::Register {
            from: live.bounds,
            to: declared.bounds,
        });
    }
    let mut replaced = Vec::new();
    for spec in &declared.policies {
        let current = live.policies.iter().find(|p| p.name == spec.name);
        let reason = match current {
            None => Drift::Missing,
            Some(p) if p.rule.is_none() => Drift::Unreadable,
            Some(p) if p.rule.as_ref() != Some(&spec.rule) => Drift::RuleChanged,
            Some(_) => continue,
        };
        replaced.push(spec.name.as_str());
        changes.push(Change::PutPolicy {
            spec: spec.clone(),
            reason,
        });
    }
    for policy in &live.policies {
        let declared_here = declared.policies.iter().any(|p| p.name == policy.name);
        if policy.name.starts_with(OWNED_PREFIX) && !declared_here {
            changes.push(Change::DeletePolicy {
                name: policy.name.clone(),
            });
        }
    }
    changes.extend(reconcile_alarms(declared, live, &replaced));
    changes
}

fn reconcile_alarms(declared: &Declared, live: &Live, replaced: &[&str]) -> Vec<Change> {
    let mut changes = Vec::new();
    for spec in &declared.alarms {
        let arn = match &spec.action {
            AlarmAction::Topic(topic) => Some(topic.clone()),
            AlarmAction::Policy(policy) => live
                .policies
                .iter()
                .find(|p| &p.name == policy && !replaced.contains(&p.name.as_str()))
                .map(|p| p.arn.clone()),
        };
        let current = live.alarms.iter().find(|a| a.name == spec.name);
        let reason = match (current, &arn) {
            (None, _) => Drift::Missing,
            (Some(_), None) => Drift::PolicyPut,
            (Some(a), Some(arn)) if !a.actions.contains(arn) => Drift::ActionChanged,
            (Some(a), _) if a.metric.as_ref() != Some(&spec.metric) => Drift::MetricChanged,
            (Some(a), _) if a.when != Some(spec.when) => Drift::ConditionChanged,
            (Some(_), _) => continue,
        };
        changes.push(Change::PutAlarm {
            spec: spec.clone(),
            action: arn,
            reason,
        });
    }
    for alarm in &live.alarms {
        if !declared.alarms.iter().any(|a| a.name == alarm.name) {
            changes.push(Change::DeleteAlarm {
                name: alarm.name.clone(),
            });
        }
    }
    changes
}
