//! One ECS service Sluice scales: its queues, bounds and scaling, built in code by
//! name, and every problem its fields can have.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::check::Found;
use super::{GpuSource, ScaleToZero};
use crate::dimensions::dimension_problems;
use crate::instances::Instances;
use crate::limits::{MAX_BACKLOG_PER_TASK, MAX_TASKS, MIN_BACKLOG_PER_TASK};
use crate::place::{
    Home, Place, account_of, external_id_problem, partition_problem, region_problem,
    role_arn_problem,
};
use crate::problem::{Problem, Problems, name_problem};
pub use crate::queue::Queue;
use crate::scaling::Scaling;

/// One ECS service that Sluice scales, and the queues that feed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Unique name; it is the `Target` dimension of every published metric.
    pub name: String,
    pub cluster: String,
    pub service: String,
    /// SQS queues (names or URLs, or `{name, weight, priority}`) whose backlog feeds
    /// the service.
    #[serde(default)]
    pub queues: Vec<Queue>,
    pub capacity: Capacity,
    /// Bounds by environment: `sluicectl apply --env dev` applies `capacity_by_env.dev`
    /// as `capacity` (a dev stack's one task beside prod's five, in one file); without
    /// `--env`, or for an environment a target does not name, `capacity` applies. Never
    /// stored: what the table holds is what runs (Document::for_env).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity_by_env: BTreeMap<String, Capacity>,
    /// Acceptable backlog per task: messages a task may have waiting. With the
    /// service rate `s` the tasks show, a message may wait `backlog_per_task / s`
    /// minutes: the latency goal when `latency_goal_seconds` is not declared.
    pub backlog_per_task: f64,
    /// How long a message may wait, in seconds: the need drains what waits within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_goal_seconds: Option<u32>,
    /// Messages one task finishes a minute, declared: what the need plans with until
    /// the publisher has measured it (minutes the tasks were saturated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_task_minute: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_to_zero: Option<ScaleToZero>,
    /// Name of the profile the prescaler follows for this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A paused target is read and reported, never changed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
    /// The prescaler computes and publishes this target's floor but changes nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub forecast_only: bool,
    /// How Application Auto Scaling scales it: `sluicectl apply` owns the policies.
    #[serde(default, skip_serializing_if = "Scaling::is_default")]
    pub scaling: Scaling,
    /// The EC2 capacity provider's group whose floor the prescaler raises ahead of
    /// this target's windows (crate::instances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Instances>,
    /// The region the service and queues are in, when not the stack's (crate::place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The IAM role Sluice assumes to reach a service in another account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub min: u32,
    pub max: u32,
}

impl Capacity {
    /// What is wrong with these bounds, under `field`.
    fn problems(&self, field: &str, found: &mut Found<'_>) {
        let max = format!("{field}.max");
        if self.max < self.min {
            found.add(&max, format!("must be >= min ({})", self.min));
        }
        if self.max == 0 {
            found.add(&max, "must be at least 1".to_owned());
        }
        if self.max > MAX_TASKS {
            found.add(
                &max,
                format!(
                    "must be at most {MAX_TASKS} (ECS runs 5,000 tasks a service by default), got {}",
                    self.max
                ),
            );
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Building a target in code (tests, benchmarks, the demo): the required fields
/// first, then each optional part by name.
impl Target {
    /// A target of `service` in `cluster` with no queues, capacity 0-1 and one message
    /// per task: the smallest valid target.
    pub fn new(name: &str, cluster: &str, service: &str) -> Self {
        Target {
            name: name.to_owned(),
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            queues: Vec::new(),
            capacity: Capacity { min: 0, max: 1 },
            capacity_by_env: BTreeMap::new(),
            backlog_per_task: 1.0,
            latency_goal_seconds: None,
            messages_per_task_minute: None,
            gpu: None,
            scale_to_zero: None,
            profile: None,
            paused: false,
            forecast_only: false,
            scaling: Scaling::default(),
            instances: None,
            region: None,
            role_arn: None,
            external_id: None,
        }
    }

    /// The same target in another account, reached through `role_arn`.
    pub fn in_account(mut self, role_arn: &str, region: Option<&str>) -> Self {
        self.role_arn = Some(role_arn.to_owned());
        self.region = region.map(str::to_owned);
        self
    }

    pub fn with_queues<S: ToString>(mut self, queues: impl IntoIterator<Item = S>) -> Self {
        self.queues = queues
            .into_iter()
            .map(|q| Queue::new(q.to_string()))
            .collect();
        self
    }

    pub fn with_capacity(mut self, min: u32, max: u32) -> Self {
        self.capacity = Capacity { min, max };
        self
    }

    pub fn with_backlog_per_task(mut self, backlog_per_task: f64) -> Self {
        self.backlog_per_task = backlog_per_task;
        self
    }

    pub fn with_gpu(mut self, gpu: GpuSource) -> Self {
        self.gpu = Some(gpu);
        self
    }

    pub fn with_scale_to_zero(mut self, scale_to_zero: ScaleToZero) -> Self {
        self.scale_to_zero = Some(scale_to_zero);
        self
    }

    pub fn with_profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_owned());
        self
    }

    pub fn paused(mut self) -> Self {
        self.paused = true;
        self
    }

    pub fn with_scaling(mut self, scaling: Scaling) -> Self {
        self.scaling = scaling;
        self
    }
}

impl Target {
    /// Whether the zero-watcher sets this target's count on its need: the load model
    /// with the policies Sluice owns, and queues to read the need from (a target
    /// without them, an orchestrator on its CPU, has none: its policies size it).
    pub fn sizes_on_need(&self) -> bool {
        self.scaling.sluice_sets_desired() && !self.queues.is_empty()
    }

    /// What the target asks of its capacity (crate::capacity). A GPU target
    /// (`scaling.gpu_utilization`) caps the utilisation the need plans with: a task's
    /// GPU is busy while it works, so planning tasks busy at most that share of their
    /// time holds the GPUs at or under it, without a second, noisier signal minutes
    /// late.
    pub fn goal(&self) -> crate::capacity::Goal {
        let gpu = self.scaling.gpu_utilization.filter(|_| self.gpu.is_some());
        let percent = gpu.map_or(self.scaling.utilization, |g| {
            g.min(self.scaling.utilization)
        });
        crate::capacity::Goal {
            backlog_per_task: self.backlog_per_task,
            latency_seconds: self.latency_goal_seconds,
            utilization: percent / 100.0,
            prior_service: self.messages_per_task_minute,
        }
    }

    /// The ECS service as (cluster name, service name): a cluster may be given by name
    /// or by ARN.
    pub fn service_key(&self) -> (&str, &str) {
        let cluster = self.cluster.rsplit('/').next().unwrap_or(&self.cluster);
        (cluster, &self.service)
    }

    /// The account and region the target's service and queues are in.
    pub fn place(&self) -> Place {
        Place {
            role_arn: self.role_arn.clone(),
            external_id: self.external_id.clone(),
            region: self.region.clone(),
        }
    }

    /// The service as one number, stable across builds (FNV-1a of its account, region,
    /// cluster and service as written): what a record made on it names, so that a
    /// target moved elsewhere does not take its old service's records for its new one's.
    pub fn resource(&self) -> u64 {
        let home = Home::default();
        let (account, region, cluster, service) = self.service_anywhere(&home);
        let key = format!(
            "{}/{}/{cluster}/{service}",
            account.unwrap_or("-"),
            region.unwrap_or("-")
        );
        key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    /// The service as (account, region, cluster, service): two targets may share the
    /// names of a cluster and service in different accounts or regions.
    pub(super) fn service_anywhere<'a>(
        &'a self,
        home: &'a Home,
    ) -> (Option<&'a str>, Option<&'a str>, &'a str, &'a str) {
        let (cluster, service) = self.service_key();
        let account = self.role_arn.as_deref().and_then(account_of);
        let account = account.or(home.account.as_deref());
        let region = self.region.as_deref().or(home.region.as_deref());
        (account, region, cluster, service)
    }

    /// A target as stored in the table: its spec must parse, validate and carry the
    /// name it is stored under. The error says which, for the function's report.
    pub fn from_stored(name: &str, spec: &str) -> Result<Target, String> {
        let target: Target =
            serde_json::from_str(spec).map_err(|e| format!("stored spec does not parse: {e}"))?;
        target.validate().map_err(|p| p.to_string())?;
        if target.name != name {
            return Err(format!("stored under {name:?} but named {:?}", target.name));
        }
        Ok(target)
    }

    /// Validates one target on its own (as read back from the table).
    pub fn validate(&self) -> Result<(), Problems> {
        Problems::into_result(self.problems("target"))
    }

    pub(super) fn problems(&self, path: &str) -> Vec<Problem> {
        let mut found = Found::at(path);
        self.identity_problems(&mut found);
        self.queue_problems(&mut found);
        self.bounds_problems(path, &mut found);
        self.goal_problems(&mut found);
        if let Some(gpu) = &self.gpu {
            found.not_blank("gpu.namespace", &gpu.namespace);
            found.not_blank("gpu.metric", &gpu.metric);
            for (field, message) in dimension_problems("gpu.dimensions", &gpu.dimensions) {
                found.add(&field, message);
            }
        }
        if let Some(zero) = &self.scale_to_zero {
            zero.problems(self, &mut found);
        }
        found.problems.extend(self.scaling.problems(
            &format!("{path}.scaling"),
            self.gpu.is_some(),
            !self.queues.is_empty(),
        ));
        self.zero_problems(&mut found);
        if let Some(profile) = &self.profile
            && let Some(message) = name_problem(profile)
        {
            found.add("profile", message);
        }
        self.place_problems(&mut found);
        found.problems
    }

    /// A service that may stand at zero tasks with nothing to raise it: every signal
    /// divides by the running tasks, and no zero-watcher wakes it.
    fn zero_problems(&self, found: &mut Found<'_>) {
        if self.capacity.min > 0 || self.scale_to_zero.is_some() {
            return;
        }
        if let Some(field) = self.scaling.per_task_without_tasks(!self.queues.is_empty()) {
            found.add(
                &format!("scaling.{field}"),
                "is per task, and at capacity.min 0 there may be no task to divide by: \
                 nothing here would raise the service from 0 (set capacity.min to 1, add \
                 scale_to_zero so the zero-watcher wakes it, or a signal that is not per task)"
                    .to_owned(),
            );
        }
    }

    /// Its name, cluster and service.
    fn identity_problems(&self, found: &mut Found<'_>) {
        if let Some(message) = name_problem(&self.name) {
            found.add("name", message);
        }
        found.not_blank("cluster", &self.cluster);
        found.not_blank("service", &self.service);
        if self.service.starts_with("arn:") {
            let name = self.service.rsplit('/').next().unwrap_or_default();
            found.add(
                "service",
                format!(
                    "{:?} is an ARN; give the service's name ({name}), its cluster goes in cluster",
                    self.service
                ),
            );
        }
    }

    /// Each queue: named, once, with a weight.
    fn queue_problems(&self, found: &mut Found<'_>) {
        for (index, queue) in self.queues.iter().enumerate() {
            let name = &queue.name;
            found.not_blank(&format!("queues[{index}]"), name);
            if let Some(first) = self.queues[..index].iter().position(|q| q.name == *name) {
                found.add(
                    &format!("queues[{index}]"),
                    format!("{name:?} is listed twice (also queues[{first}]): its backlog would count twice"),
                );
            }
            if !(queue.weight.is_finite() && queue.weight > 0.0 && queue.weight <= 100.0) {
                found.add(
                    &format!("queues[{index}].weight"),
                    format!("must be above 0 and at most 100, got {}", queue.weight),
                );
            }
        }
    }

    /// Its bounds, in every environment, and its instances.
    fn bounds_problems(&self, path: &str, found: &mut Found<'_>) {
        self.capacity.problems("capacity", found);
        for (env, capacity) in &self.capacity_by_env {
            let field = format!("capacity_by_env.{env}");
            if let Some(message) = name_problem(env) {
                found.add(&field, message);
            }
            capacity.problems(&field, found);
        }
        if let Some(instances) = &self.instances {
            for problem in instances.problems(&format!("{path}.instances")) {
                found.problems.push(problem);
            }
        }
    }

    /// What it asks of its capacity: backlog per task, latency goal, service rate.
    fn goal_problems(&self, found: &mut Found<'_>) {
        if !(self.backlog_per_task.is_finite()
            && (MIN_BACKLOG_PER_TASK..=MAX_BACKLOG_PER_TASK).contains(&self.backlog_per_task))
        {
            found.add(
                "backlog_per_task",
                format!(
                    "must be a number from {MIN_BACKLOG_PER_TASK} to {MAX_BACKLOG_PER_TASK}, got {}",
                    crate::problem::shown(self.backlog_per_task)
                ),
            );
        }
        if let Some(seconds) = self.latency_goal_seconds
            && !(1..=86_400).contains(&seconds)
        {
            found.add(
                "latency_goal_seconds",
                format!("must be 1 to 86400 (a day), got {seconds}"),
            );
        }
        if let Some(rate) = self.messages_per_task_minute
            && !crate::capacity::rates::SERVICE_RATES.contains(&rate)
        {
            found.add(
                "messages_per_task_minute",
                format!("must be a number from 0.001 to 1000000, got {rate}"),
            );
        }
    }

    /// `role_arn`, `external_id` and `region` (crate::place).
    fn place_problems(&self, found: &mut Found<'_>) {
        if let Some(message) = self.role_arn.as_deref().and_then(role_arn_problem) {
            found.add("role_arn", message);
        }
        if let Some(message) = self.region.as_deref().and_then(region_problem) {
            found.add("region", message);
        } else if let (Some(role), Some(region)) = (&self.role_arn, &self.region)
            && role_arn_problem(role).is_none()
            && let Some(message) = partition_problem(role, region)
        {
            found.add("region", message);
        }
        match (&self.external_id, &self.role_arn) {
            (Some(_), None) => found.add(
                "external_id",
                "is only used with role_arn: name the role that asks for it".to_owned(),
            ),
            (Some(id), Some(_)) => {
                if let Some(message) = external_id_problem(id) {
                    found.add("external_id", message);
                }
            }
            (None, _) => {}
        }
        if self.instances.is_some() && !self.place().is_home() {
            found.add(
                "instances",
                "is not supported yet on a target in another account or region: the \
                 prescaler raises Auto Scaling groups of the stack's own account only"
                    .to_owned(),
            );
        }
    }
}
