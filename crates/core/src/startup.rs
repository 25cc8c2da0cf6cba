//! Start-ups as measured, and the lead they call for. Each wake's start-up (from the
//! UpdateService to the first look that saw a task running) is kept per target; a
//! profile with `lead: auto` raises its floors ahead by the recent p95 of them plus the
//! prescaler's interval, instead of a guess. Pure.

use serde::{Deserialize, Serialize};

use crate::limits::MAX_START_UP_SECONDS;
use crate::profile::{LeadMode, Schedule};

/// How many start-ups are kept per target: enough for a p95 that is not one outlier.
pub const KEPT: usize = 20;
/// Start-ups older than this are forgotten: an image or a model changes.
pub const RECENT_DAYS: i64 = 14;
/// Fewer start-ups than this in the recent days give no p95 to trust.
pub const MIN_SAMPLES: usize = 3;
/// At most a day ahead, as for `lead_minutes`.
pub const MAX_LEAD_MINUTES: i64 = 24 * 60;

/// One measured start-up: when it ended (epoch seconds) and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartUp {
    pub at: i64,
    pub seconds: i64,
}

impl StartUp {
    /// Whether this could be a start-up measured by now: it took 0 s to a day and
    /// ended after 1970 and no later than the clock allows.
    pub fn is_plausible(&self, now: i64) -> bool {
        (0..=MAX_START_UP_SECONDS).contains(&self.seconds)
            && self.at > 0
            && self.at <= now.saturating_add(crate::limits::CLOCK_SKEW_SECONDS)
    }
}

/// A target's recent start-ups, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartUps(pub Vec<StartUp>);

impl StartUps {
    /// With `sample` added (once: a repeat of the same end is ignored; one that is
    /// not a start-up is not added), keeping the newest [`KEPT`] plausible ones of the
    /// last [`RECENT_DAYS`].
    pub fn with(&self, sample: StartUp, now: i64) -> StartUps {
        let mut all = self.clone();
        if sample.is_plausible(now) && !all.0.iter().any(|s| s.at == sample.at) {
            all.0.push(sample);
        }
        let mut kept = all.recent(now);
        kept.sort_by_key(|s| s.at);
        let skip = kept.len().saturating_sub(KEPT);
        StartUps(kept.split_off(skip))
    }

    /// The plausible start-ups of the last [`RECENT_DAYS`] before `now`: a stored
    /// sample that cannot be a start-up (a negative or year-long one, one dated ahead)
    /// counts for nothing.
    pub fn recent(&self, now: i64) -> Vec<StartUp> {
        let since = now.saturating_sub(RECENT_DAYS * 86_400);
        self.0
            .iter()
            .copied()
            .filter(|s| s.at >= since && s.is_plausible(now))
            .collect()
    }

    /// The stored samples that cannot be start-ups, said once each (for a warning).
    pub fn implausible(&self, now: i64) -> Vec<String> {
        self.0
            .iter()
            .filter(|s| !s.is_plausible(now))
            .map(|s| {
                format!(
                    "stored start-up of {}s ending at {} is not a start-up: ignored",
                    s.seconds, s.at
                )
            })
            .collect()
    }

    /// p50 and p95 in seconds (nearest rank) of the recent start-ups, and how many.
    pub fn percentiles(&self, now: i64) -> Option<Percentiles> {
        let mut seconds: Vec<i64> = self.recent(now).iter().map(|s| s.seconds).collect();
        if seconds.is_empty() {
            return None;
        }
        seconds.sort_unstable();
        let rank = |q: f64| {
            seconds[((q * seconds.len() as f64).ceil() as usize).clamp(1, seconds.len()) - 1]
        };
        Some(Percentiles {
            p50: rank(0.5),
            p95: rank(0.95),
            count: seconds.len(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub p50: i64,
    pub p95: i64,
    pub count: usize,
}

/// The lead a target's floors are raised ahead by, and why that one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lead {
    pub minutes: i64,
    pub why: String,
}

/// The prescaler's schedule interval unless told otherwise (the template's default).
pub const DEFAULT_INTERVAL_MINUTES: i64 = 5;

/// The lead a schedule's floors are raised ahead by for one target, and why: its
/// fixed `lead_minutes`, or with `lead: auto` the target's kept start-ups (`Err`: they
/// could not be read, said why), `lead_minutes` while they are too few or unknown.
pub fn lead(
    schedule: &Schedule,
    starts: Result<Option<&StartUps>, String>,
    interval_minutes: i64,
    now: i64,
) -> Lead {
    let fallback = schedule.lead_minutes;
    match (schedule.lead, starts) {
        (LeadMode::Fixed, _) => fixed(fallback),
        (LeadMode::Auto, Ok(starts)) => auto(
            starts.unwrap_or(&StartUps::default()),
            fallback,
            interval_minutes,
            now,
        ),
        (LeadMode::Auto, Err(error)) => Lead {
            minutes: fallback,
            why: format!(
                "auto, but the start-ups cannot be read ({error}): lead_minutes {fallback}"
            ),
        },
    }
}

/// A profile's fixed lead.
pub fn fixed(minutes: i64) -> Lead {
    Lead {
        minutes,
        why: format!("lead_minutes {minutes}"),
    }
}

/// `lead: auto`: the measured p95 start-up rounded up to the minute, plus the
/// prescaler's interval (a window may begin just after a run) plus one minute, as
/// docs/tuning.md asks of a hand-set lead. Without [`MIN_SAMPLES`] recent start-ups,
/// the profile's `lead_minutes`.
pub fn auto(starts: &StartUps, fallback_minutes: i64, interval_minutes: i64, now: i64) -> Lead {
    match starts.percentiles(now) {
        Some(p) if p.count >= MIN_SAMPLES => {
            // p95 is a day at most (`recent`); the interval is the caller's: saturate.
            let start_minutes = (p.p95.clamp(0, MAX_START_UP_SECONDS) + 59) / 60;
            let minutes = start_minutes
                .saturating_add(interval_minutes.max(0))
                .saturating_add(1)
                .min(MAX_LEAD_MINUTES);
            Lead {
                minutes,
                why: format!(
                    "auto: p95 start-up {}s over {} start-ups in {RECENT_DAYS} days \
                     ({start_minutes} min) + prescaler interval {interval_minutes} min + 1",
                    p.p95, p.count
                ),
            }
        }
        measured => {
            let count = measured.map_or(0, |p| p.count);
            Lead {
                minutes: fallback_minutes,
                why: format!(
                    "auto, but {count} start-up(s) measured in {RECENT_DAYS} days (fewer than \
                     {MIN_SAMPLES}): lead_minutes {fallback_minutes}"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn starts(seconds: &[i64]) -> StartUps {
        StartUps(
            seconds
                .iter()
                .enumerate()
                .map(|(i, s)| StartUp {
                    at: NOW - 3600 * (seconds.len() - i) as i64,
                    seconds: *s,
                })
                .collect(),
        )
    }

    #[test]
    fn the_lead_is_the_p95_start_up_plus_the_interval_and_a_minute() {
        // 20 start-ups: 19 of 60-120 s and one of 400 s; p95 (rank 19) is 120 s.
        let mut seconds: Vec<i64> = (0..19).map(|i| 60 + i * 60 / 18).collect();
        seconds.push(400);
        let lead = auto(&starts(&seconds), 10, 5, NOW);
        assert_eq!(lead.minutes, 2 + 5 + 1, "{}", lead.why);
        assert!(
            lead.why.contains("p95 start-up 120s over 20"),
            "{}",
            lead.why
        );
        // A slow GPU start-up of 4.5 min: 5 + 5 + 1, with no one-hour cap.
        assert_eq!(auto(&starts(&[270, 250, 260]), 10, 5, NOW).minutes, 11);
        assert_eq!(auto(&starts(&[7200; 3]), 10, 5, NOW).minutes, 126);
    }

    #[test]
    fn too_few_or_stale_start_ups_fall_back_to_lead_minutes() {
        let lead = auto(&starts(&[100, 100]), 10, 5, NOW);
        assert_eq!(lead.minutes, 10);
        assert!(lead.why.contains("2 start-up(s)"), "{}", lead.why);
        let stale = StartUps(vec![
            StartUp {
                at: NOW - 15 * 86_400,
                seconds: 100
            };
            5
        ]);
        assert_eq!(auto(&stale, 7, 5, NOW).minutes, 7);
        assert_eq!(auto(&StartUps::default(), 0, 5, NOW).minutes, 0);
    }

    #[test]
    fn a_stored_sample_that_is_not_a_start_up_counts_for_nothing() {
        let corrupt = [
            StartUp {
                at: NOW,
                seconds: i64::MAX,
            },
            StartUp {
                at: NOW,
                seconds: -1_000_000_000_000,
            },
            StartUp {
                at: NOW,
                seconds: MAX_START_UP_SECONDS + 1,
            },
            StartUp {
                at: NOW + 100 * 365 * 86_400,
                seconds: 100,
            }, // in 2100
            StartUp {
                at: i64::MIN,
                seconds: 100,
            },
        ];
        let mut samples = corrupt.to_vec();
        samples.extend(starts(&[120, 120, 120]).0);
        let stored = StartUps(samples);
        let lead = auto(&stored, 10, 5, NOW);
        assert_eq!(
            lead.minutes,
            2 + 5 + 1,
            "only the three real ones: {}",
            lead.why
        );
        assert_eq!(
            stored.implausible(NOW).len(),
            5,
            "{:?}",
            stored.implausible(NOW)
        );
        // Only the corrupt ones: the profile's lead_minutes, never a lead of a day or
        // below zero.
        let lead = auto(&StartUps(corrupt.to_vec()), 10, 5, NOW);
        assert_eq!(lead.minutes, 10, "{}", lead.why);
        assert_eq!(
            auto(&starts(&[120; 3]), 10, i64::MAX, NOW).minutes,
            MAX_LEAD_MINUTES
        );
        // And none is ever added.
        for sample in corrupt {
            assert_eq!(StartUps::default().with(sample, NOW), StartUps::default());
        }
    }

    #[test]
    fn a_repeated_sample_is_kept_once() {
        let one = StartUp {
            at: NOW,
            seconds: 90,
        };
        let kept = StartUps::default().with(one, NOW).with(one, NOW);
        assert_eq!(kept.0, vec![one]);
    }
}
