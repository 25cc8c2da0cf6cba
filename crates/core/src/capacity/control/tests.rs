use super::*;

#[test]
fn the_give_back_waits_a_start_up_between_one_and_three_minutes() {
    let cases = [
        (Some(600), Some(90.0), 600), // configured wins
        (None, Some(90.0), 90),
        (None, Some(20.0), 60),
        (None, Some(420.0), 180),
        (None, None, 180),
        (None, Some(f64::NAN), 180),
        (None, Some(-5.0), 180),
    ];
    for (configured, start_up, want) in cases {
        assert_eq!(
            give_back_window(configured, start_up),
            want,
            "{configured:?} {start_up:?}"
        );
    }
}
use crate::capacity::need::Basis;

fn need(raw: f64) -> Need {
    Need {
        raw,
        tasks: (raw - 1e-6).ceil().max(0.0) as u32,
        basis: Basis::Backlog { per_task: 1.0 },
    }
}

fn at(desired: u32, now: i64) -> Situation {
    Situation {
        desired,
        bounds: ScalableBounds { min: 1, max: 20 },
        in_flight: 0.0,
        now,
    }
}

/// Looks a minute apart at `needs`, from `start` tasks: the counts set.
fn follow(start: u32, needs: &[f64], window: i64) -> Vec<u32> {
    let mut desired = start;
    let mut memory = Memory::default();
    needs
        .iter()
        .enumerate()
        .map(|(minute, raw)| {
            let (decision, kept) = tracking(
                &need(*raw),
                &at(desired, minute as i64 * 60),
                &memory,
                window,
            );
            memory = kept;
            desired = decision.to().unwrap_or(desired);
            desired
        })
        .collect()
}

/// Found by the control plane's model-based test: a MinCapacity above the
/// MaxCapacity read (a lowered max that failed to register, under a window floor)
/// made a give-back land on the floor, above the max.
#[test]
fn a_give_back_never_lands_above_max_capacity_even_under_an_odd_floor() {
    let odd = |desired, now| Situation {
        bounds: ScalableBounds { min: 3, max: 2 },
        ..at(desired, now)
    };
    let mut memory = Memory::default();
    let mut last = None;
    for minute in 0..10 {
        let (decision, kept) = tracking(&need(0.5), &odd(4, minute * 60), &memory, 60);
        memory = kept;
        last = decision.to().or(last);
    }
    assert_eq!(last, Some(2), "lowered to the max, not to the floor of 3");
}

/// Found by the control-plane property (CI at 49963e7): an apply kept a cap of 0
/// from an odd prescaler record, MaxCapacity became 0, and the give-back lowered a
/// service with a message waiting to 0. Zero is the sleep's, after the idle wait;
/// under MaxCapacity 0 the give-back holds, and Application Auto Scaling keeps
/// desired within its own bounds.
#[test]
fn a_give_back_never_goes_to_zero_even_under_a_max_capacity_of_zero() {
    let zero_max = |desired, now| Situation {
        bounds: ScalableBounds { min: 1, max: 0 },
        ..at(desired, now)
    };
    let behavior = Behavior::default();
    let mut memory = Memory::default();
    let mut direct_memory = Memory::default();
    for minute in 0..10 {
        let (decision, kept) = tracking(&need(0.1), &zero_max(2, minute * 60), &memory, 60);
        memory = kept;
        assert!(matches!(decision, Move::Hold { .. }), "{decision:?}");
        let (decision, kept) = direct(
            &need(0.1),
            &zero_max(2, minute * 60),
            &direct_memory,
            &behavior,
        );
        direct_memory = kept;
        assert!(decision.to().is_none_or(|to| to > 0), "{decision:?}");
    }
}

#[test]
fn up_at_once_and_down_after_the_window_to_its_largest_need() {
    let mut needs = vec![1.0, 9.5];
    needs.extend([3.2, 3.3, 3.1, 3.4, 3.2, 3.3]);
    let counts = follow(1, &needs, 180);
    assert_eq!(counts[1], 10, "raised the look it was needed");
    assert_eq!(&counts[2..5], &[10, 10, 10], "three minutes below: waiting");
    assert_eq!(counts[5], 4, "the window's largest, 3.4: ceil(3.74)");
    assert_eq!(counts[7], 4, "and steady");
}

#[test]
fn a_window_with_nothing_to_give_does_not_keep_its_peak() {
    // Desired 9; the need falls from 8.5 to 1 over the first window.
    let mut needs = vec![8.5, 8.5, 4.0, 1.0];
    needs.extend([1.0; 6]);
    let counts = follow(9, &needs, 180);
    assert_eq!(&counts[..5], &[9; 5], "three minutes below from minute 2");
    assert_eq!(
        counts[5], 5,
        "the window (minutes 3 to 5) held 4.0: ceil(4.4)"
    );
    assert_eq!(counts[6], 2, "it slides past the 4.0: ceil(1.1)");
}

#[test]
fn a_noisy_steady_need_moves_nothing() {
    let needs: Vec<f64> = (0..240)
        .map(|m| 3.33 + 0.15 * ((m * 7 % 11) as f64 / 10.0 - 0.5))
        .collect();
    let counts = follow(4, &needs, 180);
    assert!(counts.iter().all(|c| *c == 4), "{counts:?}");
}

#[test]
fn a_count_that_came_in_low_gives_nothing_back() {
    // 150 a minute at 50 a task holds 4 (3.0 with noise room: 3.42). Three minutes
    // of SQS counts averaging 125 (a dip Poisson arrivals at 150 make a few times a
    // day) read 2.5 tasks, 2.89 with noise room, a tenth more 3.18: still 4.
    let counted = |arrival: f64| Need {
        raw: arrival / 50.0,
        tasks: (arrival / 50.0 - 1e-6).ceil() as u32,
        basis: Basis::Rates {
            arrival,
            service: 50.0,
            keep_up: arrival / 50.0,
            keep_up_sure: arrival / 50.0,
            drain: 0.0,
            drain_within_goal: 0.0,
            deviations: crate::capacity::need::NOISE_DEVIATIONS,
            carried: 0.0,
            utilization: 1.0,
        },
    };
    let mut memory = Memory::default();
    let mut desired = 4;
    for (minute, arrival) in [150.0, 125.0, 125.0, 125.0, 125.0, 150.0]
        .iter()
        .enumerate()
    {
        let now = minute as i64 * 60;
        let (decision, kept) = tracking(&counted(*arrival), &at(desired, now), &memory, 180);
        memory = kept;
        desired = decision.to().unwrap_or(desired);
    }
    assert_eq!(desired, 4);
    // A real fall, to 60 a minute (1.2 tasks, 1.47 with noise room), is given back.
    for minute in 6..12 {
        let (decision, kept) = tracking(&counted(60.0), &at(desired, minute * 60), &memory, 180);
        memory = kept;
        desired = decision.to().unwrap_or(desired);
    }
    assert_eq!(desired, 2, "ceil(1.47 x 1.1)");
}

#[test]
fn never_below_the_floor_or_the_busy_tasks_nor_above_the_maximum() {
    let memory = Memory {
        below_since: Some(0),
        ..Memory::default()
    };
    let busy = Situation {
        in_flight: 3.0,
        ..at(10, 600)
    };
    let (decision, _) = tracking(&need(0.5), &busy, &memory, 180);
    assert_eq!(decision.to(), Some(3), "three tasks hold a message");
    let floored = Situation {
        bounds: ScalableBounds { min: 6, max: 20 },
        ..at(10, 600)
    };
    assert_eq!(tracking(&need(0.5), &floored, &memory, 180).0.to(), Some(6));
    let at_floor = Situation {
        bounds: ScalableBounds { min: 6, max: 20 },
        ..at(6, 600)
    };
    assert_eq!(
        tracking(&need(0.5), &at_floor, &memory, 180).0,
        Move::Hold {
            why: Why::NothingToGive { floor: 6, busy: 0 }
        }
    );
    let capped = tracking(&need(40.0), &at(20, 0), &Memory::default(), 180).0;
    assert_eq!(
        capped,
        Move::Hold {
            why: Why::AtMaximum { max: 20 }
        }
    );
}

#[test]
fn a_corrupt_memory_is_cleaned_and_said() {
    let stored = Memory {
        below_since: Some(i64::MAX),
        needs: vec![(0, 1.0), (60, f64::NAN), (i64::MAX, 2.0), (120, -1.0)],
        history: History {
            recommendations: vec![(0, 3), (i64::MAX, 9)],
            changes: Vec::new(),
        },
        starting: Some(Starting {
            since: i64::MAX,
            to: 3,
        }),
    };
    let (clean, notes) = stored.sanitized(600);
    assert_eq!(clean.below_since, None);
    assert_eq!(clean.needs, vec![(0, 1.0)]);
    assert_eq!(clean.history.recommendations, vec![(0, 3)]);
    assert_eq!(clean.starting, None);
    assert_eq!(notes.len(), 6, "{notes:?}");
}

#[test]
fn direct_control_follows_the_behavior() {
    let mut desired = 1;
    let mut memory = Memory::default();
    let mut counts = Vec::new();
    for step in 0..4 {
        let (decision, kept) = direct(
            &need(20.0),
            &at(desired, step * 15),
            &memory,
            &Behavior::default(),
        );
        memory = kept;
        desired = decision.to().unwrap_or(desired);
        counts.push(desired);
    }
    assert_eq!(counts, [5, 10, 20, 20]);
    assert_eq!(
        Move::Lower {
            to: 4,
            why: Why::StayedBelow {
                window: 180,
                peak: 3.4
            }
        }
        .to_string(),
        "lower to 4: needed at most 3.40 tasks for 180s"
    );
}
