//! The prescaler's settings, read from the Lambda's environment.

use sluice_core::settings::{Common, Lookup, SettingsError, environment};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub common: Common,
    /// `SLUICE_DRY_RUN` (default false): decide and log, change and publish nothing.
    pub dry_run: bool,
    /// `SLUICE_FORECAST_ONLY` (default false): publish floors, change nothing.
    pub forecast_only: bool,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&environment())
    }

    pub fn from_lookup(env: &impl Lookup) -> Result<Self, SettingsError> {
        Ok(Settings {
            common: Common::from_lookup(env)?,
            dry_run: env.flag("SLUICE_DRY_RUN", false)?,
            forecast_only: env.flag("SLUICE_FORECAST_ONLY", false)?,
        })
    }
}
