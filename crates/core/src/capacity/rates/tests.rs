use super::*;

/// A look; with work waiting, every task holds a message.
fn look(at: i64, waiting: f64, running: u32) -> Look {
    let busy = if waiting > 0.0 { running } else { running / 2 };
    Look {
        at,
        waiting,
        in_flight: f64::from(busy),
        running,
        desired: running,
    }
}

fn minute(start: i64, sent: f64, deleted: f64) -> QueueMinute {
    QueueMinute {
        start,
        sent,
        deleted,
    }
}

#[test]
fn a_saturated_minute_teaches_the_service_rate_and_a_kept_up_one_does_not_start_it() {
    let rates = Rates::default()
        .observe(look(0, 0.0, 2), &[])
        .observe(look(60, 0.0, 2), &[minute(0, 30.0, 30.0)]);
    assert_eq!(
        rates.service, None,
        "keeping up with 30 says nothing of the most"
    );
    assert_eq!(rates.arrival, Some(30.0));
    let rates = rates
        .observe(look(120, 40.0, 2), &[minute(60, 150.0, 100.0)])
        .observe(look(180, 90.0, 2), &[minute(120, 150.0, 100.0)]);
    assert_eq!(
        rates.service,
        Some(50.0),
        "two tasks deleted 100 while work waited"
    );
    assert_eq!(rates.samples, 1, "the minute 60-120 had no waiting at 60");
    let rates = rates.observe(look(240, 120.0, 2), &[minute(180, 150.0, 120.0)]);
    assert_eq!(rates.service, Some(60.0), "a higher rate is taken at once");
    let rates = rates.observe(look(300, 130.0, 2), &[minute(240, 150.0, 100.0)]);
    assert!(
        (rates.service.unwrap_or(0.0) - 57.0).abs() < 1e-9,
        "a lower one in part: {rates:?}"
    );
    assert_eq!(rates.arrival, Some(150.0));
}

#[test]
fn littles_law_reads_only_minutes_no_task_started_in() {
    // One task held a message at each look while three more started between them
    // and worked: 200 deleted against 1 in hand read 200 a task.
    let starting = |at: i64| Look {
        in_flight: 1.0,
        desired: 4,
        ..look(at, 0.0, 1)
    };
    let ramp = (0..4).fold(Rates::default().observe(starting(0), &[]), |rates, m| {
        rates.observe(starting(60 * (m + 1)), &[minute(60 * m, 200.0, 200.0)])
    });
    assert_eq!(ramp.little(), None, "{ramp:?}");
    assert_eq!(ramp.service, None);
    // Three tasks running throughout, three in hand, 150 deleted a minute: 50.
    let steady = |at: i64| Look {
        in_flight: 3.0,
        ..look(at, 0.0, 3)
    };
    let rates = (0..4).fold(Rates::default().observe(steady(0), &[]), |rates, m| {
        rates.observe(steady(60 * (m + 1)), &[minute(60 * m, 150.0, 150.0)])
    });
    assert_eq!(rates.little(), Some(50.0), "{rates:?}");
    assert_eq!(rates.service, Some(50.0));
}

#[test]
fn waiting_messages_with_idle_tasks_are_not_saturation() {
    // Messages just sent wait a moment even while tasks keep up: in flight shows
    // the tasks were not all busy.
    let idle = |at| Look {
        in_flight: 1.0,
        ..look(at, 12.0, 4)
    };
    let rates = Rates::default()
        .observe(idle(0), &[])
        .observe(idle(60), &[minute(0, 30.0, 30.0)]);
    assert_eq!(rates.service, None);
    assert!(!idle(0).saturated() && look(0, 12.0, 4).saturated());
}

#[test]
fn each_minute_is_learned_once_and_looks_are_bounded() {
    let mut rates = Rates::default();
    for step in 0..20 {
        let at = step * 60;
        rates = rates.observe(
            look(at, 10.0, 1),
            &[minute(at - 120, 5.0, 40.0), minute(at - 60, 5.0, 40.0)],
        );
    }
    assert_eq!(rates.looks.len(), LOOKS_KEPT);
    assert_eq!(rates.learned_through, Some(19 * 60 - 60));
    assert!(rates.samples <= 19, "{}", rates.samples);
    assert_eq!(rates.service, Some(40.0));
}

#[test]
fn complete_minutes_over_queues_weighted_and_missing_points_as_none_sent() {
    let queues = [
        QueueCounts {
            weight: 1.0,
            sent: vec![(0, 10.0), (60, 12.0), (120, 5.0)],
            deleted: vec![(0, 8.0), (60, 11.0)],
        },
        QueueCounts {
            weight: 0.5,
            sent: vec![(60, 4.0)],
            deleted: vec![(60, f64::NAN)],
        },
    ];
    // At 240 the minute 120-180 ended 60 s ago: complete; 180 not.
    let minutes = queue_minutes(&queues, 240);
    assert_eq!(
        minutes,
        [
            QueueMinute {
                start: 0,
                sent: 10.0,
                deleted: 8.0
            },
            QueueMinute {
                start: 120,
                sent: 5.0,
                deleted: 0.0
            },
        ],
        "the minute at 60 holds a count that is not one: unknown"
    );
}

#[test]
fn a_corrupt_record_is_cleaned_and_said() {
    let stored = Rates {
        looks: vec![
            look(0, 1.0, 1),
            Look {
                waiting: f64::NAN,
                ..look(60, 0.0, 1)
            },
            look(9_000_000_000, 1.0, 1),
        ],
        service: Some(-3.0),
        samples: 5,
        arrival: Some(f64::INFINITY),
        learned_through: Some(i64::MAX),
        in_hand: Some(1e300),
        deleting: Some(2.0),
        little_minutes: 4,
        start_up: Some(-90.0),
    };
    let (clean, notes) = stored.sanitized(600);
    assert_eq!(clean.looks, vec![look(0, 1.0, 1)]);
    assert_eq!(
        (clean.service, clean.samples, clean.arrival),
        (None, 0, None)
    );
    assert_eq!(
        (clean.learned_through, clean.in_hand, clean.deleting),
        (None, None, Some(2.0))
    );
    assert_eq!(clean.start_up, None);
    assert_eq!(notes.len(), 7, "{notes:?}");
    let (same, none) = clean.sanitized(600);
    assert_eq!(
        (same, none.len()),
        (clean, 0),
        "a clean record stays as it is"
    );
}

/// Regression cases found by the stored-record extremes property
/// (tests/properties/inputs.rs): a subnormal service rate made the need infinite,
/// and every task up to the max was asked for; a look dated i64::MIN overflowed
/// the growth arithmetic.
#[test]
fn a_service_rate_near_nothing_and_a_look_from_the_year_minus_infinity_are_dropped() {
    let stored = Rates {
        looks: vec![look(i64::MIN, 5.0, 1), look(1_800_000_000, 5.0, 1)],
        service: Some(5e-324),
        samples: 3,
        ..Rates::default()
    };
    let (clean, notes) = stored.sanitized(1_800_000_060);
    assert_eq!(clean.looks, vec![look(1_800_000_000, 5.0, 1)]);
    assert_eq!((clean.service, clean.samples), (None, 0));
    assert_eq!(notes.len(), 2, "{notes:?}");
    let learned = Rates {
        service: Some(1e-9),
        ..Rates::default()
    };
    assert_eq!(
        learned.service_or(None),
        Some(1e-3),
        "clamped into the range"
    );
}

#[test]
fn a_start_up_is_learned_from_the_looks_that_waited_for_it() {
    let asked = |at: i64, running: u32| Look {
        desired: 4,
        ..look(at, 10.0, running)
    };
    // Running 1 of 1, then 4 asked: 1 running for four looks, then all 4.
    let rates = [
        asked(60, 1),
        asked(120, 1),
        asked(180, 1),
        asked(240, 1),
        asked(300, 4),
    ]
    .into_iter()
    .fold(Rates::default().observe(look(0, 10.0, 1), &[]), |r, l| {
        r.observe(l, &[])
    });
    assert_eq!(
        rates.start_up,
        Some(240.0),
        "from the first starting look to all running"
    );
    // A run whose start is not in the looks teaches nothing.
    let unknown = [asked(0, 1), asked(60, 1), asked(120, 4)]
        .into_iter()
        .fold(Rates::default(), |r, l| r.observe(l, &[]));
    assert_eq!(unknown.start_up, None);
    // The next start-up is smoothed in.
    let again = [look(360, 10.0, 4), asked(420, 2), asked(480, 4)]
        .into_iter()
        .fold(rates, |r, l| r.observe(l, &[]));
    assert!((again.start_up.unwrap_or(0.0) - (240.0 + 0.3 * (60.0 - 240.0))).abs() < 1e-9);
}

#[test]
fn a_prior_stands_in_until_a_rate_is_learned() {
    let rates = Rates::default();
    assert_eq!(rates.service_or(Some(12.0)), Some(12.0));
    assert_eq!(rates.service_or(Some(f64::NAN)), None);
    let learned = Rates {
        service: Some(30.0),
        ..Rates::default()
    };
    assert_eq!(learned.service_or(Some(12.0)), Some(30.0));
}
