//! The queue's counts as GetQueueAttributes returns them: not the queue as it is, but
//! as it was up to a while ago. AWS says ApproximateNumberOfMessages,
//! ApproximateNumberOfMessagesNotVisible and ApproximateNumberOfMessagesDelayed "may
//! not achieve consistency until at least 1 minute after the producers stop sending
//! messages" (GetQueueAttributes, Amazon SQS API Reference,
//! https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
//! Until 7 December 2026 every read here was exact and fresh, which flattered the
//! controllers that read most often (Sluice's five-second polls most of all).
//!
//! The model: each read returns the counts of a moment drawn uniformly from the last
//! `lag` seconds (in ticks), keyed to the run's seed and the tick, so every
//! controller reading at the same tick sees the same counts. AWS gives a bound, not a
//! distribution; the draw is one reading of it, and `lag` 0 is the exact queue.

use rand::SeedableRng;
use rand_pcg::Pcg64;

use crate::clock::{self, Tick};

/// How stale a read may be when a scenario does not say: AWS's minute.
pub const LAG_SECONDS: u32 = 60;
/// The most a scenario may say.
pub const MOST_LAG_SECONDS: u32 = 600;

/// What a read returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// ApproximateNumberOfMessages: waiting for a consumer.
    pub visible: u64,
    /// ApproximateNumberOfMessagesNotVisible: in a consumer's hands.
    pub in_flight: u64,
}

/// The counts of the last ticks, newest last, and how stale a read may be.
#[derive(Debug, Clone)]
pub struct Attributes {
    kept: std::collections::VecDeque<Counts>,
    lag_ticks: u64,
    seed: u64,
}

impl Attributes {
    /// Reads at most `lag_seconds` stale (rounded up to ticks), drawn from `seed`.
    pub fn new(lag_seconds: u32, seed: u64) -> Attributes {
        let lag_ticks = clock::ticks_in(i64::from(lag_seconds));
        Attributes {
            kept: std::collections::VecDeque::with_capacity(lag_ticks as usize + 1),
            lag_ticks,
            seed,
        }
    }

    /// The queue's counts at this tick, as they are.
    pub fn record(&mut self, counts: Counts) {
        if self.kept.len() as u64 > self.lag_ticks {
            self.kept.pop_front();
        }
        self.kept.push_back(counts);
    }

    /// What a read at `tick` returns: the counts some ticks ago, at most the lag and
    /// at most as far back as the run goes.
    pub fn read(&self, tick: Tick) -> Counts {
        let back = if self.lag_ticks == 0 {
            0
        } else {
            let key = self.seed ^ tick.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5351_5300;
            let mut rng = Pcg64::seed_from_u64(key);
            rand::RngExt::random_range(&mut rng, 0..=self.lag_ticks)
        };
        let newest = self.kept.len().saturating_sub(1);
        let at = newest.saturating_sub(usize::try_from(back).unwrap_or(usize::MAX));
        self.kept.get(at).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(visible: u64) -> Counts {
        Counts {
            visible,
            in_flight: 0,
        }
    }

    #[test]
    fn without_a_lag_a_read_is_the_queue_now() {
        let mut attributes = Attributes::new(0, 7);
        for (tick, visible) in [(0, 3), (1, 5), (2, 0)] {
            attributes.record(counts(visible));
            assert_eq!(attributes.read(tick).visible, visible);
        }
    }

    #[test]
    fn a_read_is_never_older_than_the_lag_and_is_sometimes_old() {
        // A queue that counts its own ticks: the read says how far back it looked.
        let mut attributes = Attributes::new(60, 11);
        let mut backs = std::collections::BTreeSet::new();
        for tick in 0..2_000u64 {
            attributes.record(counts(tick));
            let back = tick - attributes.read(tick).visible;
            assert!(back <= 12, "tick {tick}: {back} ticks back");
            backs.insert(back);
        }
        assert_eq!(backs.len(), 13, "every lag from 0 to 60 s drawn: {backs:?}");
        // The same tick reads the same counts, whoever reads.
        assert_eq!(attributes.read(1_999), attributes.read(1_999));
    }

    #[test]
    fn early_in_a_run_a_read_goes_back_no_further_than_its_start() {
        let mut attributes = Attributes::new(60, 3);
        attributes.record(counts(9));
        assert_eq!(attributes.read(0).visible, 9);
    }
}
