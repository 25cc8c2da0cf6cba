//! A model of the scaled side: ECS tasks that take time to start (a Fargate task about
//! a minute, a GPU model load several), optionally on capacity-provider instances that
//! take time to warm up, each task working through a number of messages a minute.
//!
//! Where the model ends: tasks become ready whole minutes after they are asked for,
//! a stopped task stops at once (no draining), instances are released after 15 idle
//! minutes (ECS managed scaling's scale-in), and placement never fails for lack of
//! account capacity.

use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

/// How long a task takes from desiredCount to working: a fixed number of seconds, or
/// a range `[low, high]` drawn uniformly per task.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Latency {
    Fixed(u32),
    Range([u32; 2]),
}

/// The scaled service, as a scenario states its assumptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskModel {
    /// Seconds from desiredCount to a working task (image pull, model load).
    pub startup_seconds: Latency,
    /// Messages one task finishes a minute.
    pub per_task_per_minute: f64,
    /// With a capacity provider: tasks that fit on one instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_per_instance: Option<u32>,
    /// Seconds a new instance takes before it can start tasks.
    #[serde(default)]
    pub instance_warmup_seconds: u32,
    /// What one task costs an hour, for the report (e.g. a g5.xlarge's 1.006).
    #[serde(default)]
    pub price_per_hour: f64,
    #[serde(default = "one")]
    pub gpus_per_task: u32,
}

fn one() -> u32 {
    1
}

/// Minutes an unneeded instance stays before managed scaling releases it.
const INSTANCE_IDLE_MINUTES: u32 = 15;

impl TaskModel {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.per_task_per_minute.is_finite() && self.per_task_per_minute > 0.0) {
            problems.push(format!(
                "tasks.per_task_per_minute must be above 0, got {}",
                self.per_task_per_minute
            ));
        }
        if let Latency::Range([low, high]) = self.startup_seconds
            && low > high
        {
            problems.push(format!(
                "tasks.startup_seconds [{low}, {high}]: the low end is above the high end"
            ));
        }
        if self.tasks_per_instance == Some(0) {
            problems.push("tasks.tasks_per_instance must be at least 1".to_owned());
        }
        if !(self.price_per_hour.is_finite() && self.price_per_hour >= 0.0) {
            problems.push(format!(
                "tasks.price_per_hour must be 0 or more, got {}",
                self.price_per_hour
            ));
        }
        problems
    }
}

/// The service's tasks and instances over a run.
#[derive(Debug, Clone)]
pub struct Ecs {
    model: TaskModel,
    /// The minute each task is (or will be) working, oldest first.
    tasks: Vec<u32>,
    /// The minute each instance is (or will be) ready.
    instances: Vec<u32>,
    surplus_since: Option<u32>,
    rng: Pcg64,
}

impl Ecs {
    pub fn new(model: TaskModel, seed: u64) -> Ecs {
        Ecs {
            model,
            tasks: Vec::new(),
            instances: Vec::new(),
            surplus_since: None,
            rng: Pcg64::seed_from_u64(seed ^ 0x05ee_dec5),
        }
    }

    /// A service already running `tasks` warm tasks (and their instances) at minute 0.
    pub fn with_running(model: TaskModel, seed: u64, tasks: u32) -> Ecs {
        let mut ecs = Ecs::new(model, seed);
        ecs.tasks = vec![0; tasks as usize];
        if let Some(per) = ecs.model.tasks_per_instance {
            ecs.instances = vec![0; (tasks as usize).div_ceil(per.max(1) as usize)];
        }
        ecs
    }

    /// Starts or stops tasks so that `desired` exist at `minute`: new ones start after
    /// their start-up (and an instance's warm-up); the youngest stop first.
    pub fn reconcile(&mut self, minute: u32, desired: u32) {
        let desired = desired as usize;
        while self.tasks.len() > desired {
            self.tasks.pop();
        }
        while self.tasks.len() < desired {
            let slot = self.tasks.len();
            let placed = self.place(minute, slot);
            let ready = placed.saturating_add(self.startup_minutes());
            self.tasks.push(ready);
        }
        self.release_instances(minute);
    }

    /// The minute the task in `slot` can begin starting: now, or when its instance is.
    fn place(&mut self, minute: u32, slot: usize) -> u32 {
        let Some(per) = self.model.tasks_per_instance else {
            return minute;
        };
        let instance = slot / per.max(1) as usize;
        if let Some(ready) = self.instances.get(instance) {
            return (*ready).max(minute);
        }
        let warmup = self.model.instance_warmup_seconds.div_ceil(60);
        let ready = minute.saturating_add(warmup);
        self.instances.push(ready);
        ready
    }

    fn startup_minutes(&mut self) -> u32 {
        let seconds = match self.model.startup_seconds {
            Latency::Fixed(seconds) => seconds,
            Latency::Range([low, high]) => {
                rand::RngExt::random_range(&mut self.rng, low..=high.max(low))
            }
        };
        seconds.div_ceil(60)
    }

    fn release_instances(&mut self, minute: u32) {
        let Some(per) = self.model.tasks_per_instance else {
            return;
        };
        let needed = self.tasks.len().div_ceil(per.max(1) as usize);
        if self.instances.len() <= needed {
            self.surplus_since = None;
            return;
        }
        let since = *self.surplus_since.get_or_insert(minute);
        if minute.saturating_sub(since) >= INSTANCE_IDLE_MINUTES {
            self.instances.truncate(needed);
            self.surplus_since = None;
        }
    }

    pub fn running(&self, minute: u32) -> u32 {
        self.count(|ready| ready <= minute)
    }

    pub fn starting(&self, minute: u32) -> u32 {
        self.count(|ready| ready > minute)
    }

    pub fn instances(&self) -> u32 {
        u32::try_from(self.instances.len()).unwrap_or(u32::MAX)
    }

    fn count(&self, keep: impl Fn(u32) -> bool) -> u32 {
        let count = self.tasks.iter().filter(|ready| keep(**ready)).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    pub fn model(&self) -> &TaskModel {
        &self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(startup: Latency) -> TaskModel {
        TaskModel {
            startup_seconds: startup,
            per_task_per_minute: 10.0,
            tasks_per_instance: None,
            instance_warmup_seconds: 0,
            price_per_hour: 1.0,
            gpus_per_task: 1,
        }
    }

    #[test]
    fn tasks_work_after_their_start_up_and_the_youngest_stop_first() {
        let mut ecs = Ecs::new(model(Latency::Fixed(150)), 1);
        ecs.reconcile(0, 2);
        assert_eq!(
            (ecs.running(2), ecs.starting(2)),
            (0, 2),
            "150 s is 3 minutes"
        );
        assert_eq!(ecs.running(3), 2);
        ecs.reconcile(3, 4);
        ecs.reconcile(4, 3);
        assert_eq!((ecs.running(4), ecs.starting(4)), (2, 1));
    }

    #[test]
    fn instances_warm_up_before_their_tasks_start_and_leave_when_idle() {
        let mut ecs = Ecs::new(
            TaskModel {
                tasks_per_instance: Some(2),
                instance_warmup_seconds: 300,
                ..model(Latency::Fixed(60))
            },
            1,
        );
        ecs.reconcile(0, 3);
        assert_eq!(ecs.instances(), 2);
        assert_eq!(
            (ecs.running(5), ecs.running(6)),
            (0, 3),
            "5 minutes' warm-up, then 1"
        );
        ecs.reconcile(10, 1);
        ecs.reconcile(24, 1);
        assert_eq!(ecs.instances(), 2, "still within 15 idle minutes");
        ecs.reconcile(25, 1);
        assert_eq!(ecs.instances(), 1);
        ecs.reconcile(26, 2);
        assert_eq!(
            ecs.running(27),
            2,
            "a slot on a warm instance: start-up only"
        );
    }

    #[test]
    fn a_latency_range_is_drawn_per_task_from_the_seed() {
        let mut ecs = Ecs::new(model(Latency::Range([60, 600])), 9);
        ecs.reconcile(0, 50);
        let ready: Vec<u32> = (0..=10).map(|m| ecs.running(m)).collect();
        assert_eq!(ready[0], 0);
        assert_eq!(ready[10], 50);
        assert!(
            ready.windows(2).any(|w| w[1] > w[0] && w[1] < 50),
            "spread: {ready:?}"
        );
    }
}
