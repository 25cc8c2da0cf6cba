//! What a scheduled invocation's polls see of an awake service between its full looks.
//!
//! A full look (state, ECS, protection, SQS's counts, a conditional write) happens
//! once a minute; in between, the watcher polls every few seconds with a cheap read of
//! the backlog. Without those polls an idle service sleeps at the first minute look
//! after its wait (up to a minute late, paid for on every task), and its idle clock
//! and gaps run in minutes: the least wait could not be shorter than a minute. With
//! them, the clock runs at the poll: a full look is made when the wait is over (the
//! sleep is decided there, on fresh facts, with every rule of [`super::decide`]), and
//! at the window's end when the polls saw what the stored state does not know yet.
//! What the polls saw reaches the decision as [`Polled`]; nothing is decided on a
//! poll's read alone.

use super::decide::Verdict;
use super::facts::{Polled, Sizing};
use super::idle::IdleWait;
use super::why::Why;
use crate::config::ScaleToZero;

/// An awake service the polls watch for its idle wait to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polls {
    /// The idle clock as the last full look left it (busy polls since move it on).
    since: i64,
    /// The wait that look applies, in seconds.
    wait: i64,
    /// Whether a look or poll since `since` saw no work: the next work ends a gap.
    quiet: bool,
    polled: Polled,
}

impl Polls {
    /// The polls after a full look whose `verdict` left the service awake and idle or
    /// busy (None otherwise: asleep, starting, held by a floor or protection, within
    /// `min_awake_minutes`, or claimed, all left to the next minute look; and a
    /// service with an activation metric, which a poll's read of the queues cannot
    /// call idle).
    pub fn after(verdict: &Verdict, settings: &ScaleToZero, sizing: Sizing) -> Option<Polls> {
        let watched = settings.metric.is_none()
            && matches!(
                verdict.decision.why(),
                Why::Idle { .. } | Why::Busy { .. } | Why::BusyActivity
            );
        let state = &verdict.state;
        let since = state.last_activity.filter(|_| watched)?;
        let quiet = state.observed.is_some_and(|(_, at)| at > since);
        Some(Polls {
            since,
            wait: IdleWait::of(settings, state, sizing.latency_goal_seconds).seconds(),
            quiet,
            polled: Polled::default(),
        })
    }

    /// A poll at `now` that saw work (`busy`) or none. True: the idle wait is over,
    /// and a full look decides the sleep.
    pub fn saw(&mut self, now: i64, busy: bool) -> bool {
        if busy {
            if self.quiet {
                self.polled.gaps = self.polled.gaps.with(now.saturating_sub(self.since));
            }
            self.since = now;
            self.quiet = false;
            self.polled.busy_at = Some(now);
            return false;
        }
        self.quiet = true;
        self.polled.quiet_at = Some(now);
        now.saturating_sub(self.since) >= self.wait
    }

    /// Whether the polls saw work the stored state does not know of: the window's
    /// last poll then makes a full look, so the next invocation's clock starts there.
    pub fn unsaved(&self) -> bool {
        self.polled.busy_at.is_some()
    }

    /// What the polls saw, for the full look.
    pub fn polled(&self) -> Polled {
        self.polled
    }
}
