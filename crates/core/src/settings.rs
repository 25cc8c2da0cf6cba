//! Reading a function's settings from its environment, with errors that name the
//! variable and what was expected. Every Lambda reads its settings this way.

use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error: {0}")]
pub struct SettingsError(pub String);

/// Looks variables up by name: `std::env::var` in a Lambda, a map in tests.
pub trait Lookup {
    fn get(&self, name: &str) -> Option<String>;

    fn required(&self, name: &str, what: &str) -> Result<String, SettingsError> {
        self.get(name)
            .filter(|value| !value.trim().is_empty())
            .ok_or_else(|| SettingsError(format!("{name} is not set: {what}")))
    }

    /// `name` parsed, `default` when unset; `check` limits the accepted values.
    fn parsed<T>(
        &self,
        name: &str,
        default: T,
        check: impl Fn(&T) -> bool,
        expected: &str,
    ) -> Result<T, SettingsError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.trim().parse::<T>() {
            Ok(value) if check(&value) => Ok(value),
            Ok(_) => Err(SettingsError(format!(
                "{name}={text:?}: expected {expected}"
            ))),
            Err(e) => Err(SettingsError(format!(
                "{name}={text:?}: {e}; expected {expected}"
            ))),
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`), `default` when unset.
    fn flag(&self, name: &str, default: bool) -> Result<bool, SettingsError> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => Ok(true),
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "") => Ok(false),
            Some(v) => Err(SettingsError(format!(
                "{name}={v:?}: expected true or false"
            ))),
        }
    }
}

/// The settings every function reads, the same way: what a function's own Settings
/// add to is only what it alone needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// `SLUICE_TABLE` (required): the table of targets, profiles and state.
    pub table: String,
    /// `SLUICE_NAMESPACE` (default `Sluice`): where the functions publish metrics.
    pub namespace: String,
    /// `SLUICE_CONCURRENCY` (default 16): AWS requests in flight at once per account
    /// and region, across every read and write of an invocation
    /// (sluice_aws::limit_in_flight enforces it, one bound per account reached).
    pub concurrency: usize,
    /// `SLUICE_METRIC_LOOKBACK_MINUTES` (default 5): how old the newest datapoint of a
    /// metric Sluice reads (GPU utilisation, an activation metric) may be before it
    /// counts as missing.
    pub metric_lookback_minutes: u32,
}

impl Common {
    pub const DEFAULT_NAMESPACE: &'static str = "Sluice";
    pub const DEFAULT_CONCURRENCY: usize = 16;
    pub const DEFAULT_METRIC_LOOKBACK_MINUTES: u32 = 5;

    pub fn from_lookup(env: &impl Lookup) -> Result<Self, SettingsError> {
        Ok(Common {
            table: env.required(
                "SLUICE_TABLE",
                "name the DynamoDB table that holds targets, profiles and state (the stack's SluiceTable output)",
            )?,
            namespace: namespace(
                env.get("SLUICE_NAMESPACE")
                    .unwrap_or_else(|| Self::DEFAULT_NAMESPACE.to_owned()),
            )?,
            concurrency: env.parsed(
                "SLUICE_CONCURRENCY",
                Self::DEFAULT_CONCURRENCY,
                |n| (1..=256).contains(n),
                "a whole number from 1 to 256",
            )?,
            metric_lookback_minutes: env.parsed(
                "SLUICE_METRIC_LOOKBACK_MINUTES",
                Self::DEFAULT_METRIC_LOOKBACK_MINUTES,
                |n| (1..=60).contains(n),
                "whole minutes from 1 to 60",
            )?,
        })
    }

    /// The defaults for a table: tests, tools and benchmarks.
    pub fn for_table(table: &str) -> Self {
        Common {
            table: table.to_owned(),
            namespace: Self::DEFAULT_NAMESPACE.to_owned(),
            concurrency: Self::DEFAULT_CONCURRENCY,
            metric_lookback_minutes: Self::DEFAULT_METRIC_LOOKBACK_MINUTES,
        }
    }
}

/// A namespace CloudWatch takes for custom metrics: 1 to 255 printable ASCII
/// characters, not beginning with `AWS/` (reserved for AWS's own). Refused at start,
/// not by every PutMetricData of every run.
fn namespace(name: String) -> Result<String, SettingsError> {
    let fine = (1..=255).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && !name.trim().is_empty()
        && !name.starts_with("AWS/");
    if fine {
        Ok(name)
    } else {
        Err(SettingsError(format!(
            "SLUICE_NAMESPACE={name:?}: expected 1 to 255 printable ASCII characters, not \
             beginning with AWS/ (CloudWatch's rule for custom namespaces)"
        )))
    }
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The process environment.
pub fn environment() -> impl Lookup {
    |name: &str| std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_variable_and_the_expectation() {
        let lookup = |name: &str| match name {
            "N" => Some("many".to_owned()),
            "BIG" => Some("900".to_owned()),
            "FLAG" => Some("maybe".to_owned()),
            _ => None,
        };
        assert_eq!(lookup.parsed::<u32>("UNSET", 7, |_| true, "a count"), Ok(7));
        assert!(
            lookup
                .parsed::<u32>("N", 7, |_| true, "a count")
                .unwrap_err()
                .0
                .starts_with("N=\"many\": invalid digit")
        );
        assert_eq!(
            lookup
                .parsed::<u32>("BIG", 7, |n| *n < 100, "below 100")
                .unwrap_err()
                .0,
            "BIG=\"900\": expected below 100"
        );
        assert_eq!(
            lookup.flag("FLAG", false).unwrap_err().0,
            "FLAG=\"maybe\": expected true or false"
        );
        assert_eq!(
            lookup.required("UNSET", "name the table").unwrap_err().0,
            "UNSET is not set: name the table"
        );
    }

    #[test]
    fn common_settings_defaults_and_errors() {
        let only_table = |name: &str| (name == "SLUICE_TABLE").then(|| "t".to_owned());
        assert_eq!(Common::from_lookup(&only_table), Ok(Common::for_table("t")));
        // (variable, value, error)
        let cases = [
            ("SLUICE_TABLE", "", "SLUICE_TABLE is not set"),
            (
                "SLUICE_CONCURRENCY",
                "0",
                "SLUICE_CONCURRENCY=\"0\": expected a whole number from 1 to 256",
            ),
            (
                "SLUICE_CONCURRENCY",
                "many",
                "SLUICE_CONCURRENCY=\"many\": invalid digit",
            ),
            (
                "SLUICE_METRIC_LOOKBACK_MINUTES",
                "90",
                "expected whole minutes from 1 to 60",
            ),
            (
                "SLUICE_NAMESPACE",
                "",
                "SLUICE_NAMESPACE=\"\": expected 1 to 255",
            ),
            ("SLUICE_NAMESPACE", "AWS/SQS", "not beginning with AWS/"),
            ("SLUICE_NAMESPACE", "Slüice", "printable ASCII"),
        ];
        for (variable, value, expected) in cases {
            let env = |name: &str| match name {
                _ if name == variable => Some(value.to_owned()),
                "SLUICE_TABLE" => Some("t".to_owned()),
                _ => None,
            };
            let error = Common::from_lookup(&env).expect_err("refused");
            assert!(error.0.contains(expected), "{variable}={value}: {error}");
        }
    }
}
