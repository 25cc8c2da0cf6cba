use super::*;

fn goal() -> Goal {
    Goal {
        backlog_per_task: 50.0,
        latency_seconds: None,
        utilization: 0.9,
        prior_service: None,
    }
}

/// A look; with work waiting every task holds a message, without half do.
fn look(at: i64, waiting: f64, running: u32) -> Look {
    let busy = if waiting > 0.0 { 1.0 } else { 0.5 };
    let in_flight = f64::from(running) * busy;
    Look {
        at,
        waiting,
        in_flight,
        running,
        desired: running,
    }
}

fn learned(arrival: f64, service: f64) -> Rates {
    Rates {
        service: Some(service),
        arrival: Some(arrival),
        samples: 3,
        ..Rates::default()
    }
}

#[test]
fn keep_up_plus_drain_table() {
    // (arrival, service, waiting, tasks, raw) at 90 % utilisation, 50 a task.
    let cases = [
        (150.0, 50.0, 0.0, 4, 150.0 / 45.0), // a steady 3.33 tasks' worth
        (135.0, 50.0, 0.0, 3, 3.0),          // exactly three
        (150.0, 50.0, 500.0, 10, 10.0),      // 500 waiting: ten to reach them in a minute
        (500.0, 50.0, 100.0, 12, 500.0 / 45.0), // arrivals ask for more than the queue
        (0.0, 50.0, 0.0, 1, 0.0),            // nothing arriving, one in hand
        (0.0, 50.0, 1.0, 1, 0.02),           // one message: one task
        (150.0, 50.0, 0.0, 4, 150.0 / 45.0), // busy tasks: the counted rate
    ];
    for (arrival, service, waiting, tasks, raw) in cases {
        let need = Need::of(&goal(), &learned(arrival, service), &look(0, waiting, 1));
        assert_eq!(need.tasks, tasks, "{arrival}/{service}/{waiting}: {need:?}");
        assert!((need.raw - raw).abs() < 1e-9, "{need:?}");
    }
}

#[test]
fn a_hair_over_whole_tasks_is_those_tasks_and_the_need_never_falls_past_it() {
    // A 90 s start-up within a 2-minute goal: the queue may carry a fraction, so
    // 3.005 tasks' work asks for 3; 3 and a hair is 3 too, not more than 3.005's.
    let goal = Goal {
        latency_seconds: Some(120),
        utilization: 1.0,
        ..goal()
    };
    let with = |arrival: f64| Rates {
        start_up: Some(90.0),
        ..learned(arrival, 50.0)
    };
    let hair = Need::of(&goal, &with(150.0 + 2e-5), &look(0, 1.0, 3));
    let more = Need::of(&goal, &with(150.25), &look(0, 1.0, 3));
    assert_eq!((hair.raw, hair.tasks), (3.0, 3), "{hair:?}");
    assert!(more.raw >= hair.raw, "{hair:?} then {more:?}");
}

#[test]
fn nothing_waiting_and_nothing_in_hand_needs_nothing_whatever_was_counted() {
    let idle = Look {
        in_flight: 0.0,
        ..look(0, 0.0, 3)
    };
    let need = Need::of(&goal(), &learned(300.0, 50.0), &idle);
    assert_eq!((need.tasks, need.raw), (0, 0.0));
}

#[test]
fn a_latency_goal_sets_the_drain() {
    let goal = Goal {
        latency_seconds: Some(120),
        ..goal()
    };
    // 200 waiting, 50 a task a minute, 2 minutes: two tasks to drain.
    let need = Need::of(&goal, &learned(0.0, 50.0), &look(0, 200.0, 1));
    assert_eq!(need.tasks, 2);
}

#[test]
fn without_a_service_rate_the_backlog_share_stands_in() {
    let need = Need::of(&goal(), &Rates::default(), &look(0, 120.0, 1));
    assert_eq!(
        (need.tasks, need.basis),
        (3, Basis::Backlog { per_task: 50.0 })
    );
    let prior = Goal {
        prior_service: Some(40.0),
        ..goal()
    };
    let need = Need::of(&prior, &Rates::default(), &look(0, 0.0, 1));
    assert!(matches!(need.basis, Basis::Rates { service, .. } if service == 40.0));
}

#[test]
fn growth_while_saturated_shows_a_surge_before_sqs_counts_it() {
    let mut rates = learned(30.0, 50.0);
    rates.looks = vec![look(0, 100.0, 1), look(15, 237.5, 1)];
    // 150 more wait every 15 s while the one task takes 12.5: 600 a minute.
    let now = look(30, 375.0, 1);
    let need = Need::of(&goal(), &rates, &now);
    let Basis::Rates { arrival, .. } = need.basis else {
        panic!("rates")
    };
    assert!((arrival - 600.0).abs() < 1e-9, "{arrival}");
    let too_soon = Need::of(&goal(), &rates, &look(20, 300.0, 1));
    assert!(
        matches!(too_soon.basis, Basis::Rates { arrival, .. } if arrival == 30.0),
        "two intervals of 10 s do not fit yet: {too_soon:?}"
    );
}

#[test]
fn a_batch_dropped_at_once_is_drained_not_kept_up_with() {
    let mut rates = learned(30.0, 50.0);
    // 1000 messages land between the second and third looks, then nothing more.
    rates.looks = vec![look(0, 10.0, 2), look(15, 10.0, 2)];
    let now = look(30, 1010.0, 2);
    let need = Need::of(&goal(), &rates, &now);
    let Basis::Rates { arrival, drain, .. } = need.basis else {
        panic!("rates")
    };
    assert!(arrival < 150.0, "the batch is not a rate: {arrival}");
    assert_eq!(need.tasks, (drain - 1e-6).ceil() as u32, "{need:?}");
    assert_eq!(need.tasks, 21, "1010 waiting at 50 a task: {need:?}");
}

#[test]
fn a_surge_from_an_idle_queue_reads_its_growth_as_a_floor() {
    let mut rates = learned(30.0, 50.0);
    // The look before the surge: nothing waiting, the task not saturated.
    let idle = Look {
        in_flight: 0.0,
        ..look(0, 0.0, 1)
    };
    rates.looks = vec![idle, look(10, 55.0, 1)];
    let need = Need::of(&goal(), &rates, &look(20, 118.0, 1));
    let Basis::Rates { arrival, .. } = need.basis else {
        panic!("rates")
    };
    // 56 in the first 10 s: 336 a minute (the idle task's take unknown, so not
    // counted); 63 in the next and the busy task's 50 a minute: 428. The smaller.
    assert!((arrival - 336.0).abs() < 1e-9, "{arrival}");
}

#[test]
fn a_give_back_leaves_room_for_a_count_that_came_in_low() {
    let full = Goal {
        utilization: 1.0,
        ..goal()
    };
    let need = Need::of(&full, &learned(150.0, 50.0), &look(0, 0.0, 3));
    // Three minutes of a Poisson count of 150 vary by sqrt(450): 4.7 %, three times.
    let expected = 3.0 * (1.0 + 3.0 / 450f64.sqrt()) * 1.1;
    assert!((need.give_back_level() - expected).abs() < 1e-9, "{need:?}");
    // A queue to drain is not noise: the drain term stands as it is.
    let draining = Need::of(&full, &learned(150.0, 50.0), &look(0, 500.0, 3));
    assert!((draining.give_back_level() - 11.0).abs() < 1e-9);
    let backlog = Need::of(&goal(), &Rates::default(), &look(0, 120.0, 1));
    assert!((backlog.give_back_level() - backlog.raw * 1.1).abs() < 1e-9);
}

#[test]
fn the_room_for_noise_on_a_small_count_is_the_count_a_raise_would_doubt() {
    // Five jobs of 75 s in SQS's three minutes, a start-up not yet learned (three
    // deviations): the count could be 11.7, which a raise would read as 10.3.
    let jobs = Goal {
        backlog_per_task: 4.0,
        latency_seconds: Some(300),
        utilization: 1.0,
        prior_service: None,
    };
    let rates = Rates {
        arrival: Some(5.0 / 3.0),
        service: Some(0.8),
        samples: 3,
        ..Rates::default()
    };
    let need = Need::of(&jobs, &rates, &look(0, 0.0, 3));
    let high = 5.0 + 3.0 * 5f64.sqrt();
    let doubted = high - high.sqrt() * (1.0 - high / 20.0);
    let level = doubted / 3.0 / 0.8 * 1.1;
    assert!((need.give_back_level() - level).abs() < 1e-9, "{need:?}");
    assert_eq!(need.give_back_level().ceil(), 5.0, "undoubted, 6: {need:?}");
}

#[test]
fn a_utilisation_target_leaves_a_tenth_before_a_raise_and_its_headroom_to_noise() {
    // (utilisation, tolerance): the HPA's 10 %, at most the headroom; none at 100 %.
    let cases = [
        (1.0, 0.0),
        (0.75, 0.1),
        (0.95, 1.0 / 0.95 - 1.0),
        (f64::NAN, 0.0),
    ];
    for (utilization, tolerance) in cases {
        let got = raise_tolerance(utilization);
        assert!((got - tolerance).abs() < 1e-9, "{utilization}: {got}");
    }
    // The gold tier's GPUs at 75 %, 50 requests a task-minute, 30 a minute after a
    // surge: 0.8 tasks' worth at the target. Three deviations of the count (90 in
    // three minutes) reach 1.05 at the target but 0.78 of the task's whole time:
    // the target's headroom takes the noise, and the give-back comes down to one.
    let gold = Goal {
        backlog_per_task: 50.0,
        latency_seconds: Some(60),
        utilization: 0.75,
        prior_service: None,
    };
    let after = Need::of(&gold, &learned(30.0, 50.0), &look(0, 0.0, 2));
    assert!(after.give_back_level() < 1.0, "{after:?}");
    // At 100 % the same noise is room: one task would be asked for again.
    let full = Goal {
        utilization: 1.0,
        ..gold
    };
    let steady = Need::of(&full, &learned(45.0, 50.0), &look(0, 0.0, 2));
    assert!(steady.give_back_level() > 1.0, "{steady:?}");
    // 10.5 tasks' worth on 10 is within the tenth; 11.2 is a raise. At 100 %, any.
    let at = |arrival: f64, goal: &Goal| Need::of(goal, &learned(arrival, 50.0), &look(0, 0.0, 10));
    assert!(!at(393.75, &gold).asks_more_than(10), "10.5 at 75 %");
    assert!(at(420.0, &gold).asks_more_than(10), "11.2 at 75 %");
    assert!(at(510.0, &full).asks_more_than(10), "10.2 at 100 %");
}

#[test]
fn the_room_for_noise_is_the_start_ups_share_of_the_goal() {
    // (goal minutes, start-up seconds, deviations)
    let cases = [
        (1.0, Some(90.0), 3.0),  // a start-up longer than the goal: all of it
        (2.0, Some(90.0), 2.25), // 1.5 of 2 minutes
        (2.0, Some(60.0), 1.5),
        (5.0, Some(30.0), 1.0), // a tenth: at least a third
        (2.0, None, 3.0),       // unknown: all of it
        (2.0, Some(f64::NAN), 3.0),
        (2.0, Some(-60.0), 3.0),
        (0.0, Some(60.0), 3.0),
    ];
    for (goal_minutes, start_up, want) in cases {
        let got = noise_deviations(goal_minutes, start_up);
        assert!(
            (got - want).abs() < 1e-9,
            "{goal_minutes} {start_up:?}: {got}"
        );
    }
    // A 2-minute goal (100 a task at 50 a minute) and a 30 s start-up: a give-back
    // that noise proves wrong leaves 30 s of shortfall the queue absorbs within the
    // goal, so it leaves room for one deviation, not three.
    let full = Goal {
        utilization: 1.0,
        backlog_per_task: 100.0,
        ..goal()
    };
    let rates = Rates {
        start_up: Some(30.0),
        ..learned(150.0, 50.0)
    };
    let need = Need::of(&full, &rates, &look(0, 0.0, 3));
    let expected = 3.0 * (1.0 + 1.0 / 450f64.sqrt()) * 1.1;
    assert!((need.give_back_level() - expected).abs() < 1e-9, "{need:?}");
}

#[test]
fn while_tasks_start_the_drain_waits_as_long_as_they_have() {
    let start = |at: i64, waiting: f64| Look {
        desired: 4,
        ..look(at, waiting, 1)
    };
    let mut rates = learned(150.0, 50.0);
    // Four asked for at 0; one running since. 600 wait after five minutes.
    rates.looks = (0..5)
        .map(|minute| start(minute * 60, 100.0 * minute as f64))
        .collect();
    let need = Need::of(&goal(), &rates, &start(300, 600.0));
    let Basis::Rates { drain, .. } = need.basis else {
        panic!("rates")
    };
    assert!(
        (drain - 600.0 / (50.0 * 5.0)).abs() < 1e-9,
        "over 5 minutes: {drain}"
    );
    assert!(
        (need.give_back_level() - 12.0 * 1.1).abs() < 1e-9,
        "a give-back keeps what drains the queue within the goal: the starting tasks"
    );
    // Once they run, the goal's minute again.
    let running = Look {
        desired: 4,
        ..look(360, 600.0, 4)
    };
    let need = Need::of(&goal(), &rates, &running);
    assert!(matches!(need.basis, Basis::Rates { drain, .. } if (drain - 12.0).abs() < 1e-9));
}

#[test]
fn a_task_asked_beside_running_ones_works_a_start_up_after_them() {
    // Ten tasks running and one just asked for, start-ups of 350 s learned, 2189
    // waiting at 52.7 a task-minute, a 1-minute goal.
    let one_minute = Goal {
        latency_seconds: Some(60),
        utilization: 1.0,
        ..goal()
    };
    let mut rates = learned(375.0, 52.7);
    rates.start_up = Some(350.0);
    let now = Look {
        desired: 11,
        ..look(600, 2189.0, 10)
    };
    rates.looks = vec![Look {
        desired: 10,
        ..look(595, 2200.0, 10)
    }];
    let need = Need::of(&one_minute, &rates, &now);
    let Basis::Rates { drain, .. } = need.basis else {
        panic!("rates")
    };
    // The new task works 350 s from now, the eleven asked on average 32 s from now.
    let later = 350.0 - 350.0 / 11.0;
    let expected = 2189.0 / (52.7 * later / 60.0);
    assert!(
        (drain - expected).abs() < 1e-9,
        "{drain} against {expected}"
    );
    assert!(
        need.tasks <= 11,
        "not 44 tasks over the goal's minute: {need:?}"
    );
    // All ten still starting, for 300 s: a new one works 300 s after them.
    let starting = Look {
        desired: 10,
        ..look(600, 2189.0, 0)
    };
    rates.looks = (0..=5)
        .map(|minute| Look {
            desired: 10,
            ..look(300 + minute * 60, 0.0, 0)
        })
        .collect();
    assert!((later_than_asked(&rates, &starting) - 300.0).abs() < 1e-9);
    // All running: a whole start-up.
    assert_eq!(later_than_asked(&rates, &look(600, 2189.0, 10)), 350.0);
}

#[test]
fn a_new_task_is_never_planned_later_than_a_start_up_nor_sooner_than_the_asked_work() {
    // Every mix of running and starting tasks, start-ups learned and times starting
    // (11 x 11 x 6 x 9 cases): between the starting tasks' lateness and a start-up,
    // a start-up with none starting, and never less as more of the tasks run.
    for start_up in [30.0, 90.0, 240.0, 420.0, 900.0, 3600.0] {
        for since in [0, 5, 30, 60, 120, 300, 600, 1200, 4000] {
            let mut last = f64::NEG_INFINITY;
            for running in 0..=10u32 {
                for starting in 0..=10u32 {
                    let now = Look {
                        desired: running + starting,
                        ..look(10_000, 100.0, running)
                    };
                    let mut rates = learned(100.0, 10.0);
                    rates.start_up = Some(start_up);
                    rates.looks = if starting > 0 {
                        vec![Look {
                            at: 10_000 - since,
                            ..now
                        }]
                    } else {
                        Vec::new()
                    };
                    let later = later_than_asked(&rates, &now);
                    let case = format!(
                        "{running} running, {starting} starting {since} s, start-up {start_up}"
                    );
                    assert!(later <= start_up + 1e-9, "{case}: {later}");
                    if starting == 0 {
                        assert_eq!(later, start_up, "{case}");
                    } else {
                        let least = (since as f64).min(start_up);
                        assert!(later >= least - 1e-9, "{case}: {later} under {least}");
                    }
                    if starting == 1 {
                        assert!(later >= last - 1e-9, "{case}: {later} after {last}");
                        last = later;
                    }
                }
            }
        }
    }
}

#[test]
fn the_queue_carries_a_fraction_of_a_task_only_within_the_goal() {
    // 170 a minute at 50 a task (3.4 tasks' work), a 2-minute goal (100 a task),
    // 90 s start-ups: three tasks receive 300 within the goal, 240 of it the
    // queue may fill (CARRY_SHARE), and a start-up of the fraction adds 30.
    // (name, start-up s, desired, running, waiting, tasks)
    let cases = [
        ("three running, nothing waits", Some(90.0), 3, 3, 0.0, 3),
        ("a queue that still fits", Some(90.0), 3, 3, 210.0, 3),
        ("a queue that no longer fits", Some(90.0), 3, 3, 211.0, 4),
        ("four asked for, a queue left", Some(90.0), 4, 4, 30.0, 4),
        (
            "four asked for, the queue drained",
            Some(90.0),
            4,
            4,
            0.0,
            3,
        ),
        ("a start-up longer than the goal", Some(180.0), 3, 3, 0.0, 4),
        ("no start-up learned", None, 3, 3, 0.0, 4),
    ];
    let full = Goal {
        utilization: 1.0,
        backlog_per_task: 100.0,
        ..goal()
    };
    for (name, start_up, desired, running, waiting, tasks) in cases {
        let rates = Rates {
            start_up,
            ..learned(170.0, 50.0)
        };
        let now = Look {
            desired,
            ..look(0, waiting, running)
        };
        let need = Need::of(&full, &rates, &now);
        assert_eq!(need.tasks, tasks, "{name}: {need:?}");
        let Basis::Rates { carried, .. } = need.basis else {
            panic!("{name}: rates")
        };
        let carries = tasks == 3;
        assert_eq!(carried > 0.0, carries, "{name}: {need:?}");
        if carries {
            // A give-back comes down to the whole tasks: the queue is the
            // hysteresis, not a tenth more.
            assert_eq!(need.give_back_level(), need.raw, "{name}");
        }
    }
    // Less than a task's work, or whole tasks exactly: nothing to carry.
    let rates = Rates {
        start_up: Some(90.0),
        ..learned(20.0, 50.0)
    };
    let need = Need::of(&full, &rates, &look(0, 0.0, 1));
    assert!(matches!(need.basis, Basis::Rates { carried, .. } if carried == 0.0));
    let rates = Rates {
        start_up: Some(90.0),
        ..learned(150.0, 50.0)
    };
    let need = Need::of(&full, &rates, &look(0, 0.0, 3));
    assert!(matches!(need.basis, Basis::Rates { carried, .. } if carried == 0.0));
    assert_eq!(need.tasks, 3);
}

#[test]
fn a_cluster_of_jobs_is_drained_not_kept_up_with() {
    // Jobs of 75 s, a 5-minute goal, one task busy and one job behind it.
    let jobs = Goal {
        backlog_per_task: 4.0,
        latency_seconds: Some(300),
        utilization: 0.8,
        prior_service: None,
    };
    let counted = |arrival: f64| Rates {
        arrival: Some(arrival),
        service: Some(0.8),
        samples: 3,
        ..Rates::default()
    };
    // Three jobs in SQS's three minutes read 1.56 tasks' work; doubted, 0.8 of
    // one: the one task works through them within the goal.
    let cluster = Need::of(&jobs, &counted(1.0), &look(0, 1.0, 1));
    assert_eq!(cluster.tasks, 1, "{cluster:?}");
    let Basis::Rates { keep_up, .. } = cluster.basis else {
        panic!("rates")
    };
    assert!(
        (keep_up - 1.5625).abs() < 1e-9,
        "the reading itself stands: {keep_up}"
    );
    // Thirty in three minutes is a rate: 10 a minute keeps 16 tasks busy.
    let rate = Need::of(&jobs, &counted(10.0), &look(0, 1.0, 1));
    assert_eq!(rate.tasks, 16, "{rate:?}");
}

#[test]
fn capacity_utilization_is_the_need_against_desired() {
    let need = Need::of(&goal(), &learned(500.0, 50.0), &look(0, 0.0, 4));
    assert_eq!(need.utilization(4), 100.0 * need.raw / 4.0);
    assert_eq!(need.utilization(0), 100.0 * need.raw);
    // Idle: one task's worth, so a scale-in never asks for zero; asleep, at target.
    let idle = Need::of(&goal(), &learned(0.0, 50.0), &look(0, 0.0, 2));
    assert_eq!(idle.raw, 0.0);
    assert_eq!(idle.utilization(2), 50.0);
    assert_eq!(idle.utilization(0), 100.0);
}
