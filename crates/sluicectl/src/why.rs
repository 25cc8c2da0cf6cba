//! `sluicectl why TARGET`: why a target's service is at the count it is, in one
//! command. It reads (and changes nothing): the target as stored; ECS, its queues and
//! its scalable target now; the zero-watcher's last decision with the facts it used;
//! the prescaler's floor now and its own last write; the publisher's latest metrics
//! and the last wake's latencies. Then it answers, from those facts ([`answer`]).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use jiff::Timestamp;

use sluice_aws::{
    Account, AssumedAccounts, Assumer, AutoScaling, Clients, CloudWatchMetrics, ConfigStore,
    DynamoStore, EcsServices, ItemKind, RateRecords, SqsQueues, WatchRecord, ecs_resource_id,
    reach, read_backlogs, read_bounds, read_task_counts,
};
use sluice_core::capacity::control::give_back_window;
use sluice_core::capacity::{PlannedStartUp, Rates};
use sluice_core::config::{Document, Target};
use sluice_core::facts::{ScalableBounds, TaskCounts};
use sluice_core::names;
use sluice_core::prescale::{self, Hold, OwnWrite, PrescaleFacts};
use sluice_core::queue::Backlog;
use sluice_core::zero::{CLAIM_LEASE_SECONDS, Transition};

use crate::apply::{floors_now, start_ups};
use crate::cli::WhyArgs;
use crate::table::stored_target;

/// The zero-watcher writes a target's record at least every two minutes while it
/// looks (a stay refreshes its observation after a minute); older means it stopped.
const WATCHER_SILENT_SECONDS: i64 = 300;

/// The publisher's metrics shown, with their labels.
const READINGS: [(&str, &str); 5] = [
    (names::BACKLOG, "Backlog"),
    (names::BACKLOG_PER_TASK, "BacklogPerTask"),
    (names::DESIRED_TASKS, "DesiredTasks"),
    (names::RUNNING_TASKS, "RunningTasks"),
    (names::OLDEST_MESSAGE_AGE, "OldestMessageAge (s)"),
];
const LATENCIES: [(&str, &str); 2] = [
    (names::WAKE_LATENCY, "last WakeLatency (s)"),
    (names::START_LATENCY, "last StartLatency (s)"),
];

/// Everything read about a target; None where a read failed (said in `errors`).
#[derive(Debug, Default)]
pub struct Seen {
    pub tasks: Option<TaskCounts>,
    pub backlog: Option<Backlog>,
    /// Some(None): no scalable target registered.
    pub bounds: Option<Option<ScalableBounds>>,
    /// Some(None): the watcher never wrote one.
    pub watch: Option<Option<WatchRecord>>,
    pub own_write: Option<OwnWrite>,
    /// The profile's floor and cap now; None without a profile.
    pub hold: Option<Hold>,
    pub metrics: BTreeMap<String, f64>,
    /// Under the load model: the publisher's record and the start-up it plans with.
    pub load: Option<(Rates, PlannedStartUp)>,
    pub errors: Vec<String>,
}

pub async fn run(args: WhyArgs) -> Result<ExitCode> {
    let clients = Clients::new(&sluice_aws::load_sdk_config().await);
    let store = DynamoStore::new(clients.dynamodb().clone(), args.table.table.clone());
    let target = stored_target(&store, &args.target).await?;
    let seen = read(&clients, &store, &target, &args.cloudwatch.namespace).await;
    let now = Timestamp::now();
    print(&target, &seen, now);
    outln!();
    for line in answer(&target, &seen, now.as_second()) {
        outln!("why: {line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// What `why` reads in a target's account: its service, queues and scalable target.
fn in_account(clients: &Clients) -> Account {
    Account {
        queues: Arc::new(SqsQueues::new(clients.sqs().clone())),
        services: Arc::new(EcsServices::new(clients.ecs().clone())),
        autoscaling: Arc::new(AutoScaling::new(clients.autoscaling().clone())),
        ..Account::unused()
    }
}

async fn read(clients: &Clients, store: &DynamoStore, target: &Target, namespace: &str) -> Seen {
    let cloudwatch = CloudWatchMetrics::new(clients.cloudwatch().clone());
    let accounts = AssumedAccounts::new(clients.config.clone(), 4, Assumer::Operator, in_account);
    let account = match reach(&accounts, &target.place()).await {
        Ok(Some(theirs)) => theirs,
        Ok(None) => Arc::new(in_account(clients)),
        Err(error) => Arc::new(Account::failing(error)),
    };
    let service = [(target.cluster.as_str(), target.service.as_str())];
    let queues = [target.queues.as_slice()];
    let resource = [ecs_resource_id(&target.cluster, &target.service)];
    let (counts, backlogs, bounds, watch, own, profiles) = futures::join!(
        read_task_counts(&*account.services, &service, 1),
        read_backlogs(&*account.queues, &queues, 4),
        read_bounds(&*account.autoscaling, &resource, 1),
        store.watch_record(&target.name),
        store.own_write(&target.name),
        store.list(ItemKind::Profile),
    );
    let mut errors = Vec::new();
    let mut seen = Seen {
        tasks: first(counts, "ECS", &mut errors),
        backlog: first(backlogs, "queues", &mut errors),
        bounds: first(bounds, "scalable target", &mut errors),
        watch: kept(watch, "zero-watcher record", &mut errors),
        own_write: kept(own, "prescaler record", &mut errors).flatten(),
        ..Seen::default()
    };
    if let Some(profiles) = kept(profiles, "profiles", &mut errors) {
        let document = Document {
            targets: vec![target.clone()],
            profiles: Vec::new(),
            calendars: Vec::new(),
            budgets: Vec::new(),
        };
        let starts = start_ups(store).await;
        let owns: std::collections::BTreeMap<String, _> = seen
            .own_write
            .map(|own| (target.name.clone(), own))
            .into_iter()
            .collect();
        seen.hold =
            floors_now(&document, &profiles, &starts, &owns, Timestamp::now()).remove(&target.name);
    }
    if target.scaling.uses_need() {
        seen.load = load_model(store, target, &mut errors).await;
    }
    let name = [target.name.clone()];
    let metrics: Vec<&str> = READINGS.iter().chain(&LATENCIES).map(|(m, _)| *m).collect();
    match crate::metrics::latest(&cloudwatch, namespace, &name, &metrics, 15).await {
        Ok(found) => seen.metrics = found.into_iter().map(|((_, m), v)| (m, v)).collect(),
        Err(error) => errors.push(format!("published metrics: {error}")),
    }
    seen.errors = errors;
    seen
}

/// The target's load record (none yet: an empty one) and the start-up it plans with;
/// None when the records cannot be read (said in `errors`).
async fn load_model(
    store: &DynamoStore,
    target: &Target,
    errors: &mut Vec<String>,
) -> Option<(Rates, PlannedStartUp)> {
    let now = Timestamp::now().as_second();
    let (rates, starts) = futures::join!(store.rates(now), start_ups(store));
    let rates = kept(rates, "load records", errors)?;
    let rates = rates.get(&target.name).cloned().unwrap_or_default();
    let starts = kept(starts, "start-ups", errors)?;
    let measured = starts.get(&target.name).cloned().unwrap_or_default();
    let planned = PlannedStartUp::of(&measured, rates.start_up, now);
    Some((rates, planned))
}

fn first<T, E: std::fmt::Display>(
    results: Vec<Result<T, E>>,
    what: &str,
    errors: &mut Vec<String>,
) -> Option<T> {
    kept(results.into_iter().next()?, what, errors)
}

fn kept<T, E: std::fmt::Display>(
    result: Result<T, E>,
    what: &str,
    errors: &mut Vec<String>,
) -> Option<T> {
    result
        .map_err(|error| errors.push(format!("{what}: {error}")))
        .ok()
}

fn print(target: &Target, seen: &Seen, now: Timestamp) {
    let queues: Vec<&str> = target.queues.iter().map(|q| q.name.as_str()).collect();
    outln!(
        "target   {} (service {}/{}, queues {}, capacity {}-{}{})",
        target.name,
        target.cluster,
        target.service,
        queues.join(", "),
        target.capacity.min,
        target.capacity.max,
        if target.paused { ", PAUSED" } else { "" }
    );
    let tasks = seen.tasks.map_or("unread".to_owned(), |t| {
        format!(
            "desired {}, running {}, pending {}",
            t.desired, t.running, t.pending
        )
    });
    outln!("ecs      {tasks}");
    let backlog = seen.backlog.map_or("unread".to_owned(), |b| {
        format!(
            "backlog {} (visible {}, in flight {}, delayed {}; {} on priority queues)",
            b.weighted, b.depth.visible, b.depth.in_flight, b.depth.delayed, b.priority
        )
    });
    outln!("queues   {backlog}");
    let bounds = match seen.bounds {
        Some(Some(b)) => format!("MinCapacity {}, MaxCapacity {}", b.min, b.max),
        Some(None) => "no scalable target registered".to_owned(),
        None => "unread".to_owned(),
    };
    outln!("scaling  {bounds}");
    print_watcher(seen, now);
    print_load(target, seen);
    print_prescaler(target, seen, now);
    let published: Vec<String> = READINGS
        .iter()
        .chain(&LATENCIES)
        .filter_map(|(metric, label)| Some(format!("{label} {}", seen.metrics.get(*metric)?)))
        .collect();
    let published = if published.is_empty() {
        "nothing in the last 15 min".to_owned()
    } else {
        published.join(", ")
    };
    outln!("publisher {published}");
    for error in &seen.errors {
        outln!("unread   {error}");
    }
}

/// What the load model believes of the target: the rates, the start-up it plans with,
/// and how long a give-back waits.
fn print_load(target: &Target, seen: &Seen) {
    let Some((rates, start_up)) = &seen.load else {
        return;
    };
    let arrival = rates
        .arrival
        .map_or("not known yet".to_owned(), |v| format!("{v:.1} a minute"));
    let service = match (rates.service, target.messages_per_task_minute) {
        (Some(learned), _) => format!("{learned:.1} a task a minute, learned"),
        (None, Some(declared)) => format!("{declared:.1} a task a minute, declared"),
        (None, None) => "not known yet".to_owned(),
    };
    let window = give_back_window(target.scaling.give_back_after_seconds, start_up.seconds());
    outln!(
        "load     arrival {arrival}; service {service}; start-up {start_up}; gives back \
         after {window} s below the need"
    );
}

/// The profile's floor now, the prescaler's own raise in force, and its next run.
fn print_prescaler(target: &Target, seen: &Seen, now: Timestamp) {
    let floor = seen.hold.map_or("no profile".to_owned(), |hold| {
        let cap = hold.cap.map_or(String::new(), |c| format!(", cap {c}"));
        let held = hold.budget_cap.map_or(String::new(), |c| {
            format!(", MaxCapacity held at {c} by the prescaler (apply keeps it)")
        });
        match target.profile {
            Some(_) => format!("floor now {}{cap}{held}", hold.floor),
            None => format!("no profile{held}"),
        }
    });
    let own = seen
        .own_write
        .map_or("no raise of its own in force".to_owned(), |o| {
            format!("raised MinCapacity to {} at {}", o.raised_to, at(o.at, now))
        });
    outln!("prescaler {floor}; {own}");
    if let Some(next) = prescaler_next(target, seen, now.as_second()) {
        outln!("          its next run: {next}");
    }
}

fn print_watcher(seen: &Seen, now: Timestamp) {
    let Some(Some(record)) = &seen.watch else {
        let what = if seen.watch.is_some() {
            "no record: it has never decided for this target"
        } else {
            "unread"
        };
        outln!("watcher  {what}");
        return;
    };
    let when = record.updated_at.as_deref().unwrap_or("at an unknown time");
    let decision = record
        .last_decision
        .as_deref()
        .unwrap_or("(no decision text)");
    outln!("watcher  last decision ({when}): {decision}");
    if let Some(facts) = &record.last_facts {
        outln!("         on facts {facts}");
    }
    let state = &record.state.value;
    let mut notes = Vec::new();
    if let Some(activity) = state.last_activity {
        notes.push(format!("last activity {}", at(activity, now)));
    }
    if let Some(woke) = state.woke_at {
        notes.push(format!("woke {}", at(woke, now)));
    }
    if let Some(asked) = state.wake_requested {
        notes.push(format!("wake requested {}", at(asked, now)));
    }
    if state.skipped > 0 {
        notes.push(format!("{} look(s) in a row undecided", state.skipped));
    }
    if !notes.is_empty() {
        outln!("         {}", notes.join(", "));
    }
}

/// What the prescaler's next run would do and why: its own decision on what was read.
fn prescaler_next(target: &Target, seen: &Seen, now: i64) -> Option<String> {
    let facts = PrescaleFacts {
        desired: seen.tasks?.desired,
        running: seen.tasks?.running,
        backlog: seen.backlog?.weighted,
        bounds: seen.bounds?,
    };
    let planned = prescale::plan(target, seen.hold?, &facts, seen.own_write, now);
    Some(planned.reason.to_string())
}

/// An epoch-seconds time, and how long ago it was.
fn at(epoch: i64, now: Timestamp) -> String {
    let ago = now.as_second().saturating_sub(epoch);
    match Timestamp::from_second(epoch) {
        Ok(time) => format!("{time} ({ago}s ago)"),
        Err(_) => format!("{epoch} (not a time)"),
    }
}

/// The answer to "why is it at this count", from what was read: the first cause that
/// applies, most specific first, and the prescaler's floor when it matters.
pub fn answer(target: &Target, seen: &Seen, now: i64) -> Vec<String> {
    let mut lines = Vec::new();
    if target.paused {
        lines.push(
            "the target is paused: Sluice reads and reports it and changes nothing".to_owned(),
        );
        return lines;
    }
    let (Some(tasks), Some(backlog)) = (seen.tasks, seen.backlog) else {
        lines
            .push("ECS or the queues could not be read: no answer (see `unread` above)".to_owned());
        return lines;
    };
    lines.push(match (tasks.desired, backlog.weighted) {
        (0, 0) => "asleep, and nothing is waiting".to_owned(),
        (0, _) => asleep_with_work(target, seen, &backlog, now),
        (desired, 0) => format!(
            "{desired} task(s) with nothing waiting: {}",
            watcher_says(seen).unwrap_or("no zero-watcher decision stored")
        ),
        (desired, waiting) if target.scaling.uses_need() => format!(
            "working: {desired} task(s) for a backlog of {waiting}, sized on the load \
             model's need (TasksNeeded, ArrivalRate and ServiceRate in `sluicectl metrics`; \
             docs/control.md)"
        ),
        (desired, waiting) => format!(
            "working: {desired} task(s) for a backlog of {waiting} ({:.1} per task; the \
             target-tracking policy aims at {})",
            waiting as f64 / f64::from(desired),
            target.backlog_per_task
        ),
    });
    if let Some(floor) = seen.hold.map(|h| h.floor).filter(|f| *f > tasks.desired) {
        lines.push(format!(
            "the profile's floor now is {floor}, above the {} desired: the prescaler's next run raises it",
            tasks.desired
        ));
    }
    lines
}

/// Why a service at 0 has not been woken for `waiting` messages.
fn asleep_with_work(target: &Target, seen: &Seen, backlog: &Backlog, now: i64) -> String {
    // What a woken task could receive: a sleeping service holds no message
    // (`zero::Facts::counted`).
    let (waiting, priority) = backlog.receivable();
    let held = backlog.weighted_in_flight;
    let Some(zero) = &target.scale_to_zero else {
        return format!(
            "at 0 with {waiting} waiting, and the target has no scale_to_zero: nothing in \
             Sluice wakes it (add scale_to_zero, docs/zero-watcher.md, or a capacity.min above 0)"
        );
    };
    if let Some(Some(bounds)) = seen.bounds
        && bounds.max == 0
    {
        return "the scalable target's MaxCapacity is 0: nothing may start a task".to_owned();
    }
    if waiting <= zero.activation_backlog && priority == 0 && held > 0 {
        return format!(
            "at 0 with {held} in flight and {waiting} waiting: no task of its own holds \
             those in flight (a read staler than the sleep, or a stopped task's message \
             waiting out its visibility timeout), so they wake it once visible again"
        );
    }
    if waiting <= zero.activation_backlog && priority == 0 {
        return format!(
            "at 0 with {waiting} waiting, not above activation_backlog {}: too little to \
             wake for, as configured",
            zero.activation_backlog
        );
    }
    let record = match &seen.watch {
        None => {
            return "at 0 with work waiting; the zero-watcher's record could not be read"
                .to_owned();
        }
        Some(None) => {
            return format!(
                "at 0 with {waiting} waiting, and the zero-watcher has never decided for this \
             target: is its schedule enabled, and is it reading this table?"
            );
        }
        Some(Some(record)) => record,
    };
    watcher_record_says(record, seen, waiting, now)
}

/// Why the zero-watcher, whose record this is, has not woken a service at 0.
fn watcher_record_says(record: &WatchRecord, seen: &Seen, waiting: u64, now: i64) -> String {
    let state = &record.state.value;
    if state.skipped > 0 {
        return format!(
            "at 0 with {waiting} waiting: the zero-watcher could not decide its last {} \
             look(s): {}",
            state.skipped,
            watcher_says(seen).unwrap_or("no reason stored")
        );
    }
    let written = record
        .updated_at
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .map(|t| now.saturating_sub(t.as_second()));
    if let Some(silent) = written.filter(|s| *s > WATCHER_SILENT_SECONDS) {
        return format!(
            "at 0 with {waiting} waiting, and the zero-watcher last wrote {} min ago: it has \
             stopped looking (check its schedule, its errors and its DLQ)",
            silent / 60
        );
    }
    if let Some((Transition::Wake, claimed)) = state.claimed
        && (0..CLAIM_LEASE_SECONDS).contains(&now.saturating_sub(claimed))
    {
        return format!(
            "a wake was claimed {}s ago: ECS shows it as soon as the UpdateService lands",
            now.saturating_sub(claimed)
        );
    }
    if let Some(since) = state.waiting_since {
        return format!(
            "at 0 with {waiting} waiting, seen {}s ago: the zero-watcher puts the wake off \
             while the latency goal leaves room beyond a start-up (docs/zero-watcher.md); \
             its last decision: {}",
            now.saturating_sub(since),
            watcher_says(seen).unwrap_or("none stored")
        );
    }
    format!(
        "at 0 with {waiting} waiting; the zero-watcher's last decision was: {}. The work \
         came after it: its next look wakes the service",
        watcher_says(seen).unwrap_or("none stored")
    )
}

fn watcher_says(seen: &Seen) -> Option<&str> {
    match &seen.watch {
        Some(Some(record)) => record.last_decision.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_aws::{Version, Versioned};
    use sluice_core::config::ScaleToZero;
    use sluice_core::facts::QueueDepth;
    use sluice_core::zero::WatchState;

    const NOW: i64 = 1_800_000_000;

    fn target() -> Target {
        Target::new("t", "c", "s")
            .with_queues(["q"])
            .with_capacity(0, 4)
            .with_scale_to_zero(ScaleToZero {
                activation_backlog: 2,
                ..ScaleToZero::default()
            })
    }

    fn record(state: WatchState, written: i64) -> WatchRecord {
        WatchRecord {
            state: Versioned {
                value: state,
                version: Version::Number(1),
                problems: Vec::new(),
            },
            last_decision: Some("asleep, no activity".to_owned()),
            last_facts: None,
            updated_at: Timestamp::from_second(written).ok().map(|t| t.to_string()),
        }
    }

    /// Asleep with `waiting` messages, bounds 0-4, the watcher's record written 30 s ago.
    fn asleep_with(waiting: u64) -> Seen {
        Seen {
            tasks: Some(TaskCounts::default()),
            backlog: Some(Backlog::plain(QueueDepth {
                visible: waiting,
                in_flight: 0,
                delayed: 0,
            })),
            bounds: Some(Some(ScalableBounds { min: 0, max: 4 })),
            watch: Some(Some(record(WatchState::default(), NOW - 30))),
            ..Seen::default()
        }
    }

    fn why(target: &Target, seen: &Seen) -> String {
        answer(target, seen, NOW).join(" | ")
    }

    #[test]
    fn the_answer_names_the_first_cause_that_applies() {
        let t = target();
        let cases: Vec<(&str, Target, Seen)> = vec![
            ("asleep, and nothing is waiting", t.clone(), asleep_with(0)),
            ("not above activation_backlog 2", t.clone(), asleep_with(2)),
            ("the target is paused", t.clone().paused(), asleep_with(9)),
            (
                "no scale_to_zero",
                Target {
                    scale_to_zero: None,
                    ..t.clone()
                },
                asleep_with(9),
            ),
            (
                "MaxCapacity is 0",
                t.clone(),
                Seen {
                    bounds: Some(Some(ScalableBounds { min: 0, max: 0 })),
                    ..asleep_with(9)
                },
            ),
            (
                "never decided for this target",
                t.clone(),
                Seen {
                    watch: Some(None),
                    ..asleep_with(9)
                },
            ),
            (
                "could not decide its last 3 look(s): asleep, no activity",
                t.clone(),
                Seen {
                    watch: Some(Some(record(
                        WatchState {
                            skipped: 3,
                            ..WatchState::default()
                        },
                        NOW,
                    ))),
                    ..asleep_with(9)
                },
            ),
            (
                "last wrote 10 min ago: it has stopped looking",
                t.clone(),
                Seen {
                    watch: Some(Some(record(WatchState::default(), NOW - 600))),
                    ..asleep_with(9)
                },
            ),
            (
                "a wake was claimed 5s ago",
                t.clone(),
                Seen {
                    watch: Some(Some(record(
                        WatchState {
                            claimed: Some((Transition::Wake, NOW - 5)),
                            ..WatchState::default()
                        },
                        NOW,
                    ))),
                    ..asleep_with(9)
                },
            ),
            (
                "seen 40s ago: the zero-watcher puts the wake off",
                t.clone(),
                Seen {
                    watch: Some(Some(record(
                        WatchState {
                            waiting_since: Some(NOW - 40),
                            ..WatchState::default()
                        },
                        NOW,
                    ))),
                    ..asleep_with(9)
                },
            ),
            ("its next look wakes the service", t.clone(), asleep_with(9)),
            (
                "ECS or the queues could not be read",
                t.clone(),
                Seen {
                    tasks: None,
                    ..asleep_with(9)
                },
            ),
            (
                "the prescaler's next run raises it",
                t.clone(),
                Seen {
                    hold: Some(Hold::floor(2)),
                    ..asleep_with(0)
                },
            ),
        ];
        for (expected, target, seen) in cases {
            let said = why(&target, &seen);
            assert!(said.contains(expected), "expected {expected:?} in {said:?}");
        }
    }

    #[test]
    fn the_prescalers_next_run_is_its_own_decision_on_what_was_read() {
        let target = target().with_profile("p");
        let seen = Seen {
            hold: Some(Hold::floor(3)),
            ..asleep_with(0)
        };
        assert_eq!(
            prescaler_next(&target, &seen, NOW).as_deref(),
            Some("window floor 3: MinCapacity 0 -> 3")
        );
        let unread = Seen {
            bounds: None,
            ..seen
        };
        assert_eq!(
            prescaler_next(&target, &unread, NOW),
            None,
            "not on a guess"
        );
    }
}
