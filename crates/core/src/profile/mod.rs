//! Capacity profiles: windows of local time in which a target needs a floor, and the
//! floor they give at an instant. Pure; the clock comes in as a `Timestamp`.
//!
//! Daylight saving, deliberately: a local time that does not exist (the skipped spring
//! hour) means the first valid minute after the gap; a local time that exists twice
//! (the repeated autumn hour) means its first occurrence. Each window has exactly one
//! occurrence per day it applies to, so it never fires twice for one day.

mod days;
mod holidays;
mod schedule;
mod spec;
#[cfg(test)]
mod tests;
mod window;

pub use holidays::{Holidays, OnHolidays, parse_holiday};
pub use schedule::{Floor, Schedule};
pub use spec::{LeadMode, Profile, WindowSpec};
pub use window::{MAX_WINDOWS, Window};
