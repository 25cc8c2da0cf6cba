//! After a scheduled poll's first look, keep looking at the sleeping targets every
//! poll interval until the window closes, so a message that arrives mid-minute wakes
//! its service within seconds. Only a cheap read (backlog, activation metric) is made
//! per look; a full decision follows only for targets that show activity, and for
//! targets whose wake's tasks are still starting (its start-up is measured to the
//! poll, `zero::wake_starting`). Awake targets that could sleep are polled the same
//! way, for their idle clock (`zero::Polls`): a full look when the wait is over, and
//! at the window's last poll when the polls saw work the stored state does not know.

use std::time::Duration;

use sluice_core::zero::{Cause, Polls};
use tokio::time::Instant;

use sluice_lambda::per_place;

use super::Zero;
use super::control::{self, Known};
use super::evaluate::Seen;
use super::report::{DecisionReport, Effect, Report};
use super::work::{Watched, Work};
use super::{Ports, evaluate, facts};
use crate::settings::Settings;

/// The controlled targets, and what the first look learnt of them.
pub struct Control<'k, 't> {
    pub targets: &'k [&'t sluice_core::config::Target],
    pub known: &'k mut Known,
}

/// Activation metrics are read at most this often: CloudWatch's standard resolution
/// gives nothing newer in between, and each read is a billed request (docs/cost.md).
const ACTIVATION_METRIC_RESOLUTION: Duration = Duration::from_secs(60);

/// Time kept between the last look and the invocation's deadline: one look's reads,
/// decision and write, with room to answer.
pub const LAST_LOOK_MARGIN: Duration = Duration::from_secs(3);

/// Looks again every interval while some target sleeps, starts or could sleep, or
/// some controlled target is awake, until `until`.
pub async fn poll(
    watched: &[Watched<'_>],
    control: Control<'_, '_>,
    report: &mut Report,
    until: Instant,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let interval = Duration::from_secs(settings.poll_interval_seconds);
    let mut metrics_read = Instant::now();
    let mut watching = Watching::after(watched, &report.decisions);
    let mut pass = 0;
    let awake = |known: &Known| control.targets.iter().any(|t| known.is_awake(&t.name));
    while (!watching.is_empty() || awake(control.known)) && Instant::now() + interval <= until {
        tokio::time::sleep(interval).await;
        pass += 1;
        report.passes += 1;
        let last = Instant::now() + interval > until;
        // The poll's time is its read's: a raise below may take seconds.
        let now = ports.clock.now();
        let read = queues(&control, &watching, settings, ports).await;
        let raised = control::poll_look(
            control.targets,
            control.known,
            (pass, &read),
            settings,
            ports,
        )
        .await;
        report.capacity.extend(raised);
        let given_back =
            control::due_looks(control.targets, control.known, pass, settings, ports).await;
        report.capacity.extend(given_back);
        let read_metrics = metrics_read.elapsed() >= ACTIVATION_METRIC_RESOLUTION;
        if read_metrics {
            metrics_read = Instant::now();
        }
        let active = if watching.asleep.is_empty() {
            Vec::new()
        } else {
            active_everywhere(&watching.asleep, read_metrics, settings, ports).await
        };
        let (due, polled) = idle_clocks(&mut watching.idle, last, &read, now);
        let work: Vec<Work> = active
            .iter()
            .chain(&watching.waking)
            .chain(&due)
            .map(|w| (*w, Cause::Poll))
            .collect();
        if work.is_empty() {
            continue;
        }
        let decisions = evaluate::evaluate(&work, (pass, &polled), settings, ports).await;
        watching.follow(watched, &decisions);
        report.decisions.extend(
            decisions
                .into_iter()
                .filter(|d| d.outcome != Effect::Unchanged || d.start_latency_seconds.is_some()),
        );
    }
}

/// The targets the polls look at: asleep (for work), starting after a wake (for its
/// start-up) and awake with an idle clock (for its wait to end).
struct Watching<'t> {
    asleep: Vec<Watched<'t>>,
    waking: Vec<Watched<'t>>,
    idle: Vec<(Watched<'t>, Polls)>,
}

impl<'t> Watching<'t> {
    /// What the first look's `decisions` leave to the polls.
    fn after(watched: &[Watched<'t>], decisions: &[DecisionReport]) -> Self {
        let mut watching = Watching {
            asleep: Vec::new(),
            waking: Vec::new(),
            idle: Vec::new(),
        };
        watching.follow(watched, decisions);
        watching
    }

    fn is_empty(&self) -> bool {
        self.asleep.is_empty() && self.waking.is_empty() && self.idle.is_empty()
    }

    /// Each decided target watched for what its decision left it: asleep, starting,
    /// or awake with the idle clock the decision starts (a target a look slept, or
    /// left starting, held or blocked, has none).
    fn follow(&mut self, watched: &[Watched<'t>], decisions: &[DecisionReport]) {
        for decision in decisions {
            let Some(target) = watched.iter().find(|w| w.name() == decision.target) else {
                continue;
            };
            let other = |w: &Watched| w.name() != decision.target;
            self.asleep.retain(other);
            self.waking.retain(other);
            self.idle.retain(|(w, _)| other(w));
            if decision.desired_after == Some(0) {
                self.asleep.push(*target);
            }
            if starting(decision) {
                self.waking.push(*target);
            }
            let polls = decision
                .polls
                .filter(|_| decision.outcome == Effect::Unchanged);
            if let Some(polls) = polls {
                self.idle.push((*target, polls));
            }
        }
    }
}

/// The queues a poll reads for the awake targets, once each: the controlled ones' (for
/// a raise) and those with an idle clock (for their wait), each in its own account.
async fn queues(
    control: &Control<'_, '_>,
    watching: &Watching<'_>,
    settings: &Settings,
    ports: &Ports<'_>,
) -> control::QueueReads {
    let mut targets = control::awake(control.targets, control.known);
    for (watched, _) in &watching.idle {
        if !targets.iter().any(|t| t.name == watched.target.name) {
            targets.push(watched.target);
        }
    }
    if targets.is_empty() {
        return control::QueueReads::new();
    }
    control::read_queues(&targets, settings, ports).await
}

/// One poll of the awake targets' idle clocks, on the backlogs it `read` at `now`:
/// a message waiting or in flight (or on a priority queue) is work; a target not read
/// is skipped, nothing taken from this poll. Those whose wait is over are due a full
/// look, and at the window's `last` poll those whose polls saw work the stored state
/// does not know, each with what the polls saw (`zero::Polls`; a target with an
/// activation metric is left to the minute looks).
fn idle_clocks<'t>(
    idle: &mut [(Watched<'t>, Polls)],
    last: bool,
    read: &control::QueueReads,
    now: i64,
) -> (Vec<Watched<'t>>, Seen) {
    let mut due = Vec::new();
    let mut seen = Seen::new();
    for (watched, polls) in idle.iter_mut() {
        let busy = read
            .get(watched.name())
            .and_then(|backlog| backlog.as_ref().ok())
            .map(|backlog| backlog.weighted > 0 || backlog.priority > 0);
        let over = busy.is_some_and(|busy| polls.saw(now, busy));
        if over || (last && polls.unsaved()) {
            due.push(*watched);
            seen.insert(watched.name().to_owned(), polls.polled());
        }
    }
    (due, seen)
}

/// Whether a look left a wake's tasks starting, to be looked at again at the next poll
/// (not a dry run's wake: nothing starts).
fn starting(decision: &DecisionReport) -> bool {
    decision.starting
        && matches!(
            decision.outcome,
            Effect::Done(Zero::Wake) | Effect::Unchanged
        )
}

/// [`facts::active`] for the sleeping targets of each account, with its clients; a
/// target whose account cannot be reached is not active here (the next scheduled
/// look decides it, and reports the failure).
async fn active_everywhere<'t>(
    asleep: &[Watched<'t>],
    read_metrics: bool,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Watched<'t>> {
    let active = per_place(
        asleep,
        |watched| watched.target,
        ports.accounts,
        async |account, mine| {
            let ports = ports.in_account(account);
            let active = facts::active(mine, read_metrics, settings, &ports).await;
            mine.iter()
                .map(|w| active.iter().any(|a| a.name() == w.name()))
                .collect()
        },
        |_, _| false,
    )
    .await;
    asleep
        .iter()
        .zip(active)
        .filter_map(|(watched, active)| active.then_some(*watched))
        .collect()
}
