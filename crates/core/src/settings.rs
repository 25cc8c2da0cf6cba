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

    /// `SLUICE_TABLE` (required): the table of targets, profiles and state.
    fn table(&self) -> Result<String, SettingsError> {
        self.required("SLUICE_TABLE", "name the DynamoDB table that holds targets, profiles and state (the stack's SluiceTable output)")
    }

    /// `SLUICE_NAMESPACE` (default `Sluice`): where the functions publish metrics.
    fn namespace(&self) -> String {
        self.get("SLUICE_NAMESPACE")
            .unwrap_or_else(|| "Sluice".to_owned())
    }

    /// `SLUICE_CONCURRENCY` (default 16): AWS calls in flight at once.
    fn concurrency(&self) -> Result<usize, SettingsError> {
        self.parsed(
            "SLUICE_CONCURRENCY",
            16,
            |n| (1..=256).contains(n),
            "a whole number from 1 to 256",
        )
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
}
