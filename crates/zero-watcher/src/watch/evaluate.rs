//! Decide, claim, act, for each (target, cause): read the watcher's state and the
//! facts, decide (sluice_core::zero), claim the transition with a conditional write
//! on the version read, and only then change ECS. A target whose claim lost to
//! another invocation is decided again with fresh state.

use std::collections::BTreeMap;

use sluice_aws::{AwsError, DecisionNote, Version, Versioned};
use sluice_core::capacity::Rates;
use sluice_core::startup::StartUp;
use sluice_core::zero::{
    self, Cause, Early, Facts, Polled, Polls, WatchState, before_facts, confirmed, decide, released,
};

use sluice_lambda::per_place;

use super::Ports;
use super::facts;
use super::report::{DecisionReport, Effect};
use super::work::{Watched, Work};
use crate::settings::Settings;

/// How often one target is decided again after losing a conditional write.
const ATTEMPTS: usize = 3;

/// How old an observation may get before a "stay" refreshes it in the table.
const OBSERVATION_REFRESH_SECONDS: i64 = 60;

/// What one attempt gave for a target.
enum Attempt {
    Done(Box<DecisionReport>),
    /// The conditional write lost: decide again with fresh state.
    Lost,
}

impl Attempt {
    fn done(report: DecisionReport) -> Self {
        Attempt::Done(Box::new(report))
    }
}

/// What every step of one attempt shares: which look of the invocation it is, its
/// clock reading, what the polls saw and the rates the publisher learned (by target),
/// the settings, and the ports (of the target's account, once read there).
#[derive(Clone, Copy)]
struct Turn<'a, 'p> {
    pass: u32,
    now: i64,
    polled: &'a Seen,
    rates: &'a BTreeMap<String, Rates>,
    settings: &'a Settings,
    ports: &'a Ports<'p>,
}

/// What this invocation's polls saw of awake targets since their last full look, by
/// target name (`zero::Polls`).
pub type Seen = BTreeMap<String, Polled>;

/// One decision per work item, in the work's order, each recorded (log + EMF).
pub async fn evaluate(
    work: &[Work<'_>],
    (pass, polled): (u32, &Seen),
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<DecisionReport> {
    let mut reports: BTreeMap<&str, DecisionReport> = BTreeMap::new();
    let mut pending: Vec<Work<'_>> = work.to_vec();
    for attempt in 1..=ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let mut lost = Vec::new();
        let turn = (pass, polled);
        for ((watched, cause), result) in attempt_once(&pending, turn, settings, ports).await {
            match result {
                Attempt::Done(report) => {
                    reports.insert(watched.name(), *report);
                }
                Attempt::Lost if attempt < ATTEMPTS => lost.push((watched, cause)),
                Attempt::Lost => {
                    let reason = "state changed concurrently; another invocation decides";
                    reports.insert(
                        watched.name(),
                        DecisionReport::skipped(watched, pass, reason.to_owned()),
                    );
                }
            }
        }
        pending = lost;
    }
    let ordered: Vec<DecisionReport> = work
        .iter()
        .filter_map(|(watched, _)| reports.remove(watched.name()))
        .collect();
    for report in &ordered {
        report.record(settings, ports);
    }
    ordered
}

/// Reads, decides and acts once for each pending item.
async fn attempt_once<'t>(
    pending: &[Work<'t>],
    (pass, polled): (u32, &Seen),
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<(Work<'t>, Attempt)> {
    let states = match ports.states.load_all().await {
        Ok(states) => states,
        Err(error) => {
            let reason = format!("cannot read the watcher's state: {error}");
            return pending
                .iter()
                .map(|(w, cause)| {
                    let report = DecisionReport::unread(*w, pass, reason.clone());
                    ((*w, cause.clone()), Attempt::done(report))
                })
                .collect();
        }
    };
    let now = ports.clock.now();
    let turn = Turn {
        pass,
        now,
        polled,
        rates: &NO_RATES,
        settings,
        ports,
    };
    let mut results = Vec::new();
    let mut needs_facts: Vec<(Work<'t>, Versioned<WatchState>)> = Vec::new();
    for (watched, cause) in pending {
        let stored = sanitized(states.get(watched.name()).cloned().unwrap_or_default(), now);
        let item = (*watched, cause.clone());
        match without_facts((*watched, cause), &stored, turn).await {
            Some(attempt) => results.push((item, attempt)),
            None => needs_facts.push((item, stored)),
        }
    }
    if needs_facts.is_empty() {
        return results;
    }
    let attempts = with_facts(&needs_facts, turn).await;
    for ((item, stored), attempt) in needs_facts.into_iter().zip(attempts) {
        let attempt = match attempt {
            Ok(attempt) => attempt,
            // The target's account could not be reached (its role cannot be
            // assumed): nothing read there, unread like any fact, counted in the
            // state's looks in a row (the skipping alarm hears a role that stays
            // broken) and a push recorded in the stack's own table for the next look
            // that reaches the account.
            Err(error) => unread((item.0, &item.1), error, &stored, turn).await,
        };
        results.push((item, attempt));
    }
    results
}

/// No rates read (yet): every latency goal not declared is unknown.
static NO_RATES: BTreeMap<String, Rates> = BTreeMap::new();

/// The rates the publisher learned, read only when a look needs them: when it could
/// sleep a target whose latency goal is its backlog per task at its service rate (none
/// declared), the goal says whether a wake's start-up makes work late
/// (`zero::IdleWait`); when a sleeping target has work to wake for, the goal and the
/// start-up say how long the wake may be put off (`zero::wake_room`). Not read for
/// pushes or busy services; unread, the goal and the start-up are unknown and both
/// take the cautious side (a wait at the start-up, a wake at once).
async fn rates_for_sleeps(
    work: &[Work<'_>],
    facts: &[Result<Facts, AwsError>],
    ports: &Ports<'_>,
) -> Option<BTreeMap<String, Rates>> {
    let needed = work.iter().zip(facts).any(|((watched, cause), facts)| {
        let Ok(facts) = facts else {
            return false;
        };
        let goal_unknown = watched.target.latency_goal_seconds.is_none();
        let asleep_with_work = facts.desired == 0 && facts.counted().0 > 0;
        !matches!(cause, Cause::Push(_))
            && ((goal_unknown && zero::sleep_possible(facts)) || asleep_with_work)
    });
    if !needed {
        return None;
    }
    match ports.rates.rates(ports.clock.now()).await {
        Ok(rates) => Some(rates),
        Err(error) => {
            tracing::warn!(%error, "learned rates not read: latency goals unknown");
            None
        }
    }
}

/// Each target that needs facts decided on them and acted on. The facts and the change
/// live in each target's own account: once per account, on the one state read before;
/// an account that cannot be reached is an error for each of its targets.
async fn with_facts<'t>(
    needs_facts: &[(Work<'t>, Versioned<WatchState>)],
    turn: Turn<'_, '_>,
) -> Vec<Result<Attempt, AwsError>> {
    per_place(
        needs_facts,
        |((watched, _), _)| watched.target,
        turn.ports.accounts,
        async |account, mine| {
            let ports = &turn.ports.in_account(account);
            let work: Vec<Work<'t>> = mine.iter().map(|(item, _)| item.clone()).collect();
            let facts = facts::read(&work, turn.settings, ports).await;
            let rates = rates_for_sleeps(&work, &facts, ports).await;
            let turn = Turn {
                ports,
                rates: rates.as_ref().unwrap_or(&NO_RATES),
                ..turn
            };
            let mut attempts = Vec::with_capacity(mine.len());
            for ((item, stored), facts) in mine.iter().zip(facts) {
                let work = decide_and_act(item, facts, stored, turn);
                let attempt = match sluice_lambda::isolated(work).await {
                    Ok(attempt) => attempt,
                    Err(panicked) => {
                        Attempt::done(DecisionReport::failed(item.0, turn.pass, panicked))
                    }
                };
                attempts.push(Ok(attempt));
            }
            attempts
        },
        |_, error| Err(error.clone()),
    )
    .await
}

/// The stored state with what could not be right about it set aside, and said: the
/// notes go into this look's report, and the look's write replaces the record.
fn sanitized(mut stored: Versioned<WatchState>, now: i64) -> Versioned<WatchState> {
    let (value, notes) = stored.value.sanitized(now);
    stored.value = value;
    stored.problems.extend(notes);
    for problem in &stored.problems {
        tracing::warn!(%problem, "stored watcher state");
    }
    stored
}

/// What needs no facts: a paused target, and a push to a service seen awake moments
/// ago, which only resets its idle clock (a burst of notifications costs no ECS
/// call). None: read the facts and decide.
async fn without_facts(
    (watched, cause): (Watched<'_>, &Cause),
    stored: &Versioned<WatchState>,
    turn: Turn<'_, '_>,
) -> Option<Attempt> {
    let Turn {
        pass,
        now,
        settings,
        ..
    } = turn;
    let (verdict, record) = match before_facts(watched.target.paused, cause, &stored.value, now)? {
        Early::Paused => {
            let report = DecisionReport::skipped(watched, pass, "paused".to_owned());
            return Some(Attempt::done(report));
        }
        Early::Absorbed { verdict, record } => (*verdict, record),
    };
    let desired = verdict.state.observed.map(|(d, _)| d);
    let report = DecisionReport::of(watched, &verdict.decision, desired, pass, settings.dry_run)
        .noting(&stored.problems);
    // An odd stored record is written over even when the state says the same.
    let unchanged = !record && stored.problems.is_empty();
    if settings.dry_run || unchanged {
        return Some(Attempt::done(report));
    }
    let failing = "cannot record activity";
    let version = &stored.version;
    Some(
        claim(
            (watched, None),
            (&verdict.state, version),
            report,
            turn,
            failing,
        )
        .await,
    )
}

/// Decides on the facts, claims the decision, then acts on ECS.
async fn decide_and_act(
    (watched, cause): &Work<'_>,
    facts: Result<Facts, AwsError>,
    stored: &Versioned<WatchState>,
    turn: Turn<'_, '_>,
) -> Attempt {
    let Turn {
        pass,
        now,
        settings,
        ports,
        ..
    } = turn;
    let facts = match facts {
        Ok(facts) => Facts {
            polled: turn.polled.get(watched.name()).copied().unwrap_or_default(),
            ..facts
        },
        Err(error) => return unread((*watched, cause), error, stored, turn).await,
    };
    let sizing = zero::Sizing::of(watched.target, turn.rates.get(watched.name()));
    let verdict = decide(watched.zero, sizing, &facts, &stored.value, cause, now);
    let desired = Some(facts.desired);
    let mut report =
        DecisionReport::of(*watched, &verdict.decision, desired, pass, settings.dry_run)
            .noting(&stored.problems);
    measure(
        &mut report,
        (watched, cause),
        (&facts, stored, &verdict),
        turn,
    );
    report.polls = Polls::after(&verdict, watched.zero, sizing);
    if settings.dry_run {
        return Attempt::done(report);
    }
    let transition = verdict.decision.transition();
    let repair = !stored.problems.is_empty();
    if transition.is_none() && !repair && !worth_storing(&verdict.state, &stored.value, now) {
        return Attempt::done(report);
    }
    let attempt = claim_and_act((*watched, &facts), &verdict, stored, report, turn).await;
    record_start_up(attempt, watched.name(), now, ports).await
}

/// Claims the verdict's state; once claimed, carries out its transition, if any.
async fn claim_and_act(
    (watched, facts): (Watched<'_>, &Facts),
    verdict: &zero::Verdict,
    stored: &Versioned<WatchState>,
    report: DecisionReport,
    turn: Turn<'_, '_>,
) -> Attempt {
    let version = &stored.version;
    let failing = "cannot claim the decision";
    let transition = verdict.decision.transition();
    let claimed = claim(
        (watched, Some(facts)),
        (&verdict.state, version),
        report,
        turn,
        failing,
    );
    match claimed.await {
        Attempt::Done(report) if !report.outcome.decided_nothing() && transition.is_some() => {
            let claimed = Versioned {
                value: verdict.state,
                version: version.next(),
                problems: Vec::new(),
            };
            Attempt::done(act((watched, facts), *report, &claimed, turn).await)
        }
        other => other,
    }
}

/// A start-up this look measured, kept for `lead: auto` once the look's state is
/// stored (so that it is kept once). A failed write loses one sample, not a decision.
async fn record_start_up(attempt: Attempt, name: &str, now: i64, ports: &Ports<'_>) -> Attempt {
    let Attempt::Done(mut report) = attempt else {
        return attempt;
    };
    if let (Some(seconds), false) = (
        report.start_latency_seconds,
        report.outcome.decided_nothing(),
    ) {
        let sample = StartUp { at: now, seconds };
        if let Err(error) = ports.starts.record_start(name, sample, now).await {
            tracing::warn!(target_name = %name, %error, "start-up not recorded");
            report
                .reason
                .push_str(&format!("; start-up {seconds}s not recorded: {error}"));
        }
    }
    Attempt::Done(report)
}

/// The wake's latency, a start-up that ended, and a poll that found the service
/// asleep with no work (what the next wake's latency counts from).
fn measure(
    report: &mut DecisionReport,
    (watched, cause): (&Watched<'_>, &Cause),
    (facts, stored, verdict): (&Facts, &Versioned<WatchState>, &zero::Verdict),
    Turn { now, ports, .. }: Turn<'_, '_>,
) {
    let name = watched.name();
    if verdict.decision.transition() == Some(zero::Transition::Wake) {
        let quiet = ports.looks.last(name);
        report.wake_latency_seconds = Some(zero::wake_latency(&stored.value, cause, quiet, now));
    }
    report.start_latency_seconds = zero::start_latency(&stored.value, &verdict.state);
    report.start_overdue = zero::start_overdue(watched.zero, &verdict.state, facts.running, now);
    report.starting = zero::wake_starting(&verdict.state);
    let work = zero::shows_work(
        watched.zero,
        facts.backlog,
        facts.priority_backlog,
        facts.metric_active,
    );
    if *cause == Cause::Poll && facts.desired == 0 && !work {
        ports.looks.saw_quiet(name, now);
    }
}

/// Facts that could not be read (the target's account not reached included): nothing
/// is decided or changed. The skip is counted in the state, and a push is remembered
/// there (best effort), so that the next look honours it even if Lambda's retries of
/// this invocation fail too: without the record a topic- or alarm-only target stayed
/// asleep once they ran out.
async fn unread(
    (watched, cause): (Watched<'_>, &Cause),
    error: AwsError,
    stored: &Versioned<WatchState>,
    Turn {
        pass, now, ports, ..
    }: Turn<'_, '_>,
) -> Attempt {
    let reason = format!("not decided, nothing changed: {error}");
    let mut report = DecisionReport::unread(watched, pass, reason).noting(&stored.problems);
    let recorded = zero::unread(&stored.value, cause, now);
    let saved = ports
        .states
        .save(
            watched.name(),
            &recorded,
            &stored.version,
            &DecisionNote {
                reason: &report.reason,
                facts: None,
            },
        )
        .await;
    if matches!(cause, Cause::Push(_)) && matches!(saved, Ok(true)) {
        report
            .reason
            .push_str("; the push is recorded for the next look");
    }
    report.skipped_in_a_row = recorded.skipped;
    report.error = Some(error);
    Attempt::done(report)
}

/// Whether a "stay" changes what is stored enough to write it.
fn worth_storing(new: &WatchState, stored: &WatchState, now: i64) -> bool {
    new.last_activity != stored.last_activity
        || new.idle_gaps != stored.idle_gaps
        || new.wake_requested != stored.wake_requested
        || new.waiting_since != stored.waiting_since
        || new.running_at != stored.running_at
        || new.observed.map(|(d, _)| d) != stored.observed.map(|(d, _)| d)
        || stored
            .observed
            .is_none_or(|(_, at)| now.saturating_sub(at) >= OBSERVATION_REFRESH_SECONDS)
}

/// Writes `state`, with the decision and its facts, if the stored version is still
/// `version`.
async fn claim(
    (watched, facts): (Watched<'_>, Option<&Facts>),
    (state, version): (&WatchState, &Version),
    report: DecisionReport,
    Turn { pass, ports, .. }: Turn<'_, '_>,
    failing: &str,
) -> Attempt {
    let note = DecisionNote {
        reason: &report.reason,
        facts,
    };
    match ports
        .states
        .save(watched.name(), state, version, &note)
        .await
    {
        Ok(true) => Attempt::done(report),
        Ok(false) => Attempt::Lost,
        Err(error) => {
            let reason = format!("{failing}: {error}");
            let mut unread = DecisionReport::unread(watched, pass, reason);
            unread.error = Some(error);
            Attempt::done(unread)
        }
    }
}

/// The claim is ours: change ECS, then record what happened (best effort; the claim's
/// lease and the next look cover a lost record). A wake ECS took is confirmed, so
/// pushes to the woken service cost no ECS read; a refused one gives its claim back
/// so that a retry may act at once, and keeps its wake request.
async fn act(
    (watched, facts): (Watched<'_>, &Facts),
    mut report: DecisionReport,
    claimed: &Versioned<WatchState>,
    Turn { now, ports, .. }: Turn<'_, '_>,
) -> DecisionReport {
    let Some(desired) = report.desired_after else {
        return report;
    };
    let target = watched.target;
    let result = ports
        .here
        .scaler
        .set_desired(&target.cluster, &target.service, desired)
        .await;
    let after = match &result {
        Ok(()) => confirmed(&claimed.value, desired, now),
        Err(_) => released(&claimed.value),
    };
    let outcome = match &result {
        Ok(()) => format!("{}; UpdateService to {desired} done", report.reason),
        Err(error) => format!(
            "{}; UpdateService failed, claim released: {error}",
            report.reason
        ),
    };
    let note = DecisionNote {
        reason: &outcome,
        facts: Some(facts),
    };
    let _ = ports
        .states
        .save(watched.name(), &after, &claimed.version, &note)
        .await;
    if let Err(error) = result {
        report.outcome = Effect::Failed;
        report.reason = format!("{}; but {error}", report.reason);
        report.error = Some(error);
    }
    report
}
