//! Application Auto Scaling's predefined ECS metrics as target-tracking policies:
//! `cpu_utilization`, `memory_utilization` (ECSServiceAverageCPUUtilization and
//! ECSServiceAverageMemoryUtilization, or their 20-second HighResolution forms) and
//! `requests_per_task` (ALBRequestCountPerTarget, for a target group behind an
//! Application Load Balancer). AWS publishes these series itself; Sluice declares the
//! policy and owns it like its others.
//!
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html>
//! (the metrics, and "scale in only if all of the target tracking policies (with the
//! scale-in portion enabled) are ready"), and
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/target-tracking-faster-auto-scaling.html>
//! (the HighResolution metric types, which need the service's monitoring configuration
//! to publish CPUUtilization or MemoryUtilization at 20 seconds).

use serde::{Deserialize, Deserializer, Serialize};

/// `cpu_utilization` or `memory_utilization`: a percentage, or the long form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Utilization {
    /// The average percentage over the service's tasks to hold, above 0 and at most 100.
    pub target: f64,
    /// Track the 20-second series (`...HighResolution`): target tracking sees a rise
    /// within 20 s instead of a minute. The service must publish it (its
    /// `monitoringConfiguration`); otherwise the policy has no data and never acts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub high_resolution: bool,
    /// This policy's cooldowns; the `scaling` block's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<u32>,
}

/// `requests_per_task`: ALB requests a minute each task should receive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requests {
    /// Requests a minute per task, above 0.
    pub target: f64,
    /// The Application Load Balancer's ARN (`...:loadbalancer/app/NAME/ID`).
    pub load_balancer: String,
    /// The target group's ARN (`...:targetgroup/NAME/ID`), the service's tasks in it.
    pub target_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<u32>,
}

/// A predefined-metric policy as declared: what `sluicectl apply` puts.
#[derive(Debug, Clone, PartialEq)]
pub struct PredefinedPolicy {
    pub kind: Predefined,
    /// Application Auto Scaling's PredefinedMetricType.
    pub metric_type: &'static str,
    /// The ALB target group's label, for ALBRequestCountPerTarget.
    pub resource_label: Option<String>,
    pub target: f64,
    pub scale_out_cooldown: u32,
    pub scale_in_cooldown: u32,
}

/// Which predefined metric a policy tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predefined {
    Cpu,
    Memory,
    Requests,
}

impl Predefined {
    /// The policy's name (Sluice owns it).
    pub fn policy(self) -> &'static str {
        match self {
            Predefined::Cpu => "sluice-cpu-utilization",
            Predefined::Memory => "sluice-memory-utilization",
            Predefined::Requests => "sluice-requests-per-task",
        }
    }

    /// The configuration field that declares it.
    pub fn field(self) -> &'static str {
        match self {
            Predefined::Cpu => "cpu_utilization",
            Predefined::Memory => "memory_utilization",
            Predefined::Requests => "requests_per_task",
        }
    }

    /// Application Auto Scaling's PredefinedMetricType.
    pub fn metric_type(self, high_resolution: bool) -> &'static str {
        match (self, high_resolution) {
            (Predefined::Cpu, false) => "ECSServiceAverageCPUUtilization",
            (Predefined::Cpu, true) => "ECSServiceAverageCPUUtilizationHighResolution",
            (Predefined::Memory, false) => "ECSServiceAverageMemoryUtilization",
            (Predefined::Memory, true) => "ECSServiceAverageMemoryUtilizationHighResolution",
            (Predefined::Requests, _) => "ALBRequestCountPerTarget",
        }
    }
}

impl Utilization {
    pub(crate) fn problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        if !(self.target.is_finite() && self.target >= 1.0 && self.target <= 100.0) {
            // 0.65 is a share written where a percentage goes: 65 was meant.
            let hint = if self.target > 0.0 && self.target < 1.0 {
                format!(" ({} %?)", self.target * 100.0)
            } else {
                String::new()
            };
            add(
                &format!("{field}.target"),
                format!(
                    "must be a percentage from 1 to 100, got {}{hint}",
                    self.target
                ),
            );
        }
        cooldown_problems(
            field,
            [self.scale_out_cooldown, self.scale_in_cooldown],
            add,
        );
    }
}

impl Requests {
    /// Requests a minute per task above this are a typo (a million a second).
    pub const MAX_TARGET: f64 = 6e7;

    /// The policy's ResourceLabel: `app/LB/ID/targetgroup/TG/ID`, from the two ARNs.
    pub fn resource_label(&self) -> Option<String> {
        let balancer = elb_resource(&self.load_balancer)?.strip_prefix("loadbalancer/")?;
        let group = elb_resource(&self.target_group)?;
        let parts = |s: &str| s.split('/').filter(|p| !p.is_empty()).count();
        let fine = balancer.starts_with("app/")
            && parts(balancer) == 3
            && group.starts_with("targetgroup/")
            && parts(group) == 3;
        fine.then(|| format!("{balancer}/{group}"))
    }

    pub(crate) fn problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        if !(self.target.is_finite() && self.target > 0.0 && self.target <= Self::MAX_TARGET) {
            add(
                &format!("{field}.target"),
                format!(
                    "must be requests a minute per task above 0 and at most {}, got {}",
                    Self::MAX_TARGET,
                    self.target
                ),
            );
        }
        // loadbalancer/app/NAME/ID and targetgroup/NAME/ID.
        let shaped = |arn: &str, kind: &str, parts: usize| {
            elb_resource(arn).is_some_and(|r| {
                r.starts_with(kind) && r.split('/').filter(|p| !p.is_empty()).count() == parts
            })
        };
        if !shaped(&self.load_balancer, "loadbalancer/app/", 4) {
            add(
                &format!("{field}.load_balancer"),
                format!(
                    "must be an Application Load Balancer ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID), got {:?}",
                    self.load_balancer
                ),
            );
        }
        if !shaped(&self.target_group, "targetgroup/", 3) {
            add(
                &format!("{field}.target_group"),
                format!(
                    "must be a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID), got {:?}",
                    self.target_group
                ),
            );
        }
        let place = |arn: &str| {
            arn.split(':')
                .skip(3)
                .take(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        if self.resource_label().is_some()
            && place(&self.load_balancer) != place(&self.target_group)
        {
            add(
                &format!("{field}.target_group"),
                "must be in the load balancer's region and account".to_owned(),
            );
        }
        cooldown_problems(
            field,
            [self.scale_out_cooldown, self.scale_in_cooldown],
            add,
        );
    }
}

/// A policy's own cooldowns, scale-out then scale-in: at most a day each.
fn cooldown_problems(field: &str, cooldowns: [Option<u32>; 2], add: &mut impl FnMut(&str, String)) {
    for (name, value) in ["scale_out_cooldown", "scale_in_cooldown"]
        .into_iter()
        .zip(cooldowns)
    {
        if let Some(seconds) = value.filter(|s| *s > super::Scaling::MAX_COOLDOWN) {
            add(
                &format!("{field}.{name}"),
                format!("{seconds} s is more than a day"),
            );
        }
    }
}

/// The resource part of an Elastic Load Balancing ARN
/// (`arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:RESOURCE`).
fn elb_resource(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let fine = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "elasticloadbalancing"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit());
    fine.then(|| parts[5])
}

/// `cpu_utilization: 70` is `cpu_utilization: {target: 70}`.
pub(crate) fn percent_or_long<'de, D>(deserializer: D) -> Result<Option<Utilization>, D::Error>
where
    D: Deserializer<'de>,
{
    use serde::de::Error;
    let value = serde_yaml_ng::Value::deserialize(deserializer)?;
    if value.is_mapping() {
        // The long form's own errors: an unknown field, a missing target.
        return Utilization::deserialize(value)
            .map(Some)
            .map_err(D::Error::custom);
    }
    match value.as_f64() {
        Some(target) => Ok(Some(Utilization {
            target,
            high_resolution: false,
            scale_out_cooldown: None,
            scale_in_cooldown: None,
        })),
        None => Err(D::Error::custom(format!(
            "must be a percentage (70) or {{target: 70, high_resolution, scale_out_cooldown, scale_in_cooldown}}, got {}",
            serde_yaml_ng::to_string(&value).unwrap_or_default().trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(load_balancer: &str, target_group: &str) -> Requests {
        Requests {
            target: 1000.0,
            load_balancer: load_balancer.to_owned(),
            target_group: target_group.to_owned(),
            scale_out_cooldown: None,
            scale_in_cooldown: None,
        }
    }

    const LB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/tracking/50dc6c495c0c9188";
    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tracking-tg/943f017f100becff";

    fn problems(r: &Requests) -> Vec<String> {
        let mut out = Vec::new();
        r.problems("requests_per_task", &mut |f: &str, m: String| {
            out.push(format!("{f}: {m}"))
        });
        out
    }

    #[test]
    fn the_resource_label_is_built_from_the_two_arns() {
        assert_eq!(
            requests(LB, TG).resource_label().as_deref(),
            Some("app/tracking/50dc6c495c0c9188/targetgroup/tracking-tg/943f017f100becff")
        );
        assert!(problems(&requests(LB, TG)).is_empty());
        // A network load balancer has no per-target request count.
        let nlb = LB.replace("/app/", "/net/");
        assert_eq!(requests(&nlb, TG).resource_label(), None);
        assert_eq!(
            problems(&requests(&nlb, TG)),
            [format!(
                "requests_per_task.load_balancer: must be an Application Load Balancer ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID), got {nlb:?}"
            )]
        );
        let elsewhere = TG.replace("us-east-1", "eu-west-1");
        assert_eq!(
            problems(&requests(LB, &elsewhere)),
            ["requests_per_task.target_group: must be in the load balancer's region and account"]
        );
        assert_eq!(
            problems(&requests(LB, "tracking-tg")).len(),
            1,
            "a name is not an ARN"
        );
        let mut odd = requests(LB, TG);
        odd.target = f64::INFINITY;
        odd.scale_in_cooldown = Some(100_000);
        assert_eq!(
            problems(&odd),
            [
                "requests_per_task.target: must be requests a minute per task above 0 and at most 60000000, got inf",
                "requests_per_task.scale_in_cooldown: 100000 s is more than a day",
            ]
        );
    }

    #[test]
    fn the_metric_types_are_awss_names() {
        assert_eq!(
            Predefined::Cpu.metric_type(true),
            "ECSServiceAverageCPUUtilizationHighResolution"
        );
        assert_eq!(
            Predefined::Memory.metric_type(false),
            "ECSServiceAverageMemoryUtilization"
        );
        assert_eq!(
            Predefined::Requests.metric_type(true),
            "ALBRequestCountPerTarget"
        );
    }
}
