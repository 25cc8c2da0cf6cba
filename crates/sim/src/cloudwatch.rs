//! CloudWatch as the simulated controllers meet it: datapoints land in one-minute
//! periods, and a period can be read (by an alarm, or by a function's GetMetricData)
//! only once it is complete and its data has arrived.
//!
//! How late: a period is read 60 s after it ends. An alarm on a one-minute period is
//! evaluated every minute on the periods that are complete ("Using Amazon CloudWatch
//! alarms", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html);
//! data published at the start of a minute is then acted on two minutes later, one
//! published at its end one minute later: the one to two minutes a datapoint takes to
//! reach an alarm. SQS pushes its own metrics "at one-minute intervals" ("Available
//! CloudWatch metrics for Amazon SQS",
//! https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
//! modelled with the same delay. Where the model ends: no datapoint is ever later than
//! that, and none is lost.

use std::collections::BTreeMap;

/// Seconds after a period ends before its data can be read.
pub const VISIBLE_AFTER_SECONDS: i64 = 60;

/// A statistic over one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Average,
    Maximum,
    Sum,
}

impl Statistic {
    /// A policy's or alarm's statistic by its CloudWatch name; the rest read as Average.
    pub fn named(name: &str) -> Statistic {
        match name {
            "Maximum" => Statistic::Maximum,
            "Sum" => Statistic::Sum,
            _ => Statistic::Average,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Period {
    sum: f64,
    count: u32,
    max: f64,
}

/// The metrics of one run, by name, each as its one-minute periods.
#[derive(Debug, Clone, Default)]
pub struct CloudWatch {
    series: BTreeMap<String, BTreeMap<i64, Period>>,
}

impl CloudWatch {
    /// A datapoint at `at` (seconds): it lands in the period of that minute.
    pub fn put(&mut self, name: &str, at: i64, value: f64) {
        let period = self
            .series
            .entry(name.to_owned())
            .or_default()
            .entry(at.div_euclid(60))
            .or_default();
        period.max = if period.count == 0 {
            value
        } else {
            period.max.max(value)
        };
        period.sum += value;
        period.count += 1;
    }

    /// The newest minute whose period can be read at `now`.
    pub fn newest_visible(now: i64) -> i64 {
        (now - VISIBLE_AFTER_SECONDS).div_euclid(60) - 1
    }

    /// The value of `name` over the period of `minute`, if it is readable at `now` and
    /// holds data (None: missing, as CloudWatch returns no datapoint).
    pub fn read(&self, name: &str, minute: i64, statistic: Statistic, now: i64) -> Option<f64> {
        if minute > Self::newest_visible(now) {
            return None;
        }
        let period = self.series.get(name)?.get(&minute)?;
        Some(match statistic {
            Statistic::Average => period.sum / f64::from(period.count.max(1)),
            Statistic::Maximum => period.max,
            Statistic::Sum => period.sum,
        })
    }

    /// The newest readable period's value at `now`.
    pub fn newest(&self, name: &str, statistic: Statistic, now: i64) -> Option<f64> {
        self.read(name, Self::newest_visible(now), statistic, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_read_a_minute_after_it_ends() {
        let mut cloudwatch = CloudWatch::default();
        // Published at 10:00 (second 600): the period 10:00-10:01.
        cloudwatch.put("m", 600, 4.0);
        cloudwatch.put("m", 630, 8.0);
        for now in [600, 660, 719] {
            assert_eq!(
                cloudwatch.newest("m", Statistic::Average, now),
                None,
                "{now}"
            );
        }
        assert_eq!(cloudwatch.newest("m", Statistic::Average, 720), Some(6.0));
        assert_eq!(cloudwatch.read("m", 10, Statistic::Maximum, 720), Some(8.0));
        assert_eq!(cloudwatch.read("m", 10, Statistic::Sum, 720), Some(12.0));
        assert_eq!(
            cloudwatch.newest("m", Statistic::Average, 780),
            None,
            "no data"
        );
    }
}
