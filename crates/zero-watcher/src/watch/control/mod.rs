//! Capacity on the need (sluice_core::capacity) for each target Sluice sets desired on
//! (`Scaling::sluice_sets_desired`): raise at once and give back after the window
//! (`controller: tracking`), or follow the HPA behaviour (`controller: direct`).
//!
//! An invocation's first look reads each target's counts, bounds and queues and
//! decides in full; its later polls read only the queues of the awake targets and, when
//! the need is above desired, read the service again and raise (the fast path: seconds,
//! not the three one-minute datapoints target tracking waits for). While a raise's
//! tasks start, the polls also read their service's counts, to measure the start-up the
//! load model plans with (`capacity::starting`, [`super::starts`]). Nothing is changed
//! without a scalable target (its MinCapacity is the floor in effect: the prescaler's
//! window included), while the zero-watcher wakes or sleeps the service, or when the
//! load records cannot be read.

mod act;
mod decide;
mod report;

use std::collections::{BTreeMap, BTreeSet};

use sluice_aws::{
    AwsError, ServiceFacts, Versioned, read_backlogs, read_service_facts, read_task_counts,
};
use sluice_core::capacity::pass::give_back_look_at;
use sluice_core::capacity::{self, Look, Memory, Move, Need, Pass, Rates, Starting};
use sluice_core::config::{Queue, Target};
use sluice_core::facts::{ScalableBounds, TaskCounts};
use sluice_core::queue::Backlog;
use sluice_core::startup::StartUp;
use sluice_core::zero::WatchState;
use sluice_lambda::per_place;

use super::{Ports, starts};
use crate::settings::Settings;
use act::{act_all, save_memories};
use decide::{At, decide};
use report::record_all;
pub use report::{ControlEffect, ControlReport};
pub use sluice_core::outcome::Resize;

/// What control keeps of its targets between the looks of one invocation.
#[derive(Debug, Default)]
pub struct Known {
    /// The load records, read once: None when they could not be read.
    rates: Option<BTreeMap<String, Rates>>,
    /// The last count each awake target was seen at (or raised to), and its bounds.
    seen: BTreeMap<String, (TaskCounts, ScalableBounds)>,
    /// Each decided target's memory of the need, as last kept: a poll's raise
    /// starts its give-back window again.
    memories: BTreeMap<String, Memory>,
    /// Targets whose give-back waits for the publisher's next record, and when it is
    /// due (`capacity::pass::give_back_look_at`).
    deferred: BTreeMap<String, i64>,
    /// The invocation's last poll, epoch seconds.
    last_poll: i64,
}

impl Known {
    /// The count an awake target was seen at (or set to, `after`), for the polls.
    fn saw(&mut self, target: &Target, facts: &Facts, after: Option<u32>) {
        if let Some(bounds) = facts.bounds
            && facts.tasks.desired > 0
        {
            let tasks = TaskCounts {
                desired: after.unwrap_or(facts.tasks.desired),
                ..facts.tasks
            };
            self.seen.insert(target.name.clone(), (tasks, bounds));
        }
    }

    /// Whether the first look left the target awake, under Sluice's control.
    pub fn is_awake(&self, name: &str) -> bool {
        self.seen.contains_key(name)
    }

    /// The look a target's first look is: the give-back's (`Pass::Minute`) on a fresh
    /// record, or one that only raises while the give-back waits for the next record,
    /// when that is due before the invocation's last poll (kept in `deferred`).
    fn pass_for(&mut self, target: &Target, stored: &Rates, now: i64) -> Pass {
        let at = give_back_look_at(stored.stored_at(), now, self.last_poll);
        if at > now {
            self.deferred.insert(target.name.clone(), at);
            Pass::Poll
        } else {
            Pass::Minute
        }
    }

    /// A raise ECS took starts the measurement of its start-up
    /// (`capacity::starting`), from the running tasks it was decided on.
    fn start_measuring(&mut self, reports: &[ControlReport], now: i64) {
        for report in reports
            .iter()
            .filter(|r| r.outcome == ControlEffect::Done(Resize::Raise))
        {
            let (Some(to), Some((tasks, _))) =
                (report.desired_after, self.seen.get(&report.target))
            else {
                continue;
            };
            let starting = Starting::after_raise(to, tasks.running, now);
            if let Some(memory) = self.memories.get_mut(&report.target) {
                memory.starting = starting;
            }
        }
    }

    /// The memories that differ from those stored (`stored`), to be kept.
    fn changed_since(&self, stored: &BTreeMap<String, Memory>) -> Vec<(String, Memory)> {
        stored
            .iter()
            .filter_map(|(name, before)| {
                let now = self.memories.get(name)?;
                (now != before).then(|| (name.clone(), now.clone()))
            })
            .collect()
    }

    /// What a later full look learnt, over what the first one did.
    fn absorb(&mut self, later: Known) {
        if later.rates.is_some() {
            self.rates = later.rates;
        }
        self.seen.extend(later.seen);
        self.memories.extend(later.memories);
        self.deferred.extend(later.deferred);
    }
}

/// What a look reads of a target besides the rates.
type Facts = ServiceFacts;

/// The targets Sluice sets the count of, of those watched.
pub fn controlled(targets: &[Target]) -> Vec<&Target> {
    targets
        .iter()
        .filter(|t| t.sizes_on_need() && !t.paused)
        .collect()
}

/// The first look: every controlled target not woken or slept in this look (`moved`)
/// decided in full, its memory of the need kept.
pub async fn first_look(
    targets: &[&Target],
    moved: &BTreeSet<String>,
    last_poll: i64,
    settings: &Settings,
    ports: &Ports<'_>,
) -> (Vec<ControlReport>, Known) {
    let mut known = Known {
        last_poll,
        ..Known::default()
    };
    if targets.is_empty() {
        return (Vec::new(), known);
    }
    let now = ports.clock.now();
    let (rates, memories, states) = match stores(now, ports).await {
        Ok(stores) => stores,
        Err(error) => return (ControlReport::all_unread(targets, &error), known),
    };
    let facts = read_facts(targets, settings, ports).await;
    let mut reports = Vec::with_capacity(targets.len());
    let mut kept = Kept::default();
    for (target, facts) in targets.iter().zip(facts) {
        if let Some(reason) = left_alone(target, moved, &states, now) {
            reports.push(ControlReport::skipped(target, 0, reason));
            continue;
        }
        reports.push(match facts {
            Ok(facts) => look_at(
                target,
                &facts,
                (&rates, &memories),
                now,
                &mut known,
                &mut kept,
            ),
            Err(error) => ControlReport::unread(target, error),
        });
    }
    known.rates = Some(rates);
    let reports = act_all(targets, reports, settings, ports).await;
    known.start_measuring(&reports, now);
    if !settings.dry_run {
        save_memories(known.changed_since(&kept.stored_memories), settings, ports).await;
    }
    starts::record(kept.samples, settings, ports).await;
    record_all(&reports, settings, ports);
    (reports, known)
}

/// What the first look keeps besides each target's report: the memories as stored
/// (only what changed is written back) and the start-ups it measured.
#[derive(Default)]
struct Kept {
    stored_memories: BTreeMap<String, Memory>,
    samples: Vec<(String, StartUp)>,
}

/// The first look's decision for one target on its facts, the stored rates and
/// memories: what it learns is kept in `known` and `kept`.
fn look_at(
    target: &Target,
    facts: &Facts,
    (rates, memories): (&BTreeMap<String, Rates>, &BTreeMap<String, Memory>),
    now: i64,
    known: &mut Known,
    kept: &mut Kept,
) -> ControlReport {
    let stored_memory = memories.get(&target.name).cloned().unwrap_or_default();
    let mut memory = stored_memory.clone();
    let started = capacity::measure(&mut memory.starting, &facts.tasks, now);
    kept.samples
        .extend(started.map(|sample| (target.name.clone(), sample)));
    kept.stored_memories
        .insert(target.name.clone(), stored_memory);
    let stored = rates.get(&target.name).cloned().unwrap_or_default();
    let kind = known.pass_for(target, &stored, now);
    let at = At { pass: 0, kind, now };
    let decided = sluice_lambda::isolated_now(|| decide(target, (facts, &stored, &memory), at));
    let (mut report, memory) = match decided {
        Ok(decided) => decided,
        Err(panicked) => return ControlReport::failed(target, 0, panicked),
    };
    if let (Some(due), Some(Move::Lower { .. })) =
        (known.deferred.get(&target.name), report.decision)
    {
        let wait = due.saturating_sub(now);
        report.reason.push_str(&format!(
            "; decided again on the publisher's next record, due in {wait}s"
        ));
    }
    known.saw(target, facts, report.desired_after);
    known.memories.insert(target.name.clone(), memory);
    report
}

/// The give-back looks the first look put off (`Known::deferred`) that are due: each
/// such target looked at in full again, on the records as stored now, its give-back
/// decided on them.
pub async fn due_looks(
    targets: &[&Target],
    known: &mut Known,
    pass: u32,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<ControlReport> {
    let now = ports.clock.now();
    let due: Vec<&Target> = targets
        .iter()
        .filter(|t| known.deferred.get(&t.name).is_some_and(|at| *at <= now))
        .copied()
        .collect();
    if due.is_empty() {
        return Vec::new();
    }
    for target in &due {
        known.deferred.remove(&target.name);
    }
    let (mut reports, later) =
        first_look(&due, &BTreeSet::new(), known.last_poll, settings, ports).await;
    for report in &mut reports {
        report.pass = pass;
    }
    known.absorb(later);
    reports
}

/// What the first look decides on besides the facts, read together: the publisher's
/// rates (planning with the start-ups the watcher measured, `starts`), the watcher's
/// memories of the need and its states (for transitions in flight). One unread,
/// nothing is decided.
async fn stores(now: i64, ports: &Ports<'_>) -> Result<Stores, AwsError> {
    let (rates, memories, states, measured) = futures::join!(
        ports.rates.rates(now),
        ports.memories.memories(now),
        ports.states.load_all(),
        starts::read(ports),
    );
    Ok((starts::planned(rates?, &measured, now), memories?, states?))
}

type Stores = (
    BTreeMap<String, Rates>,
    BTreeMap<String, Memory>,
    BTreeMap<String, Versioned<WatchState>>,
);

/// Why the first look leaves a target alone this time: woken or slept in this look, or
/// in another invocation's transition.
fn left_alone(
    target: &Target,
    moved: &BTreeSet<String>,
    states: &BTreeMap<String, Versioned<WatchState>>,
    now: i64,
) -> Option<String> {
    if moved.contains(&target.name) {
        Some("woken or slept in this look".to_owned())
    } else if states
        .get(&target.name)
        .is_some_and(|s| s.value.in_transition(now))
    {
        Some("another invocation wakes or sleeps it".to_owned())
    } else {
        None
    }
}

/// The backlogs a poll read, by target name: read once a poll for every target a look
/// at its queue is wanted for (the capacity of the awake controlled ones, the idle
/// clocks), each in its own account ([`read_queues`]).
pub type QueueReads = BTreeMap<String, Result<Backlog, AwsError>>;

/// The controlled targets a later poll looks at: those awake at the invocation's first
/// look, when the load records could be read.
pub fn awake<'t>(targets: &[&'t Target], known: &Known) -> Vec<&'t Target> {
    if known.rates.is_none() {
        return Vec::new();
    }
    targets
        .iter()
        .filter(|t| known.seen.contains_key(&t.name))
        .copied()
        .collect()
}

/// A later poll: the queues of the awake controlled targets (as this poll `read`
/// them), and a raise where the need is above what they were last seen at.
pub async fn poll_look(
    targets: &[&Target],
    known: &mut Known,
    (pass, read): (u32, &QueueReads),
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<ControlReport> {
    let awake = awake(targets, known);
    if awake.is_empty() {
        return Vec::new();
    }
    let now = ports.clock.now();
    measure_raises(&awake, known, now, settings, ports).await;
    let backlogs = awake
        .iter()
        .map(|t| read.get(&t.name).cloned().unwrap_or_else(|| Err(unread())))
        .collect();
    let rising = rising(&awake, backlogs, known, now);
    if rising.is_empty() {
        return Vec::new();
    }
    let (reports, memories) = decide_rising(&rising, known, pass, now, settings, ports).await;
    let reports = act_all(&rising, reports, settings, ports).await;
    let raised = raised_memories(&reports, memories, known, now);
    if !settings.dry_run {
        save_memories(raised, settings, ports).await;
    }
    record_all(&reports, settings, ports);
    reports
}

/// The memories a poll keeps: those of the targets it raised (`Pass::keeps_memory`),
/// each measuring its raise's start-up, also kept for the invocation's later polls.
fn raised_memories(
    reports: &[ControlReport],
    memories: Vec<(String, Memory)>,
    known: &mut Known,
    now: i64,
) -> Vec<(String, Memory)> {
    let raised: BTreeSet<&str> = reports
        .iter()
        .filter(|r| r.outcome == ControlEffect::Done(Resize::Raise))
        .map(|r| r.target.as_str())
        .collect();
    for (name, memory) in memories {
        if raised.contains(name.as_str()) {
            known.memories.insert(name, memory);
        }
    }
    known.start_measuring(reports, now);
    raised
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), known.memories.get(*name)?.clone())))
        .collect()
}

/// A look at the tasks of each awake target whose raise is still starting: once every
/// task it asked for runs, its start-up is kept (measured to the poll, not to the
/// minute). A count that cannot be read is looked at again at the next poll.
async fn measure_raises(
    awake: &[&Target],
    known: &mut Known,
    now: i64,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let starting: Vec<&Target> = awake
        .iter()
        .filter(|t| {
            known
                .memories
                .get(&t.name)
                .is_some_and(|m| m.starting.is_some())
        })
        .copied()
        .collect();
    if starting.is_empty() {
        return;
    }
    let counts = task_counts(&starting, settings, ports).await;
    let (mut samples, mut changed) = (Vec::new(), Vec::new());
    for (target, counts) in starting.iter().zip(counts) {
        let (Ok(tasks), Some(memory)) = (counts, known.memories.get_mut(&target.name)) else {
            continue;
        };
        let started = capacity::measure(&mut memory.starting, &tasks, now);
        if memory.starting.is_none() {
            changed.push((target.name.clone(), memory.clone()));
        }
        samples.extend(started.map(|sample| (target.name.clone(), sample)));
    }
    if !settings.dry_run {
        save_memories(changed, settings, ports).await;
    }
    starts::record(samples, settings, ports).await;
}

/// The backlogs of `targets`, each read once in its own account.
pub async fn read_queues(
    targets: &[&Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> QueueReads {
    let read = in_their_accounts(targets, ports, async |mine, ports| {
        let queues: Vec<&[Queue]> = mine.iter().map(|t| t.queues.as_slice()).collect();
        read_backlogs(&*ports.here.queues, &queues, settings.common.concurrency).await
    })
    .await;
    targets.iter().map(|t| t.name.clone()).zip(read).collect()
}

/// A target this poll did not read the queues of: nothing is decided on it.
fn unread() -> AwsError {
    AwsError::new(
        "SQS.GetQueueAttributes",
        sluice_aws::ErrorKind::BadResponse,
        "backlog not read at this poll",
    )
}

/// The task counts of `targets` (DescribeServices, ten services a call), each read in
/// its own account.
async fn task_counts(
    targets: &[&Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<TaskCounts, AwsError>> {
    in_their_accounts(targets, ports, async |mine, ports| {
        let services: Vec<(&str, &str)> = mine
            .iter()
            .map(|t| (t.cluster.as_str(), t.service.as_str()))
            .collect();
        let concurrency = settings.common.concurrency;
        read_task_counts(&*ports.here.services, &services, concurrency).await
    })
    .await
}

/// The awake targets whose need, on this poll's look, is above the desired count they
/// were last seen at; the look joins each one's rates (never stored: the record is the
/// publisher's).
fn rising<'t>(
    awake: &[&'t Target],
    backlogs: Vec<Result<Backlog, AwsError>>,
    known: &mut Known,
    now: i64,
) -> Vec<&'t Target> {
    awake
        .iter()
        .zip(backlogs)
        .filter_map(|(target, backlog)| {
            let (tasks, _) = known.seen.get(&target.name)?;
            let look = Look::of(now, &backlog.ok()?, tasks);
            // The poll's look joins the record read at the first look (for the queue's
            // growth; never stored: the record is the publisher's).
            let stored = known
                .rates
                .as_mut()?
                .entry(target.name.clone())
                .or_default();
            *stored = stored.with_look(look);
            let need = Need::of(&target.goal(), stored, &look);
            need.asks_more_than(tasks.desired).then_some(*target)
        })
        .collect()
}

/// Each rising target decided on a fresh read of its facts, and its last seen count
/// updated; with the memory each decision would keep.
async fn decide_rising(
    rising: &[&Target],
    known: &mut Known,
    pass: u32,
    now: i64,
    settings: &Settings,
    ports: &Ports<'_>,
) -> (Vec<ControlReport>, Vec<(String, Memory)>) {
    // The count may have moved since the first look (target tracking, a person):
    // decide on a fresh read, never on the remembered one.
    let facts = read_facts(rising, settings, ports).await;
    let mut reports = Vec::new();
    let mut memories = Vec::new();
    for (target, facts) in rising.iter().zip(facts) {
        let Ok(facts) = facts else {
            continue;
        };
        let memory = known
            .memories
            .get(&target.name)
            .cloned()
            .unwrap_or_default();
        let stored = known
            .rates
            .as_ref()
            .and_then(|rates| rates.get(&target.name))
            .cloned()
            .unwrap_or_default();
        let decided = sluice_lambda::isolated_now(|| {
            let at = At {
                pass,
                kind: Pass::Poll,
                now,
            };
            decide(target, (&facts, &stored, &memory), at)
        });
        let report = match decided {
            Ok((report, kept)) => {
                memories.push((target.name.clone(), kept));
                report
            }
            Err(panicked) => {
                reports.push(ControlReport::failed(target, pass, panicked));
                continue;
            }
        };
        if let (Some(after), Some(bounds)) = (report.desired_after, facts.bounds) {
            let tasks = TaskCounts {
                desired: after,
                ..facts.tasks
            };
            known.seen.insert(target.name.clone(), (tasks, bounds));
        }
        reports.push(report);
    }
    (reports, memories)
}

/// Counts, bounds and queues of each target, in its own account.
async fn read_facts(
    targets: &[&Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Facts, AwsError>> {
    in_their_accounts(targets, ports, async |mine, ports| {
        read_service_facts(mine, ports.here, settings.common.concurrency).await
    })
    .await
}

/// `read` for the targets of each account, with that account's ports; a target whose
/// account cannot be reached gets the error that names its role.
async fn in_their_accounts<R>(
    targets: &[&Target],
    ports: &Ports<'_>,
    read: impl AsyncFn(&[&Target], &Ports<'_>) -> Vec<Result<R, AwsError>>,
) -> Vec<Result<R, AwsError>> {
    per_place(
        targets,
        |t| *t,
        ports.accounts,
        async |account, mine| read(mine, &ports.in_account(account)).await,
        |_, error| Err(error.clone()),
    )
    .await
}
