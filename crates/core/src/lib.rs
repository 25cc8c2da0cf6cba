//! Sluice's pure core: the configuration model and the decisions the Lambdas make.
//! No AWS SDK and no I/O here, so every rule is unit-tested directly.

pub mod config;
pub mod learn;
pub mod metrics;
pub mod prescale;
pub mod profile;
pub mod settings;
pub mod zero;
