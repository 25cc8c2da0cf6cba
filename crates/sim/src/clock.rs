//! The simulation's clock: a tick of five seconds, the zero-watcher's default poll
//! interval, so a start-up, a poll and a wait are measured to five seconds, not
//! rounded to whole minutes. Times are seconds from the start of the run.

/// Ticks since the start of the run.
pub type Tick = u64;

pub const TICK_SECONDS: i64 = 5;
pub const TICKS_PER_MINUTE: u64 = 12;

/// The second a tick starts at.
pub fn second(tick: Tick) -> i64 {
    i64::try_from(tick).unwrap_or(i64::MAX / TICK_SECONDS) * TICK_SECONDS
}

/// The minute a tick lies in.
pub fn minute(tick: Tick) -> u32 {
    u32::try_from(tick / TICKS_PER_MINUTE).unwrap_or(u32::MAX)
}

/// Whether a tick starts a minute.
pub fn starts_minute(tick: Tick) -> bool {
    tick.is_multiple_of(TICKS_PER_MINUTE)
}

/// Ticks in `seconds`, rounded up: a start-up of 61 s is ready in the thirteenth tick.
pub fn ticks_in(seconds: i64) -> u64 {
    u64::try_from(seconds.max(0))
        .unwrap_or(0)
        .div_ceil(TICK_SECONDS as u64)
}

/// A minute's arrivals spread over its ticks as evenly as whole messages allow.
pub fn spread(arrivals: u32, tick_in_minute: u64) -> u64 {
    let total = u64::from(arrivals);
    let at = |j: u64| j * total / TICKS_PER_MINUTE;
    at(tick_in_minute + 1) - at(tick_in_minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_spreads_its_arrivals_over_twelve_ticks_exactly() {
        for arrivals in [0, 1, 7, 12, 13, 375, 10_001] {
            let total: u64 = (0..TICKS_PER_MINUTE).map(|j| spread(arrivals, j)).sum();
            assert_eq!(total, u64::from(arrivals));
        }
        assert_eq!(ticks_in(90), 18);
        assert_eq!(ticks_in(61), 13);
        assert_eq!((minute(25), second(25), starts_minute(24)), (2, 125, true));
    }
}
