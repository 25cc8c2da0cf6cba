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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::Why;

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
