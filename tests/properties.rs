//! Property tests of every entry point, 10,000 generated cases each
//! (`PROPTEST_CASES=1000000 cargo test -p sluice-e2e --test properties` for a longer
//! run). They need no emulator.

#[path = "properties/control_plane.rs"]
mod control_plane;
#[path = "properties/decisions.rs"]
mod decisions;
#[path = "properties/events.rs"]
mod events;
#[path = "properties/inputs.rs"]
mod inputs;
#[path = "properties/simulate.rs"]
mod simulate;
