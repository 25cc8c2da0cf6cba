//! Which look of the watcher's minute decides: the first (the minute's look) or a
//! poll between looks. One rule for the zero-watcher and the simulator.

use super::control::Move;

/// A look of the zero-watcher's invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The minute's first look: reads everything and decides in full.
    Minute,
    /// A poll between looks (every few seconds): reads the queues, only raises.
    Poll,
}

impl Pass {
    /// Whether this look carries out `decision` on a target that gives capacity back
    /// itself (`gives_back`: false where scale-in is Application Auto Scaling's). A
    /// poll only raises: a give-back waits for the look that reads every fact.
    pub fn may(self, decision: &Move, gives_back: bool) -> bool {
        match decision {
            Move::Raise { .. } => true,
            Move::Lower { .. } => self == Pass::Minute && gives_back,
            Move::Hold { .. } => false,
        }
    }

    /// Whether the memory of the need this look's decision leaves is kept. A poll's
    /// raise is: the need was above desired, so the give-back window starts again
    /// from it. Kept otherwise, the next minute's look would find the need below
    /// desired "since" before the raise (on SQS's counts, minutes late, that do not
    /// yet show the surge) and give back at once the tasks the poll just asked for (on
    /// the aws-elb trace with 90 s start-ups: 1,330 reversals before this rule, 858
    /// after, and 3.6 % fewer task-hours; `infra/bench.sh control`).
    pub fn keeps_memory(self, decision: &Move) -> bool {
        self == Pass::Minute || matches!(decision, Move::Raise { .. })
    }
}

/// A record the publisher stored at most this long ago is fresh: a give-back may be
/// decided on it.
pub const FRESH_RECORD_SECONDS: i64 = 15;
/// The publisher stores each target's record once a minute; its next one is due this
/// long after the last, its own run included.
pub const RECORD_DUE_SECONDS: i64 = 65;

/// When an invocation's give-back look ([`Pass::Minute`]) runs, given when the
/// publisher stored the record read (its newest look, None: no record), the time now,
/// and the invocation's last poll. The publisher and the watcher run on two schedules
/// a minute apart in no set order, so the record the watcher reads may be nearly a
/// minute old: its arrival rate a minute later than SQS's counts already are, and a
/// give-back on it a minute late (in the simulator, with the watcher's look 55 s after
/// the publisher's: 1.4 % more task-hours over the 18 workloads of `infra/bench.sh
/// control`, 10 % more on the surge with 4-7 minute start-ups, half again the late
/// minutes on aws-elb with them). So the give-back waits for the next record: now on a fresh record (or none); else at the first poll
/// once the next record is due, when that comes before the invocation's last poll;
/// else now, on the record there is (a publisher that has stopped leaves it old).
pub fn give_back_look_at(stored_at: Option<i64>, now: i64, last_poll: i64) -> i64 {
    let Some(stored_at) = stored_at else {
        return now;
    };
    if now.saturating_sub(stored_at) <= FRESH_RECORD_SECONDS {
        return now;
    }
    let due = stored_at.saturating_add(RECORD_DUE_SECONDS);
    if due > now && due <= last_poll {
        due
    } else {
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::Why;

    #[test]
    fn a_give_back_waits_for_a_fresh_record_when_one_is_due_within_the_invocation() {
        let now = 1_000;
        // (stored_at, last_poll, look at)
        let cases = [
            (None, now + 50, now),                // no record: look now
            (Some(now - 10), now + 50, now),      // fresh: now
            (Some(now - 15), now + 50, now),      // at the edge of fresh: now
            (Some(now - 20), now + 50, now + 45), // the next record, at the poll it is due
            (Some(now - 55), now + 50, now + 10), // nearly a minute old: ten seconds on
            (Some(now - 20), now + 30, now),      // due after the last poll: now
            (Some(now - 90), now + 50, now),      // overdue (the publisher stopped): now
            (Some(now - 20), now, now),           // no polls: now
        ];
        for (stored_at, last_poll, at) in cases {
            assert_eq!(
                give_back_look_at(stored_at, now, last_poll),
                at,
                "{stored_at:?} {last_poll}"
            );
        }
    }

    #[test]
    fn a_poll_only_raises_and_keeps_the_memory_of_a_raise_alone() {
        let raise = Move::Raise {
            to: 4,
            why: Why::NeedAbove { need: 4 },
        };
        let lower = Move::Lower {
            to: 2,
            why: Why::StayedBelow {
                window: 90,
                peak: 1.5,
            },
        };
        let hold = Move::Hold { why: Why::AtNeed };
        let cases = [
            (Pass::Minute, raise, true, true),
            (Pass::Minute, lower, true, true),
            (Pass::Minute, hold, false, true),
            (Pass::Poll, raise, true, true),
            (Pass::Poll, lower, false, false),
            (Pass::Poll, hold, false, false),
        ];
        for (pass, decision, may, keeps) in cases {
            assert_eq!(pass.may(&decision, true), may, "{pass:?} may {decision}");
            assert_eq!(
                pass.keeps_memory(&decision),
                keeps,
                "{pass:?} keeps after {decision}"
            );
        }
        // Where scale-in is Application Auto Scaling's, no look gives back.
        assert!(!Pass::Minute.may(&lower, false));
        assert!(Pass::Minute.may(&raise, false));
    }
}
