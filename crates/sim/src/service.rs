//! How long one message keeps a task busy.
//!
//! By default every message takes the same time, 60 / `per_task_per_minute` seconds.
//! Real service times vary (a prompt's length, an image's size, a job's inputs), and a
//! queue at the same utilisation then holds more and waits longer: a controller that
//! plans its tasks close to full use is flattered by a service that never varies.
//! With a coefficient of variation (`tasks.service_cv`), each message's time is drawn
//! from a log-normal distribution with the same mean: right-skewed, never negative,
//! the usual fit for request and job durations.
//!
//! Each draw is keyed to the seed, the tick the message arrived in and its place
//! among that tick's arrivals, never to who serves it or when: every controller and
//! the clairvoyant limit meet the same message with the same size (common random
//! numbers, as the start-ups are drawn), so a comparison is of the controllers.

use crate::clock::Tick;

/// The service times of a run's messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTimes {
    mean: f64,
    /// The log-normal's sigma and the draws' seed; None: every message takes `mean`.
    spread: Option<(f64, u64)>,
}

/// The largest coefficient of variation a scenario may ask for: beyond it a few
/// messages hold a task for hours, which no queue Sluice serves looks like.
pub const MOST_CV: f64 = 4.0;

impl ServiceTimes {
    /// The times of a task that finishes `per_task_per_minute` messages a minute on
    /// average, varying by `cv` ([`ServiceTimes::varying`]).
    pub fn of(per_task_per_minute: f64, cv: f64, seed: u64) -> ServiceTimes {
        let mean = if per_task_per_minute > 0.0 {
            60.0 / per_task_per_minute
        } else {
            f64::INFINITY
        };
        ServiceTimes::varying(mean, cv, seed)
    }

    /// Every message `mean` seconds.
    fn fixed(mean: f64) -> ServiceTimes {
        ServiceTimes { mean, spread: None }
    }

    /// A mean of `mean` seconds varying by `cv` (standard deviation over mean), drawn
    /// from `seed`; fixed when `cv` is 0 (or not a usable number).
    pub fn varying(mean: f64, cv: f64, seed: u64) -> ServiceTimes {
        if !(cv.is_finite() && cv > 0.0) {
            return ServiceTimes::fixed(mean);
        }
        let sigma = (1.0 + cv * cv).ln().sqrt();
        ServiceTimes {
            mean,
            spread: Some((sigma, seed ^ 0x5e41_11ce)),
        }
    }

    /// Whether messages differ.
    pub fn varies(&self) -> bool {
        self.spread.is_some()
    }

    /// The mean, in seconds.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The seconds within which 99 in 100 messages finish: the mean when every
    /// message takes it, else the log-normal's 0.99 quantile.
    pub fn p99(&self) -> f64 {
        // The standard normal's 0.99 quantile.
        const Z99: f64 = 2.326_347_874;
        match self.spread {
            None => self.mean,
            Some((sigma, _)) => self.mean * (sigma * Z99 - sigma * sigma / 2.0).exp(),
        }
    }

    /// The seconds the `index`-th message that arrived in tick `arrived` takes.
    pub fn seconds(&self, arrived: Tick, index: u64) -> f64 {
        let Some((sigma, seed)) = self.spread else {
            return self.mean;
        };
        let first = mix(seed ^ arrived.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ index);
        let second = mix(first);
        // Two uniforms in (0, 1), then Box-Muller: a standard normal.
        let unit = |bits: u64| ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let normal =
            (-2.0 * unit(first).ln()).sqrt() * (std::f64::consts::TAU * unit(second)).cos();
        self.mean * (sigma * normal - sigma * sigma / 2.0).exp()
    }
}

/// SplitMix64's finaliser: well-spread bits from a key, cheaply.
pub(crate) fn mix(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_times_are_the_mean() {
        let fixed = ServiceTimes::fixed(6.0);
        assert!(!fixed.varies());
        assert_eq!(fixed.seconds(3, 7), 6.0);
        assert_eq!(ServiceTimes::varying(6.0, 0.0, 1), fixed);
        assert_eq!(ServiceTimes::varying(6.0, f64::NAN, 1), fixed);
    }

    #[test]
    fn varying_times_keep_the_mean_and_have_the_asked_spread() {
        let times = ServiceTimes::varying(6.0, 0.5, 7);
        let draws: Vec<f64> = (0..20_000u64)
            .map(|i| times.seconds(i / 40, i % 40))
            .collect();
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let sd = (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!((mean - 6.0).abs() < 0.1, "mean {mean}");
        assert!((sd / mean - 0.5).abs() < 0.03, "cv {}", sd / mean);
        assert!(draws.iter().all(|d| d.is_finite() && *d > 0.0));
    }

    #[test]
    fn ninety_nine_in_a_hundred_messages_finish_within_the_p99() {
        assert_eq!(ServiceTimes::of(0.8, 0.0, 1).p99(), 75.0);
        let times = ServiceTimes::varying(30.0, 0.8, 5);
        let p99 = times.p99();
        assert!((115.0..125.0).contains(&p99), "CV 0.8 of 30 s: {p99}");
        let within = (0..100_000).filter(|i| times.seconds(0, *i) <= p99).count();
        assert!((98_800..=99_200).contains(&within), "{within} of 100000");
    }

    #[test]
    fn a_message_is_the_same_size_whoever_meets_it() {
        let times = ServiceTimes::varying(75.0, 1.0, 7);
        assert_eq!(times.seconds(120, 3), times.seconds(120, 3));
        assert_ne!(times.seconds(120, 3), times.seconds(120, 4));
        assert_ne!(times.seconds(120, 3), times.seconds(121, 3));
        let other_seed = ServiceTimes::varying(75.0, 1.0, 8);
        assert_ne!(times.seconds(120, 3), other_seed.seconds(120, 3));
    }
}
