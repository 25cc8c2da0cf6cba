//! The publisher's settings, read from the Lambda's environment.

use std::str::FromStr;

use sluice_core::metrics::ScalingChangeLimit;
use sluice_core::settings::{Common, Lookup, SettingsError, environment};

/// Where the metrics go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// CloudWatch PutMetricData, batched into the fewest calls.
    PutMetricData,
    /// Embedded Metric Format log lines: no PutMetricData call at all.
    EmbeddedMetricFormat,
}

impl FromStr for Output {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "put-metric-data" => Ok(Output::PutMetricData),
            "emf" => Ok(Output::EmbeddedMetricFormat),
            other => Err(format!("{other:?} is not one of put-metric-data, emf")),
        }
    }
}

impl Output {
    pub fn as_str(self) -> &'static str {
        match self {
            Output::PutMetricData => "put-metric-data",
            Output::EmbeddedMetricFormat => "emf",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub common: Common,
    /// `SLUICE_OUTPUT`: `put-metric-data` (default) or `emf`.
    pub output: Output,
    /// `SLUICE_SCALING_CHANGES` in `SLUICE_SCALING_CHANGES_MINUTES` (3 in 5; minutes 0
    /// turns the count off): what `TargetsScalingTooOften` counts.
    pub scaling_changes: ScalingChangeLimit,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&environment())
    }

    pub fn from_lookup(env: &impl Lookup) -> Result<Self, SettingsError> {
        Ok(Settings {
            common: Common::from_lookup(env)?,
            output: env.parsed(
                "SLUICE_OUTPUT",
                Output::PutMetricData,
                |_| true,
                "put-metric-data or emf",
            )?,
            scaling_changes: ScalingChangeLimit {
                minutes: env.parsed(
                    "SLUICE_SCALING_CHANGES_MINUTES",
                    ScalingChangeLimit::default().minutes,
                    |m| *m <= 60,
                    "whole minutes, 0 (off) to 60",
                )?,
                changes: env.parsed(
                    "SLUICE_SCALING_CHANGES",
                    ScalingChangeLimit::default().changes,
                    |c| (1..=60).contains(c),
                    "a number of desired-count changes, 1 to 60",
                )?,
            },
        })
    }

    /// Defaults for the table (tests, tools).
    pub fn for_table(table: &str) -> Self {
        Self::of(Common::for_table(table))
    }

    /// The defaults around `common` (tests, tools): PutMetricData, the default
    /// scaling-changes count.
    pub fn of(common: Common) -> Self {
        Settings {
            common,
            output: Output::PutMetricData,
            scaling_changes: ScalingChangeLimit::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_lookup(&|name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_apply_and_errors_name_the_variable() {
        let ok = settings(&[("SLUICE_TABLE", "sluice")]).expect("ok");
        assert_eq!(ok, Settings::for_table("sluice"));
        let cases = [
            (vec![], "SLUICE_TABLE is not set"),
            (
                vec![("SLUICE_TABLE", "t"), ("SLUICE_OUTPUT", "stdout")],
                "SLUICE_OUTPUT=\"stdout\": \"stdout\" is not one of put-metric-data, emf",
            ),
            (
                vec![("SLUICE_TABLE", "t"), ("SLUICE_CONCURRENCY", "0")],
                "SLUICE_CONCURRENCY=\"0\": expected a whole number from 1 to 256",
            ),
            (
                vec![("SLUICE_TABLE", "t"), ("SLUICE_CONCURRENCY", "many")],
                "SLUICE_CONCURRENCY=\"many\": invalid digit",
            ),
            (
                vec![
                    ("SLUICE_TABLE", "t"),
                    ("SLUICE_SCALING_CHANGES_MINUTES", "90"),
                ],
                "SLUICE_SCALING_CHANGES_MINUTES=\"90\": expected whole minutes, 0 (off) to 60",
            ),
            (
                vec![("SLUICE_TABLE", "t"), ("SLUICE_SCALING_CHANGES", "0")],
                "SLUICE_SCALING_CHANGES=\"0\": expected a number of desired-count changes, 1 to 60",
            ),
        ];
        for (pairs, expected) in cases {
            let error = settings(&pairs).expect_err("must fail");
            assert!(error.to_string().contains(expected), "{error}");
        }
        assert_eq!(
            settings(&[("SLUICE_TABLE", "t"), ("SLUICE_OUTPUT", "emf")]).map(|s| s.output),
            Ok(Output::EmbeddedMetricFormat)
        );
    }
}
