//! The ranges Sluice accepts for the numbers it is given or reads back: one place, so
//! that validation, decoding and the decisions check the same bound. Depends on
//! nothing.

/// The most tasks a target may declare: beyond ECS's adjustable 5,000 a service, and
/// far below the 2^31 - 1 Application Auto Scaling takes.
pub const MAX_TASKS: u32 = 100_000;

/// The most messages a backlog threshold may name: SQS's counts are approximate, and a
/// threshold nearer u64::MAX than any queue ever holds would never trip, unsaid.
pub const MAX_BACKLOG: u64 = 1_000_000_000;

/// `backlog_per_task` between a thousandth of a message and a billion: every division
/// by it stays a number (a subnormal one made the need infinite).
pub const MIN_BACKLOG_PER_TASK: f64 = 1e-3;
pub const MAX_BACKLOG_PER_TASK: f64 = 1e9;

/// `idle_minutes` at most a week: the idle clock reads SQS's 1-minute counts over it,
/// which CloudWatch keeps 15 days.
pub const MAX_IDLE_MINUTES: u32 = 7 * 1440;

/// How far ahead of this invocation's clock a stored time may be and still be taken
/// as written by another invocation (clock skew); beyond it, it cannot be right.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// The longest start-up Sluice believes: a day. A stored sample longer than this,
/// negative, or ending ahead of the clock is a corrupt record, not a start-up (0 is
/// one: a task running at the first look after its wake).
pub const MAX_START_UP_SECONDS: i64 = 86_400;
