//! The watcher's rules one by one: wakes, idle clocks, latencies, protection.

use super::*;

#[test]
fn a_push_to_a_recently_awake_service_needs_no_reads() {
    let awake = WatchState {
        last_activity: Some(T0 - 200),
        observed: Some((2, T0 - 30)),
        ..WatchState::default()
    };
    let outcome = push_while_awake(&awake, T0).expect("trusted");
    assert_eq!(outcome.state.last_activity, Some(T0));
    assert_eq!(
        outcome.decision.reason(),
        "awake (2 tasks seen 30s ago): idle clock reset"
    );
    let stale = WatchState {
        observed: Some((2, T0 - OBSERVATION_TRUST_SECONDS)),
        ..awake
    };
    assert_eq!(push_while_awake(&stale, T0), None, "stale: read ECS");
    let asleep = WatchState {
        observed: Some((0, T0 - 5)),
        ..awake
    };
    assert_eq!(
        push_while_awake(&asleep, T0),
        None,
        "asleep: decide, maybe wake"
    );
}

/// What a look settles before reading, by named cases: a paused target whatever the
/// cause, a push absorbed by a service seen awake moments ago (written only when the
/// state does not say so yet), and what must be read and decided.
#[derive(Debug, PartialEq)]
enum Settled {
    /// Read the facts and decide.
    Read,
    Paused,
    Absorbed {
        record: bool,
    },
}

#[test]
fn what_is_settled_before_any_fact_is_read() {
    let awake = WatchState {
        last_activity: Some(T0 - 200),
        observed: Some((2, T0 - 30)),
        ..WatchState::default()
    };
    let push = Cause::Push("SNS notification from t".to_owned());
    let sleeping = WatchState {
        claimed: Some((Transition::Sleep, T0 - 5)),
        ..awake
    };
    let cases: [(&str, bool, &Cause, WatchState, Settled); 8] = [
        ("paused, polled", true, &Cause::Poll, awake, Settled::Paused),
        ("paused, pushed", true, &push, awake, Settled::Paused),
        ("a poll is read", false, &Cause::Poll, awake, Settled::Read),
        (
            "a manual sleep is read",
            false,
            &Cause::ManualSleep,
            awake,
            Settled::Read,
        ),
        (
            "a push to an awake service",
            false,
            &push,
            awake,
            Settled::Absorbed { record: true },
        ),
        (
            "a second push in the same second writes nothing",
            false,
            &push,
            WatchState {
                last_activity: Some(T0),
                ..awake
            },
            Settled::Absorbed { record: false },
        ),
        (
            "a push during a sleep is decided, not absorbed",
            false,
            &push,
            sleeping,
            Settled::Read,
        ),
        (
            "a push to a service last seen long ago is read",
            false,
            &push,
            WatchState {
                observed: Some((2, T0 - OBSERVATION_TRUST_SECONDS)),
                ..awake
            },
            Settled::Read,
        ),
    ];
    for (name, paused, cause, state, want) in cases {
        let got = match before_facts(paused, cause, &state, T0) {
            None => Settled::Read,
            Some(Early::Paused) => Settled::Paused,
            Some(Early::Absorbed { verdict, record }) => {
                assert_eq!(verdict.state.last_activity, Some(T0), "{name}");
                Settled::Absorbed { record }
            }
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn activity_during_the_idle_window_resets_the_clock() {
    let busy = decide(
        &settings(),
        SIZING,
        &facts(1, 1),
        &idle_since(T0 - 290),
        &Cause::Poll,
        T0,
    );
    assert_eq!(busy.state.last_activity, Some(T0));
    let later = decide(
        &settings(),
        SIZING,
        &facts(1, 0),
        &busy.state,
        &Cause::Poll,
        T0 + 60,
    );
    assert_eq!(later.decision.reason(), "idle for 60s of 300s");
    // The words are rendered from a value, which carries the figures.
    assert_eq!(
        later.decision.why(),
        &Why::Idle {
            seconds: 60,
            of: 300
        }
    );
    let push = decide(
        &settings(),
        SIZING,
        &facts(1, 0),
        &idle_since(T0 - 299),
        &Cause::Push("sns".into()),
        T0,
    );
    assert_eq!(
        (action(&push), push.state.last_activity),
        ("stay", Some(T0))
    );
}

#[test]
fn a_wakes_latency_counts_from_what_the_watcher_could_see() {
    let asleep = WatchState {
        observed: Some((0, T0 - 50)),
        ..idle_since(T0 - 900)
    };
    let poll = |state: &WatchState, quiet| wake_latency(state, &Cause::Poll, quiet, T0);
    assert_eq!(poll(&asleep, None), 50, "the stored quiet look");
    assert_eq!(poll(&asleep, Some(T0 - 5)), 5, "a newer one");
    assert_eq!(
        poll(&asleep, Some(T0 - 500)),
        50,
        "an older one: the stored"
    );
    let asked = WatchState {
        waiting_since: None,
        wake_requested: Some(T0 - 120),
        ..asleep
    };
    assert_eq!(poll(&asked, Some(T0 - 5)), 120, "a push before");
    let push = Cause::Push("sns".to_owned());
    assert_eq!(wake_latency(&asked, &push, Some(T0 - 5), T0), 120);
    assert_eq!(
        wake_latency(&asleep, &push, Some(T0 - 5), T0),
        0,
        "the push"
    );
    let awake_seen = WatchState {
        observed: Some((2, T0 - 50)),
        ..idle_since(T0 - 900)
    };
    assert_eq!(poll(&awake_seen, None), 0, "nothing known");
    assert_eq!(poll(&asleep, Some(T0 + 30)), 0, "never negative");
}

#[test]
fn a_wakes_start_up_is_measured_once_at_the_first_running_task() {
    let look = |facts: Facts, state: &WatchState, at: i64| {
        decide(&settings(), SIZING, &facts, state, &Cause::Poll, at).state
    };
    let woke = look(facts(0, 10), &idle_since(T0 - 900), T0);
    assert_eq!((woke.woke_at, woke.running_at), (Some(T0), None));
    let busy = |running| Facts {
        running,
        ..facts(1, 10)
    };
    let starting = look(busy(0), &woke, T0 + 60);
    assert_eq!(start_latency(&woke, &starting), None, "still starting");
    let started = look(busy(1), &starting, T0 + 120);
    assert_eq!(start_latency(&starting, &started), Some(120));
    let later = look(busy(1), &started, T0 + 180);
    assert_eq!(start_latency(&started, &later), None, "measured once");
    // A stored wake at i64::MIN (a corrupt record) measures nothing, never i64::MAX.
    let corrupt = WatchState {
        woke_at: Some(i64::MIN),
        ..starting
    };
    let after = WatchState {
        running_at: Some(T0 + 120),
        ..corrupt
    };
    assert_eq!(start_latency(&corrupt, &after), None);
    assert_eq!(later.running_at, Some(T0 + 120));
    let unknown_wake = look(busy(1), &idle_since(T0), T0 + 60);
    assert_eq!(
        unknown_wake.running_at, None,
        "a wake not ours is not measured"
    );
}

#[test]
fn a_wake_is_sized_to_the_backlog() {
    let gold = Sizing {
        backlog_per_task: 50.0,
        capacity_max: 20,
        latency_goal_seconds: None,
        start_up_seconds: None,
    };
    let look = |settings: &ScaleToZero, facts: &Facts, sizing: Sizing| {
        decide(
            settings,
            sizing,
            facts,
            &WatchState::default(),
            &Cause::Poll,
            T0,
        )
    };
    let burst = look(&settings(), &asleep_with(400, 0), gold);
    assert_eq!(wake_to(&burst), Some(8), "400 at 50 a task: 8 in one step");
    assert!(
        burst
            .decision
            .reason()
            .ends_with("8 task(s): ceil(backlog 400 / 50 per task) = 8"),
        "{}",
        burst.decision.reason()
    );
    let one = look(&settings(), &asleep_with(3, 0), gold);
    assert_eq!(wake_to(&one), Some(1), "never below what a message needs");
    let three = ScaleToZero {
        wake_tasks: 3,
        ..settings()
    };
    assert_eq!(wake_to(&look(&three, &asleep_with(3, 0), gold)), Some(3));
    let flood = look(&settings(), &asleep_with(1_000_000, 0), gold);
    assert_eq!(wake_to(&flood), Some(20), "capped at capacity.max");
    assert!(
        flood
            .decision
            .reason()
            .contains("capped at capacity.max 20")
    );
    let bounded = Facts {
        bounds: Some(ScalableBounds { min: 0, max: 5 }),
        ..asleep_with(400, 0)
    };
    let within = look(&settings(), &bounded, gold);
    assert_eq!(wake_to(&within), Some(5));
    assert!(
        within
            .decision
            .reason()
            .contains("5 within the scalable target's 0-5")
    );
    let floor = Facts {
        bounds: Some(ScalableBounds { min: 12, max: 30 }),
        ..asleep_with(400, 0)
    };
    assert_eq!(
        wake_to(&look(&settings(), &floor, gold)),
        Some(12),
        "a floor in effect"
    );
    let fixed = ScaleToZero {
        wake: WakeCount::Fixed,
        ..settings()
    };
    assert_eq!(wake_to(&look(&fixed, &asleep_with(400, 0), gold)), Some(1));
    // A push with nothing visible yet: the wake count.
    let push = decide(
        &settings(),
        gold,
        &asleep_with(0, 0),
        &WatchState::default(),
        &Cause::Push("sns".into()),
        T0,
    );
    assert_eq!(wake_to(&push), Some(1));
}

#[test]
fn a_priority_message_wakes_whatever_the_threshold() {
    let high = ScaleToZero {
        activation_backlog: 100,
        ..settings()
    };
    let look = |facts: &Facts| {
        decide(
            &high,
            SIZING,
            facts,
            &WatchState::default(),
            &Cause::Poll,
            T0,
        )
    };
    assert_eq!(
        action(&look(&asleep_with(50, 0))),
        "stay",
        "below the threshold"
    );
    let urgent = look(&asleep_with(1, 1));
    assert_eq!(wake_to(&urgent), Some(1));
    assert!(
        urgent
            .decision
            .reason()
            .starts_with("1 message(s) on a priority queue")
    );
}

/// A sleeping service holds no message: what a read shows in flight is staler than
/// the sleep (SQS's counts may lag a minute) or held by a task the sleep stopped, and
/// no task woken for it could receive it before it is visible again. It wakes nothing
/// and sizes no wake; awake, it is work in progress.
#[test]
fn messages_in_flight_wake_no_sleeping_service() {
    let gold = Sizing {
        backlog_per_task: 50.0,
        capacity_max: 20,
        latency_goal_seconds: None,
        start_up_seconds: None,
    };
    let look = |facts: &Facts| {
        decide(
            &settings(),
            gold,
            facts,
            &WatchState::default(),
            &Cause::Poll,
            T0,
        )
    };
    let held = |backlog, in_flight, priority, priority_in_flight| Facts {
        in_flight,
        priority_in_flight,
        ..asleep_with(backlog, priority)
    };
    // (backlog, in flight, priority, priority in flight, wake to)
    let cases = [
        (3, 3, 0, 0, None),       // a stale read of the tasks' last jobs
        (2, 2, 2, 2, None),       // on a priority queue too
        (150, 50, 0, 0, Some(2)), // sized on the 100 a woken task can receive
        (3, 2, 0, 0, Some(1)),    // one visible
        (2, 2, 3, 2, Some(1)),    // one priority message visible
    ];
    for (backlog, in_flight, priority, priority_in_flight, to) in cases {
        let verdict = look(&held(backlog, in_flight, priority, priority_in_flight));
        assert_eq!(
            wake_to(&verdict),
            to,
            "{backlog} with {in_flight} in flight"
        );
    }
    let asleep = look(&held(3, 3, 0, 0));
    assert_eq!(asleep.decision.reason(), "asleep, no activity");
    // Awake, a message in hand is work: the service is busy, not idle.
    let busy = decide(
        &settings(),
        gold,
        &Facts {
            in_flight: 3,
            ..facts(2, 3)
        },
        &idle_since(T0 - 3600),
        &Cause::Poll,
        T0,
    );
    assert_eq!(action(&busy), "stay");
    assert!(
        busy.decision.reason().contains("backlog 3"),
        "{}",
        busy.decision.reason()
    );
}

#[test]
fn work_between_looks_restarts_the_idle_clock() {
    // A job every 3 minutes that takes 20 s: every look finds the queue empty,
    // but SQS counted the messages received in between.
    let mut state = idle_since(T0 - 600);
    for look in 0..20 {
        let now = T0 + look * 60;
        let last_job = now - (look % 3) * 60 - 40;
        let facts = Facts {
            recent_activity: Some(last_job),
            ..facts(1, 0)
        };
        let verdict = decide(&settings(), SIZING, &facts, &state, &Cause::Poll, now);
        assert_eq!(
            action(&verdict),
            "stay",
            "look {look}: {}",
            verdict.decision.reason()
        );
        state = verdict.state;
    }
    // Once the work stops, the idle window runs from the last of it.
    let last = T0 + 19 * 60 - 40;
    let quiet = |now: i64| {
        let facts = Facts {
            recent_activity: Some(last),
            ..facts(1, 0)
        };
        decide(&settings(), SIZING, &facts, &state, &Cause::Poll, now)
    };
    assert_eq!(action(&quiet(last + 299)), "stay");
    assert_eq!(action(&quiet(last + 300)), "sleep");
    // A time ahead of the clock counts as now, not as a far future.
    let ahead = Facts {
        recent_activity: Some(T0 + 86_400),
        ..facts(1, 0)
    };
    let verdict = decide(
        &settings(),
        SIZING,
        &ahead,
        &idle_since(T0 - 600),
        &Cause::Poll,
        T0,
    );
    assert_eq!(verdict.state.last_activity, Some(T0));
}

#[test]
fn protected_or_unknown_tasks_block_a_sleep() {
    let idle = idle_since(T0 - 600);
    let look = |protection: Protection, cause: Cause| {
        let facts = Facts {
            protection,
            ..facts(1, 0)
        };
        decide(&settings(), SIZING, &facts, &idle, &cause, T0)
    };
    let blocked = look(Protection::Protected(2), Cause::Poll);
    assert_eq!(action(&blocked), "stay");
    assert!(
        blocked
            .decision
            .reason()
            .starts_with("blocked: 2 task(s) protected")
    );
    let unknown = look(
        Protection::Unknown("AccessDenied".into()),
        Cause::ManualSleep,
    );
    assert_eq!(action(&unknown), "stay");
    assert!(
        unknown
            .decision
            .reason()
            .starts_with("blocked: task protection unknown")
    );
    assert_eq!(action(&look(Protection::NotRead, Cause::Poll)), "stay");
    assert_eq!(action(&look(Protection::Clear, Cause::Poll)), "sleep");
}

#[test]
fn no_sleep_within_min_awake_minutes_of_a_wake() {
    let settings = ScaleToZero {
        min_awake_minutes: 15,
        ..settings()
    };
    let woke = decide(
        &settings,
        SIZING,
        &asleep_with(1, 0),
        &WatchState::default(),
        &Cause::Poll,
        T0,
    );
    assert_eq!(woke.state.woke_at, Some(T0));
    let state = confirmed(&woke.state, 1, T0);
    let at = |now: i64| decide(&settings, SIZING, &facts(1, 0), &state, &Cause::Poll, now);
    let early = at(T0 + 600);
    assert_eq!(action(&early), "stay", "idle 10 min, but awake only 10");
    assert!(early.decision.reason().contains("min_awake_minutes 15"));
    assert_eq!(action(&at(T0 + 900)), "sleep");
    assert_eq!(at(T0 + 900).state.woke_at, None, "a sleep forgets the wake");
}

#[test]
fn times_ahead_of_the_clock_are_dropped_and_said() {
    let stored = WatchState {
        last_activity: Some(T0 + 86_400),
        claimed: Some((Transition::Wake, T0 + 86_400)),
        observed: Some((1, T0 + 86_400)),
        waiting_since: None,
        wake_requested: Some(T0 + 86_400),
        woke_at: None,
        running_at: None,
        idle_gaps: IdleGaps::default(),
        skipped: 0,
    };
    let (clean, notes) = stored.sanitized(T0);
    assert_eq!(
        clean,
        WatchState {
            last_activity: Some(T0),
            ..WatchState::default()
        }
    );
    assert_eq!(notes.len(), 4, "{notes:?}");
    assert!(
        notes[0].contains("last_activity is 86400s ahead of the clock"),
        "{notes:?}"
    );
    let near = WatchState {
        last_activity: Some(T0 + CLOCK_SKEW_SECONDS),
        ..WatchState::default()
    };
    assert_eq!(
        near.sanitized(T0),
        (near, Vec::new()),
        "within clock skew: kept"
    );
}

/// A stored `waiting_since` ahead of the clock would put a wake off past its room: it
/// is dropped and said, and the look wakes for the work at once.
#[test]
fn a_waiting_since_ahead_of_the_clock_is_dropped_and_the_wake_not_put_off() {
    let stored = WatchState {
        waiting_since: Some(T0 + 86_400),
        ..WatchState::default()
    };
    let (clean, notes) = stored.sanitized(T0);
    assert_eq!(clean, WatchState::default());
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("waiting_since is 86400s ahead of the clock"),
        "{notes:?}"
    );
    let ipsc = Sizing {
        backlog_per_task: 4.0,
        capacity_max: 10,
        latency_goal_seconds: Some(300),
        start_up_seconds: Some(90.0),
    };
    let since_room = WatchState {
        waiting_since: Some(T0 - 200),
        ..clean
    };
    let look = decide(
        &settings(),
        ipsc,
        &asleep_with(1, 0),
        &since_room,
        &Cause::Poll,
        T0,
    );
    assert_eq!(wake_to(&look), Some(1), "{}", look.decision.reason());
}

/// An apply that lowered capacity.max but could not lower the scalable target's bounds
/// leaves MinCapacity (a window's floor) above the new max: the wake keeps the max.
#[test]
fn a_wake_never_lands_above_capacity_max_even_under_a_min_capacity_above_it() {
    let lowered = Sizing {
        backlog_per_task: 10.0,
        capacity_max: 2,
        latency_goal_seconds: None,
        start_up_seconds: None,
    };
    let odd = Facts {
        bounds: Some(ScalableBounds { min: 4, max: 6 }),
        ..asleep_with(30, 0)
    };
    let push = Cause::Push("a push".to_owned());
    for cause in [Cause::Poll, push] {
        let verdict = decide(
            &settings(),
            lowered,
            &odd,
            &WatchState::default(),
            &cause,
            T0,
        );
        assert_eq!(wake_to(&verdict), Some(2), "{cause:?}: {verdict:?}");
        assert!(
            verdict
                .decision
                .reason()
                .contains("2 within capacity.max 2"),
            "{}",
            verdict.decision.reason()
        );
    }
}

/// Jobs that come hours apart: once the watcher has seen a few such gaps, the service
/// sleeps a poll after its job instead of a start-up later. The gaps are learned
/// from the looks themselves: work after a quiet hour records an hour.
#[test]
fn a_service_whose_jobs_come_hours_apart_sleeps_a_poll_after_its_job() {
    let auto = ScaleToZero {
        idle_minutes: None,
        ..settings()
    };
    let woken = WatchState {
        woke_at: Some(T0 - 1000),
        running_at: Some(T0 - 910),
        ..idle_since(T0 - 70)
    };
    let look = |state: &WatchState| decide(&auto, SIZING, &facts(2, 0), state, &Cause::Poll, T0);
    let unlearned = look(&woken);
    assert_eq!(action(&unlearned), "stay", "{unlearned:?}");
    assert_eq!(unlearned.decision.reason(), "idle for 70s of 90s");
    // No latency goal declared: a wake may make work late, so every gap kept longer
    // than the start-up.
    let hours = (0..IdleGaps::ENOUGH).fold(IdleGaps::default(), |gaps, _| gaps.with(3600));
    let learned = look(&WatchState {
        idle_gaps: hours,
        ..woken
    });
    assert_eq!(action(&learned), "sleep", "{learned:?}");
    assert!(
        learned
            .decision
            .reason()
            .contains("idle wait 5s: the cheapest over the last 4 idle gaps (start-up 90s)"),
        "{}",
        learned.decision.reason()
    );
    // The next job, an hour and a half later, is one more gap: a look since the last
    // activity saw none.
    let asleep = WatchState {
        observed: Some((0, T0 - 60)),
        ..idle_since(T0 - 5400)
    };
    let next = decide(
        &auto,
        SIZING,
        &asleep_with(40, 0),
        &asleep,
        &Cause::Poll,
        T0,
    );
    assert_eq!(next.state.idle_gaps.seconds(), &[5400]);
    // Work seen by every look, however far apart the looks, is no gap.
    let busy = WatchState {
        observed: Some((2, T0 - 60)),
        ..idle_since(T0 - 60)
    };
    let still = decide(&auto, SIZING, &facts(2, 40), &busy, &Cause::Poll, T0);
    assert!(still.state.idle_gaps.seconds().is_empty());
    // Starting tasks hold the idle clock but are no work: no gap.
    let starting = Facts {
        running: 0,
        ..facts(2, 0)
    };
    let quiet = WatchState {
        observed: Some((2, T0 - 60)),
        ..idle_since(T0 - 600)
    };
    let held = decide(&auto, SIZING, &starting, &quiet, &Cause::Poll, T0);
    assert!(held.state.idle_gaps.seconds().is_empty());
}

/// The latency goal a wake's start-up is held against: declared, else the load
/// model's (`backlog_per_task` at the service rate learned, or declared); unknown
/// without either, and a wake then counts as making work late.
#[test]
fn the_latency_goal_is_declared_or_the_backlog_per_task_at_the_service_rate() {
    let target = crate::config::Target {
        backlog_per_task: 20.0,
        ..crate::config::Target::new("t", "c", "s")
    };
    let learned = crate::capacity::Rates {
        service: Some(10.0),
        ..crate::capacity::Rates::default()
    };
    let declared_rate = crate::config::Target {
        messages_per_task_minute: Some(4.0),
        ..target.clone()
    };
    let declared = crate::config::Target {
        latency_goal_seconds: Some(45),
        ..target.clone()
    };
    // (target, rates, goal seconds)
    let cases = [
        (&target, None, None),
        (&target, Some(&crate::capacity::Rates::default()), None),
        // 20 messages at 10 a minute: 2 minutes.
        (&target, Some(&learned), Some(120)),
        // Until learned, the declared rate: 20 at 4 a minute.
        (&declared_rate, None, Some(300)),
        (&declared_rate, Some(&learned), Some(120)),
        (&declared, Some(&learned), Some(45)),
    ];
    for (target, rates, goal) in cases {
        let sizing = Sizing::of(target, rates);
        assert_eq!(sizing.latency_goal_seconds, goal, "{rates:?}");
    }
}

/// A sleeping service whose latency goal leaves room beyond a start-up puts its wake
/// off, so jobs that come meanwhile share one start-up; the work ends no idle gap
/// until the wake. A push, a backlog that sizes the wake above wake_tasks, or no goal
/// wakes at once; work that a look a stale read's minute later no longer shows is
/// forgotten.
#[test]
fn a_wake_waits_the_room_its_latency_goal_leaves() {
    // A job of 75 s, 4 in a 5-minute goal, tasks that start in 90 s: room 105 s.
    let ipsc = Sizing {
        backlog_per_task: 4.0,
        capacity_max: 10,
        latency_goal_seconds: Some(300),
        start_up_seconds: Some(90.0),
    };
    let before = WatchState {
        idle_gaps: IdleGaps::default().with(3600),
        ..idle_since(T0 - 3600)
    };
    // A poll of the sleeping service finding `jobs` waiting.
    let poll = |sizing: Sizing, jobs: u64, state: &WatchState, at: i64| {
        decide(
            &settings(),
            sizing,
            &asleep_with(jobs, 0),
            state,
            &Cause::Poll,
            at,
        )
    };
    let first = poll(ipsc, 1, &before, T0);
    let said = first.decision.reason();
    assert_eq!(
        said,
        "work waiting 0s of the 105s its latency goal leaves before a wake"
    );
    assert_eq!(first.state.waiting_since, Some(T0));
    assert_eq!(
        first.state.last_activity, before.last_activity,
        "no activity yet"
    );
    assert_eq!(first.state.idle_gaps, before.idle_gaps, "no gap ended yet");
    assert_eq!(action(&poll(ipsc, 1, &first.state, T0 + 100)), "stay");
    let due = poll(ipsc, 1, &first.state, T0 + 105);
    assert_eq!(wake_to(&due), Some(1), "{}", due.decision.reason());
    let gaps = due.state.idle_gaps;
    assert_eq!(gaps.seconds(), &[3600, 3705], "the gap ends at the wake");
    // A wake whose call failed (still at 0 once its claim lapsed) is not put off again;
    // once ECS shows the service awake, the wait is forgotten.
    let lapsed = T0 + 105 + CLAIM_LEASE_SECONDS;
    let again = poll(ipsc, 1, &due.state, lapsed);
    assert_eq!(wake_to(&again), Some(1), "{}", again.decision.reason());
    let awake = decide(
        &settings(),
        ipsc,
        &facts(1, 1),
        &due.state,
        &Cause::Poll,
        T0 + 200,
    );
    assert_eq!(awake.state.waiting_since, None);
    // At once: three jobs (two ahead of the last leave no room), a wake sized above
    // wake_tasks, no goal known, a push.
    let one_a_task = Sizing {
        backlog_per_task: 1.0,
        ..ipsc
    };
    let no_goal = Sizing {
        latency_goal_seconds: None,
        ..ipsc
    };
    for (sizing, jobs, to) in [(ipsc, 3, 1), (one_a_task, 2, 2), (no_goal, 1, 1)] {
        assert_eq!(
            wake_to(&poll(sizing, jobs, &before, T0)),
            Some(to),
            "{sizing:?}"
        );
    }
    let sns = Cause::Push("sns".into());
    let pushed = decide(&settings(), ipsc, &asleep_with(1, 0), &before, &sns, T0);
    assert_eq!(wake_to(&pushed), Some(1));
    // A quiet read within a minute of the work may be older than it: kept. Later:
    // the work is gone.
    let quiet = |at| poll(ipsc, 0, &first.state, at).state.waiting_since;
    assert_eq!(quiet(T0 + 30), Some(T0));
    assert_eq!(quiet(T0 + 60), None);
}

/// A message in flight on a sleeping service was held by a task the sleep stopped: no
/// task can receive it before its visibility timeout ends, so it wakes nothing, but
/// its user has waited since it was seen. When it is visible again the wake is put
/// off only for what is left of the room, not for the room again.
#[test]
fn a_job_a_sleep_stopped_has_waited_since_it_was_seen_in_flight() {
    // A job of 75 s, 4 in a 5-minute goal, tasks that start in 90 s: room 105 s.
    let ipsc = Sizing {
        backlog_per_task: 4.0,
        capacity_max: 10,
        latency_goal_seconds: Some(300),
        start_up_seconds: Some(90.0),
    };
    let poll = |facts: &Facts, state: &WatchState, at: i64| {
        decide(&settings(), ipsc, facts, state, &Cause::Poll, at)
    };
    let held = Facts {
        in_flight: 1,
        ..asleep_with(1, 0)
    };
    let seen = poll(&held, &idle_since(T0 - 3600), T0);
    assert_eq!(action(&seen), "stay", "{}", seen.decision.reason());
    assert_eq!(seen.state.waiting_since, Some(T0));
    let back = poll(&asleep_with(1, 0), &seen.state, T0 + 75);
    assert_eq!(
        back.decision.reason(),
        "work waiting 75s of the 105s its latency goal leaves before a wake"
    );
    let due = poll(&asleep_with(1, 0), &back.state, T0 + 105);
    assert_eq!(wake_to(&due), Some(1), "{}", due.decision.reason());
}
