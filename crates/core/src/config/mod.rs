//! The configuration model: targets (what to scale and how) and profiles (when to
//! pre-scale), as written in a `sluicectl apply -f` file and as stored in the table.
//!
//! Parsing catches shape and type errors (with the path of the offending field);
//! [`Document::validate`] then lists every semantic problem, each named by path.

mod check;
mod document;
mod gpu;
mod scale_to_zero;
mod target;
#[cfg(test)]
mod tests;

pub use document::{Calendar, Document, Format};
pub use gpu::GpuSource;
pub use scale_to_zero::{ActivationMetric, ScaleToZero, WakeCount};
pub use target::{Capacity, Target};

pub use crate::queue::Queue;
