//! The prescaler's settings, read from the Lambda's environment.

use sluice_core::settings::{Common, Lookup, SettingsError, environment};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub common: Common,
    /// `SLUICE_DRY_RUN` (default false): decide and log, change and publish nothing.
    pub dry_run: bool,
    /// `SLUICE_FORECAST_ONLY` (default false): publish floors, change nothing.
    pub forecast_only: bool,
    /// `SLUICE_PRESCALE_INTERVAL_MINUTES` (default 5, the template sets it from the
    /// schedule): how late after a lead's start a run may come, added to `lead: auto`.
    pub interval_minutes: i64,
}

impl Settings {
    pub const DEFAULT_INTERVAL_MINUTES: i64 = sluice_core::startup::DEFAULT_INTERVAL_MINUTES;

    /// The defaults around `common` (tests, tools): changes made, floors published,
    /// the default interval.
    pub fn of(common: Common) -> Self {
        Settings {
            common,
            dry_run: false,
            forecast_only: false,
            interval_minutes: Self::DEFAULT_INTERVAL_MINUTES,
        }
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&environment())
    }

    pub fn from_lookup(env: &impl Lookup) -> Result<Self, SettingsError> {
        Ok(Settings {
            common: Common::from_lookup(env)?,
            dry_run: env.flag("SLUICE_DRY_RUN", false)?,
            forecast_only: env.flag("SLUICE_FORECAST_ONLY", false)?,
            interval_minutes: env.parsed(
                "SLUICE_PRESCALE_INTERVAL_MINUTES",
                Self::DEFAULT_INTERVAL_MINUTES,
                |n| (1..=60).contains(n),
                "whole minutes from 1 to 60",
            )?,
        })
    }
}
