//! How long a sleeping service may leave work waiting before it wakes: the room its
//! latency goal leaves beyond a start-up.
//!
//! A message may wait the latency goal. A wake starts its tasks a start-up later, so
//! a service whose goal is longer than its start-up can put the wake off and still
//! receive the first message within the goal; jobs that come meanwhile are served by
//! the same wake, which pays one start-up for them all instead of one each. That is
//! what the clairvoyant limit does (it receives each message as late as the goal
//! allows, docs/control.md). The room is the goal less the start-up, less what the
//! watcher cannot see: SQS's counts may show a message up to a minute after it came
//! ([`STALE_READ_SECONDS`]), and a start-up may run longer than the one
//! learned ([`SLOWER_START_UP_SHARE`] of it); less the time the woken tasks take to
//! reach the last message waiting. Nothing else is put off: a push, a
//! priority message, the activation metric, a wake a push asked for, or a backlog
//! that sizes the wake above `wake_tasks` wakes at once, and without a goal or a
//! start-up known there is no room.

use super::facts::Sizing;
use super::gaps::IdleGaps;
use crate::queue::STALE_READ_SECONDS;

/// The share of the learned start-up a put-off wake leaves for one that runs longer:
/// start-ups drawn between 60 and 120 s run up to a third over their median. On the
/// NASA iPSC jobs with 60-120 s start-ups (`infra/bench.sh control`): a half billed
/// 1.235 times the limit at 7 minutes with a late message in the fortnight, three
/// quarters 1.219 at 8, a whole start-up 1.247 at 4 (KEDA: 1.75 at 8).
pub const SLOWER_START_UP_SHARE: f64 = 0.5;

/// Seconds a sleeping service's wake may be put off after `backlog` messages were
/// first seen, when its latency goal leaves any for the `tasks` the wake starts:
/// None otherwise. The woken tasks reach the last of them after the others, a task
/// receiving `backlog_per_task` within the goal (what that figure means).
pub fn wake_room(sizing: &Sizing, backlog: u64, tasks: u32) -> Option<i64> {
    let goal = f64::from(sizing.latency_goal_seconds?);
    let start_up = sizing
        .start_up_seconds
        .filter(|s| s.is_finite() && *s > 0.0)?;
    let per_task = sizing.backlog_per_task;
    if !(per_task.is_finite() && per_task > 0.0) {
        return None;
    }
    let stale = STALE_READ_SECONDS as f64;
    let behind = backlog.saturating_sub(1) as f64 * goal / per_task / f64::from(tasks.max(1));
    let room = goal - start_up * (1.0 + SLOWER_START_UP_SHARE) - stale - behind;
    // f64 -> i64 saturates; a goal is at most a day.
    (room >= IdleGaps::SHORTEST as f64).then(|| room.floor() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizing(goal: Option<u32>, start_up: Option<f64>) -> Sizing {
        Sizing {
            backlog_per_task: 4.0,
            capacity_max: 10,
            latency_goal_seconds: goal,
            start_up_seconds: start_up,
        }
    }

    #[test]
    fn the_room_is_the_goal_beyond_a_slow_start_up_a_stale_read_and_the_queue() {
        // (goal, start-up, messages, tasks, room): a job of 75 s (4 in a 300 s goal).
        let cases = [
            (Some(300), Some(90.0), 1, 1, Some(105)),  // 300 - 135 - 60
            (Some(300), Some(90.0), 2, 1, Some(30)),   // one job ahead of the last: 75 s
            (Some(300), Some(90.0), 3, 1, None),       // two ahead: no room
            (Some(300), Some(90.0), 3, 2, Some(30)),   // two tasks: one ahead each
            (Some(120), Some(90.0), 1, 1, None),       // no room: wake at once
            (Some(300), Some(160.0), 1, 1, None),      // 300 - 240 - 60 = 0
            (Some(900), Some(300.0), 1, 1, Some(390)), // a GPU model: 900 - 450 - 60
            (None, Some(90.0), 1, 1, None),            // no goal known
            (Some(300), None, 1, 1, None),             // no start-up learned
            (Some(300), Some(f64::NAN), 1, 1, None),
            (Some(300), Some(-5.0), 1, 1, None),
        ];
        for (goal, start_up, messages, tasks, room) in cases {
            assert_eq!(
                wake_room(&sizing(goal, start_up), messages, tasks),
                room,
                "{goal:?} {start_up:?} {messages} on {tasks}"
            );
        }
        let no_per_task = Sizing {
            backlog_per_task: 0.0,
            ..sizing(Some(300), Some(90.0))
        };
        assert_eq!(
            wake_room(&no_per_task, 1, 1),
            None,
            "no backlog_per_task: no room"
        );
    }
}
