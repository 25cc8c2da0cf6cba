//! Targets and readings the metrics tests share.

use super::datum::encoded_size_bound;
use super::*;
use crate::config::Target;
use crate::facts::{GpuUtilization, QueueDepth, TaskCounts};
use crate::names::{self, TARGET_DIMENSION};
use crate::queue::Backlog;

mod assemble;
mod datum;
mod fleet;
mod reading;

fn target(name: &str) -> Target {
    Target::new(name, "c", "s")
        .with_queues(["q"])
        .with_capacity(0, 10)
        .with_backlog_per_task(10.0)
}

fn value(datums: &[Datum], name: &str) -> Option<f64> {
    datums.iter().find(|d| d.name == name).map(|d| d.value)
}

fn many(count: usize) -> Vec<Datum> {
    (0..count)
        .map(|i| Datum {
            target: Some(format!("target-{i}")),
            dimension: TARGET_DIMENSION,
            name: names::BACKLOG,
            value: i as f64,
            unit: Unit::Count,
        })
        .collect()
}

fn reading(backlog: u64, desired: u32) -> Reading {
    let tasks = TaskCounts {
        running: desired,
        pending: 0,
        desired,
    };
    held(backlog, 0, tasks)
}

/// A reading of `visible` and `in_flight` messages and `tasks`, nothing else read.
fn held(visible: u64, in_flight: u64, tasks: TaskCounts) -> Reading {
    let depth = QueueDepth {
        visible,
        in_flight,
        delayed: 0,
    };
    Reading {
        backlog: Backlog::plain(depth),
        tasks,
        gpu: None,
        oldest_age: None,
        scaling_changes: None,
        need: None,
    }
}
