//! Sluice's loop as it runs in AWS, with its own code deciding: the prescaler's floors
//! every five minutes (`Schedule::floor_at`, `prescale::wanted_bounds`), the metric
//! publisher's metrics every minute (`sluice_core::metrics`), Application Auto
//! Scaling acting on the policies `sluicectl apply` puts (`policy::declared`, modelled
//! in `crate::aas`), and the zero-watcher's look every minute and its polls every
//! five seconds in between: its wakes and sleeps (`zero::decide`, the idle clock its
//! polls run between full looks, `zero::Polls`), and the capacity it
//! raises at once and gives back after a window, or sets itself under an HPA behaviour
//! (`capacity::control`), on the need the load model gives (`capacity::Need`, with the
//! rates the publisher learns, `capacity::Rates`).

use jiff::Timestamp;
use sluice_core::capacity::{
    self, Look, Memory, Move, Need, Pass, QueueMinute, Rates, Situation, Starting,
};
use sluice_core::config::Target;
use sluice_core::facts::{ScalableBounds, TaskCounts};
use sluice_core::names;
use sluice_core::policy;
use sluice_core::prescale::{Hold, wanted_bounds};
use sluice_core::profile::Schedule;
use sluice_core::scaling::Controller as Mode;
use sluice_core::startup::{StartUp, StartUps};
use sluice_core::zero::{self, Cause, Decision, Facts, Polled, Polls, WatchState};

use super::Controller;
use crate::aas;
use crate::clock::{self, TICK_SECONDS};
use crate::cloudwatch::{CloudWatch, Statistic};
use crate::levers::{Changed, GPU_AGENT, Levers, View, sqs};
use crate::signals::{self, Signals};
use crate::{Denominator, Scenario};

/// Seconds between the zero-watcher's polls of a sleeping service (the stack's
/// WatcherPollIntervalSeconds), and how long a scheduled invocation keeps polling
/// (WatcherPollWindowSeconds).
const POLL_INTERVAL_SECONDS: i64 = TICK_SECONDS;
const POLL_WINDOW_SECONDS: i64 = 50;

pub struct SluiceLoop {
    target: Target,
    schedule: Option<Schedule>,
    denominator: Denominator,
    autoscaling: aas::Model,
    declared_bounds: ScalableBounds,
    watch: WatchState,
    /// The idle clock the watcher's polls run for the awake service (`zero::Polls`).
    idle_clock: Option<Polls>,
    /// The publisher's load record.
    rates: Rates,
    /// The watcher's copy of it: the record it read at its look, planning with the
    /// start-ups measured by then (`control::first_look` reads both), and its polls'
    /// looks since (never stored, never learned from).
    seen: Rates,
    /// The watcher's memory of the need.
    memory: Memory,
    /// The start-ups the watcher measured (its wakes and raises), as stored.
    starts: StartUps,
    /// Whether the watcher's invocation sizes the service at its polls: not when it
    /// woke or slept it in this invocation (`control::first_look` leaves it alone).
    controls: bool,
    /// Seconds into each minute the watcher's scheduled invocation starts
    /// (`Scenario::watcher_phase_seconds`); its last poll, and when its give-back look
    /// is due (None: done, or not put off).
    watcher_phase: i64,
    last_poll: i64,
    give_back_at: Option<i64>,
    /// What the team's own metrics stand for, and one message's service in seconds
    /// (a latency's least).
    signals: Signals,
    service_seconds: f64,
}

/// Minutes of SQS's counts the publisher reads each run.
const SQS_MINUTES_READ: i64 = 5;

impl SluiceLoop {
    pub fn new(scenario: &Scenario) -> SluiceLoop {
        // The simulation models Sluice-managed scaling, whatever `managed` says.
        let mut target = scenario.target.clone();
        target.scaling.managed = true;
        let declared =
            policy::declared(&target, "Sluice", Hold::default()).unwrap_or(policy::Declared {
                bounds: wanted_bounds(&target, Hold::default()),
                policies: Vec::new(),
                alarms: Vec::new(),
            });
        SluiceLoop {
            autoscaling: aas::Model::new(&declared),
            declared_bounds: declared.bounds,
            target,
            schedule: scenario.schedule.clone(),
            denominator: scenario.denominator,
            watch: WatchState::default(),
            idle_clock: None,
            rates: Rates::default(),
            seen: Rates::default(),
            memory: Memory::default(),
            starts: StartUps::default(),
            controls: true,
            watcher_phase: i64::from(scenario.watcher_phase_seconds.min(59)),
            last_poll: i64::MIN,
            give_back_at: None,
            signals: scenario.signals.clone(),
            service_seconds: 60.0 / scenario.tasks.per_task_per_minute,
        }
    }

    /// The queue as Sluice's functions read it (visible, in flight): the work
    /// waiting, when the target names the queues it comes through; nothing when it
    /// names none (an orchestrator scaled on its CPU and its own metrics: Sluice has
    /// no queue to read, so no need and no backlog).
    fn queue_seen(&self, view: &View<'_>) -> (u64, u64) {
        if self.target.queues.is_empty() {
            (0, 0)
        } else {
            (view.sqs.visible, view.sqs.in_flight)
        }
    }

    /// A look at the queue and the tasks now.
    fn look(&self, view: &View<'_>, desired: u32) -> Look {
        let (visible, in_flight) = self.queue_seen(view);
        Look {
            at: view.now,
            waiting: visible as f64,
            in_flight: in_flight as f64,
            running: view.running(),
            desired,
        }
    }

    /// `rates` planning with the start-up the watcher measured, if any.
    fn planned(&self, rates: &Rates, now: i64) -> Rates {
        rates.with_start_up(capacity::planned_start_up(
            &self.starts,
            rates.start_up,
            now,
        ))
    }

    /// The prescaler's run: the bounds from the profile's floor now; Application Auto
    /// Scaling raises desiredCount to a new minimum at once, and scales in to a new
    /// maximum below it (RegisterScalableTarget,
    /// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
    fn prescale(&self, now: i64, levers: &mut Levers) {
        let Some(schedule) = &self.schedule else {
            return;
        };
        let Ok(at) = Timestamp::from_second(now) else {
            return;
        };
        let ScalableBounds { min, max } =
            wanted_bounds(&self.target, Hold::from(&schedule.floor_at(at)));
        let before = levers.bounds;
        if max != before.max {
            levers.note(Changed::Cap {
                from: before.max,
                to: max,
            });
            levers.bounds.max = max;
        }
        if levers.desired > max {
            let from = levers.desired;
            levers.set_desired(max, Changed::LoweredToMax { from, to: max });
        }
        if min != before.min {
            levers.note(Changed::Floor {
                from: before.min,
                to: min,
            });
            levers.bounds.min = min;
        }
        if levers.desired < min {
            let from = levers.desired;
            levers.set_desired(min, Changed::RaisedToMin { from, to: min });
        }
    }

    /// The metric publisher's run: what it reads now, published at `now` (its
    /// datapoints reach the policies' alarms a minute or two later).
    fn publish(&self, view: &View<'_>, cloudwatch: &mut CloudWatch, levers: &Levers) {
        let now = view.now;
        let (seen, in_flight) = self.queue_seen(view);
        let backlog = seen + in_flight;
        let visible = view.sqs.visible;
        let running = view.running();
        let denominator = match self.denominator {
            Denominator::Desired => levers.desired,
            Denominator::Running => running,
            Denominator::RunningAndPending => running + view.starting(),
        };
        let per_task = sluice_core::metrics::backlog_per_task(backlog, denominator);
        cloudwatch.put(names::BACKLOG, now, backlog as f64);
        cloudwatch.put(names::BACKLOG_PER_TASK, now, per_task);
        // The GPU average as the publisher reads it: the agent's newest datapoint.
        if self.target.gpu.is_some()
            && let Some(gpu) = cloudwatch.newest(GPU_AGENT, Statistic::Average, now)
        {
            cloudwatch.put(names::GPU_AVERAGE, now, gpu);
        }
        cloudwatch.put(names::RUNNING_TASKS, now, f64::from(running));
        // A team's own metrics (tracked, or a step rule's outside AWS/): what the
        // scenario says each stands for, by default the waiting messages (a run
        // queue's waiting runs, a consumer group's lag).
        let oldest = view.queue.oldest_age(view.tick);
        for metric in signals::teams_metrics(&self.target.scaling) {
            let signal = self.signals.get(metric).copied().unwrap_or_default();
            let value = signal.value(visible, oldest, self.service_seconds);
            cloudwatch.put(metric, now, value);
        }
    }

    /// The publisher's load model: the need against desired, and the rates learned
    /// from this look and SQS's counts as far as CloudWatch has them.
    fn publish_need(&mut self, view: &View<'_>, cloudwatch: &mut CloudWatch, desired: u32) {
        if !self.target.scaling.uses_need() {
            return;
        }
        let now = view.now;
        let look = self.look(view, desired);
        let need = Need::of(&self.target.goal(), &self.planned(&self.rates, now), &look);
        cloudwatch.put(names::CAPACITY_UTILIZATION, now, need.utilization(desired));
        cloudwatch.put(names::TASKS_NEEDED, now, need.raw);
        let newest = CloudWatch::newest_visible(now);
        // SQS counts only the queues the target names.
        let read = if self.target.queues.is_empty() {
            0
        } else {
            SQS_MINUTES_READ
        };
        let minutes: Vec<QueueMinute> = (newest - read + 1..=newest)
            .filter_map(|minute| {
                let sent = cloudwatch.read(sqs::SENT, minute, Statistic::Sum, now)?;
                let deleted = cloudwatch.read(sqs::DELETED, minute, Statistic::Sum, now)?;
                Some(QueueMinute {
                    start: minute * 60,
                    sent,
                    deleted,
                })
            })
            .collect();
        self.rates = self.rates.observe(look, &minutes);
    }

    /// The watcher's control of an awake service: raise at once, give back after the
    /// window (`controller: tracking`, a minute look; polls only raise), or follow the
    /// HPA behaviour (`controller: direct`). Going to zero is the sleep's to decide.
    fn control(&mut self, view: &View<'_>, levers: &mut Levers, minute: bool) {
        let scaling = &self.target.scaling;
        if !self.target.sizes_on_need() || levers.desired == 0 {
            return;
        }
        let look = self.look(view, levers.desired);
        if !minute {
            self.seen = self.seen.with_look(look);
        }
        let need = Need::of(&self.target.goal(), &self.seen, &look);
        let at = Situation {
            desired: levers.desired,
            bounds: ScalableBounds {
                min: levers.bounds.min.max(1),
                max: levers.bounds.max,
            },
            in_flight: look.in_flight,
            now: view.now,
        };
        let (decision, memory) = match scaling.controller {
            Mode::Tracking => capacity::control::tracking(
                &need,
                &at,
                &self.memory,
                capacity::control::give_back_window(
                    scaling.give_back_after_seconds,
                    self.seen.start_up,
                ),
            ),
            Mode::Direct => {
                let behavior = scaling.behavior.clone().unwrap_or_default();
                capacity::control::direct(&need, &at, &self.memory, &behavior)
            }
        };
        let pass = if minute { Pass::Minute } else { Pass::Poll };
        let (from, why) = (levers.desired, format!("Sluice: {}", decision.why()));
        let raised = match decision {
            Move::Raise { to, .. } => {
                levers.set_desired(to, Changed::ScaledOut { from, to, why });
                Some(to)
            }
            Move::Lower { to, .. } if pass.may(&decision, scaling.gives_back()) => {
                levers.set_desired(to, Changed::ScaledIn { from, to, why });
                None
            }
            _ => None,
        };
        if pass.keeps_memory(&decision) {
            self.memory = memory;
        }
        if let Some(to) = raised {
            self.memory.starting = Starting::after_raise(to, view.running(), view.now);
        }
    }

    /// The watcher's look at a raise whose tasks are starting: once they all run, its
    /// start-up is kept.
    fn measure_raise(&mut self, view: &View<'_>, levers: &Levers) {
        let tasks = TaskCounts {
            desired: levers.desired,
            running: view.running(),
            ..TaskCounts::default()
        };
        if let Some(sample) = capacity::measure(&mut self.memory.starting, &tasks, view.now) {
            self.starts = self.starts.with(sample, view.now);
        }
    }

    /// Whether a wake's tasks are still starting: the watcher looks at the service at
    /// its polls until one runs (its start-up is measured then).
    fn waking(&self, levers: &Levers) -> bool {
        levers.desired > 0 && zero::wake_starting(&self.watch)
    }

    /// The zero-watcher's scheduled invocation: it reads the publisher's record as
    /// stored, wakes or sleeps, then looks at capacity, the give-back put off to the
    /// poll the next record is due at when the one read is not fresh.
    fn invoke_watcher(&mut self, view: &View<'_>, cloudwatch: &CloudWatch, levers: &mut Levers) {
        let now = view.now;
        self.seen = self.planned(&self.rates, now);
        self.last_poll = now + POLL_WINDOW_SECONDS;
        let before = levers.desired;
        self.watch(view, cloudwatch, levers, Polled::default());
        self.controls = levers.desired == before;
        if !self.controls {
            self.give_back_at = None;
            return;
        }
        self.measure_raise(view, levers);
        let at = capacity::pass::give_back_look_at(self.rates.stored_at(), now, self.last_poll);
        self.give_back_at = (at > now).then_some(at);
        self.control(view, levers, at <= now);
    }

    /// The zero-watcher's idle clock at a poll: a full look when the wait is over, or
    /// at the window's last poll when the polls saw work the stored state does not
    /// know (`watch::poll::idle_clocks`).
    fn poll_idle_clock(&mut self, view: &View<'_>, cloudwatch: &CloudWatch, levers: &mut Levers) {
        let (visible, in_flight) = self.queue_seen(view);
        let Some(clock) = self.idle_clock.as_mut() else {
            return;
        };
        let over = clock.saw(view.now, visible + in_flight > 0);
        if over || (view.now == self.last_poll && clock.unsaved()) {
            let polled = clock.polled();
            self.watch(view, cloudwatch, levers, polled);
        }
    }

    /// What the watcher's full look reads, with the work SQS counted between looks
    /// (`recent_activity`) and what its polls saw since the last.
    fn facts(
        &self,
        view: &View<'_>,
        levers: &Levers,
        recent_activity: Option<i64>,
        polled: Polled,
    ) -> Facts {
        let (visible, in_flight) = self.queue_seen(view);
        Facts {
            desired: levers.desired,
            running: view.running(),
            backlog: visible + in_flight,
            in_flight,
            // Simulated queues are unweighted, without priority.
            priority_backlog: 0,
            priority_in_flight: 0,
            metric_active: false,
            bounds: Some(levers.bounds),
            // The simulated service always has a scalable target: floors are its
            // MinCapacity.
            prescaled: None,
            recent_activity,
            // Read fresh, as the watcher reads ECS (ListTasks, GetTaskProtection).
            protection: match view.queue.protected_tasks() {
                0 => zero::Protection::Clear,
                n => zero::Protection::Protected(n),
            },
            polled,
        }
    }

    /// The zero-watcher's full look, with the real decision code, and what its polls
    /// saw since the last.
    fn watch(
        &mut self,
        view: &View<'_>,
        cloudwatch: &CloudWatch,
        levers: &mut Levers,
        polled: Polled,
    ) {
        let Some(settings) = &self.target.scale_to_zero else {
            return;
        };
        let now = view.now;
        let activity = recent_activity(cloudwatch, now, settings.activity_minutes());
        let facts = self.facts(view, levers, activity, polled);
        // The watcher reads the publisher's record as stored at each look.
        let sizing = zero::Sizing::of(&self.target, Some(&self.rates));
        let verdict = zero::decide(settings, sizing, &facts, &self.watch, &Cause::Poll, now);
        self.idle_clock = Polls::after(&verdict, settings, sizing);
        // Words only for a change: most looks stay, and the simulator looks every minute.
        let (to, change) = match &verdict.decision {
            Decision::Wake { to, reason } => (
                *to,
                Changed::Woke {
                    to: *to,
                    reason: reason.to_string(),
                },
            ),
            Decision::Sleep { reason } => (
                0,
                Changed::Slept {
                    from: levers.desired,
                    reason: reason.to_string(),
                },
            ),
            Decision::Stay { .. } => {
                if let Some(seconds) = zero::start_latency(&self.watch, &verdict.state) {
                    let sample = StartUp { at: now, seconds };
                    self.starts = self.starts.with(sample, now);
                }
                self.watch = verdict.state;
                return;
            }
        };
        levers.set_desired(to, change);
        self.watch = zero::confirmed(&verdict.state, to, now);
    }
}

/// The newest minute SQS counted a message sent or received, as the watcher reads it
/// from CloudWatch over its idle window.
fn recent_activity(cloudwatch: &CloudWatch, now: i64, idle_minutes: u32) -> Option<i64> {
    let newest = CloudWatch::newest_visible(now);
    (0..i64::from(idle_minutes.max(1)))
        .map(|back| newest - back)
        .find(|minute| {
            [sqs::SENT, sqs::RECEIVED].iter().any(|metric| {
                cloudwatch
                    .read(metric, *minute, Statistic::Sum, now)
                    .is_some_and(|count| count > 0.0)
            })
        })
        .map(|minute| minute * 60)
}

impl Controller for SluiceLoop {
    fn levers(&self, initial: u32) -> Levers {
        // Tasks already running are warm; registering the scalable target raises
        // desiredCount to MinCapacity at once.
        let warm = initial.min(self.target.capacity.max);
        Levers::new(warm.max(self.declared_bounds.min), self.declared_bounds)
    }

    fn tick(&mut self, view: &View<'_>, cloudwatch: &mut CloudWatch, levers: &mut Levers) {
        let now = view.now;
        if clock::starts_minute(view.tick) {
            if now.div_euclid(60).rem_euclid(5) == 0 {
                self.prescale(now, levers);
            }
            self.publish(view, cloudwatch, levers);
            self.publish_need(view, cloudwatch, levers.desired);
            self.autoscaling.act(now, cloudwatch, levers);
        }
        if now.rem_euclid(60) == self.watcher_phase {
            self.invoke_watcher(view, cloudwatch, levers);
            return;
        }
        if now > self.last_poll || (self.last_poll - now) % POLL_INTERVAL_SECONDS != 0 {
            return;
        }
        // Between scheduled looks the watcher polls: sleeping services for work, and,
        // under the load model, awake ones for a need above desired; and, once the
        // record it waited for is due, gives back on it.
        let before = levers.desired;
        if levers.desired == 0 || self.waking(levers) {
            self.watch(view, cloudwatch, levers, Polled::default());
        } else {
            self.poll_idle_clock(view, cloudwatch, levers);
        }
        self.controls &= levers.desired == before;
        if !self.controls || levers.desired == 0 {
            return;
        }
        self.measure_raise(view, levers);
        if self.give_back_at.is_some_and(|at| now >= at) {
            self.give_back_at = None;
            self.seen = self.planned(&self.rates, now);
            self.control(view, levers, true);
        } else {
            self.control(view, levers, false);
        }
    }
}
