//! Every CloudWatch metric name Sluice publishes, in one place. The functions,
//! sluicectl, the demo and the template's test (tests/template reads this file) all
//! take their names from here, so an alarm can never watch a name nothing writes.

/// The dimension every per-target metric carries: the target's name.
pub const TARGET_DIMENSION: &str = "Target";
/// The dimension of a budget's figures: the budget's name.
pub const BUDGET_DIMENSION: &str = "Budget";

// Per target, by the metric publisher (docs/metrics.md).
pub const VISIBLE: &str = "VisibleMessages";
pub const IN_FLIGHT: &str = "InFlightMessages";
pub const DELAYED: &str = "DelayedMessages";
pub const BACKLOG: &str = "Backlog";
pub const BACKLOG_PER_TASK: &str = "BacklogPerTask";
pub const RUNNING_TASKS: &str = "RunningTasks";
pub const PENDING_TASKS: &str = "PendingTasks";
pub const DESIRED_TASKS: &str = "DesiredTasks";
pub const GPU_AVERAGE: &str = "GpuUtilizationAverage";
pub const GPU_MAX: &str = "GpuUtilizationMax";
/// The age of the oldest message over the target's queues, in seconds: the largest
/// of SQS's ApproximateAgeOfOldestMessage (docs/metrics.md).
pub const OLDEST_MESSAGE_AGE: &str = "OldestMessageAge";
/// Desired-count changes within the scaling-too-often window (docs/metrics.md).
pub const SCALING_CHANGES: &str = "ScalingChanges";
/// 100 x the tasks needed now / desired tasks (crate::capacity): what the default
/// target-tracking policy holds at 100.
pub const CAPACITY_UTILIZATION: &str = "CapacityUtilization";
/// The tasks needed now, unrounded.
pub const TASKS_NEEDED: &str = "TasksNeeded";
/// Messages arriving a minute, and messages a running task finishes a minute, as the
/// load model has them (docs/metrics.md).
pub const ARRIVAL_RATE: &str = "ArrivalRate";
pub const SERVICE_RATE: &str = "ServiceRate";
/// 1 while work waits and no task runs, else 0: the condition an operator must hear
/// about at once (SageMaker's HasBacklogWithoutCapacity, for queues).
pub const BACKLOG_WITHOUT_CAPACITY: &str = "BacklogWithoutCapacity";

/// What a target's scaling policies and their alarms watch (crate::policy). A target
/// in another account gets these in its own account too, where Application Auto
/// Scaling reads them: a policy's metric names no account.
pub const WATCHED_BY_POLICIES: [&str; 4] =
    [CAPACITY_UTILIZATION, BACKLOG_PER_TASK, GPU_AVERAGE, BACKLOG];

// Fleet-wide, without dimensions, by the metric publisher: what the template's alarms
// watch, so they need no per-target alarm and notice a publisher that stopped.
pub const TARGETS_PUBLISHED: &str = "TargetsPublished";
pub const TARGETS_FAILED: &str = "TargetsFailed";
pub const TARGETS_AT_MAX_CAPACITY: &str = "TargetsAtMaxCapacity";
pub const TARGETS_ASLEEP_WITH_WORK: &str = "TargetsAsleepWithWork";
pub const TARGETS_SCALING_TOO_OFTEN: &str = "TargetsScalingTooOften";
/// Targets with work waiting and no task running (the alarm's metric).
pub const TARGETS_BACKLOG_WITHOUT_CAPACITY: &str = "TargetsBacklogWithoutCapacity";

// The zero-watcher's decision counts (EMF), per target and fleet-wide.
pub const WATCHER_WOKE: &str = "WatcherWoke";
pub const WATCHER_SLEPT: &str = "WatcherSlept";
pub const WATCHER_STAYED: &str = "WatcherStayed";
pub const WATCHER_SKIPPED: &str = "WatcherSkipped";
pub const WATCHER_FAILED: &str = "WatcherFailed";
/// The zero-watcher's capacity moves on the need (crate::capacity::control).
pub const WATCHER_RAISED: &str = "WatcherRaised";
pub const WATCHER_LOWERED: &str = "WatcherLowered";
/// Per target, 1 for each look that finds a wake's tasks not running after
/// `start_timeout_minutes` (crate::zero::start_overdue); fleet-wide, alarmed.
pub const START_OVERDUE: &str = "StartOverdue";
/// Per wake, in seconds: from the first moment the watcher could have seen the work
/// to its UpdateService call (docs/zero-watcher.md, "Latency, measured").
pub const WAKE_LATENCY: &str = "WakeLatency";
/// Per wake, in seconds: from the UpdateService call to the first look that saw a
/// task running.
pub const START_LATENCY: &str = "StartLatency";
/// Looks in a row that could not decide for a target (a fact unreadable).
pub const WATCHER_SKIPPED_IN_A_ROW: &str = "WatcherSkippedInARow";

// The prescaler, per target: the floor its profile gives now.
pub const PRESCALE_FLOOR: &str = "PrescaleFloor";
/// The lead the floor was raised ahead by, in seconds (`lead: auto` or lead_minutes).
pub const PRESCALE_LEAD: &str = "PrescaleLead";
/// Task-hours of one prescaler interval that the profile's floor held above what the
/// backlog needed, and below it: summed over a day, the profile's forecast error.
pub const FLOOR_OVER_TASK_HOURS: &str = "FloorOverTaskHours";
pub const FLOOR_UNDER_TASK_HOURS: &str = "FloorUnderTaskHours";
/// p50 and p95 of the target's kept start-ups (sluice_core::startup), in seconds.
pub const START_UP_P50: &str = "StartUpP50";
pub const START_UP_P95: &str = "StartUpP95";
// The prescaler, fleet-wide: targets with a profile whose floor could not be computed
// (the profile is missing or invalid, e.g. an unknown time zone).
pub const TARGETS_WITHOUT_FLOOR: &str = "TargetsWithoutFloor";
// The prescaler, fleet-wide: targets it could not plan because a fact could not be
// read (their account's role could not be assumed included), or whose change AWS
// refused.
pub const PRESCALER_FAILED: &str = "PrescalerFailed";

// The prescaler, per budget (dimension Budget): spend this period in the budget's
// unit, and that spend as a percentage of the limit (docs/prescaler.md, "Budgets").
pub const BUDGET_SPEND: &str = "BudgetSpend";
pub const BUDGET_USED_PERCENT: &str = "BudgetUsedPercent";
// Fleet-wide: the highest BudgetUsedPercent, which the 80 % and 100 % alarms watch.
pub const BUDGET_USED_PERCENT_MAX: &str = "BudgetUsedPercentMax";
