//! The idle gaps a service has seen: how long after its idle clock's last activity the
//! next work came. They tell the idle wait what kind of quiet this service has.
//!
//! Waiting `w` through a gap `g` costs `g` task-seconds a task when the work comes
//! within the wait, and `w` plus a start-up `s` of billing when it comes after the
//! service slept. Over the gaps the service has seen, the cheapest wait is one of the
//! least wait, a gap itself, or the start-up, up to the longest auto wait. A gap a
//! little longer than the start-up is one of them: waiting through a pause of 100 s
//! bills 100, sleeping after a wait of 60 s and starting again in 85 bills 145
//! (until 7 December 2026 waits stopped at the start-up, which slept through such
//! pauses, a late wake each: on the Alibaba GenAI trace with 60-120 s start-ups, 167
//! minutes with a late message in the fortnight against 147 now, at 0.7 % more
//! task-hours; `infra/bench.sh control`). Jobs that come hours apart make the least
//! wait cheapest (a sparse batch queue sleeps a poll after its job instead of a
//! start-up later); requests that pause for a minute or two keep the start-up or the
//! pause (the break-even rule of [`super::IdleWait`]). Gaps are seen to the watcher's
//! poll ([`super::Polls`]), or to its minute look when it does not poll. When a
//! start-up is longer than the latency goal (or no goal is known to say it is not), a
//! sleep the next work undoes also makes that work late: the wait then shortens below
//! the start-up only when every gap kept (at least [`IdleGaps::ENOUGH`]) was longer
//! than the start-up, where sleeping at once adds no wake on any gap seen. The
//! observations are not biased by the wait in force: a sleeping service still wakes
//! when the work comes, so every gap is seen whole.

use serde::Serialize;

use crate::queue::STALE_READ_SECONDS;

/// What a sleep that the next work undoes costs besides a start-up of billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    /// Nothing: the start-up fits in the latency goal.
    BillingOnly,
    /// The work waits past its latency goal (or no goal is known to say otherwise).
    WorkLate,
}

/// The newest idle gaps of a service, in seconds, newest last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IdleGaps {
    seconds: [u32; IdleGaps::KEPT],
    len: u8,
}

impl IdleGaps {
    /// Gaps kept: enough that one odd gap does not decide, few enough that a service
    /// whose quiet changes is learned again within a few gaps.
    pub const KEPT: usize = 8;
    /// Gaps before they decide a wait; until then, the start-up.
    pub const ENOUGH: usize = 4;
    /// Shorter gaps are a poll's own cadence (WatcherPollIntervalSeconds' default):
    /// they cost the same under every wait, so they are not kept.
    pub const SHORTEST: i64 = 5;
    /// Longer gaps are kept as this: longer than any wait.
    pub const LONGEST: u32 = 86_400;

    /// These gaps and one more, `seconds` long, when it is one worth keeping.
    pub fn with(self, seconds: i64) -> IdleGaps {
        if seconds < Self::SHORTEST {
            return self;
        }
        let gap = u32::try_from(seconds).map_or(Self::LONGEST, |s| s.min(Self::LONGEST));
        let mut next = self;
        if usize::from(next.len) == Self::KEPT {
            next.seconds.rotate_left(1);
            next.seconds[Self::KEPT - 1] = gap;
        } else {
            next.seconds[usize::from(next.len)] = gap;
            next.len += 1;
        }
        next
    }

    /// The gaps, oldest first.
    pub fn seconds(&self) -> &[u32] {
        &self.seconds[..usize::from(self.len).min(Self::KEPT)]
    }

    /// Gaps read from a store: each within SHORTEST..=LONGEST, at most KEPT of them.
    pub fn from_stored(values: &[i64]) -> Result<IdleGaps, String> {
        if values.len() > Self::KEPT {
            return Err(format!(
                "{} idle gaps stored, at most {} are kept",
                values.len(),
                Self::KEPT
            ));
        }
        let longest = i64::from(Self::LONGEST);
        match values
            .iter()
            .find(|s| !(Self::SHORTEST..=longest).contains(*s))
        {
            Some(odd) => Err(format!(
                "stored idle gap {odd} is not within {}..={longest} seconds",
                Self::SHORTEST
            )),
            None => Ok(values.iter().fold(IdleGaps::default(), |g, s| g.with(*s))),
        }
    }

    /// The wait from `least` to `most` seconds that bills the fewest task-seconds over
    /// these gaps (the longest of equals: fewer wakes for the same bill), once there are
    /// enough of them; when a wake makes work late, at least the start-up unless every
    /// gap kept outlasted it (sleeping at once then wakes for no gap seen), gaps shorter
    /// than [`STALE_READ_SECONDS`] aside: while one is kept, at least that. Such a gap
    /// may be no gap (a read just after a job showing the work done, the next one
    /// not), so it does not hold a service at a whole start-up; the minute covers it
    /// whether it was work or a stale read.
    /// With SQS's counts read up to a minute stale (`infra/bench.sh control`, 7
    /// December 2026), counting those gaps held bursty's jobs with 4-7 minute start-ups
    /// a whole start-up each before they slept: 2.01 -> 1.67 times the limit, nasa-ipsc
    /// 1.21 -> 1.14 (now under KEDA's 1.16 at a better p95 and fewer late minutes),
    /// alibaba-genai 1.13 -> 1.12; minutes with a late message on those two +17 % and
    /// +16 % (p95 +10 s and +20 s, past the goal either way: the start-up is); the sum
    /// over the 18 rows 23.53 -> 23.11; with counts read fresh 22.19 -> 22.14.
    pub fn cheapest_wait(
        &self,
        least: i64,
        start_up: i64,
        most: i64,
        undone: Undone,
    ) -> Option<i64> {
        let gaps = self.seconds();
        if gaps.len() < Self::ENOUGH {
            return None;
        }
        let seconds = || gaps.iter().map(|g| i64::from(*g));
        let stale = |g: &i64| *g < STALE_READ_SECONDS;
        let lowest = match undone {
            // A pause no stale read makes up, shorter than the start-up: sleeping
            // before the start-up would have made its work late.
            Undone::WorkLate if seconds().any(|g| !stale(&g) && g < start_up) => {
                start_up.max(least)
            }
            Undone::WorkLate if seconds().any(|g| stale(&g)) => {
                least.max(STALE_READ_SECONDS).min(start_up)
            }
            _ => least,
        };
        let cost = |wait: i64| -> i64 {
            seconds()
                .map(|g| if g <= wait { g } else { wait + start_up })
                .sum()
        };
        let inside = seconds().filter(|g| (lowest..=most).contains(g));
        std::iter::once(lowest)
            .chain(inside)
            .chain(std::iter::once(start_up.clamp(lowest, most.max(lowest))))
            .min_by_key(|wait| (cost(*wait), std::cmp::Reverse(*wait)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(seconds: &[i64]) -> IdleGaps {
        seconds.iter().fold(IdleGaps::default(), |g, s| g.with(*s))
    }

    #[test]
    fn only_gaps_longer_than_a_poll_are_kept_and_only_the_newest() {
        assert_eq!(gaps(&[0, 4]).seconds(), &[] as &[u32]);
        assert_eq!(gaps(&[5, 59]).seconds(), &[5, 59]);
        assert_eq!(gaps(&[60, i64::MAX]).seconds(), &[60, IdleGaps::LONGEST]);
        let many: Vec<i64> = (1..=10).map(|n| n * 100).collect();
        assert_eq!(
            gaps(&many).seconds(),
            &[300, 400, 500, 600, 700, 800, 900, 1000]
        );
    }

    #[test]
    fn the_cheapest_wait_follows_the_gaps() {
        // (gaps, start-up, wait): hand-computed bills in the comments.
        let cases: [(&[i64], i64, Option<i64>); 8] = [
            // Too few gaps: no opinion.
            (&[3600, 3600, 3600], 90, None),
            // Jobs hours apart: any wait is followed by a start-up; the least bills least.
            (&[3600, 5400, 7200, 3600], 90, Some(60)),
            // Pauses of 80 s: waiting 80 or 90 bills 80 each, sleeping at 60 bills 150;
            // the longer of equals.
            (&[80, 80, 80, 80], 90, Some(90)),
            // Mixed: waiting 90 bills 80+80+180+180 = 520; 80 bills 80+80+170+170 = 500;
            // 60 bills 4 x 150 = 600.
            (&[80, 80, 3600, 3600], 90, Some(80)),
            // Every gap past a long start-up: 60 bills 4 x 360, 300 bills 4 x 600.
            (&[400, 500, 600, 700], 300, Some(60)),
            // A start-up no longer than the least wait: that wait.
            (&[3600, 3600, 3600, 3600], 60, Some(60)),
            // Pauses a little longer than the start-up: waiting 100 bills 100 each,
            // sleeping at 60 bills 145, at the start-up 170.
            (&[100, 100, 100, 100], 85, Some(100)),
            // Past the longest wait, pauses are slept through: 300 bills 4 x 390, 60
            // bills 4 x 150.
            (&[400, 400, 400, 400], 90, Some(60)),
        ];
        for (seen, start_up, wait) in cases {
            assert_eq!(
                gaps(seen).cheapest_wait(60, start_up, 300, Undone::BillingOnly),
                wait,
                "{seen:?} at {start_up}s"
            );
        }
    }

    #[test]
    fn when_a_wake_makes_work_late_only_gaps_all_longer_than_the_start_up_shorten_it() {
        let late = |seen: &[i64]| gaps(seen).cheapest_wait(60, 300, 300, Undone::WorkLate);
        assert_eq!(late(&[3600; 3]), None, "not yet enough");
        assert_eq!(late(&[3600; 4]), Some(60));
        assert_eq!(late(&[3600; 8]), Some(60));
        // One pause shorter than the start-up among them: sleeping early would have
        // woken for it, late.
        let paused = [3600, 3600, 3600, 200, 3600, 3600, 3600, 3600];
        assert_eq!(late(&paused), Some(300), "the start-up");
        // Billing only, such a pause is cheaper slept through: 60 bills 4 x 360.
        let billed =
            gaps(&[3600, 200, 7200, 3600]).cheapest_wait(60, 300, 300, Undone::BillingOnly);
        assert_eq!(billed, Some(60));
        // Pauses a little longer than a short start-up: waited through, not slept.
        let short = |seen: &[i64]| gaps(seen).cheapest_wait(60, 85, 300, Undone::WorkLate);
        assert_eq!(short(&[100, 3600, 100, 3600]), Some(100));
        assert_eq!(
            short(&[70, 3600, 3600, 3600]),
            Some(85),
            "never below the start-up"
        );
    }

    #[test]
    fn gaps_shorter_than_a_stale_read_do_not_hold_a_late_wake_at_the_start_up() {
        // The watcher's least wait (a poll), a 5-minute start-up past the goal.
        let late = |seen: &[i64]| gaps(seen).cheapest_wait(5, 300, 300, Undone::WorkLate);
        assert_eq!(late(&[3600; 4]), Some(5), "jobs hours apart: a poll");
        // A 20 s "gap" after a job may be a read of the job itself: it no longer holds
        // the service a start-up, but the wait covers it: 60 bills 20 + 3 x 360, 300
        // bills 20 + 3 x 600.
        assert_eq!(late(&[20, 3600, 3600, 3600]), Some(60));
        // A pause a read cannot have made up still does: the start-up.
        assert_eq!(late(&[20, 200, 3600, 3600]), Some(300));
        // A start-up shorter than a stale read: the start-up, as before.
        let quick = gaps(&[20, 3600, 3600, 3600]).cheapest_wait(5, 45, 300, Undone::WorkLate);
        assert_eq!(quick, Some(45));
    }

    #[test]
    fn stored_gaps_are_range_checked() {
        assert_eq!(IdleGaps::from_stored(&[60, 3600]), Ok(gaps(&[60, 3600])));
        assert!(
            IdleGaps::from_stored(&[4])
                .unwrap_err()
                .contains("4 is not within 5..=")
        );
        assert!(IdleGaps::from_stored(&[-1]).is_err());
        assert!(IdleGaps::from_stored(&[86_401]).is_err());
        assert!(
            IdleGaps::from_stored(&[60; 9])
                .unwrap_err()
                .contains("9 idle gaps")
        );
    }
}
