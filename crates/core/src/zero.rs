//! The zero-watcher's decision: wake a sleeping service on activity, put an idle one
//! to sleep, and otherwise leave it alone. Pure: facts, state and the clock come in,
//! a decision goes out; the handler reads, claims the transition in DynamoDB and acts.

use serde::Serialize;

use crate::config::ScaleToZero;
use crate::facts::ScalableBounds;

/// Why the watcher is looking at a target now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Cause {
    /// A scheduled poll: activity is whatever the facts show.
    Poll,
    /// A push (SNS notification, alarm in ALARM, manual wake): activity by itself.
    Push(String),
    /// A manual `sleep` event: sleep now if allowed, whatever the idle clock says.
    ManualSleep,
}

/// What was read for a target. Every field the decision needs must have been read:
/// the handler passes `Err` for the whole target when any read failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    pub desired: u32,
    /// Visible + in flight + delayed over the target's queues.
    pub backlog: u64,
    /// Whether the configured activation metric is above its threshold.
    pub metric_active: bool,
    pub bounds: Option<ScalableBounds>,
}

/// The watcher's memory of a target, kept in DynamoDB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WatchState {
    /// Last time activity was seen (epoch seconds); None before the first look.
    pub last_activity: Option<i64>,
    /// A wake or sleep this watcher claimed, and when: guards against acting twice.
    pub claimed: Option<(Transition, i64)>,
    /// The desired count ECS last showed (or a wake confirmed), and when.
    pub observed: Option<(u32, i64)>,
    /// When a push first asked for a wake that ECS has not shown done yet: kept until
    /// the service is seen awake, so a wake whose call failed is honoured by the next
    /// look even when nothing else (a queue, a metric) would show the work.
    pub wake_requested: Option<i64>,
    /// Looks in a row that decided nothing (a fact or the state could not be read or
    /// written); published so an alarm notices a target the watcher cannot see.
    pub skipped: u32,
}

/// How far ahead of this invocation's clock a stored time may be and still be taken
/// as written by another invocation (clock skew); beyond it, it cannot be right.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

impl WatchState {
    /// The state with every time that lies ahead of `now` by more than the clock skew
    /// dropped (a claim or observation) or brought back to `now` (the last activity),
    /// and one note per change: such a record would otherwise block wakes or keep a
    /// service from ever sleeping.
    pub fn sanitized(&self, now: i64) -> (WatchState, Vec<String>) {
        let mut notes = Vec::new();
        let mut ahead = |field: &str, at: i64| {
            let by = at.saturating_sub(now);
            let wrong = by > CLOCK_SKEW_SECONDS;
            if wrong {
                notes.push(format!(
                    "stored {field} is {by}s ahead of the clock: ignored and replaced"
                ));
            }
            wrong
        };
        let clean = WatchState {
            last_activity: match self.last_activity {
                Some(at) if ahead("last_activity", at) => Some(now),
                other => other,
            },
            claimed: self.claimed.filter(|(_, at)| !ahead("claimed_at", *at)),
            observed: self.observed.filter(|(_, at)| !ahead("observed_at", *at)),
            wake_requested: self
                .wake_requested
                .filter(|at| !ahead("wake_requested", *at)),
            skipped: self.skipped,
        };
        (clean, notes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Wake,
    Sleep,
}

/// How long a claimed transition keeps others from claiming it again. It must outlast
/// the claimant's UpdateService, so that a slow sleep can never land after a newer
/// wake: the SDK configuration bounds that call at 15 s, retries included
/// (sluice_aws::load_sdk_config), and the lease doubles it. A claim whose holder died,
/// or never learnt that its write landed, blocks the next looks for at most this long.
pub const CLAIM_LEASE_SECONDS: i64 = 30;

/// How long a push may trust the last observed desired count instead of asking ECS:
/// a burst of notifications to an awake service then costs no ECS call. The poll
/// refreshes the observation every minute.
pub const OBSERVATION_TRUST_SECONDS: i64 = 120;

/// For a push: when the service was seen awake recently, the push only resets the
/// idle clock and nothing needs reading. None means: read the facts and decide.
pub fn push_while_awake(state: &WatchState, now: i64) -> Option<Verdict> {
    // A sleep being carried out: the push must be decided (and remembered), not absorbed.
    if claim_in_force(state, Transition::Sleep, now) {
        return None;
    }
    match state.observed {
        Some((desired, at))
            if desired > 0 && (0..OBSERVATION_TRUST_SECONDS).contains(&now.saturating_sub(at)) =>
        {
            Some(Verdict {
                decision: Decision::Stay {
                    reason: format!(
                        "awake ({desired} tasks seen {}s ago): idle clock reset",
                        now.saturating_sub(at)
                    ),
                },
                state: WatchState {
                    last_activity: Some(now),
                    ..*state
                },
            })
        }
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Decision {
    /// Raise desiredCount from 0 to `to`.
    Wake { to: u32, reason: String },
    /// Lower desiredCount to 0.
    Sleep { reason: String },
    /// Change nothing in ECS.
    Stay { reason: String },
}

impl Decision {
    pub fn reason(&self) -> &str {
        match self {
            Decision::Wake { reason, .. }
            | Decision::Sleep { reason }
            | Decision::Stay { reason } => reason,
        }
    }

    pub fn transition(&self) -> Option<Transition> {
        match self {
            Decision::Wake { .. } => Some(Transition::Wake),
            Decision::Sleep { .. } => Some(Transition::Sleep),
            Decision::Stay { .. } => None,
        }
    }
}

/// The decision and the state to store with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub state: WatchState,
}

/// Whether `transition` is claimed and its lease runs at `now`. A claim dated in the
/// future (a skewed or corrupt record) holds nothing.
fn claim_in_force(state: &WatchState, transition: Transition, now: i64) -> bool {
    matches!(state.claimed, Some((claimed, at))
        if claimed == transition && (0..CLAIM_LEASE_SECONDS).contains(&now.saturating_sub(at)))
}

/// The state once the handler's UpdateService to `desired` succeeded: what ECS now
/// holds, so that pushes to a service just woken cost no ECS read.
pub fn confirmed(state: &WatchState, desired: u32, now: i64) -> WatchState {
    WatchState {
        observed: Some((desired, now)),
        wake_requested: if desired > 0 {
            None
        } else {
            state.wake_requested
        },
        ..*state
    }
}

/// The state once the handler's UpdateService failed: the claim is given back so the
/// next look (or Lambda's retry) may try again at once; a wake request stays.
pub fn released(state: &WatchState) -> WatchState {
    WatchState {
        claimed: None,
        ..*state
    }
}

/// The state after a look that decided nothing because a fact could not be read:
/// one more skip in a row, and a push remembered for the next look, which wakes the
/// service (or finds it awake).
pub fn unread(state: &WatchState, cause: &Cause, now: i64) -> WatchState {
    let push = matches!(cause, Cause::Push(_));
    WatchState {
        last_activity: if push { Some(now) } else { state.last_activity },
        wake_requested: if push {
            Some(state.wake_requested.unwrap_or(now))
        } else {
            state.wake_requested
        },
        skipped: state.skipped.saturating_add(1),
        ..*state
    }
}

/// Decides for one target. `now` is epoch seconds.
pub fn decide(
    settings: &ScaleToZero,
    facts: &Facts,
    state: &WatchState,
    cause: &Cause,
    now: i64,
) -> Verdict {
    let look = Look::new(settings, facts, state, cause, now);
    if facts.desired == 0 {
        look.asleep()
    } else {
        look.awake()
    }
}

/// One look at a target: its inputs and what follows from them for every branch.
struct Look<'a> {
    settings: &'a ScaleToZero,
    facts: &'a Facts,
    state: &'a WatchState,
    cause: &'a Cause,
    now: i64,
    active: bool,
    /// Nothing at all: not even a message below the activation threshold or one in
    /// flight.
    idle: bool,
    last_activity: Option<i64>,
}

impl<'a> Look<'a> {
    fn new(
        settings: &'a ScaleToZero,
        facts: &'a Facts,
        state: &'a WatchState,
        cause: &'a Cause,
        now: i64,
    ) -> Self {
        let active = match cause {
            Cause::Push(_) => true,
            Cause::Poll => {
                facts.backlog > settings.activation_backlog
                    || facts.metric_active
                    || (facts.desired == 0 && state.wake_requested.is_some())
            }
            Cause::ManualSleep => {
                facts.backlog > settings.activation_backlog || facts.metric_active
            }
        };
        let idle = !active && facts.backlog == 0 && !facts.metric_active;
        let last_activity = if active || state.last_activity.is_none() || facts.backlog > 0 {
            Some(now)
        } else {
            state.last_activity
        };
        Look {
            settings,
            facts,
            state,
            cause,
            now,
            active,
            idle,
            last_activity,
        }
    }

    /// desiredCount 0: wake on activity, to the wake count within the bounds.
    fn asleep(&self) -> Verdict {
        if *self.cause == Cause::ManualSleep {
            return self.stay("already asleep: a manual sleep never wakes".to_owned());
        }
        if !self.active {
            return self.stay("asleep, no activity".to_owned());
        }
        let mut to = self.settings.wake_tasks;
        if let Some(bounds) = self.facts.bounds {
            if bounds.max == 0 {
                return self
                    .stay("activity, but the scalable target's MaxCapacity is 0".to_owned());
            }
            // Not clamp(): bounds read from AWS may be odd (MinCapacity above
            // MaxCapacity), and a decision never panics on what it reads.
            to = to.max(bounds.min.max(1)).min(bounds.max);
        }
        if self.claim_in_force(Transition::Wake) {
            return self.stay("wake already claimed by another invocation".to_owned());
        }
        let reason = match self.cause {
            Cause::Push(what) => what.clone(),
            _ if self.facts.metric_active => "activation metric above its threshold".to_owned(),
            _ => format!(
                "backlog {} above activation threshold {}",
                self.facts.backlog, self.settings.activation_backlog
            ),
        };
        self.act(Decision::Wake { to, reason })
    }

    /// desiredCount above 0: sleep only from at most the wake count, with no floor,
    /// after `idle_minutes` of nothing (or on a manual sleep).
    fn awake(&self) -> Verdict {
        let facts = self.facts;
        if let Some(bounds) = facts.bounds
            && bounds.min > 0
        {
            return self.stay(format!(
                "scalable target MinCapacity {} > 0: never sleeps",
                bounds.min
            ));
        }
        if facts.desired > self.settings.wake_tasks {
            return self.stay(format!(
                "{} tasks, above the wake count {}: scaling in is the primary autoscaler's job",
                facts.desired, self.settings.wake_tasks
            ));
        }
        if !self.idle {
            return self.stay(if facts.backlog > 0 {
                format!("busy: backlog {}", facts.backlog)
            } else {
                "busy: activity".to_owned()
            });
        }
        if self.claim_in_force(Transition::Sleep) {
            return self.stay("sleep already claimed by another invocation".to_owned());
        }
        if *self.cause == Cause::ManualSleep {
            let reason = "manual sleep".to_owned();
            return self.act(Decision::Sleep { reason });
        }
        let idle_seconds = self
            .now
            .saturating_sub(self.last_activity.unwrap_or(self.now));
        let needed = i64::from(self.settings.idle_minutes).saturating_mul(60);
        if idle_seconds < needed {
            return self.stay(format!("idle for {idle_seconds}s of {needed}s"));
        }
        let reason = format!(
            "idle for {} min (idle_minutes {})",
            idle_seconds / 60,
            self.settings.idle_minutes
        );
        self.act(Decision::Sleep { reason })
    }

    fn claim_in_force(&self, transition: Transition) -> bool {
        claim_in_force(self.state, transition, self.now)
    }

    /// A push asks for a wake while the service is at 0, or while a sleep is being
    /// carried out; ECS showing tasks fulfils it.
    fn wake_requested(&self) -> Option<i64> {
        let asked = matches!(self.cause, Cause::Push(_))
            && (self.facts.desired == 0 || self.claim_in_force(Transition::Sleep));
        if asked {
            return Some(self.state.wake_requested.unwrap_or(self.now));
        }
        if self.facts.desired > 0 && !self.claim_in_force(Transition::Sleep) {
            return None;
        }
        self.state.wake_requested
    }

    fn stay(&self, reason: String) -> Verdict {
        Verdict {
            decision: Decision::Stay { reason },
            state: WatchState {
                last_activity: self.last_activity,
                claimed: self.state.claimed,
                observed: Some((self.facts.desired, self.now)),
                wake_requested: self.wake_requested(),
                skipped: 0,
            },
        }
    }

    /// A wake or a sleep, claimed now. Observed is 0 either way: before a wake ECS
    /// showed 0, and a wake is trusted as done only once the handler confirms its call
    /// ([`confirmed`]); after a sleep no push may be absorbed as "awake".
    fn act(&self, decision: Decision) -> Verdict {
        let claimed = match &decision {
            Decision::Wake { .. } => Some((Transition::Wake, self.now)),
            Decision::Sleep { .. } => Some((Transition::Sleep, self.now)),
            Decision::Stay { .. } => self.state.claimed,
        };
        Verdict {
            state: WatchState {
                last_activity: self.last_activity,
                claimed,
                observed: Some((0, self.now)),
                wake_requested: self.wake_requested(),
                skipped: 0,
            },
            decision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;

    fn settings() -> ScaleToZero {
        ScaleToZero {
            idle_minutes: 5,
            wake_tasks: 1,
            activation_backlog: 0,
            topics: Vec::new(),
            alarms: Vec::new(),
            metric: None,
        }
    }

    #[test]
    fn a_push_to_a_recently_awake_service_needs_no_reads() {
        let awake = WatchState {
            last_activity: Some(T0 - 200),
            claimed: None,
            observed: Some((2, T0 - 30)),
            wake_requested: None,
            skipped: 0,
        };
        let outcome = push_while_awake(&awake, T0).expect("trusted");
        assert_eq!(outcome.state.last_activity, Some(T0));
        assert_eq!(
            outcome.decision.reason(),
            "awake (2 tasks seen 30s ago): idle clock reset"
        );
        let stale = WatchState {
            observed: Some((2, T0 - OBSERVATION_TRUST_SECONDS)),
            ..awake
        };
        assert_eq!(push_while_awake(&stale, T0), None, "stale: read ECS");
        let asleep = WatchState {
            observed: Some((0, T0 - 5)),
            ..awake
        };
        assert_eq!(
            push_while_awake(&asleep, T0),
            None,
            "asleep: decide, maybe wake"
        );
    }

    fn facts(desired: u32, backlog: u64) -> Facts {
        Facts {
            desired,
            backlog,
            metric_active: false,
            bounds: None,
        }
    }

    fn idle_since(at: i64) -> WatchState {
        WatchState {
            last_activity: Some(at),
            claimed: None,
            observed: None,
            wake_requested: None,
            skipped: 0,
        }
    }

    fn action(verdict: &Verdict) -> &'static str {
        match verdict.decision {
            Decision::Wake { .. } => "wake",
            Decision::Sleep { .. } => "sleep",
            Decision::Stay { .. } => "stay",
        }
    }

    #[test]
    fn activity_during_the_idle_window_resets_the_clock() {
        let busy = decide(
            &settings(),
            &facts(1, 1),
            &idle_since(T0 - 290),
            &Cause::Poll,
            T0,
        );
        assert_eq!(busy.state.last_activity, Some(T0));
        let later = decide(
            &settings(),
            &facts(1, 0),
            &busy.state,
            &Cause::Poll,
            T0 + 60,
        );
        assert_eq!(later.decision.reason(), "idle for 60s of 300s");
        let push = decide(
            &settings(),
            &facts(1, 0),
            &idle_since(T0 - 299),
            &Cause::Push("sns".into()),
            T0,
        );
        assert_eq!(
            (action(&push), push.state.last_activity),
            ("stay", Some(T0))
        );
    }

    /// One look, as a row: what the watcher knows and what it must decide.
    struct Case {
        name: &'static str,
        wake_tasks: u32,
        activation_backlog: u64,
        /// desired, backlog, metric active, scalable bounds (min, max)
        facts: (u32, u64, bool, Option<(u32, u32)>),
        state: WatchState,
        cause: Cause,
        /// The action, and the reason it gives or the count it wakes to.
        want: (&'static str, &'static str),
        /// last_activity after the look; None: not checked.
        want_last_activity: Option<Option<i64>>,
    }

    fn case(name: &'static str, facts: (u32, u64, bool, Option<(u32, u32)>)) -> Case {
        Case {
            name,
            wake_tasks: 1,
            activation_backlog: 0,
            facts,
            state: WatchState::default(),
            cause: Cause::Poll,
            want: ("", ""),
            want_last_activity: None,
        }
    }

    fn claimed(transition: Transition, at: i64) -> WatchState {
        WatchState {
            last_activity: Some(T0),
            claimed: Some((transition, at)),
            observed: None,
            wake_requested: None,
            skipped: 0,
        }
    }

    #[test]
    fn decide_table() {
        let cases = [
            Case {
                // Backlog counts in-flight messages: 3 being processed, none visible.
                want: ("stay", "busy: backlog 3"),
                state: idle_since(T0 - 3600),
                want_last_activity: Some(Some(T0)),
                ..case(
                    "in-flight work keeps the service awake",
                    (1, 3, false, None),
                )
            },
            Case {
                state: idle_since(T0 - 240),
                want: ("stay", "idle for 240s of 300s"),
                ..case("one minute short of idle stays", (1, 0, false, None))
            },
            Case {
                state: idle_since(T0 - 300),
                want: ("sleep", "idle for 5 min (idle_minutes 5)"),
                ..case("idle_minutes of nothing sleeps", (1, 0, false, None))
            },
            Case {
                want: ("stay", "idle for 0s of 300s"),
                want_last_activity: Some(Some(T0)),
                ..case(
                    "the first look starts the clock rather than assuming idle",
                    (1, 0, false, None),
                )
            },
            Case {
                state: idle_since(T0 - 3600),
                cause: Cause::ManualSleep,
                want: ("stay", "scalable target MinCapacity 1 > 0: never sleeps"),
                ..case(
                    "a floor above zero never sleeps",
                    (1, 0, false, Some((1, 10))),
                )
            },
            Case {
                state: idle_since(T0 - 3600),
                want: (
                    "stay",
                    "3 tasks, above the wake count 1: scaling in is the primary autoscaler's job",
                ),
                ..case(
                    "above the wake count is left to the primary autoscaler",
                    (3, 0, false, None),
                )
            },
            Case {
                wake_tasks: 3,
                activation_backlog: 5,
                state: idle_since(T0 - 10),
                want: ("stay", "asleep, no activity"),
                ..case(
                    "at the activation threshold stays asleep",
                    (0, 5, false, None),
                )
            },
            Case {
                wake_tasks: 3,
                activation_backlog: 5,
                state: idle_since(T0 - 10),
                want: ("wake 3", "backlog 6 above activation threshold 5"),
                ..case(
                    "above the activation threshold wakes to the wake count",
                    (0, 6, false, None),
                )
            },
            Case {
                wake_tasks: 3,
                state: idle_since(T0 - 300),
                want: ("sleep", "idle for 5 min (idle_minutes 5)"),
                ..case(
                    "woken at 3 tasks, idle long enough: sleeps from the wake count",
                    (3, 0, false, None),
                )
            },
            Case {
                wake_tasks: 4,
                want: ("wake 2", "backlog 1 above activation threshold 0"),
                ..case(
                    "the wake count is capped at MaxCapacity",
                    (0, 1, false, Some((0, 2))),
                )
            },
            Case {
                wake_tasks: 4,
                want: (
                    "stay",
                    "activity, but the scalable target's MaxCapacity is 0",
                ),
                ..case("MaxCapacity 0 never wakes", (0, 1, false, Some((0, 0))))
            },
            Case {
                cause: Cause::Push("SNS notification from arn:t".into()),
                want: ("wake 1", "SNS notification from arn:t"),
                ..case("a push wakes a sleeping service", (0, 0, false, None))
            },
            Case {
                want: ("wake 1", "activation metric above its threshold"),
                ..case(
                    "an activation metric wakes a sleeping service",
                    (0, 0, true, None),
                )
            },
            Case {
                state: claimed(Transition::Wake, T0 - 10),
                want: ("stay", "wake already claimed by another invocation"),
                ..case(
                    "a claimed wake is not claimed twice within the lease",
                    (0, 4, false, None),
                )
            },
            Case {
                state: claimed(Transition::Wake, T0 - CLAIM_LEASE_SECONDS),
                want: ("wake 1", "backlog 4 above activation threshold 0"),
                ..case(
                    "after the lease a failed wake is retried",
                    (0, 4, false, None),
                )
            },
            Case {
                state: claimed(Transition::Wake, T0 + 3600),
                want: ("wake 1", "backlog 4 above activation threshold 0"),
                ..case(
                    "a claim dated in the future holds nothing",
                    (0, 4, false, None),
                )
            },
            Case {
                state: idle_since(i64::MIN),
                want: ("sleep", "idle for 153722867280912930 min (idle_minutes 5)"),
                ..case(
                    "an absurdly old activity time saturates, never overflows",
                    (1, 0, false, None),
                )
            },
            Case {
                state: claimed(Transition::Sleep, i64::MIN),
                want: ("wake 1", "backlog 4 above activation threshold 0"),
                ..case(
                    "an absurdly old claim has long run out",
                    (0, 4, false, None),
                )
            },
            Case {
                state: idle_since(T0),
                cause: Cause::ManualSleep,
                want: ("sleep", "manual sleep"),
                ..case("a manual sleep skips the idle clock", (1, 0, false, None))
            },
            Case {
                cause: Cause::ManualSleep,
                want: ("stay", "already asleep: a manual sleep never wakes"),
                ..case(
                    "a manual sleep on a sleeping service with work never wakes it",
                    (0, 5, false, None),
                )
            },
            Case {
                // Work in the queue: a manual sleep would strand it.
                state: idle_since(T0),
                cause: Cause::ManualSleep,
                want: ("stay", "busy: backlog 2"),
                ..case(
                    "a manual sleep does not skip the rules",
                    (1, 2, false, None),
                )
            },
        ];
        for case in cases {
            let settings = ScaleToZero {
                wake_tasks: case.wake_tasks,
                activation_backlog: case.activation_backlog,
                ..settings()
            };
            let (desired, backlog, metric_active, bounds) = case.facts;
            let facts = Facts {
                desired,
                backlog,
                metric_active,
                bounds: bounds.map(|(min, max)| ScalableBounds { min, max }),
            };
            let verdict = decide(&settings, &facts, &case.state, &case.cause, T0);
            let action = match verdict.decision {
                Decision::Wake { to, .. } => format!("wake {to}"),
                Decision::Sleep { .. } => "sleep".to_owned(),
                Decision::Stay { .. } => "stay".to_owned(),
            };
            assert_eq!(
                (action.as_str(), verdict.decision.reason()),
                case.want,
                "{}",
                case.name
            );
            if let Some(transition) = verdict.decision.transition() {
                assert_eq!(
                    verdict.state.claimed,
                    Some((transition, T0)),
                    "{}",
                    case.name
                );
            }
            if let Some(last_activity) = case.want_last_activity {
                assert_eq!(verdict.state.last_activity, last_activity, "{}", case.name);
            }
        }
    }

    #[test]
    fn times_ahead_of_the_clock_are_dropped_and_said() {
        let stored = WatchState {
            last_activity: Some(T0 + 86_400),
            claimed: Some((Transition::Wake, T0 + 86_400)),
            observed: Some((1, T0 + 86_400)),
            wake_requested: Some(T0 + 86_400),
            skipped: 0,
        };
        let (clean, notes) = stored.sanitized(T0);
        assert_eq!(
            clean,
            WatchState {
                last_activity: Some(T0),
                ..WatchState::default()
            }
        );
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(
            notes[0].contains("last_activity is 86400s ahead of the clock"),
            "{notes:?}"
        );
        let near = WatchState {
            last_activity: Some(T0 + CLOCK_SKEW_SECONDS),
            ..WatchState::default()
        };
        assert_eq!(
            near.sanitized(T0),
            (near, Vec::new()),
            "within clock skew: kept"
        );
    }
}
