//! The run: every tick (five seconds) messages arrive, the controller looks and pulls
//! its levers (desiredCount, the scalable target's bounds), ECS starts and stops
//! tasks, and the running tasks work through the queue. Each minute the queue's own
//! SQS metrics reach CloudWatch, and a row of what happened is kept.

use serde::Serialize;

use crate::Scenario;
use crate::attributes::{Attributes, Counts};
use crate::clock::{self, TICKS_PER_MINUTE};
use crate::cloudwatch::CloudWatch;
use crate::controller::Controller;
use crate::ecs::Ecs;
use crate::levers::{Changed, GPU_AGENT, Levers, View, predefined, sqs};
use crate::queue::{Queue, Waits};

/// What one minute looked like.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Minute {
    pub minute: u32,
    pub arrivals: u32,
    /// Waiting (visible) and being worked on (in flight) at the end of the minute.
    pub visible: u64,
    pub in_flight: u64,
    pub served: u64,
    pub running: u32,
    pub starting: u32,
    pub desired: u32,
    pub min_capacity: u32,
    /// Tasks billed over the minute, on average: running, starting, and stopping with
    /// a message in hand.
    pub billed: f64,
    /// The clairvoyant schedule's tasks at the end of the minute (`crate::limit`):
    /// what the load needed, known in advance.
    pub needed: u32,
    /// The largest age of a waiting message during the minute, in seconds.
    pub oldest_age: u32,
    /// The running tasks' busy share of the minute, in percent: their CPU and GPU
    /// utilisation as the model has them (None: no task ran).
    pub busy_percent: Option<f64>,
    /// What changed desiredCount or the bounds this minute, in order.
    pub changes: Vec<Changed>,
}

/// A whole run: every minute, and how long each served message waited.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Run {
    pub minutes: Vec<Minute>,
    /// `waits[t]`: messages served `t` ticks after they arrived.
    pub waits: Waits,
}

/// Runs `controller` on `arrivals` (messages per minute) from the scenario's start,
/// with its service, warm tasks, seed and SQS's stale counts.
pub fn run(controller: &mut dyn Controller, scenario: &Scenario, arrivals: &[u32]) -> Run {
    let (tasks, seed, initial) = (&scenario.tasks, scenario.seed, scenario.initial_tasks);
    let start = scenario.start.as_second();
    let mut world = World {
        queue: Queue::serving(tasks.service_times(seed), seed)
            .protecting(tasks.protects_while_working),
        attributes: Attributes::new(scenario.sqs_count_lag_seconds, seed),
        ecs: Ecs::with_running(tasks.clone(), seed, initial),
        cloudwatch: CloudWatch::default(),
        levers: controller.levers(initial),
    };
    let mut run = Run::default();
    for (minute, arrived) in arrivals.iter().enumerate() {
        let minute = u32::try_from(minute).unwrap_or(u32::MAX);
        let row = world.minute(minute, *arrived, start, controller, &mut run.waits);
        run.minutes.push(row);
    }
    run
}

struct World {
    queue: Queue,
    /// What GetQueueAttributes returns: the queue's counts, up to a while late.
    attributes: Attributes,
    ecs: Ecs,
    cloudwatch: CloudWatch,
    levers: Levers,
}

/// What the ticks of a minute add up to.
#[derive(Default)]
struct Tally {
    served: u64,
    busy_seconds: f64,
    billed_ticks: u64,
    ready_ticks: u64,
    oldest_age: i64,
}

impl Tally {
    /// The running tasks' busy share of the minute, in percent; None without a task.
    fn busy_percent(&self) -> Option<f64> {
        (self.ready_ticks > 0).then(|| {
            let ready_seconds = self.ready_ticks as f64 * clock::TICK_SECONDS as f64;
            (self.busy_seconds / ready_seconds * 100.0).min(100.0)
        })
    }
}

impl World {
    fn minute(
        &mut self,
        minute: u32,
        arrived: u32,
        start: i64,
        controller: &mut dyn Controller,
        waits: &mut Waits,
    ) -> Minute {
        let first = u64::from(minute) * TICKS_PER_MINUTE;
        let mut tally = Tally::default();
        for tick in first..first + TICKS_PER_MINUTE {
            let now = start + clock::second(tick);
            // Tasks that became ready take a message at once; then the controller looks,
            // the tick's messages arrive and the tasks work through the tick.
            self.queue.staff(self.ecs.running(now), tick);
            self.queue.hand_out(tick, waits);
            self.attributes.record(Counts {
                visible: self.queue.visible(),
                in_flight: self.queue.in_flight(),
            });
            let view = View {
                tick,
                now,
                queue: &self.queue,
                sqs: self.attributes.read(tick),
                ecs: &self.ecs,
            };
            controller.tick(&view, &mut self.cloudwatch, &mut self.levers);
            self.queue
                .arrive(tick, clock::spread(arrived, tick - first));
            // ECS stops no task protected while it holds a message.
            let protected = self.queue.protected_tasks();
            self.ecs.reconcile(now, self.levers.desired.max(protected));
            let running = self.ecs.running(now);
            self.queue.staff(running, tick);
            let worked = self.queue.work(tick, waits);
            tally.served += worked.served;
            tally.busy_seconds += worked.busy_seconds;
            // A stopped task still at its message is billed until it exits.
            tally.billed_ticks += u64::from(self.ecs.billed() + self.queue.stopping());
            tally.ready_ticks += u64::from(running);
            tally.oldest_age = tally.oldest_age.max(self.queue.oldest_age(tick + 1));
        }
        let end = start + clock::second(first + TICKS_PER_MINUTE - 1);
        self.publish_minute(start + i64::from(minute) * 60, arrived, &tally);
        Minute {
            minute,
            arrivals: arrived,
            visible: self.queue.visible(),
            in_flight: self.queue.in_flight(),
            served: tally.served,
            running: self.ecs.running(end),
            starting: self.ecs.starting(end),
            desired: self.levers.desired,
            min_capacity: self.levers.bounds.min,
            billed: tally.billed_ticks as f64 / TICKS_PER_MINUTE as f64,
            needed: 0,
            oldest_age: u32::try_from(tally.oldest_age).unwrap_or(u32::MAX),
            busy_percent: tally.busy_percent(),
            changes: self.levers.take_changes(),
        }
    }

    /// The minute's SQS metrics and the GPUs' utilisation (the CloudWatch agent's),
    /// in the minute's period.
    fn publish_minute(&mut self, at: i64, arrived: u32, tally: &Tally) {
        let cloudwatch = &mut self.cloudwatch;
        cloudwatch.put(sqs::SENT, at, f64::from(arrived));
        cloudwatch.put(sqs::RECEIVED, at, tally.served as f64);
        cloudwatch.put(sqs::DELETED, at, tally.served as f64);
        cloudwatch.put(sqs::VISIBLE, at, self.queue.visible() as f64);
        cloudwatch.put(sqs::AGE, at, tally.oldest_age as f64);
        // A task's GPU and CPU are busy while it works, idle otherwise; each message
        // is one request through the load balancer. No reading from no task.
        if let Some(busy) = tally.busy_percent() {
            cloudwatch.put(GPU_AGENT, at, busy);
            cloudwatch.put(predefined::CPU, at, busy);
            cloudwatch.put(predefined::ECS_CPU, at, busy);
            let tasks = tally.ready_ticks as f64 / TICKS_PER_MINUTE as f64;
            cloudwatch.put(predefined::REQUESTS, at, f64::from(arrived) / tasks);
        }
    }
}
