//! The polls' idle clock (`zero::Polls`) and what its full looks make of it.

use super::*;

fn auto() -> ScaleToZero {
    ScaleToZero {
        idle_minutes: None,
        ..settings()
    }
}

/// Goal 120 s: a measured start-up of 90 s makes no work late.
const GOAL: Sizing = Sizing {
    latency_goal_seconds: Some(120),
    start_up_seconds: None,
    ..SIZING
};

fn awake(backlog: u64, polled: Polled) -> Facts {
    Facts {
        polled,
        ..facts(2, backlog)
    }
}

/// Woken at T0, running 90 s later, and seen busy by a full look at `busy`.
fn woken(busy: i64) -> WatchState {
    WatchState {
        last_activity: Some(busy),
        observed: Some((2, busy)),
        woke_at: Some(T0),
        running_at: Some(T0 + 90),
        ..WatchState::default()
    }
}

fn look(state: &WatchState, backlog: u64, polled: Polled, now: i64) -> (Verdict, Option<Polls>) {
    let verdict = decide(
        &auto(),
        GOAL,
        &awake(backlog, polled),
        state,
        &Cause::Poll,
        now,
    );
    let polls = Polls::after(&verdict, &auto(), GOAL);
    (verdict, polls)
}

#[test]
fn the_polls_run_the_idle_clock_and_a_full_look_sleeps_when_it_is_over() {
    // A full look at T0+120 sees the job's last messages; the polls see them until
    // T0+145 and none after. The wait is the start-up, 90 s: over at T0+235, not
    // at the next minute look (T0+240) and not 90 s after that look's busy reading.
    let (verdict, polls) = look(&woken(T0 + 60), 3, Polled::default(), T0 + 120);
    assert_eq!(verdict.decision.reason(), "busy: backlog 3");
    let mut polls = polls.expect("a busy service is polled");
    let mut due = None;
    for now in (T0 + 125..T0 + 240).step_by(5) {
        if polls.saw(now, now <= T0 + 145) {
            due = Some(now);
            break;
        }
    }
    assert_eq!(due, Some(T0 + 235));
    let (slept, after) = look(&verdict.state, 0, polls.polled(), T0 + 235);
    assert!(
        matches!(slept.decision, Decision::Sleep { .. }),
        "{:?}",
        slept.decision
    );
    assert_eq!(
        slept.state.last_activity,
        Some(T0 + 145),
        "the polls' clock kept"
    );
    assert_eq!(after, None, "asleep: no idle clock");
}

#[test]
fn what_the_polls_saw_keeps_a_full_look_from_sleeping_early() {
    // The stored clock says busy at T0+120; the polls saw work until T0+200. A full
    // look at T0+215 without them would sleep (95 s idle against a 90 s wait).
    let state = woken(T0 + 120);
    let polled = Polled {
        busy_at: Some(T0 + 200),
        quiet_at: Some(T0 + 210),
        ..Polled::default()
    };
    let (blind, _) = look(&state, 0, Polled::default(), T0 + 215);
    assert!(matches!(blind.decision, Decision::Sleep { .. }));
    let (seen, polls) = look(&state, 0, polled, T0 + 215);
    assert_eq!(seen.decision.reason(), "idle for 15s of 90s");
    assert!(polls.is_some(), "still polled");
}

#[test]
fn the_gaps_the_polls_see_end_are_kept_at_the_poll() {
    // Busy at a full look; then pauses of 30 s and 80 s between work (shorter than
    // the 90 s wait), each ended at a poll; the full look at the window's end keeps
    // both, to the poll.
    let (verdict, polls) = look(&woken(T0 + 120), 2, Polled::default(), T0 + 120);
    let mut polls = polls.expect("polled");
    let busy = |now: i64| now == T0 + 120 || now == T0 + 150 || now == T0 + 230;
    for now in (T0 + 125..=T0 + 275).step_by(5) {
        assert!(!polls.saw(now, busy(now)), "not over at {now}");
    }
    assert!(polls.unsaved());
    assert_eq!(polls.polled().gaps.seconds(), &[30, 80]);
    let (saved, _) = look(&verdict.state, 0, polls.polled(), T0 + 275);
    assert_eq!(saved.state.idle_gaps.seconds(), &[30, 80]);
    assert_eq!(saved.state.last_activity, Some(T0 + 230));
    // Work seen by the full look itself after quiet polls ends a gap too.
    let pending = Polled {
        busy_at: Some(T0 + 280),
        quiet_at: Some(T0 + 290),
        ..Polled::default()
    };
    let (ended, _) = look(&saved.state, 1, pending, T0 + 300);
    assert_eq!(ended.state.idle_gaps.seconds(), &[30, 80, 20]);
}

#[test]
fn only_an_awake_idle_or_busy_service_without_an_activation_metric_is_polled() {
    let busy = woken(T0 + 60);
    let (_, polls) = look(&busy, 1, Polled::default(), T0 + 120);
    assert!(polls.is_some());
    // Tasks starting: the minute looks watch it.
    let starting = decide(
        &auto(),
        GOAL,
        &Facts {
            running: 1,
            ..awake(0, Polled::default())
        },
        &busy,
        &Cause::Poll,
        T0 + 120,
    );
    assert_eq!(Polls::after(&starting, &auto(), GOAL), None);
    // Protected tasks: blocked, left to the minute looks.
    let blocked = decide(
        &auto(),
        GOAL,
        &Facts {
            protection: Protection::Protected(1),
            ..awake(0, Polled::default())
        },
        &busy,
        &Cause::Poll,
        T0 + 400,
    );
    assert!(
        blocked.decision.reason().contains("protected"),
        "{}",
        blocked.decision.reason()
    );
    assert_eq!(Polls::after(&blocked, &auto(), GOAL), None);
    // An activation metric: a poll's read of the queues cannot call it idle.
    let metric = ScaleToZero {
        metric: Some(crate::config::ActivationMetric {
            namespace: "Team".to_owned(),
            metric: "QueueLag".to_owned(),
            dimensions: Default::default(),
            statistic: "Maximum".to_owned(),
            threshold: 0.0,
            rate: false,
        }),
        ..auto()
    };
    let (verdict, _) = look(&busy, 1, Polled::default(), T0 + 120);
    assert_eq!(Polls::after(&verdict, &metric, GOAL), None);
}

#[test]
fn an_unread_poll_or_one_that_sees_work_never_makes_a_sleep_due() {
    let (_, polls) = look(&woken(T0 + 60), 1, Polled::default(), T0 + 60);
    let mut polls = polls.expect("polled");
    for now in (T0 + 65..T0 + 3600).step_by(5) {
        assert!(!polls.saw(now, true));
    }
    assert!(polls.saw(T0 + 3600 + 90, false), "quiet for the wait");
}
