//! The watcher's settings, read from the Lambda's environment.

use sluice_core::settings::{Common, Lookup, SettingsError, environment};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub common: Common,
    /// `SLUICE_DRY_RUN` (default false): decide and log, change nothing.
    pub dry_run: bool,
    /// `SLUICE_POLL_INTERVAL_SECONDS` (default 5): how often a scheduled invocation
    /// looks again at sleeping targets; bounds the wake latency.
    pub poll_interval_seconds: u64,
    /// `SLUICE_POLL_WINDOW_SECONDS` (default 50): how long a scheduled invocation keeps
    /// polling before it returns; 0 = one look. Keep it under the function's timeout.
    pub poll_window_seconds: u64,
    /// `SLUICE_ACCOUNT_ID` (the template sets the stack's): the account of targets
    /// without `role_arn`. An alarm event from another account wakes none of them;
    /// unset (a local run), the account of such targets is not compared.
    pub account: Option<String>,
}

impl Settings {
    /// One look an invocation, no polls between (what tests and what-if runs use): no
    /// dry run, a 1 s poll interval, no poll window, the stack's own account.
    pub fn one_look(common: Common) -> Self {
        Settings {
            common,
            dry_run: false,
            poll_interval_seconds: 1,
            poll_window_seconds: 0,
            account: None,
        }
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&environment())
    }

    pub fn from_lookup(env: &impl Lookup) -> Result<Self, SettingsError> {
        let settings = Settings {
            common: Common::from_lookup(env)?,
            dry_run: env.flag("SLUICE_DRY_RUN", false)?,
            poll_interval_seconds: env.parsed(
                "SLUICE_POLL_INTERVAL_SECONDS",
                5,
                |n| (1..=60).contains(n),
                "whole seconds from 1 to 60",
            )?,
            poll_window_seconds: env.parsed(
                "SLUICE_POLL_WINDOW_SECONDS",
                50,
                |n| *n <= 840,
                "whole seconds from 0 to 840",
            )?,
            account: account(env)?,
        };
        Ok(settings)
    }
}

fn account(env: &impl Lookup) -> Result<Option<String>, SettingsError> {
    let Some(id) = env.get("SLUICE_ACCOUNT_ID") else {
        return Ok(None);
    };
    match sluice_core::place::account_id_problem(id.trim()) {
        None => Ok(Some(id.trim().to_owned())),
        Some(problem) => Err(SettingsError(format!("SLUICE_ACCOUNT_ID: {problem}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let only_table = |name: &str| (name == "SLUICE_TABLE").then(|| "t".to_owned());
        let settings = Settings::from_lookup(&only_table).expect("defaults");
        assert_eq!(
            (
                settings.dry_run,
                settings.poll_interval_seconds,
                settings.poll_window_seconds
            ),
            (false, 5, 50)
        );
        let bad = |name: &str| match name {
            "SLUICE_TABLE" => Some("t".to_owned()),
            "SLUICE_POLL_INTERVAL_SECONDS" => Some("0".to_owned()),
            _ => None,
        };
        assert_eq!(
            Settings::from_lookup(&bad).unwrap_err().to_string(),
            "configuration error: SLUICE_POLL_INTERVAL_SECONDS=\"0\": expected whole seconds from 1 to 60"
        );
        let account = |id: &'static str| {
            move |name: &str| match name {
                "SLUICE_TABLE" => Some("t".to_owned()),
                "SLUICE_ACCOUNT_ID" => Some(id.to_owned()),
                _ => None,
            }
        };
        let home = Settings::from_lookup(&account("123456789012")).expect("an account");
        assert_eq!(home.account.as_deref(), Some("123456789012"));
        assert_eq!(
            Settings::from_lookup(&account("me"))
                .unwrap_err()
                .to_string(),
            "configuration error: SLUICE_ACCOUNT_ID: \"me\" is not an AWS account id (12 digits)"
        );
    }
}
