//! The queue a target's tasks consume, as SQS shows it to the functions: messages
//! wait in arrival order; each running task receives one message at a time and works
//! on it for its service time (60 / `per_task_per_minute` seconds); a look reads what
//! is visible and what is in flight.
//!
//! A message's wait is the time until the task that finishes it received it. A task
//! ECS stops gets SIGTERM and is killed after the stop timeout
//! ([`STOP_TIMEOUT_SECONDS`]); its worker stops receiving and finishes the message in
//! hand if it can, billed until it exits. One killed first loses its work: SQS makes
//! the message visible again when its visibility timeout, begun at its receipt, ends
//! ([`visibility_timeout`]), and its wait runs on from its arrival to its next
//! receipt: the wait it was first received after no longer counts. Until 7 December
//! 2026 the message was visible again at once and only its first wait counted, which
//! flattered every controller that stops busy tasks; until that evening a stopped task
//! lost its message at once, unbilled, and the timeout began at the stop. Every
//! message takes the same time unless the scenario makes them vary
//! (`crate::service`). Where the model ends: a consumer holds one message at a time
//! and does not extend its visibility while it works (ChangeMessageVisibility).

use std::collections::VecDeque;

use crate::clock::{self, TICK_SECONDS, Tick};
use crate::service::ServiceTimes;

/// How long served messages waited, in ticks: `waits[t]` were received `t` ticks after
/// they arrived.
pub type Waits = Vec<u64>;

/// Messages that arrived in one tick and wait together.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    arrived: Tick,
    count: u64,
    /// The place of the first of them among their tick's arrivals: what a message's
    /// service time is keyed to (`ServiceTimes::seconds`).
    next: u64,
}

/// SQS's default visibility timeout, in seconds (Amazon SQS visibility timeout, Amazon
/// SQS Developer Guide,
/// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
pub const DEFAULT_VISIBILITY_SECONDS: f64 = 30.0;

/// The visibility timeout of a queue whose messages take `times`, in seconds: as AWS
/// advises, the longest a consumer takes to process and delete a message (here the
/// time 99 in 100 messages finish within), and never under SQS's default. Shorter, SQS
/// would hand a message a task still works on to a second task.
pub fn visibility_timeout(times: &ServiceTimes) -> f64 {
    let longest = times.p99();
    if longest.is_finite() {
        longest.max(DEFAULT_VISIBILITY_SECONDS)
    } else {
        DEFAULT_VISIBILITY_SECONDS
    }
}

/// How long ECS lets a stopped task's containers run after SIGTERM before it kills
/// them, in seconds: the container definition's `stopTimeout`, 30 s unless set (at
/// most 120 on Fargate) (ContainerDefinition, Amazon ECS API Reference,
/// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html).
pub const STOP_TIMEOUT_SECONDS: i64 = 30;

/// A task ECS is stopping, still at work on the message it held: it receives no other.
#[derive(Debug, Clone, Copy)]
struct Stopping {
    /// The message, and the seconds of work left on it.
    held: (Message, f64),
    /// The tick by which its containers are killed.
    killed_at: Tick,
}

/// A task's hands: the message it works on, if any.
#[derive(Debug, Clone, Copy, Default)]
struct Worker {
    /// The message in hand, and the seconds of work left on it.
    holding: Option<(Message, f64)>,
    /// The tick it ended empty-handed, while it stays so.
    idle_since: Option<Tick>,
}

/// One message: the tick it arrived in and its place among that tick's arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Message {
    arrived: Tick,
    index: u64,
    /// The tick a task received it in (its wait was counted then).
    received: Tick,
}

/// What the workers did in a tick.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Worked {
    /// Messages finished (deleted).
    pub served: u64,
    /// Seconds of work done, over all workers.
    pub busy_seconds: f64,
}

#[derive(Debug, Clone)]
pub struct Queue {
    waiting: VecDeque<Waiting>,
    waiting_total: u64,
    /// One per running task, oldest first.
    workers: Vec<Worker>,
    /// Tasks ECS is stopping that still work on their message ([`Queue::staff`]).
    stopping: Vec<Stopping>,
    /// Messages stopped tasks held, invisible until the tick their visibility timeout
    /// ends, soonest first.
    returning: VecDeque<(Tick, Message)>,
    /// The visibility timeout, in ticks ([`visibility_timeout`]).
    visibility_ticks: u64,
    /// Where the choice of the task a scale-in stops comes from ([`Queue::staff`]).
    seed: u64,
    /// Whether a task holding a message is protected from scale-in.
    protected: bool,
    /// How long each message takes (its mean: every message's, when they are alike).
    times: ServiceTimes,
    /// Seconds of work done in the last tick, over all workers.
    busy_seconds: f64,
}

impl Queue {
    /// Every message 60 / `per_task_per_minute` seconds.
    pub fn new(per_task_per_minute: f64) -> Queue {
        Queue::serving(ServiceTimes::of(per_task_per_minute, 0.0, 0), 0)
    }

    /// Messages that take `times`; the tasks a scale-in stops drawn from `seed`.
    pub fn serving(times: ServiceTimes, seed: u64) -> Queue {
        let visibility = visibility_timeout(&times) / TICK_SECONDS as f64;
        Queue {
            waiting: VecDeque::new(),
            waiting_total: 0,
            workers: Vec::new(),
            stopping: Vec::new(),
            returning: VecDeque::new(),
            visibility_ticks: visibility.ceil() as u64,
            seed: seed ^ 0x5709_5709,
            protected: false,
            times,
            busy_seconds: 0.0,
        }
    }

    /// The same queue, its tasks protected from scale-in while they hold a message.
    pub fn protecting(self, protected: bool) -> Queue {
        Queue { protected, ..self }
    }

    pub fn arrive(&mut self, tick: Tick, count: u64) {
        if count == 0 {
            return;
        }
        self.waiting.push_back(Waiting {
            arrived: tick,
            count,
            next: 0,
        });
        self.waiting_total += count;
    }

    /// One worker per running task at `tick`: new tasks come empty-handed; a stopped
    /// one that holds a message works on until it finishes it or ECS kills it after
    /// the stop timeout ([`Queue::work`]). Messages whose visibility timeout has ended
    /// are visible again, at the head of the queue (the oldest).
    ///
    /// Which running task a scale-in stops is drawn at random: ECS's default placement
    /// for a service (spread across Availability Zones) stops tasks that keep the
    /// zones balanced and, within a zone, at random (Use strategies to define Amazon
    /// ECS task placement, Amazon ECS Developer Guide,
    /// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html);
    /// it does not know which task holds a message. Until 7 December 2026 the
    /// youngest stopped first, and since the oldest workers receive first, that was
    /// the one most likely idle. Tasks that protect themselves while they hold a
    /// message ([`Queue::protecting`]) are drawn among the idle ones: the run keeps a
    /// protected task running ([`Queue::protected_tasks`]) until it finishes.
    pub fn staff(&mut self, running: u32, tick: Tick) {
        let running = running as usize;
        let mut draw = 0u64;
        while self.workers.len() > running {
            let chosen = self.stopped(tick, draw);
            draw += 1;
            if let Some(held) = self.workers.remove(chosen).holding {
                let killed_at = tick.saturating_add(clock::ticks_in(STOP_TIMEOUT_SECONDS));
                self.stopping.push(Stopping { held, killed_at });
            }
        }
        self.workers.resize(running, Worker::default());
        while let Some(&(visible_at, message)) = self.returning.front() {
            if visible_at > tick {
                break;
            }
            self.returning.pop_front();
            self.waiting.push_front(Waiting {
                arrived: message.arrived,
                count: 1,
                next: message.index,
            });
            self.waiting_total += 1;
        }
    }

    /// `message` is lost at `tick` by the task that held it: SQS makes it visible again
    /// when the visibility timeout that began at its receipt ends ("the visibility
    /// timeout begins when Amazon SQS returns a message", the page cited at
    /// [`DEFAULT_VISIBILITY_SECONDS`]), not a whole timeout after the loss; its first
    /// wait no longer counts.
    fn lose(&mut self, message: Message, tick: Tick, waits: &mut Waits) {
        uncount_wait(waits, message.received.saturating_sub(message.arrived));
        let visible_at = message
            .received
            .saturating_add(self.visibility_ticks)
            .max(tick);
        let at = self.returning.partition_point(|(t, _)| *t <= visible_at);
        self.returning.insert(at, (visible_at, message));
    }

    /// The worker the `draw`-th stop at `tick` stops: any, or one without a message
    /// while they protect themselves (any only when ECS was told to stop a protected
    /// task, which the run never tells it).
    fn stopped(&self, tick: Tick, draw: u64) -> usize {
        let key = self.seed ^ tick.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ draw;
        let idle: Vec<usize> = (0..self.workers.len())
            .filter(|i| !self.protected || self.workers[*i].holding.is_none())
            .collect();
        let pool: Vec<usize> = if idle.is_empty() {
            (0..self.workers.len()).collect()
        } else {
            idle
        };
        pool[(crate::service::mix(key) % pool.len() as u64) as usize]
    }

    /// Every empty-handed worker receives the oldest waiting message: consumers
    /// long-poll, so while a task is free no message stays visible for long.
    pub fn hand_out(&mut self, tick: Tick, waits: &mut Waits) {
        for index in 0..self.workers.len() {
            if self.workers[index].holding.is_some() {
                continue;
            }
            let Some(message) = self.take_one(tick, waits) else {
                return;
            };
            self.workers[index].holding = Some((message, self.seconds(message)));
        }
    }

    /// Every worker works one tick, taking messages oldest first.
    pub fn work(&mut self, tick: Tick, waits: &mut Waits) -> Worked {
        let mut worked = Worked::default();
        for index in 0..self.workers.len() {
            self.work_one(index, tick, waits, &mut worked);
        }
        self.work_stopping(tick, waits, &mut worked);
        self.busy_seconds = worked.busy_seconds;
        // A worker that finished its message as the tick ended, with messages waiting,
        // takes the next one at once: it is not idle. (Counted idle, the clairvoyant
        // schedule stopped it and started another for the message it left waiting: on
        // the NASA iPSC trace, whose 75 s jobs each end on a tick, that billed 10 %
        // more than the schedule needs.)
        let waiting = self.waiting_total > 0;
        for worker in &mut self.workers {
            worker.idle_since = match worker.holding {
                Some(_) => None,
                None if waiting => None,
                None => worker.idle_since.or(Some(tick)),
            };
        }
        worked
    }

    /// Tasks ECS is stopping work one tick on their message: a worker that handles
    /// SIGTERM as AWS advises stops receiving and finishes what it holds. One still
    /// at it when the stop timeout ends is killed and its message lost ([`Queue::lose`]).
    fn work_stopping(&mut self, tick: Tick, waits: &mut Waits, worked: &mut Worked) {
        for Stopping { held, killed_at } in std::mem::take(&mut self.stopping) {
            let mut budget = TICK_SECONDS as f64;
            let Some(left) = work_on(held.1, &mut budget, worked) else {
                continue;
            };
            if tick + 1 < killed_at {
                let held = (held.0, left);
                self.stopping.push(Stopping { held, killed_at });
            } else {
                self.lose(held.0, tick + 1, waits);
            }
        }
    }

    /// Tasks ECS is stopping that still hold a message: billed until they exit.
    pub fn stopping(&self) -> u32 {
        u32::try_from(self.stopping.len()).unwrap_or(u32::MAX)
    }

    fn work_one(&mut self, index: usize, tick: Tick, waits: &mut Waits, worked: &mut Worked) {
        if self.times.varies() {
            return self.work_one_by_one(index, tick, waits, worked);
        }
        let service = self.times.mean();
        let mut budget = TICK_SECONDS as f64;
        if let Some(held) = self.workers[index].holding
            && !self.finish(index, held, &mut budget, worked)
        {
            return;
        }
        // Whole messages that fit in what is left of the tick, then one begun.
        let whole = (budget / service + 1e-9).floor();
        let whole = if whole.is_finite() { whole as u64 } else { 0 };
        let taken = self.take(whole, tick, waits);
        worked.served += taken;
        worked.busy_seconds += taken as f64 * service;
        budget -= taken as f64 * service;
        if budget > 1e-9
            && let Some(message) = self.take_one(tick, waits)
        {
            worked.busy_seconds += budget;
            self.workers[index].holding = Some((message, service - budget));
        }
    }

    /// [`Queue::work_one`] for messages of different sizes: each one drawn as it is
    /// received, worked until the tick runs out.
    fn work_one_by_one(
        &mut self,
        index: usize,
        tick: Tick,
        waits: &mut Waits,
        worked: &mut Worked,
    ) {
        let mut budget = TICK_SECONDS as f64;
        while budget > 1e-9 {
            let held = match self.workers[index].holding {
                Some(held) => held,
                None => match self.take_one(tick, waits) {
                    Some(message) => (message, self.seconds(message)),
                    None => return,
                },
            };
            if !self.finish(index, held, &mut budget, worked) {
                return;
            }
        }
    }

    /// Worker `index` works on `message` with `left` seconds to go, out of `budget`:
    /// true when it finished it (served), false when it still holds it.
    fn finish(
        &mut self,
        index: usize,
        (message, left): (Message, f64),
        budget: &mut f64,
        worked: &mut Worked,
    ) -> bool {
        let left = work_on(left, budget, worked);
        self.workers[index].holding = left.map(|left| (message, left));
        left.is_none()
    }

    fn seconds(&self, message: Message) -> f64 {
        self.times.seconds(message.arrived, message.index)
    }

    /// Receives up to `most` messages, oldest first; counts their waits.
    fn take(&mut self, most: u64, tick: Tick, waits: &mut Waits) -> u64 {
        let mut taken = 0;
        while taken < most {
            let Some(front) = self.waiting.front_mut() else {
                break;
            };
            let now = front.count.min(most - taken);
            count_wait(waits, tick.saturating_sub(front.arrived), now);
            front.count -= now;
            front.next += now;
            taken += now;
            if front.count == 0 {
                self.waiting.pop_front();
            }
        }
        self.waiting_total -= taken;
        taken
    }

    fn take_one(&mut self, tick: Tick, waits: &mut Waits) -> Option<Message> {
        let front = self.waiting.front()?;
        let message = Message {
            arrived: front.arrived,
            index: front.next,
            received: tick,
        };
        (self.take(1, tick, waits) == 1).then_some(message)
    }

    /// Tasks protected from scale-in now: those holding a message, while tasks protect
    /// themselves (none when they do not).
    pub fn protected_tasks(&self) -> u32 {
        if !self.protected {
            return 0;
        }
        let holding = self.workers.iter().filter(|w| w.holding.is_some()).count();
        u32::try_from(holding).unwrap_or(u32::MAX)
    }

    /// Messages waiting for a consumer (SQS's ApproximateNumberOfMessages).
    pub fn visible(&self) -> u64 {
        self.waiting_total
    }

    /// Messages a consumer holds (ApproximateNumberOfMessagesNotVisible), as a look
    /// at any moment would find them: the tasks holding one now, or, when more, the
    /// tasks busy on average over the last tick (a tick's arrivals come at its start
    /// here, so its tasks are busy early in it and idle at its end).
    pub fn in_flight(&self) -> u64 {
        let holding = self.workers.iter().filter(|w| w.holding.is_some()).count() as u64;
        let holding = holding + self.stopping.len() as u64;
        let busy = (self.busy_seconds / TICK_SECONDS as f64).round() as u64;
        let hands = (self.workers.len() + self.stopping.len()) as u64;
        holding.max(busy.min(hands)) + self.returning.len() as u64
    }

    /// Seconds the oldest message not yet received for good (waiting, or left by a
    /// stopped task) has waited at `tick`.
    pub fn oldest_age(&self, tick: Tick) -> i64 {
        let waiting = self.waiting.front().map(|w| w.arrived);
        let returning = self.returning.iter().map(|(_, m)| m.arrived).min();
        let oldest = match (waiting, returning) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        oldest.map_or(0, |arrived| {
            (tick.saturating_sub(arrived) as i64) * TICK_SECONDS
        })
    }

    /// Messages waiting that arrived `goal_ticks` or more before `tick`: those a
    /// consumer must receive now to keep the latency goal.
    pub fn due(&self, tick: Tick, goal_ticks: u64) -> u64 {
        self.waiting
            .iter()
            .take_while(|w| w.arrived + goal_ticks <= tick)
            .map(|w| w.count)
            .sum()
    }

    pub fn workers(&self) -> u32 {
        u32::try_from(self.workers.len()).unwrap_or(u32::MAX)
    }

    /// Adds a worker and lets it work the rest of `tick` (the clairvoyant schedule
    /// starts one for a message that must be received now).
    pub fn add_worker(&mut self, tick: Tick, waits: &mut Waits) -> Worked {
        self.workers.push(Worker::default());
        let mut worked = Worked::default();
        self.work_one(self.workers.len() - 1, tick, waits, &mut worked);
        worked
    }

    /// Drops workers empty-handed for `hold` ticks or more at `tick`, keeping at
    /// least `keep` workers.
    pub fn release_idle(&mut self, keep: u32, hold: u64, tick: Tick) {
        let keep = keep as usize;
        let mut excess = self.workers.len().saturating_sub(keep);
        self.workers.retain(|w| {
            let idle_long = w.holding.is_none()
                && w.idle_since
                    .is_some_and(|since| tick.saturating_sub(since) >= hold);
            let drop = excess > 0 && idle_long;
            if drop {
                excess -= 1;
            }
            !drop
        });
        let staffed = self.workers.len().max(keep);
        self.workers.resize(staffed, Worker::default());
    }
}

/// Works on a message with `left` seconds to go, out of `budget`: None when it is
/// finished (served), else the seconds still left.
fn work_on(left: f64, budget: &mut f64, worked: &mut Worked) -> Option<f64> {
    let used = left.min(*budget);
    worked.busy_seconds += used;
    *budget -= used;
    if left - used <= 1e-9 {
        worked.served += 1;
        None
    } else {
        Some(left - used)
    }
}

/// Takes back one wait of `ticks` counted before (a message received, then left by a
/// stopped task).
fn uncount_wait(waits: &mut Waits, ticks: u64) {
    let wait = usize::try_from(ticks).unwrap_or(usize::MAX);
    if let Some(count) = waits.get_mut(wait) {
        *count = count.saturating_sub(1);
    }
}

fn count_wait(waits: &mut Waits, ticks: u64, count: u64) {
    let wait = usize::try_from(ticks).unwrap_or(usize::MAX);
    if waits.len() <= wait {
        waits.resize(wait + 1, 0);
    }
    waits[wait] += count;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_take_the_oldest_first_and_waits_count_until_received() {
        let mut queue = Queue::new(60.0); // a second a message: 5 a tick
        let mut waits = Waits::new();
        queue.arrive(0, 10);
        queue.arrive(1, 10);
        queue.staff(1, 0);
        let worked = queue.work(1, &mut waits);
        assert_eq!(worked.served, 5);
        assert_eq!(
            waits,
            [0, 5],
            "the first five were received a tick after they came"
        );
        assert_eq!(queue.visible(), 15);
        assert_eq!(queue.oldest_age(3), 15, "three ticks of five seconds");
    }

    /// One message at tick 0, `tasks` tasks serving `per_task_per_minute`.
    fn one_job(per_task_per_minute: f64, tasks: u32) -> (Queue, Waits) {
        let mut queue = Queue::new(per_task_per_minute);
        queue.arrive(0, 1);
        queue.staff(tasks, 0);
        (queue, Waits::new())
    }

    #[test]
    fn a_long_message_keeps_one_task_busy_for_its_whole_service_time() {
        // 0.8 a minute: 75 s a message, fifteen ticks, and one task at a time on it.
        let (mut queue, mut waits) = one_job(0.8, 4);
        let served: u64 = (0..14).map(|t| queue.work(t, &mut waits).served).sum();
        assert_eq!((served, queue.in_flight()), (0, 1), "three tasks stay idle");
        assert_eq!(queue.work(14, &mut waits).served, 1);
        queue.work(15, &mut waits);
        assert_eq!(queue.in_flight(), 0, "a tick later, empty-handed");
    }

    #[test]
    fn in_flight_is_the_busy_tasks_not_the_running_ones() {
        // 150 a minute on 40 tasks that each do 50 (1.2 s a message).
        let mut queue = Queue::new(50.0);
        let mut waits = Waits::new();
        queue.staff(40, 0);
        for tick in 0..12 {
            queue.arrive(tick, 12 + tick % 2);
            queue.work(tick, &mut waits);
        }
        assert_eq!(queue.visible(), 0, "all received: nothing waits at the end");
        assert!(queue.in_flight() <= 13, "{}", queue.in_flight());
    }

    #[test]
    fn a_worker_that_finishes_as_the_tick_ends_with_work_waiting_is_not_idle() {
        // 75 s jobs end on a tick: the fifteenth tick of the first one ends it, and a
        // second job waits. Its worker takes it at once; stopping it as idle would
        // start another task for the job it left waiting.
        let mut queue = Queue::new(0.8);
        let mut waits = Waits::new();
        queue.arrive(0, 2);
        queue.staff(1, 0);
        for tick in 0..15 {
            queue.work(tick, &mut waits);
        }
        assert_eq!((queue.visible(), queue.workers()), (1, 1));
        queue.release_idle(0, 0, 14);
        assert_eq!(queue.workers(), 1, "kept: the next job is its");
        for tick in 15..30 {
            queue.work(tick, &mut waits);
        }
        queue.release_idle(0, 0, 29);
        assert_eq!(queue.workers(), 0, "idle once nothing waits");
    }

    #[test]
    fn messages_of_different_sizes_are_each_served_once_in_their_own_time() {
        // A second a message on average, varying by as much: 300 messages, 3 tasks.
        let times = ServiceTimes::varying(1.0, 1.0, 7);
        let mut queue = Queue::serving(times, 0);
        let mut waits = Waits::new();
        queue.arrive(0, 300);
        queue.staff(3, 0);
        let mut served = 0;
        let mut busy = 0.0;
        for tick in 0..40 {
            let worked = queue.work(tick, &mut waits);
            served += worked.served;
            busy += worked.busy_seconds;
        }
        assert_eq!((served, queue.visible(), queue.in_flight()), (300, 0, 0));
        let work: f64 = (0..300).map(|i| times.seconds(0, i)).sum();
        assert!((busy - work).abs() < 1e-6, "busy {busy}, work {work}");
        assert_eq!(waits.iter().sum::<u64>(), 300);
    }

    #[test]
    fn a_message_given_back_keeps_its_size() {
        let times = ServiceTimes::varying(60.0, 1.0, 7);
        let mut queue = Queue::serving(times, 0);
        let mut waits = Waits::new();
        queue.arrive(0, 2);
        queue.staff(1, 0);
        queue.work(0, &mut waits);
        queue.staff(0, 1);
        let mut busy = 0.0;
        let mut tick = 1;
        while queue.visible() + queue.in_flight() > 0 && tick < 1000 {
            queue.staff(1, tick);
            busy += queue.work(tick, &mut waits).busy_seconds;
            tick += 1;
        }
        // The stopped task works on for the stop timeout: it finishes the first
        // message when it can, else that work is lost and the message done again whole.
        let (first, second) = (times.seconds(0, 0), times.seconds(0, 1));
        let left = first - TICK_SECONDS as f64;
        let stop = STOP_TIMEOUT_SECONDS as f64;
        let work = if left <= stop { left } else { stop + first } + second;
        assert!((busy - work).abs() < 1e-6, "busy {busy}, work {work}");
        assert_eq!(waits.iter().sum::<u64>(), 2, "each wait counted once");
    }

    #[test]
    fn a_stopped_tasks_message_waits_out_its_visibility_timeout_and_counts_its_whole_wait() {
        // A minute a message: the visibility timeout is that minute, twelve ticks from
        // the receipt at tick 0, whenever the task is stopped.
        let (mut queue, mut waits) = one_job(1.0, 1);
        queue.work(0, &mut waits);
        assert_eq!(waits, [1], "received at once");
        queue.work(1, &mut waits);
        queue.work(2, &mut waits);
        // Stopped 15 s in, it works on for the 30 s stop timeout, then is killed with
        // 15 s to go.
        for tick in 3..9 {
            queue.staff(0, tick);
            assert_eq!((queue.stopping(), queue.in_flight()), (1, 1), "{tick}");
            assert_eq!(waits, [1], "received, while it works");
            queue.work(tick, &mut waits);
        }
        assert_eq!(queue.stopping(), 0, "killed");
        assert_eq!(waits, [0], "its first wait no longer counts");
        queue.staff(1, 11);
        queue.work(11, &mut waits);
        assert_eq!(
            (queue.visible(), queue.in_flight()),
            (0, 1),
            "in flight to SQS until its timeout ends, though no task holds it"
        );
        assert_eq!(queue.oldest_age(11), 55, "waiting still, from its arrival");
        queue.staff(1, 12);
        assert_eq!((queue.visible(), queue.in_flight()), (1, 0));
        queue.work(12, &mut waits);
        assert_eq!(waits.iter().sum::<u64>(), 1, "its wait counted once");
        assert_eq!(waits[12], 1, "to the receipt that finishes it: 60 s");
    }

    #[test]
    fn a_stopped_task_finishes_a_job_shorter_than_the_stop_timeout_and_is_billed_for_it() {
        // 20 s a message, 5 s done when ECS stops the task: 15 s more, then it exits.
        let (mut queue, mut waits) = one_job(3.0, 1);
        let mut served = queue.work(0, &mut waits).served;
        queue.staff(0, 1);
        let mut billed = 0;
        for tick in 1..10 {
            billed += queue.stopping();
            served += queue.work(tick, &mut waits).served;
        }
        assert_eq!(
            (served, billed),
            (1, 3),
            "served, three ticks billed stopping"
        );
        assert_eq!((queue.visible(), queue.in_flight()), (0, 0));
        assert_eq!(waits, [1], "one wait, counted once");
    }

    #[test]
    fn a_scale_in_stops_a_running_task_at_random_busy_or_not() {
        // Four tasks, the two oldest holding a job (they receive first): stopping the
        // youngest would never stop a busy one; ECS stops one of the four at random.
        let mut busy_stopped = 0;
        for tick in 0..1_000 {
            let mut queue = Queue::serving(ServiceTimes::of(0.8, 0.0, 0), 11);
            let mut waits = Waits::new();
            queue.arrive(tick, 2);
            queue.staff(4, tick);
            queue.hand_out(tick, &mut waits);
            queue.staff(3, tick);
            busy_stopped += queue.stopping.len();
        }
        assert!(
            (400..=600).contains(&busy_stopped),
            "{busy_stopped} of 1000"
        );
    }

    #[test]
    fn a_task_that_protects_itself_is_never_stopped_mid_job() {
        for tick in 0..1_000 {
            let mut queue = Queue::serving(ServiceTimes::of(0.8, 0.0, 0), 11).protecting(true);
            let mut waits = Waits::new();
            queue.arrive(tick, 2);
            queue.staff(4, tick);
            queue.hand_out(tick, &mut waits);
            assert_eq!(
                queue.protected_tasks(),
                2,
                "the two busy tasks ECS may not stop"
            );
            queue.staff(2, tick);
            assert_eq!((queue.stopping.len(), queue.protected_tasks()), (0, 2));
        }
        let unprotected = Queue::serving(ServiceTimes::of(0.8, 0.0, 0), 11);
        assert_eq!(
            unprotected.protected_tasks(),
            0,
            "nothing protected: nothing held back"
        );
    }

    #[test]
    fn the_visibility_timeout_covers_the_longest_messages_and_sqs_default() {
        assert_eq!(visibility_timeout(&ServiceTimes::of(50.0, 0.0, 1)), 30.0);
        assert_eq!(visibility_timeout(&ServiceTimes::of(0.8, 0.0, 1)), 75.0);
        let varied = visibility_timeout(&ServiceTimes::of(2.0, 0.8, 1));
        assert!((115.0..125.0).contains(&varied), "{varied}");
    }
}
