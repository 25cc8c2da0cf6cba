//! Which readings a target is published with, by named cases: the backlog and the
//! task counts are needed, the rest is published without when it fails, and said.

use super::*;
use crate::config::GpuSource;
use crate::startup::StartUps;

const NOW: i64 = 1_800_000_000;

fn all_read() -> Read<&'static str> {
    let tasks = TaskCounts {
        running: 2,
        pending: 0,
        desired: 2,
    };
    Read {
        backlog: Ok(reading(30, 2).backlog),
        tasks: Ok(tasks),
        gpu: Ok(Some(GpuUtilization {
            average: 50.0,
            max: 70.0,
        })),
        oldest_age: Ok(Some(12.0)),
        desired_history: Ok(Some(vec![2.0, 2.0])),
        load: LoadRead {
            queue_counts: Ok(Vec::new()),
            rates: Ok(None),
            start_ups: StartUps::default(),
        },
    }
}

/// What one assembly gives: whether there is a reading, with a GPU reading and a
/// need, whether rates are to be stored, and the words of what it is without.
fn outcome(target: &Target, read: Read<&'static str>) -> (bool, bool, bool, bool, Vec<String>) {
    let assembled = assemble(target, read, NOW);
    let left = assembled.left.iter().map(ToString::to_string).collect();
    let rates = assembled.rates.is_some();
    match assembled.reading {
        Ok(r) => (true, r.gpu.is_some(), r.need.is_some(), rates, left),
        Err(_) => (false, false, false, rates, left),
    }
}

#[test]
fn a_target_is_published_with_what_could_be_read_and_said_without_the_rest() {
    let gpu_target = target("g").with_gpu(GpuSource::agent([("host", "a")]));
    type Case = (
        &'static str,
        Target,
        Read<&'static str>,
        (bool, bool, bool, bool),
        &'static [&'static str],
    );
    let cases: Vec<Case> = vec![
        (
            "everything read",
            gpu_target.clone(),
            all_read(),
            (true, true, true, true),
            &[],
        ),
        (
            "a GPU read refused: published without it",
            gpu_target.clone(),
            Read {
                gpu: Err("throttled"),
                ..all_read()
            },
            (true, false, true, true),
            &["GPU metrics not published: throttled"],
        ),
        (
            "a GPU source without a datapoint: never a 0",
            gpu_target.clone(),
            Read {
                gpu: Ok(None),
                ..all_read()
            },
            (true, false, true, true),
            &["no GPU datapoint in the look-back window: GPU metrics not published"],
        ),
        (
            "no GPU source: nothing to say",
            target("t"),
            Read {
                gpu: Ok(None),
                ..all_read()
            },
            (true, false, true, true),
            &[],
        ),
        (
            "the age and the changes refused: said in order",
            target("t"),
            Read {
                oldest_age: Err("a"),
                desired_history: Err("h"),
                ..all_read()
            },
            (true, true, true, true),
            &[
                "ScalingChanges not published: h",
                "OldestMessageAge not published: a",
            ],
        ),
        (
            "the rates unread: no need, no rates, the rest published",
            target("t"),
            Read {
                load: LoadRead {
                    rates: Err("r"),
                    ..all_read().load
                },
                ..all_read()
            },
            (true, true, false, false),
            &["need not published: r"],
        ),
        (
            "SQS's counts unread: the need on the stored rates, the rates kept",
            target("t"),
            Read {
                load: LoadRead {
                    queue_counts: Err("q"),
                    ..all_read().load
                },
                ..all_read()
            },
            (true, true, true, true),
            &["SQS's counts not read, rates not refreshed: q"],
        ),
        (
            "the backlog unread: no reading, what was said kept",
            target("t"),
            Read {
                backlog: Err("b"),
                oldest_age: Err("a"),
                ..all_read()
            },
            (false, false, false, false),
            &["OldestMessageAge not published: a"],
        ),
        (
            "the task counts unread: no reading",
            target("t"),
            Read {
                tasks: Err("t"),
                ..all_read()
            },
            (false, false, false, false),
            &[],
        ),
    ];
    for (name, target, read, want, want_left) in cases {
        let (ok, gpu, need, rates, left) = outcome(&target, read);
        assert_eq!((ok, gpu, need, rates), want, "{name}");
        assert_eq!(left, want_left, "{name}");
    }
}

#[test]
fn a_target_off_the_load_model_gets_no_need_and_no_rates() {
    let mut t = target("t");
    t.scaling.tracks = crate::scaling::Tracks::BacklogPerTask;
    let (ok, _, need, rates, left) = outcome(&t, all_read());
    assert!(ok && !need && !rates && left.is_empty());
}
