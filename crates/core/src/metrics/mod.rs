//! What the metric publisher publishes for a target, decided from what was read, and
//! the data CloudWatch takes it as.

mod assemble;
mod datum;
mod fleet;
mod reading;
#[cfg(test)]
mod tests;

pub use assemble::{Assembled, Left, LoadRead, Read, assemble};
pub use datum::{
    Datum, LARGEST_VALUE, MAX_BYTES_PER_CALL, MAX_DATUMS_PER_CALL, Rollup, SMALLEST_VALUE, Unit,
    batches, embedded_metric_line, publishable,
};
pub use fleet::FleetTally;
pub use reading::{Reading, ScalingChangeLimit, backlog_per_task, scaling_changes};
