//! Sluice's pure core: the configuration model and the decisions the Lambdas make.
//! No AWS SDK and no I/O here, so every rule is unit-tested directly.
//!
//! Modules depend one way only, and no two import each other: `problem`, `facts`,
//! `names`, `outcome`, `limits` (the ranges every number is checked against) and `dimensions`
//! depend on nothing; `profile` and `scaling` on those; `config` on those; the decisions
//! (`metrics`, `zero`, `prescale`) on `config` and the facts. The simulator and
//! profile learning, which no Lambda runs, are in `sluice-sim`.

pub mod budget;
pub mod capacity;
pub mod config;
pub mod dimensions;
pub mod facts;
pub mod handover;
pub mod instances;
pub mod limits;
pub mod metrics;
pub mod names;
pub mod outcome;
pub mod place;
pub mod policy;
pub mod prescale;
pub mod problem;
pub mod profile;
pub mod queue;
pub mod scaling;
pub mod settings;
pub mod shard;
pub mod startup;
pub mod tz;
pub mod yaml;
pub mod zero;
