//! AWS adapters behind small capability traits. Handlers depend on the traits, so unit
//! tests use in-memory fakes and production uses these SDK-backed implementations.

mod aas;
mod accounts;
mod alarms;
mod batch;
mod calls;
mod cloudwatch;
mod ecs;
mod emf;
mod error;
mod groups;
pub mod item;
mod limit;
pub mod memory;
mod policies;
mod ports;
mod service_facts;
mod sqs;
mod store;

use std::collections::BTreeMap;

use async_trait::async_trait;
use sluice_core::capacity::{Memory, Rates};
use sluice_core::facts::ScalableBounds;
use sluice_core::facts::{MetricQuery, QueueDepth, TaskCounts};
use sluice_core::instances::{GroupFacts, GroupFloor, GroupOwn};
use sluice_core::metrics::Datum;
use sluice_core::policy::{AlarmSpec, LiveAlarm, LivePolicy, PolicySpec};
use sluice_core::prescale::OwnWrite;
use sluice_core::startup::{StartUp, StartUps};
use sluice_core::zero::WatchState;

pub use aas::{AutoScaling, ecs_resource_id};
pub use accounts::{Account, Accounts, AssumedAccounts, Assumer, home, reach};
pub use batch::{Bins, read_backlogs, read_bounds, read_latest, read_series, read_task_counts};
pub use calls::CallCounter;
pub use cloudwatch::{CloudWatchMetrics, latest_value};
pub use ecs::EcsServices;
pub use emf::{EmfLog, StdoutEmf};
pub use error::{AwsError, ErrorKind};
pub use groups::Ec2AutoScaling;
pub use item::{Version, Versioned};
pub use limit::{default_https_client, limit_in_flight};
pub use ports::Ports;
pub use service_facts::{ServiceFacts, read_service_facts};
pub use sqs::SqsQueues;
pub use store::{DynamoStore, ItemKind, StoredItem, WatchRecord};

/// Loads region and credentials the standard way; endpoints too, so
/// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_CLOUDWATCH` point at emulators with no code.
///
/// Every call gets the retry budget the functions are designed around: the standard
/// retry mode (throttles and transient errors retried with jittered backoff, at most 3
/// attempts, under the SDK's per-client retry quota), 2 s to connect and 5 s for an
/// answer once a request is sent. Those bounds sit in the HTTP client, beneath the
/// bound on requests in flight ([`limit_in_flight`]), so a request waiting for its
/// turn under `SLUICE_CONCURRENCY` is not timed out by the wait: it is sent, late.
/// Writes are bounded in all as well ([`write_timeouts`]). The SDK's check of upload
/// throughput is off: it counted that wait as a stalled upload (no byte sent for its
/// grace period) and failed the request unsent; Sluice's request bodies are a few
/// kilobytes, and the 5 s for an answer covers sending them. Downloads keep theirs.
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    use std::time::Duration;
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(5))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        // The one HTTP client, named here: the SDK crates are built without their
        // default clients (Cargo.toml), so nothing else links a TLS stack.
        .http_client(default_https_client())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .timeout_config(timeouts)
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::enabled()
                .upload_enabled(false)
                .build(),
        )
        .load()
        .await
}

/// [`write_timeouts`] as a per-call override of one SDK's configuration:
/// `request.customize().config_override(write_bound!(aws_sdk_ecs)).send()`.
macro_rules! write_bound {
    ($sdk:ident) => {
        $sdk::config::Builder::default().timeout_config($crate::write_timeouts())
    };
}
pub(crate) use write_bound;

/// Sends a write request under [`write_timeouts`], its error named `$op`: the one way
/// a write is sent, so none goes out without the bound.
macro_rules! send_write {
    ($request:expr, $sdk:ident, $op:expr) => {
        $request
            .customize()
            .config_override($crate::write_bound!($sdk))
            .send()
            .await
            .map_err(|e| $crate::AwsError::from_sdk($op, e))
    };
}
pub(crate) use send_write;

/// The bound of every write: 5 s an attempt and 15 s in all, the wait for a turn under
/// `SLUICE_CONCURRENCY` included. A write that was not made within 15 s of being asked
/// for is not made at all: the zero-watcher's claims (30 s) rely on a sleep never
/// landing after a newer wake (sluice_core::zero::CLAIM_LEASE_SECONDS). A read has no
/// such bound; a late answer is still an answer.
pub(crate) fn write_timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// Reads SQS's approximate counts of one queue.
#[async_trait]
pub trait QueueDepths: Send + Sync {
    /// `queue` is a queue name or URL.
    async fn queue_depth(&self, queue: &str) -> Result<QueueDepth, AwsError>;
}

/// One service's counts, or why ECS could not describe it.
pub type ServiceResult = Result<TaskCounts, AwsError>;

/// Reads ECS task counts, at most [`EcsServices::MAX_SERVICES_PER_CALL`] a call.
#[async_trait]
pub trait ServiceCounts: Send + Sync {
    /// Returns a result for every requested service name.
    async fn task_counts(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ServiceResult>, AwsError>;
}

/// Reads CloudWatch metrics' 1-minute datapoints within a look-back window.
#[async_trait]
pub trait MetricReader: Send + Sync {
    /// One GetMetricData call (all its pages) for at most
    /// [`CloudWatchMetrics::MAX_QUERIES_PER_CALL`] queries: one answer per query, in
    /// order, its (epoch seconds, value) points oldest first (empty where CloudWatch
    /// had no datapoint) and
    /// Err where that query's own status says it failed. Err as a whole when the call
    /// failed. Use [`read_latest`] (the newest value) or [`read_series`] for any number
    /// of queries.
    async fn points(
        &self,
        queries: &[MetricQuery],
        lookback_minutes: u32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError>;

    /// As [`MetricReader::points`] in one-hour bins from `now - lookback`: a month
    /// of spend without 44,640 one-minute points a query (and past the 15 days
    /// CloudWatch keeps them). Use [`read_series`] with [`Bins::Hour`] for any number of queries.
    async fn hourly(
        &self,
        queries: &[MetricQuery],
        lookback_minutes: u32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
        self.points(queries, lookback_minutes).await
    }
}

/// Writes datums to CloudWatch with PutMetricData, one call per slice.
#[async_trait]
pub trait MetricSink: Send + Sync {
    async fn put_metric_data(&self, namespace: &str, datums: &[Datum]) -> Result<(), AwsError>;
}

/// ECS task scale-in protection: the one way ECS itself keeps a task from being
/// stopped while it works (UpdateTaskProtection, called by the worker around a job).
#[async_trait]
pub trait TaskProtections: Send + Sync {
    /// How many of the service's running tasks are protected now.
    async fn protected_tasks(&self, cluster: &str, service: &str) -> Result<u32, AwsError>;
}

/// Changes an ECS service's desired count.
#[async_trait]
pub trait ServiceScaler: Send + Sync {
    async fn set_desired(&self, cluster: &str, service: &str, desired: u32)
    -> Result<(), AwsError>;
}

/// Reads Application Auto Scaling's scalable targets of ECS services.
#[async_trait]
pub trait ScalableTargets: Send + Sync {
    /// One DescribeScalableTargets call (all its pages) for at most
    /// [`AutoScaling::MAX_RESOURCES_PER_CALL`] resource IDs
    /// (`service/<cluster>/<service>`): the bounds of those registered. Use
    /// [`read_bounds`] for any number.
    async fn bounds(
        &self,
        resource_ids: &[String],
    ) -> Result<BTreeMap<String, ScalableBounds>, AwsError>;

    /// Sets both bounds of a scalable target (RegisterScalableTarget, which also
    /// registers one that does not exist yet).
    async fn set_bounds(&self, resource_id: &str, min: u32, max: u32) -> Result<(), AwsError>;
}

/// The scaling policies of ECS services' scalable targets (`sluicectl apply`).
#[async_trait]
pub trait ScalingPolicies: Send + Sync {
    /// Every policy on the resource, Sluice's or not.
    async fn policies(&self, resource_id: &str) -> Result<Vec<LivePolicy>, AwsError>;
    /// Creates or replaces the policy of that name; returns its ARN.
    async fn put_policy(&self, resource_id: &str, spec: &PolicySpec) -> Result<String, AwsError>;
    /// Deletes the policy; one already gone counts as deleted.
    async fn delete_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError>;
}

/// CloudWatch alarms Sluice owns (`sluicectl apply`).
#[async_trait]
pub trait AlarmStore: Send + Sync {
    /// The alarms whose names start with `prefix`.
    async fn alarms(&self, prefix: &str) -> Result<Vec<LiveAlarm>, AwsError>;
    /// Creates or replaces the alarm, with `action` (a policy ARN) as its action.
    async fn put_alarm(&self, spec: &AlarmSpec, action: &str) -> Result<(), AwsError>;
    async fn delete_alarm(&self, name: &str) -> Result<(), AwsError>;
}

/// The prescaler's record of its own desiredCount writes, by target.
#[async_trait]
pub trait PrescaleStates: Send + Sync {
    async fn load_all(&self) -> Result<BTreeMap<String, OwnWrite>, AwsError>;
    /// Stores the record, or removes it when None.
    async fn save(&self, target: &str, own: Option<OwnWrite>) -> Result<(), AwsError>;
}

/// The floors of EC2 Auto Scaling groups: MinSize, or a warm pool's MinSize.
#[async_trait]
pub trait GroupFloors: Send + Sync {
    /// The group's floor of that kind and its MaxSize; NotFound when there is no such
    /// group.
    async fn group(&self, name: &str, floor: GroupFloor) -> Result<GroupFacts, AwsError>;
    /// Sets the floor of that kind, leaving everything else of the group as it is.
    async fn set_floor(&self, name: &str, floor: GroupFloor, to: u32) -> Result<(), AwsError>;
}

/// The prescaler's own raises of group floors, by group name.
#[async_trait]
pub trait GroupStates: Send + Sync {
    async fn group_owns(&self) -> Result<BTreeMap<String, GroupOwn>, AwsError>;
    /// Stores the record, or removes it when None.
    async fn save_group_own(&self, group: &str, own: Option<GroupOwn>) -> Result<(), AwsError>;
}

/// Each target's recent start-ups (sluice_core::startup), measured by the zero-watcher
/// and read by the prescaler for `lead: auto`.
#[async_trait]
pub trait StartUpRecords: Send + Sync {
    /// Every target's kept start-ups, by target name; an unreadable record is skipped.
    async fn start_ups(&self) -> Result<BTreeMap<String, StartUps>, AwsError>;
    /// Adds one start-up to the target's record, safely against a concurrent writer
    /// and a repeat.
    async fn record_start(&self, target: &str, sample: StartUp, now: i64) -> Result<(), AwsError>;
}

/// Each target's load rates (sluice_core::capacity::Rates): written by the metric
/// publisher every run, read by it and by the zero-watcher.
#[async_trait]
pub trait RateRecords: Send + Sync {
    /// Every target's rates, by target name, each cleaned of what cannot be right at
    /// `now` (said in the log); an unreadable record is skipped.
    async fn rates(&self, now: i64) -> Result<BTreeMap<String, Rates>, AwsError>;
    async fn save_rates(&self, target: &str, rates: &Rates) -> Result<(), AwsError>;
}

/// The zero-watcher's memory of each target's need (sluice_core::capacity::Memory):
/// written and read by the zero-watcher alone.
#[async_trait]
pub trait ControlMemories: Send + Sync {
    /// Every target's memory, by target name, cleaned as [`RateRecords::rates`].
    async fn memories(&self, now: i64) -> Result<BTreeMap<String, Memory>, AwsError>;
    async fn save_memory(&self, target: &str, memory: &Memory) -> Result<(), AwsError>;
}

/// The zero-watcher's per-target state, written only with optimistic concurrency.
#[async_trait]
pub trait WatchStates: Send + Sync {
    /// Every stored state, by target name.
    async fn load_all(&self) -> Result<BTreeMap<String, Versioned<WatchState>>, AwsError>;
    /// Writes `state` if the stored version is still `expected` (also an unreadable
    /// one, which the write replaces). Returns false, writing nothing, when another
    /// invocation got there first.
    async fn save(
        &self,
        target: &str,
        state: &WatchState,
        expected: &Version,
        note: &DecisionNote<'_>,
    ) -> Result<bool, AwsError>;
}

/// What a watcher's write says about the decision it stores, for `sluicectl why`: the
/// reason, and the facts it was decided on when there were any.
#[derive(Debug, Clone, Copy)]
pub struct DecisionNote<'a> {
    pub reason: &'a str,
    pub facts: Option<&'a sluice_core::zero::Facts>,
}

/// The table that holds targets, profiles and the Lambdas' state.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    async fn list(&self, kind: ItemKind) -> Result<Vec<StoredItem>, AwsError>;
    /// Writes the item; returns false when the stored spec was already the same.
    async fn put(&self, kind: ItemKind, name: &str, spec: &str) -> Result<bool, AwsError>;
    async fn delete(&self, kind: ItemKind, name: &str) -> Result<(), AwsError>;
}

/// The SDK clients Sluice uses, from one configuration: each built the first time it
/// is asked for and kept (clones share them), so a function builds only the clients
/// it calls (about 0.14 ms each at a cold start, docs/benchmarks.md).
#[derive(Debug, Clone)]
pub struct Clients {
    /// The configuration they are built from, before any bound on requests in
    /// flight: where the clients of other accounts start ([`AssumedAccounts`]).
    pub config: aws_config::SdkConfig,
    /// `config` with the bound, when there is one: what the clients are built from.
    bounded: aws_config::SdkConfig,
    built: std::sync::Arc<Built>,
}

/// Declares each SDK client of [`Clients`]: its slot and its accessor, and the
/// benchmarks' counted set (built at once, so the functions link no interceptor).
macro_rules! sdk_clients {
    ($($(#[$doc:meta])* $name:ident: $sdk:ident),+ $(,)?) => {
        #[derive(Debug, Default)]
        struct Built {
            $($name: std::sync::OnceLock<$sdk::Client>,)+
        }

        impl Built {
            fn counted(config: &aws_config::SdkConfig, counter: &CallCounter) -> Self {
                Self {
                    $($name: std::sync::OnceLock::from($sdk::Client::from_conf(
                        $sdk::config::Builder::from(config)
                            .interceptor(counter.clone())
                            .build(),
                    )),)+
                }
            }
        }

        impl Clients {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> &$sdk::Client {
                    self.built.$name.get_or_init(|| $sdk::Client::new(&self.bounded))
                }
            )+
        }
    };
}

sdk_clients! {
    sqs: aws_sdk_sqs,
    ecs: aws_sdk_ecs,
    cloudwatch: aws_sdk_cloudwatch,
    dynamodb: aws_sdk_dynamodb,
    /// Application Auto Scaling: scalable targets and their policies.
    autoscaling: aws_sdk_applicationautoscaling,
    /// EC2 Auto Scaling: capacity provider groups (sluice_core::instances).
    groups: aws_sdk_autoscaling,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self::limited(config, None)
    }

    /// The functions' clients: at most `concurrency` requests in flight at once
    /// (`SLUICE_CONCURRENCY`, sluice_aws::limit_in_flight) when given.
    pub fn limited(base: &aws_config::SdkConfig, concurrency: Option<usize>) -> Self {
        Self {
            config: base.clone(),
            bounded: match concurrency {
                Some(max) => limit_in_flight(base, max),
                None => base.clone(),
            },
            built: Default::default(),
        }
    }

    /// A function's clients, from the environment's SDK configuration
    /// ([`load_sdk_config`]) with at most `concurrency` requests in flight at once, per
    /// account and region (`SLUICE_CONCURRENCY`).
    pub async fn for_function(concurrency: usize) -> Self {
        Self::limited(&load_sdk_config().await, Some(concurrency))
    }

    /// Clients whose every operation is counted, for benchmarks.
    pub fn counted(config: &aws_config::SdkConfig, counter: &CallCounter) -> Self {
        Self {
            built: std::sync::Arc::new(Built::counted(config, counter)),
            ..Self::new(config)
        }
    }
}
