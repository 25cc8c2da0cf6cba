//! Capacity on the need (sluice_core::capacity) for each target Sluice sets desired on
//! (`Scaling::sluice_sets_desired`): raise at once and give back after the window
//! (`controller: tracking`), or follow the HPA behaviour (`controller: direct`).
//!
//! An invocation's first look reads each target's counts, bounds and queues and
//! decides in full; its later polls read only the queues of the awake targets and, when
//! the need is above desired, read the service again and raise (the fast path: seconds,
//! not the three one-minute datapoints target tracking waits for). Nothing is changed
//! without a scalable target (its MinCapacity is the floor in effect: the prescaler's
//! window included), while the zero-watcher wakes or sleeps the service, or when the
//! load records cannot be read.

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use serde::Serialize;
use sluice_aws::{AwsError, ServiceFacts, Versioned, read_backlogs, read_service_facts};
use sluice_core::capacity::control::{direct, tracking};
use sluice_core::capacity::pass::give_back_look_at;
use sluice_core::capacity::{self, Look, Memory, Move, Need, Pass, Rates, Situation, Starting};
use sluice_core::config::{Queue, Target};
use sluice_core::facts::{ScalableBounds, TaskCounts};
use sluice_core::metrics::{Datum, Rollup, embedded_metric_line};
use sluice_core::names;
use sluice_core::queue::Backlog;
use sluice_core::scaling::Controller;
use sluice_core::zero::WatchState;
use sluice_lambda::per_place;

use super::{Ports, starts};
use crate::settings::Settings;

/// What a look did to a target's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlEffect {
    Raised,
    Lowered,
    /// Dry run: what would have been done.
    WouldRaise,
    WouldLower,
    Held,
    /// Nothing decided: a fact could not be read, or the service is not Sluice's to
    /// size now.
    Skipped,
    /// Decided, but ECS refused.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlReport {
    pub target: String,
    /// Which look of the invocation decided it (0: the first).
    pub pass: u32,
    pub effect: ControlEffect,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<Need>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Move>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_before: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_after: Option<u32>,
    #[serde(skip)]
    pub error: Option<AwsError>,
}

impl ControlReport {
    fn skipped(target: &Target, pass: u32, reason: String) -> Self {
        ControlReport {
            target: target.name.clone(),
            pass,
            effect: ControlEffect::Skipped,
            reason,
            need: None,
            decision: None,
            desired_before: None,
            desired_after: None,
            error: None,
        }
    }

    /// Every target left as it is, for one reason.
    fn all_skipped(targets: &[&Target], reason: &str) -> Vec<Self> {
        targets
            .iter()
            .map(|t| Self::skipped(t, 0, reason.to_owned()))
            .collect()
    }

    /// Nothing decided for want of a fact, the error kept.
    fn unread(target: &Target, error: AwsError) -> Self {
        let reason = format!("not decided: {error}");
        ControlReport {
            error: Some(error),
            ..Self::skipped(target, 0, reason)
        }
    }

    /// One log event, and an EMF count for a change (fleet-wide too).
    fn record(&self, settings: &Settings, ports: &Ports<'_>) {
        tracing::info!(
            target_name = %self.target,
            effect = ?self.effect,
            reason = %self.reason,
            desired_before = ?self.desired_before,
            desired_after = ?self.desired_after,
            pass = self.pass,
            "capacity"
        );
        let name = match self.effect {
            ControlEffect::Raised | ControlEffect::WouldRaise => names::WATCHER_RAISED,
            ControlEffect::Lowered | ControlEffect::WouldLower => names::WATCHER_LOWERED,
            ControlEffect::Failed => names::WATCHER_FAILED,
            ControlEffect::Held | ControlEffect::Skipped => return,
        };
        let datums = [Datum::count(&self.target, name, 1.0)];
        ports.emf.emit(&embedded_metric_line(
            &settings.common.namespace,
            ports.clock.now().saturating_mul(1000),
            &datums,
            Rollup::AlsoFleetWide,
        ));
    }
}

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
        for report in reports.iter().filter(|r| r.effect == ControlEffect::Raised) {
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
        Err(error) => {
            let reason = format!("not decided, nothing changed: {error}");
            return (ControlReport::all_skipped(targets, &reason), known);
        }
    };
    let facts = read_facts(targets, settings, ports).await;
    let mut reports = Vec::with_capacity(targets.len());
    let mut stored_memories = BTreeMap::new();
    let mut samples = Vec::new();
    for (target, facts) in targets.iter().zip(facts) {
        if let Some(reason) = left_alone(target, moved, &states, now) {
            reports.push(ControlReport::skipped(target, 0, reason));
            continue;
        }
        let facts = match facts {
            Ok(facts) => facts,
            Err(error) => {
                reports.push(ControlReport::unread(target, error));
                continue;
            }
        };
        let stored_memory = memories.get(&target.name).cloned().unwrap_or_default();
        let mut memory = stored_memory.clone();
        let started = capacity::measure(&mut memory.starting, &facts.tasks, now);
        samples.extend(started.map(|sample| (target.name.clone(), sample)));
        stored_memories.insert(target.name.clone(), stored_memory);
        let stored = rates.get(&target.name).cloned().unwrap_or_default();
        let kind = known.pass_for(target, &stored, now);
        let decided =
            sluice_lambda::isolated_now(|| decide(target, &facts, &stored, &memory, 0, kind, now));
        let (mut report, kept) = match decided {
            Ok(decided) => decided,
            Err(panicked) => {
                reports.push(ControlReport::skipped(target, 0, panicked));
                continue;
            }
        };
        if let (Some(due), Some(Move::Lower { .. })) =
            (known.deferred.get(&target.name), report.decision)
        {
            let wait = due.saturating_sub(now);
            report.reason.push_str(&format!(
                "; decided again on the publisher's next record, due in {wait}s"
            ));
        }
        known.saw(target, &facts, report.desired_after);
        known.memories.insert(target.name.clone(), kept);
        reports.push(report);
    }
    known.rates = Some(rates);
    let reports = act_all(targets, reports, settings, ports).await;
    known.start_measuring(&reports, now);
    if !settings.dry_run {
        save_memories(known.changed_since(&stored_memories), settings, ports).await;
    }
    starts::record(samples, settings, ports).await;
    record_all(&reports, settings, ports);
    (reports, known)
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

/// Each report logged and counted.
fn record_all(reports: &[ControlReport], settings: &Settings, ports: &Ports<'_>) {
    for report in reports {
        report.record(settings, ports);
    }
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

/// A later poll: the queues of the awake controlled targets, and a raise where the
/// need is above what they were last seen at.
pub async fn poll_look(
    targets: &[&Target],
    known: &mut Known,
    pass: u32,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<ControlReport> {
    if known.rates.is_none() {
        return Vec::new();
    }
    let awake: Vec<&Target> = targets
        .iter()
        .filter(|t| known.seen.contains_key(&t.name))
        .copied()
        .collect();
    if awake.is_empty() {
        return Vec::new();
    }
    let now = ports.clock.now();
    measure_raises(&awake, known, now, settings, ports).await;
    let backlogs = awake_backlogs(&awake, settings, ports).await;
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
        .filter(|r| r.effect == ControlEffect::Raised)
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
    let counts = starts::task_counts(&starting, settings, ports).await;
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

/// The backlogs of the awake targets, read in each target's account.
async fn awake_backlogs(
    awake: &[&Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Backlog, AwsError>> {
    per_place(
        awake,
        |t| *t,
        ports.accounts,
        async |account, mine| {
            let ports = ports.in_account(account);
            let queues: Vec<&[Queue]> = mine.iter().map(|t| t.queues.as_slice()).collect();
            read_backlogs(&*ports.here.queues, &queues, settings.common.concurrency).await
        },
        |_, error| Err(error.clone()),
    )
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
            (need.tasks > tasks.desired).then_some(*target)
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
            decide(target, &facts, &stored, &memory, pass, Pass::Poll, now)
        });
        let report = match decided {
            Ok((report, kept)) => {
                memories.push((target.name.clone(), kept));
                report
            }
            Err(panicked) => {
                reports.push(ControlReport::skipped(target, pass, panicked));
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

/// Where the target stands for a move. Going to zero is the sleep's to decide, after
/// its idle wait, so MinCapacity counts as at least 1. MaxCapacity as read, and never
/// above capacity.max: an apply that lowered the max but could not register it leaves
/// the live MaxCapacity higher, and the configuration owns the bound (found by the
/// control plane's model-based test).
fn situation(
    target: &Target,
    bounds: ScalableBounds,
    desired: u32,
    in_flight: f64,
    now: i64,
) -> Situation {
    Situation {
        desired,
        bounds: ScalableBounds {
            min: bounds.min.max(1),
            max: bounds.max.min(target.capacity.max),
        },
        in_flight,
        now,
    }
}

/// The move the target's controller makes on the need, and the memory to keep:
/// target tracking's raise and give-back window, or direct control's HPA behaviour.
fn choose(
    target: &Target,
    need: &Need,
    situation: &Situation,
    memory: &Memory,
    rates: &Rates,
) -> (Move, Memory) {
    let scaling = &target.scaling;
    match scaling.controller {
        Controller::Tracking => tracking(
            need,
            situation,
            memory,
            sluice_core::capacity::control::give_back_window(
                scaling.give_back_after_seconds,
                rates.start_up,
            ),
        ),
        Controller::Direct => {
            let behavior = scaling.behavior.clone().unwrap_or_default();
            direct(need, situation, memory, &behavior)
        }
    }
}

/// The decision for one target on its facts at the look `kind` (a poll only raises). Returns
/// the report (a move not yet carried out) and the memory to keep.
fn decide(
    target: &Target,
    facts: &Facts,
    rates: &Rates,
    memory: &Memory,
    pass: u32,
    kind: Pass,
    now: i64,
) -> (ControlReport, Memory) {
    let desired = facts.tasks.desired;
    let Some(bounds) = facts.bounds else {
        let reason = "no scalable target: `sluicectl apply` registers it".to_owned();
        return (ControlReport::skipped(target, pass, reason), memory.clone());
    };
    if desired == 0 {
        let reason = "asleep: the zero-watcher wakes it".to_owned();
        return (ControlReport::skipped(target, pass, reason), memory.clone());
    }
    let look = Look::of(now, &facts.backlog, &facts.tasks);
    let need = Need::of(&target.goal(), rates, &look);
    let situation = situation(target, bounds, desired, look.in_flight, now);
    let scaling = &target.scaling;
    let (decision, kept) = choose(target, &need, &situation, memory, rates);
    let allowed = kind.may(&decision, scaling.gives_back());
    let reason = match (decision, scaling.no_give_back()) {
        (Move::Lower { .. }, Some(why)) if kind == Pass::Minute => {
            format!("{decision}; not done: {why}")
        }
        _ => decision.to_string(),
    };
    let report = ControlReport {
        target: target.name.clone(),
        pass,
        effect: ControlEffect::Held,
        reason,
        need: Some(need),
        decision: Some(decision),
        desired_before: Some(desired),
        desired_after: decision.to().filter(|_| allowed),
        error: None,
    };
    let kept = if kind.keeps_memory(&decision) {
        kept
    } else {
        memory.clone()
    };
    (report, kept)
}

/// Carries out each report's move (UpdateService), or says what it would do.
async fn act_all(
    targets: &[&Target],
    reports: Vec<ControlReport>,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<ControlReport> {
    let by_name: BTreeMap<&str, &Target> = targets.iter().map(|t| (t.name.as_str(), *t)).collect();
    let mut done = Vec::with_capacity(reports.len());
    for mut report in reports {
        let (Some(before), Some(after)) = (report.desired_before, report.desired_after) else {
            done.push(report);
            continue;
        };
        let up = after > before;
        if settings.dry_run {
            report.effect = if up {
                ControlEffect::WouldRaise
            } else {
                ControlEffect::WouldLower
            };
            done.push(report);
            continue;
        }
        let Some(target) = by_name.get(report.target.as_str()) else {
            done.push(report);
            continue;
        };
        let account = sluice_aws::reach(ports.accounts, &target.place()).await;
        let result = match &account {
            Ok(account) => {
                let ports = ports.in_account(account.as_deref());
                ports
                    .here
                    .scaler
                    .set_desired(&target.cluster, &target.service, after)
                    .await
            }
            Err(error) => Err(error.clone()),
        };
        match result {
            Ok(()) => {
                report.effect = if up {
                    ControlEffect::Raised
                } else {
                    ControlEffect::Lowered
                };
                report.reason = format!("{}; UpdateService to {after} done", report.reason);
            }
            Err(error) => {
                report.effect = ControlEffect::Failed;
                report.reason = format!("{}; UpdateService failed: {error}", report.reason);
                report.desired_after = Some(before);
                report.error = Some(error);
            }
        }
        done.push(report);
    }
    done
}

async fn save_memories(memories: Vec<(String, Memory)>, settings: &Settings, ports: &Ports<'_>) {
    let failures: Vec<(String, AwsError)> = stream::iter(memories)
        .map(|(name, memory)| async move {
            let result = ports.memories.save_memory(&name, &memory).await;
            (name, result)
        })
        .buffer_unordered(settings.common.concurrency.max(1))
        .filter_map(|(name, result)| async move { result.err().map(|e| (name, e)) })
        .collect()
        .await;
    for (name, error) in failures {
        // A lost memory delays a give-back by a window, never changes a count.
        tracing::warn!(target_name = %name, %error, "memory of the need not stored");
    }
}

/// Counts, bounds and queues of each target, in its own account.
async fn read_facts(
    targets: &[&Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Facts, AwsError>> {
    per_place(
        targets,
        |t| *t,
        ports.accounts,
        async |account, mine| read_facts_here(mine, settings, &ports.in_account(account)).await,
        |_, error| Err(error.clone()),
    )
    .await
}

async fn read_facts_here(
    targets: &[&Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Facts, AwsError>> {
    read_service_facts(targets, ports.here, settings.common.concurrency).await
}
