//! A model of the scaled side: ECS tasks that take time to start (a Fargate task about
//! a minute, a GPU model load several), optionally on capacity-provider instances that
//! take time to warm up, each task working through a number of messages a minute.
//!
//! Times are seconds (to the five-second tick), not minutes: a 90 s start-up is ready
//! after 90 s. A task is billed from the moment it is asked for (Fargate bills from
//! the image pull; an EC2 GPU task holds its instance), so tasks still starting cost
//! what running ones do.
//!
//! Where the model ends: an idle task ECS stops exits at once, one holding a message
//! finishes it within the stop timeout or is killed (`queue::STOP_TIMEOUT_SECONDS`;
//! billed meanwhile, its instance not held), tasks still starting stop first (the
//! youngest), running ones at random (`queue::Queue::staff`) unless they protect
//! themselves while they work (`TaskModel::protects_while_working`),
//! instances are released after 15 idle minutes (ECS managed scaling's scale-in), and
//! placement never fails for lack of account capacity.

use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::service::{MOST_CV, ServiceTimes};

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
    /// How much one message's service time varies: its standard deviation over its
    /// mean (0, the default: every message takes the same time; `crate::service`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub service_cv: f64,
    /// Whether each task protects itself from scale-in while it holds a message (ECS
    /// task scale-in protection, UpdateTaskProtection): ECS then stops only tasks
    /// without a message, and a protected one once it has finished its message, and
    /// the zero-watcher never sleeps a service with a protected task
    /// (`queue::Queue::staff`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protects_while_working: bool,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

fn one() -> u32 {
    1
}

impl TaskModel {
    /// Tasks that work `startup` after they are asked for and finish
    /// `per_task_per_minute` messages a minute: each on its own (no capacity-provider
    /// instance), one GPU at 1.0 an hour, every message alike, none protected. The
    /// service the workloads and the tests vary from.
    pub fn plain(startup: Latency, per_task_per_minute: f64) -> TaskModel {
        TaskModel {
            startup_seconds: startup,
            per_task_per_minute,
            tasks_per_instance: None,
            instance_warmup_seconds: 0,
            price_per_hour: 1.0,
            gpus_per_task: 1,
            service_cv: 0.0,
            protects_while_working: false,
        }
    }

    /// Its messages' service times in a run drawn from `seed`.
    pub fn service_times(&self, seed: u64) -> ServiceTimes {
        ServiceTimes::of(self.per_task_per_minute, self.service_cv, seed)
    }

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
        if !(self.service_cv.is_finite() && (0.0..=MOST_CV).contains(&self.service_cv)) {
            problems.push(format!(
                "tasks.service_cv must be from 0 to {MOST_CV}, got {}",
                self.service_cv
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

/// Seconds an unneeded instance stays before managed scaling releases it.
const INSTANCE_IDLE_SECONDS: i64 = 15 * 60;

/// The service's tasks and instances over a run.
#[derive(Debug, Clone)]
pub struct Ecs {
    model: TaskModel,
    /// The second each task is (or will be) working, oldest first.
    tasks: Vec<i64>,
    /// The second each instance is (or will be) ready.
    instances: Vec<i64>,
    surplus_since: Option<i64>,
    /// Where the start-up draws come from ([`Ecs::startup_seconds`]).
    seed: u64,
}

impl Ecs {
    pub fn new(model: TaskModel, seed: u64) -> Ecs {
        Ecs {
            model,
            tasks: Vec::new(),
            instances: Vec::new(),
            surplus_since: None,
            seed: seed ^ 0x05ee_dec5,
        }
    }

    /// A service already running `tasks` warm tasks (and their instances) at second 0.
    pub fn with_running(model: TaskModel, seed: u64, tasks: u32) -> Ecs {
        let mut ecs = Ecs::new(model, seed);
        ecs.tasks = vec![0; tasks as usize];
        if let Some(per) = ecs.model.tasks_per_instance {
            ecs.instances = vec![0; (tasks as usize).div_ceil(per.max(1) as usize)];
        }
        ecs
    }

    /// Starts or stops tasks so that `desired` exist at `now`: new ones work after
    /// their start-up (and an instance's warm-up); the youngest stop first (which of
    /// the running ones is the queue's draw).
    pub fn reconcile(&mut self, now: i64, desired: u32) {
        let desired = desired as usize;
        self.tasks.truncate(desired);
        while self.tasks.len() < desired {
            let slot = self.tasks.len();
            let placed = self.place(now, slot);
            let ready = placed.saturating_add(self.startup_seconds(now, slot));
            self.tasks.push(ready);
        }
        self.release_instances(now);
    }

    /// The second the task in `slot` can begin starting: now, or when its instance is.
    fn place(&mut self, now: i64, slot: usize) -> i64 {
        let Some(per) = self.model.tasks_per_instance else {
            return now;
        };
        let instance = slot / per.max(1) as usize;
        if let Some(ready) = self.instances.get(instance) {
            return (*ready).max(now);
        }
        let ready = now.saturating_add(i64::from(self.model.instance_warmup_seconds));
        self.instances.push(ready);
        ready
    }

    /// The start-up of the task asked for at `now` in `slot`: drawn from the seed, the
    /// minute and the slot, so two controllers that ask for the same task in the same
    /// minute get the same start-up (common random numbers). Drawn from one stream in
    /// the order tasks were asked for, a controller that asked once more or once less
    /// shifted every later draw of its run, and the comparison measured the draws: on
    /// NASA iPSC with 4-7 minute start-ups, Sluice's and KEDA's wakes came at the same
    /// minutes and about 60 of the late minutes between them were start-ups that
    /// differed.
    fn startup_seconds(&self, now: i64, slot: usize) -> i64 {
        i64::from(match self.model.startup_seconds {
            Latency::Fixed(seconds) => seconds,
            Latency::Range([low, high]) => {
                let minute = now.div_euclid(60) as u64;
                let key = self.seed ^ minute.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (slot as u64);
                let mut rng = Pcg64::seed_from_u64(key);
                rand::RngExt::random_range(&mut rng, low..=high.max(low))
            }
        })
    }

    fn release_instances(&mut self, now: i64) {
        let Some(per) = self.model.tasks_per_instance else {
            return;
        };
        let needed = self.tasks.len().div_ceil(per.max(1) as usize);
        if self.instances.len() <= needed {
            self.surplus_since = None;
            return;
        }
        let since = *self.surplus_since.get_or_insert(now);
        if now.saturating_sub(since) >= INSTANCE_IDLE_SECONDS {
            self.instances.truncate(needed);
            self.surplus_since = None;
        }
    }

    /// Tasks working at `now`.
    pub fn running(&self, now: i64) -> u32 {
        self.count(|ready| ready <= now)
    }

    /// Tasks asked for and not yet working at `now`.
    pub fn starting(&self, now: i64) -> u32 {
        self.count(|ready| ready > now)
    }

    /// Tasks billed: every task asked for, working or starting.
    pub fn billed(&self) -> u32 {
        u32::try_from(self.tasks.len()).unwrap_or(u32::MAX)
    }

    pub fn instances(&self) -> u32 {
        u32::try_from(self.instances.len()).unwrap_or(u32::MAX)
    }

    fn count(&self, keep: impl Fn(i64) -> bool) -> u32 {
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
        TaskModel::plain(startup, 10.0)
    }

    #[test]
    fn a_start_up_takes_its_seconds_not_whole_minutes_and_is_billed_throughout() {
        let mut ecs = Ecs::new(model(Latency::Fixed(90)), 1);
        ecs.reconcile(0, 2);
        assert_eq!((ecs.running(85), ecs.starting(85), ecs.billed()), (0, 2, 2));
        assert_eq!(ecs.running(90), 2, "ready at 90 s, not at 120");
        ecs.reconcile(90, 4);
        ecs.reconcile(95, 3);
        assert_eq!((ecs.running(95), ecs.starting(95), ecs.billed()), (2, 1, 3));
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
            (ecs.running(355), ecs.running(360)),
            (0, 3),
            "300 s of warm-up, then 60 s"
        );
        ecs.reconcile(600, 1);
        ecs.reconcile(600 + 895, 1);
        assert_eq!(ecs.instances(), 2, "still within 15 idle minutes");
        ecs.reconcile(600 + 900, 1);
        assert_eq!(ecs.instances(), 1);
        ecs.reconcile(1600, 2);
        assert_eq!(
            ecs.running(1660),
            2,
            "a slot on a warm instance: start-up only"
        );
    }

    #[test]
    fn a_task_asked_for_in_the_same_minute_and_slot_starts_alike_whatever_came_before() {
        let range = model(Latency::Range([240, 420]));
        let (mut quiet, mut busy) = (Ecs::new(range.clone(), 7), Ecs::new(range, 7));
        // One run asked for and gave back tasks before; the other did not.
        for minute in 0..30 {
            busy.reconcile(minute * 60, (minute % 4) as u32);
        }
        busy.reconcile(1_800, 0);
        quiet.reconcile(1_830, 2);
        busy.reconcile(1_815, 2);
        assert_eq!(
            quiet.tasks,
            busy.tasks.iter().map(|r| r + 15).collect::<Vec<_>>()
        );
        // Another minute draws again.
        let mut later = Ecs::new(model(Latency::Range([240, 420])), 7);
        later.reconcile(1_890, 2);
        assert_ne!(
            later.tasks,
            quiet.tasks.iter().map(|r| r + 60).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_latency_range_is_drawn_per_task_from_the_seed() {
        let mut ecs = Ecs::new(model(Latency::Range([60, 600])), 9);
        ecs.reconcile(0, 50);
        let ready: Vec<u32> = (0..=10).map(|m| ecs.running(m * 60)).collect();
        assert_eq!(ready[0], 0);
        assert_eq!(ready[10], 50);
        assert!(
            ready.windows(2).any(|w| w[1] > w[0] && w[1] < 50),
            "spread: {ready:?}"
        );
    }
}
