//! The decision table: every combination of facts and state, named.

use super::*;

#[test]
fn decide_table() {
    let cases = [
        Case {
            // Backlog counts in-flight messages: 3 being processed, none visible.
            want: ("stay", "busy: backlog 3"),
            state: idle_since(T0 - 3600),
            want_last_activity: Some(Some(T0)),
            ..case(
                "in-flight work keeps the service awake",
                (1, 3, false, None),
            )
        },
        Case {
            state: idle_since(T0 - 240),
            want: ("stay", "idle for 240s of 300s"),
            ..case("one minute short of idle stays", (1, 0, false, None))
        },
        Case {
            state: idle_since(T0 - 300),
            want: ("sleep", "idle for 5 min (idle_minutes 5)"),
            ..case("idle_minutes of nothing sleeps", (1, 0, false, None))
        },
        Case {
            want: ("stay", "idle for 0s of 300s"),
            want_last_activity: Some(Some(T0)),
            ..case(
                "the first look starts the clock rather than assuming idle",
                (1, 0, false, None),
            )
        },
        Case {
            state: idle_since(T0 - 3600),
            cause: Cause::ManualSleep,
            want: ("stay", "scalable target MinCapacity 1 > 0: never sleeps"),
            ..case(
                "a floor above zero never sleeps",
                (1, 0, false, Some((1, 10))),
            )
        },
        Case {
            state: idle_since(T0 - 3600),
            want: ("sleep", "idle for 60 min (idle_minutes 5)"),
            ..case(
                "idle at any size sleeps: a sized wake to 3 of a wake count of 1",
                (3, 0, false, None),
            )
        },
        Case {
            wake_tasks: 3,
            activation_backlog: 5,
            state: idle_since(T0 - 10),
            want: ("stay", "asleep, no activity"),
            ..case(
                "at the activation threshold stays asleep",
                (0, 5, false, None),
            )
        },
        Case {
            wake_tasks: 3,
            activation_backlog: 5,
            state: idle_since(T0 - 10),
            want: ("wake 3", "backlog 6 above activation threshold 5"),
            ..case(
                "above the activation threshold wakes to the wake count",
                (0, 6, false, None),
            )
        },
        Case {
            wake_tasks: 3,
            state: idle_since(T0 - 300),
            want: ("sleep", "idle for 5 min (idle_minutes 5)"),
            ..case(
                "woken at 3 tasks, idle long enough: sleeps from the wake count",
                (3, 0, false, None),
            )
        },
        Case {
            wake_tasks: 4,
            want: ("wake 2", "backlog 1 above activation threshold 0"),
            ..case(
                "the wake count is capped at MaxCapacity",
                (0, 1, false, Some((0, 2))),
            )
        },
        Case {
            wake_tasks: 4,
            want: (
                "stay",
                "activity, but the scalable target's MaxCapacity is 0",
            ),
            ..case("MaxCapacity 0 never wakes", (0, 1, false, Some((0, 0))))
        },
        Case {
            cause: Cause::Push("SNS notification from arn:t".into()),
            want: ("wake 1", "SNS notification from arn:t"),
            ..case("a push wakes a sleeping service", (0, 0, false, None))
        },
        Case {
            want: ("wake 1", "activation metric above its threshold"),
            ..case(
                "an activation metric wakes a sleeping service",
                (0, 0, true, None),
            )
        },
        Case {
            state: claimed(Transition::Wake, T0 - 10),
            want: ("stay", "wake already claimed by another invocation"),
            ..case(
                "a claimed wake is not claimed twice within the lease",
                (0, 4, false, None),
            )
        },
        Case {
            state: claimed(Transition::Wake, T0 - CLAIM_LEASE_SECONDS),
            want: ("wake 1", "backlog 4 above activation threshold 0"),
            ..case(
                "after the lease a failed wake is retried",
                (0, 4, false, None),
            )
        },
        Case {
            state: claimed(Transition::Wake, T0 + 3600),
            want: ("wake 1", "backlog 4 above activation threshold 0"),
            ..case(
                "a claim dated in the future holds nothing",
                (0, 4, false, None),
            )
        },
        Case {
            state: idle_since(i64::MIN),
            want: ("sleep", "idle for 153722867280912930 min (idle_minutes 5)"),
            ..case(
                "an absurdly old activity time saturates, never overflows",
                (1, 0, false, None),
            )
        },
        Case {
            state: claimed(Transition::Sleep, i64::MIN),
            want: ("wake 1", "backlog 4 above activation threshold 0"),
            ..case(
                "an absurdly old claim has long run out",
                (0, 4, false, None),
            )
        },
        Case {
            state: idle_since(T0),
            cause: Cause::ManualSleep,
            want: ("sleep", "manual sleep"),
            ..case("a manual sleep skips the idle clock", (1, 0, false, None))
        },
        Case {
            cause: Cause::ManualSleep,
            want: ("stay", "already asleep: a manual sleep never wakes"),
            ..case(
                "a manual sleep on a sleeping service with work never wakes it",
                (0, 5, false, None),
            )
        },
        Case {
            // Work in the queue: a manual sleep would strand it.
            state: idle_since(T0),
            cause: Cause::ManualSleep,
            want: ("stay", "busy: backlog 2"),
            ..case(
                "a manual sleep does not skip the rules",
                (1, 2, false, None),
            )
        },
    ];
    for case in cases {
        let settings = ScaleToZero {
            wake_tasks: case.wake_tasks,
            activation_backlog: case.activation_backlog,
            ..settings()
        };
        let (desired, backlog, metric_active, bounds) = case.facts;
        let facts = Facts {
            metric_active,
            bounds: bounds.map(|(min, max)| ScalableBounds { min, max }),
            ..facts(desired, backlog)
        };
        let verdict = decide(&settings, SIZING, &facts, &case.state, &case.cause, T0);
        let action = match verdict.decision {
            Decision::Wake { to, .. } => format!("wake {to}"),
            Decision::Sleep { .. } => "sleep".to_owned(),
            Decision::Stay { .. } => "stay".to_owned(),
        };
        // A wake's reason goes on with how its count was derived: tested apart.
        let said = verdict.decision.reason();
        let reason = said.split("; ").next().unwrap_or("");
        assert_eq!((action.as_str(), reason), case.want, "{}", case.name);
        if let Some(transition) = verdict.decision.transition() {
            assert_eq!(
                verdict.state.claimed,
                Some((transition, T0)),
                "{}",
                case.name
            );
        }
        if let Some(last_activity) = case.want_last_activity {
            assert_eq!(verdict.state.last_activity, last_activity, "{}", case.name);
        }
    }
}

/// Issue 23 item 9: on a service without a scalable target the prescaler holds its
/// window floor as desiredCount; the watcher slept it, the prescaler raised it
/// again at its next run, and the two took turns through the window.
#[test]
fn the_prescalers_floor_without_a_scalable_target_never_sleeps() {
    let facts = Facts {
        prescaled: Some(2),
        ..facts(2, 0)
    };
    assert!(!sleep_possible(&facts));
    for cause in [Cause::Poll, Cause::ManualSleep] {
        let verdict = decide(
            &settings(),
            SIZING,
            &facts,
            &idle_since(T0 - 3600),
            &cause,
            T0,
        );
        assert_eq!(
            verdict.decision.reason(),
            "the prescaler's window floor 2 (no scalable target): never sleeps",
            "{cause:?}"
        );
    }
    let ended = Facts {
        prescaled: Some(0),
        ..facts
    };
    assert!(sleep_possible(&ended), "a record of 0 is no floor");
}
