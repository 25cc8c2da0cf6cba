//! A raise's start-up, measured by the zero-watcher at its polls: from the
//! UpdateService that raised desired to the first look that sees every task asked for
//! running. The publisher's looks are a minute apart, so the start-up it learns from
//! them (`Rates::start_up`) is a whole number of minutes off: 60 or 120 s for a 90 s
//! start, depending on where in the minute the raise came. The give-back window, the
//! room for noise and the drain all follow the start-up, so the load model plans with
//! the watcher's measurement ([`planned_start_up`]) once there is one.

use serde::{Deserialize, Serialize};

use crate::facts::TaskCounts;
use crate::limits::MAX_START_UP_SECONDS;
use crate::startup::{StartUp, StartUps};

/// A raise whose tasks are still starting: when desired was raised, and to what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Starting {
    pub since: i64,
    pub to: u32,
}

/// What a look at the service makes of a raise still starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Fewer running than were asked for: look again.
    Starting,
    /// Every task asked for runs: the start-up it took.
    Started(StartUp),
    /// Nothing to measure any more: desired went below the raise (given back, or set by
    /// someone else: the tasks asked for may never start), or the start took longer
    /// than any start-up (a placement that failed, not a start-up).
    Dropped,
}

impl Starting {
    /// The start to measure after a raise to `to` at `now`, if any: none when the
    /// tasks already run (nothing starts). A raise while another is starting measures
    /// the newer one: its tasks are the last to start.
    pub fn after_raise(to: u32, running: u32, now: i64) -> Option<Starting> {
        (running < to).then_some(Starting { since: now, to })
    }

    /// The raise as `tasks`, read at `now`, show it.
    pub fn seen(&self, tasks: &TaskCounts, now: i64) -> Seen {
        let seconds = now.saturating_sub(self.since);
        if tasks.desired < self.to || !(0..=MAX_START_UP_SECONDS).contains(&seconds) {
            Seen::Dropped
        } else if tasks.running >= self.to {
            Seen::Started(StartUp { at: now, seconds })
        } else {
            Seen::Starting
        }
    }
}

/// A look at `tasks` at `now` for the raise kept in `starting`, if any: the start-up
/// it took once every task asked for runs; the raise forgotten then, or when there is
/// nothing to measure any more.
pub fn measure(starting: &mut Option<Starting>, tasks: &TaskCounts, now: i64) -> Option<StartUp> {
    match starting.as_ref()?.seen(tasks, now) {
        Seen::Starting => None,
        Seen::Started(sample) => {
            *starting = None;
            Some(sample)
        }
        Seen::Dropped => {
            *starting = None;
            None
        }
    }
}

/// The start-up the load model plans with, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlannedStartUp {
    /// The median of the start-ups the watcher measured (its wakes and raises).
    Measured { seconds: f64, count: usize },
    /// What the publisher learned from its minute looks, none measured yet.
    Learned { seconds: f64 },
    /// Neither yet.
    Unknown,
}

impl PlannedStartUp {
    /// The watcher's measurement, recent and plausible (`StartUps::percentiles`), before
    /// the publisher's `learned` one.
    pub fn of(measured: &StartUps, learned: Option<f64>, now: i64) -> PlannedStartUp {
        match (measured.percentiles(now), learned) {
            (Some(p), _) => PlannedStartUp::Measured {
                seconds: p.p50 as f64,
                count: p.count,
            },
            (None, Some(seconds)) => PlannedStartUp::Learned { seconds },
            (None, None) => PlannedStartUp::Unknown,
        }
    }

    pub fn seconds(&self) -> Option<f64> {
        match self {
            PlannedStartUp::Measured { seconds, .. } | PlannedStartUp::Learned { seconds } => {
                Some(*seconds)
            }
            PlannedStartUp::Unknown => None,
        }
    }
}

impl std::fmt::Display for PlannedStartUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlannedStartUp::Measured { seconds, count } => write!(
                f,
                "{seconds:.0} s, the median of {count} measured at the watcher's polls"
            ),
            PlannedStartUp::Learned { seconds } => {
                write!(f, "{seconds:.0} s, learned from the publisher's looks")
            }
            PlannedStartUp::Unknown => f.write_str("not known yet"),
        }
    }
}

/// The start-up the load model plans with, in seconds ([`PlannedStartUp`]).
pub fn planned_start_up(measured: &StartUps, learned: Option<f64>, now: i64) -> Option<f64> {
    PlannedStartUp::of(measured, learned, now).seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(desired: u32, running: u32) -> TaskCounts {
        TaskCounts {
            desired,
            running,
            ..TaskCounts::default()
        }
    }

    #[test]
    fn a_raise_is_measured_when_every_task_it_asked_for_runs() {
        let raise = Starting { since: 1000, to: 4 };
        let cases = [
            ("still starting", tasks(4, 2), 1060, Seen::Starting),
            (
                "all running",
                tasks(4, 4),
                1095,
                Seen::Started(StartUp {
                    at: 1095,
                    seconds: 95,
                }),
            ),
            (
                "raised again above it: its own tasks run",
                tasks(6, 4),
                1095,
                Seen::Started(StartUp {
                    at: 1095,
                    seconds: 95,
                }),
            ),
            ("given back below it", tasks(3, 3), 1095, Seen::Dropped),
            ("set to sleep", tasks(0, 0), 1095, Seen::Dropped),
            ("a day and more", tasks(4, 2), 1000 + 86_401, Seen::Dropped),
            ("a clock gone back", tasks(4, 4), 990, Seen::Dropped),
        ];
        for (name, counts, now, want) in cases {
            assert_eq!(raise.seen(&counts, now), want, "{name}");
        }
    }

    #[test]
    fn a_measured_or_dropped_raise_is_forgotten() {
        let mut starting = Some(Starting { since: 0, to: 2 });
        assert_eq!(measure(&mut starting, &tasks(2, 1), 60), None);
        assert!(starting.is_some());
        let started = measure(&mut starting, &tasks(2, 2), 90);
        assert_eq!(
            started,
            Some(StartUp {
                at: 90,
                seconds: 90
            })
        );
        assert_eq!(starting, None);
        let mut given_back = Some(Starting { since: 0, to: 2 });
        assert_eq!(measure(&mut given_back, &tasks(1, 1), 90), None);
        assert_eq!(given_back, None);
        assert_eq!(measure(&mut None, &tasks(2, 2), 90), None);
    }

    #[test]
    fn only_a_raise_with_tasks_to_start_is_measured() {
        assert_eq!(
            Starting::after_raise(4, 2, 50),
            Some(Starting { since: 50, to: 4 })
        );
        assert_eq!(Starting::after_raise(4, 4, 50), None);
    }

    #[test]
    fn the_watchers_measurement_comes_before_the_publishers() {
        let now = 1_800_000_000;
        let measured = StartUps(vec![
            StartUp {
                at: now - 300,
                seconds: 90,
            },
            StartUp {
                at: now - 200,
                seconds: 95,
            },
            StartUp {
                at: now - 100,
                seconds: 400,
            },
        ]);
        assert_eq!(planned_start_up(&measured, Some(120.0), now), Some(95.0));
        assert_eq!(
            planned_start_up(&StartUps::default(), Some(120.0), now),
            Some(120.0)
        );
        assert_eq!(planned_start_up(&StartUps::default(), None, now), None);
        let said = [
            PlannedStartUp::of(&measured, Some(120.0), now).to_string(),
            PlannedStartUp::of(&StartUps::default(), Some(120.0), now).to_string(),
            PlannedStartUp::of(&StartUps::default(), None, now).to_string(),
        ];
        assert_eq!(
            said,
            [
                "95 s, the median of 3 measured at the watcher's polls",
                "120 s, learned from the publisher's looks",
                "not known yet",
            ]
        );
    }
}
