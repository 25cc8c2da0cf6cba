//! The prescaler's settings, read from the Lambda's environment.

use sluice_core::settings::{Lookup, SettingsError, environment};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `SLUICE_TABLE` (required): targets, profiles and the prescaler's own writes.
    pub table: String,
    /// `SLUICE_NAMESPACE` (default `Sluice`): where `PrescaleFloor` is published.
    pub namespace: String,
    /// `SLUICE_DRY_RUN` (default false): decide and log, change and publish nothing.
    pub dry_run: bool,
    /// `SLUICE_FORECAST_ONLY` (default false): publish floors, change nothing.
    pub forecast_only: bool,
    /// `SLUICE_CONCURRENCY` (default 16): AWS calls in flight at once.
    pub concurrency: usize,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&environment())
    }

    pub fn from_lookup(env: &impl Lookup) -> Result<Self, SettingsError> {
        Ok(Settings {
            table: env.table()?,
            namespace: env.namespace(),
            dry_run: env.flag("SLUICE_DRY_RUN", false)?,
            forecast_only: env.flag("SLUICE_FORECAST_ONLY", false)?,
            concurrency: env.concurrency()?,
        })
    }
}
