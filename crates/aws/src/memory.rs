//! An in-memory AWS behind every port, for the handlers' unit tests: what a test
//! seeds is what the ports read, every call is counted by its AWS operation name,
//! every write is logged, and faults can be programmed per operation (and resource).
//! The same paths run against the real SDK and the emulators in tests/.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use async_trait::async_trait;
use sluice_core::capacity::{Memory, Rates};
use sluice_core::facts::{MetricQuery, QueueDepth, ScalableBounds, TaskCounts};
use sluice_core::instances::{GroupFacts, GroupFloor, GroupOwn};
use sluice_core::metrics::Datum;
use sluice_core::place::Place;
use sluice_core::policy::{AlarmSpec, LiveAlarm, LivePolicy, PolicySpec};
use sluice_core::prescale::OwnWrite;
use sluice_core::startup::{StartUp, StartUps};
use sluice_core::zero::WatchState;

use crate::accounts::{Account, Accounts};
use crate::{
    AlarmStore, AwsError, ConfigStore, ControlMemories, DecisionNote, EmfLog, ErrorKind,
    GroupFloors, GroupStates, ItemKind, MetricReader, MetricSink, PrescaleStates, QueueDepths,
    RateRecords, ScalableTargets, ScalingPolicies, ServiceCounts, ServiceResult, ServiceScaler,
    StartUpRecords, StoredItem, TaskProtections, Version, Versioned, WatchStates, ecs_resource_id,
};

/// What an operation does instead of succeeding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Fails with this kind of error.
    Fail(ErrorKind),
    /// A conditional write loses, as if another invocation wrote first.
    LoseRace,
}

#[derive(Debug, Clone)]
struct Rule {
    operation: &'static str,
    /// Only calls that concern this resource (queue, service, target...); all when None.
    resource: Option<String>,
    fault: Fault,
    /// How many more calls it affects; None for every call.
    remaining: Option<usize>,
}

#[derive(Debug, Default)]
struct World {
    items: BTreeMap<(&'static str, String), String>,
    watch_states: BTreeMap<String, Versioned<WatchState>>,
    prescale_states: BTreeMap<String, OwnWrite>,
    start_ups: BTreeMap<String, StartUps>,
    /// Group name -> (MinSize, warm pool MinSize if it has a pool, MaxSize).
    groups: BTreeMap<String, (u32, Option<u32>, u32)>,
    group_owns: BTreeMap<String, GroupOwn>,
    queues: BTreeMap<String, QueueDepth>,
    services: BTreeMap<String, TaskCounts>,
    /// Protected tasks by service; none when absent.
    protected: BTreeMap<String, u32>,
    scalable: BTreeMap<String, ScalableBounds>,
    /// (resource id, policy name) -> (ARN, policy); a rule of None is unreadable.
    policies: BTreeMap<(String, String), (String, Option<PolicySpec>)>,
    /// alarm name -> (alarm, action)
    alarms: BTreeMap<String, (AlarmSpec, String)>,
    /// Bumped by every policy write, so a replaced policy gets a new ARN (as moto's do).
    policy_generation: u64,
    metrics: BTreeMap<String, Vec<(i64, f64)>>,
    rules: Vec<Rule>,
    /// (operation, batch size) of every call, in order.
    calls: Vec<(&'static str, usize)>,
    desired_writes: Vec<(String, u32)>,
    bounds_writes: Vec<(String, u32, u32)>,
    put: Vec<(String, Vec<Datum>)>,
    emf: Vec<String>,
    /// The other accounts targets name, each an in-memory AWS of its own.
    accounts: BTreeMap<Place, Arc<MemoryAws>>,
    rates: BTreeMap<String, Rates>,
    memories: BTreeMap<String, Memory>,
    /// Services whose new tasks stay pending until `set_tasks` says they run.
    slow_starts: BTreeSet<String>,
}

/// The in-memory AWS. Seed it with the `with_*`/`set_*` methods, hand it to a
/// handler as every port (and [`MemoryAws::here`] as the account its targets live
/// in), then read back what the handler did.
#[derive(Default)]
pub struct MemoryAws {
    world: Arc<Mutex<World>>,
    here: OnceLock<Account>,
}

impl std::fmt::Debug for MemoryAws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryAws")
            .field("world", &self.world)
            .finish_non_exhaustive()
    }
}

fn service_key(cluster: &str, service: &str) -> String {
    ecs_resource_id(cluster, service)
}

/// The key a metric's value is seeded and looked up under.
fn metric_key(query: &MetricQuery) -> String {
    let dimensions: Vec<String> = query
        .dimensions
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{}/{}/{}/{}",
        query.namespace,
        query.metric,
        dimensions.join(","),
        query.statistic
    )
}

impl MemoryAws {
    pub fn new() -> Self {
        Self::default()
    }

    /// This AWS as the account a function acts in for targets that name no other:
    /// every capability of an [`Account`], on this AWS's own state.
    pub fn here(&self) -> &Account {
        self.here.get_or_init(|| {
            Account::of(Arc::new(MemoryAws {
                world: self.world.clone(),
                here: OnceLock::new(),
            }))
        })
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- seeding ----

    /// Stores a target as `sluicectl apply` would.
    pub fn put_target(&self, target: &sluice_core::config::Target) {
        let spec = serde_json::to_string(target).unwrap_or_default();
        self.put_item(ItemKind::Target, &target.name, &spec);
    }

    pub fn put_profile(&self, profile: &sluice_core::profile::Profile) {
        let spec = serde_json::to_string(profile).unwrap_or_default();
        self.put_item(ItemKind::Profile, &profile.name, &spec);
    }

    /// Stores any spec text under a name, valid or not.
    pub fn put_item(&self, kind: ItemKind, name: &str, spec: &str) {
        self.world()
            .items
            .insert((kind.partition(), name.to_owned()), spec.to_owned());
    }

    pub fn set_queue(&self, queue: &str, depth: QueueDepth) {
        self.world().queues.insert(queue.to_owned(), depth);
    }

    /// A service whose tasks are all running.
    /// How many of the service's tasks are protected from scale-in.
    pub fn set_protected(&self, cluster: &str, service: &str, tasks: u32) {
        self.world()
            .protected
            .insert(service_key(cluster, service), tasks);
    }

    pub fn set_service(&self, cluster: &str, service: &str, desired: u32) {
        self.set_tasks(
            cluster,
            service,
            TaskCounts {
                running: desired,
                pending: 0,
                desired,
            },
        );
    }

    /// The service's new tasks stay pending after an UpdateService, until
    /// [`MemoryAws::set_tasks`] says they run (a start-up that takes time).
    pub fn start_slowly(&self, cluster: &str, service: &str) {
        self.world()
            .slow_starts
            .insert(service_key(cluster, service));
    }

    pub fn set_tasks(&self, cluster: &str, service: &str, counts: TaskCounts) {
        self.world()
            .services
            .insert(service_key(cluster, service), counts);
    }

    pub fn set_scalable(&self, cluster: &str, service: &str, min: u32, max: u32) {
        self.world().scalable.insert(
            ecs_resource_id(cluster, service),
            ScalableBounds { min, max },
        );
    }

    /// The newest datapoint CloudWatch holds for `query`; None removes it.
    pub fn set_metric(&self, query: &MetricQuery, value: Option<f64>) {
        self.set_series(query, value.into_iter().collect());
    }

    /// The 1-minute values CloudWatch holds for the query, oldest first (at minutes
    /// 0, 1, ... of the epoch: for readers that want values, not times).
    pub fn set_series(&self, query: &MetricQuery, values: Vec<f64>) {
        let points = (0..).step_by(60).zip(values).collect();
        self.set_points(query, points);
    }

    /// The (epoch seconds, value) points CloudWatch holds for the query, oldest first.
    pub fn set_points(&self, query: &MetricQuery, points: Vec<(i64, f64)>) {
        self.world().metrics.insert(metric_key(query), points);
    }

    pub fn set_watch_state(&self, target: &str, state: WatchState, version: u64) {
        self.world().watch_states.insert(
            target.to_owned(),
            Versioned {
                value: state,
                version: Version::Number(version),
                problems: Vec::new(),
            },
        );
    }

    /// A target's load record as the publisher would have stored it.
    pub fn set_rates(&self, target: &str, rates: Rates) {
        self.world().rates.insert(target.to_owned(), rates);
    }

    /// The load record stored for a target.
    pub fn stored_rates(&self, target: &str) -> Option<Rates> {
        self.world().rates.get(target).cloned()
    }

    pub fn stored_memory(&self, target: &str) -> Option<Memory> {
        self.world().memories.get(target).cloned()
    }

    pub fn set_own_write(&self, target: &str, own: OwnWrite) {
        self.world().prescale_states.insert(target.to_owned(), own);
    }

    /// Every call of `operation` (e.g. `ECS.UpdateService`) fails from now on.
    pub fn fail(&self, operation: &'static str, kind: ErrorKind) {
        self.add_rule(operation, None, Fault::Fail(kind), None);
    }

    /// The next `times` calls of `operation` concerning `resource` (any when None) fail.
    pub fn fail_next(
        &self,
        operation: &'static str,
        resource: Option<&str>,
        kind: ErrorKind,
        times: usize,
    ) {
        self.add_rule(operation, resource, Fault::Fail(kind), Some(times));
    }

    /// The next `times` conditional writes of the watcher's state lose their race.
    pub fn lose_next_saves(&self, times: usize) {
        self.add_rule("DynamoDB.PutItem", None, Fault::LoseRace, Some(times));
    }

    /// The in-memory account of `place` (created empty the first time): what a target
    /// there reads and changes. `STS.AssumeRole` faults, programmed here with the
    /// role ARN as the resource, refuse the role.
    pub fn account(&self, place: &Place) -> Arc<MemoryAws> {
        self.world()
            .accounts
            .entry(place.clone())
            .or_default()
            .clone()
    }

    /// Removes every programmed fault.
    pub fn heal(&self) {
        self.world().rules.clear();
    }

    fn add_rule(
        &self,
        operation: &'static str,
        resource: Option<&str>,
        fault: Fault,
        remaining: Option<usize>,
    ) {
        self.world().rules.push(Rule {
            operation,
            resource: resource.map(str::to_owned),
            fault,
            remaining,
        });
    }

    // ---- reading back ----

    /// How many calls of `operation` the ports received.
    pub fn calls(&self, operation: &str) -> usize {
        self.world()
            .calls
            .iter()
            .filter(|(op, _)| *op == operation)
            .count()
    }

    /// The batch size of each call of `operation`, in call order.
    pub fn batch_sizes(&self, operation: &str) -> Vec<usize> {
        self.world()
            .calls
            .iter()
            .filter(|(op, _)| *op == operation)
            .map(|(_, size)| *size)
            .collect()
    }

    /// Every (service, desired) UpdateService made, in order.
    pub fn desired_writes(&self) -> Vec<(String, u32)> {
        self.world().desired_writes.clone()
    }

    /// Every (resource ID, MinCapacity, MaxCapacity) RegisterScalableTarget made, in order.
    pub fn bounds_writes(&self) -> Vec<(String, u32, u32)> {
        self.world().bounds_writes.clone()
    }

    pub fn desired(&self, cluster: &str, service: &str) -> Option<u32> {
        self.world()
            .services
            .get(&service_key(cluster, service))
            .map(|c| c.desired)
    }

    pub fn scalable(&self, cluster: &str, service: &str) -> Option<ScalableBounds> {
        self.world()
            .scalable
            .get(&ecs_resource_id(cluster, service))
            .copied()
    }

    pub fn watch_state(&self, target: &str) -> Option<Versioned<WatchState>> {
        self.world().watch_states.get(target).cloned()
    }

    pub fn own_write(&self, target: &str) -> Option<OwnWrite> {
        self.world().prescale_states.get(target).copied()
    }

    /// Every datum PutMetricData received, with its namespace, in call order.
    pub fn put_datums(&self) -> Vec<(String, Vec<Datum>)> {
        self.world().put.clone()
    }

    /// The values PutMetricData received for one target, by metric name.
    pub fn published_for(&self, target: &str) -> BTreeMap<&'static str, f64> {
        self.world()
            .put
            .iter()
            .flat_map(|(_, datums)| datums)
            .filter(|d| d.is_for(target))
            .map(|d| (d.name, d.value))
            .collect()
    }

    /// The fleet's own values PutMetricData received (no target), in call order.
    pub fn fleet_published(&self) -> Vec<(&'static str, f64)> {
        self.world()
            .put
            .iter()
            .flat_map(|(_, datums)| datums)
            .filter(|d| d.target.is_none())
            .map(|d| (d.name, d.value))
            .collect()
    }

    pub fn emf_lines(&self) -> Vec<String> {
        self.world().emf.clone()
    }

    /// Calls that changed something: UpdateService, RegisterScalableTarget, the
    /// state and config writes. PutMetricData is a report, not a change.
    pub fn mutations(&self) -> usize {
        const MUTATING: [&str; 8] = [
            "ECS.UpdateService",
            "ApplicationAutoScaling.RegisterScalableTarget",
            "ApplicationAutoScaling.PutScalingPolicy",
            "ApplicationAutoScaling.DeleteScalingPolicy",
            "CloudWatch.PutMetricAlarm",
            "CloudWatch.DeleteAlarms",
            "DynamoDB.PutItem",
            "DynamoDB.DeleteItem",
        ];
        MUTATING.iter().map(|op| self.calls(op)).sum()
    }

    /// Counts the call, then applies the first matching fault rule, if any.
    fn call(&self, operation: &'static str, resources: &[&str], size: usize) -> Result<(), Fault> {
        let mut world = self.world();
        world.calls.push((operation, size));
        let matching = world.rules.iter_mut().find(|rule| {
            rule.operation == operation
                && rule.remaining != Some(0)
                && rule
                    .resource
                    .as_deref()
                    .is_none_or(|r| resources.contains(&r))
        });
        let Some(rule) = matching else {
            return Ok(());
        };
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining -= 1;
        }
        Err(rule.fault.clone())
    }

    fn check(
        &self,
        operation: &'static str,
        resources: &[&str],
        size: usize,
    ) -> Result<(), AwsError> {
        self.call(operation, resources, size).map_err(|fault| {
            let kind = match fault {
                Fault::Fail(kind) => kind,
                Fault::LoseRace => ErrorKind::Other,
            };
            AwsError::new(operation, kind, format!("injected {kind:?}"))
        })
    }
}

#[async_trait]
impl ConfigStore for MemoryAws {
    async fn list(&self, kind: ItemKind) -> Result<Vec<StoredItem>, AwsError> {
        self.check("DynamoDB.Query", &[kind.partition()], 1)?;
        Ok(self
            .world()
            .items
            .iter()
            .filter(|((partition, _), _)| *partition == kind.partition())
            .map(|((_, name), spec)| StoredItem {
                name: name.clone(),
                spec: spec.clone(),
            })
            .collect())
    }

    async fn put(&self, kind: ItemKind, name: &str, spec: &str) -> Result<bool, AwsError> {
        self.check("DynamoDB.PutItem", &[name], 1)?;
        let key = (kind.partition(), name.to_owned());
        let mut world = self.world();
        let changed = world.items.get(&key).is_none_or(|s| s != spec);
        world.items.insert(key, spec.to_owned());
        Ok(changed)
    }

    async fn delete(&self, kind: ItemKind, name: &str) -> Result<(), AwsError> {
        self.check("DynamoDB.DeleteItem", &[name], 1)?;
        self.world()
            .items
            .remove(&(kind.partition(), name.to_owned()));
        Ok(())
    }
}

#[async_trait]
impl QueueDepths for MemoryAws {
    async fn queue_depth(&self, queue: &str) -> Result<QueueDepth, AwsError> {
        self.check("SQS.GetQueueAttributes", &[queue], 1)?;
        self.world().queues.get(queue).copied().ok_or_else(|| {
            AwsError::new(
                "SQS.GetQueueUrl",
                ErrorKind::NotFound,
                format!("queue {queue} does not exist"),
            )
        })
    }
}

#[async_trait]
impl ServiceCounts for MemoryAws {
    async fn task_counts(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ServiceResult>, AwsError> {
        let names: Vec<&str> = services.iter().map(String::as_str).collect();
        self.check("ECS.DescribeServices", &names, services.len())?;
        let world = self.world();
        Ok(services
            .iter()
            .map(|service| {
                let counts = world
                    .services
                    .get(&service_key(cluster, service))
                    .copied()
                    .ok_or_else(|| {
                        AwsError::new(
                            "ECS.DescribeServices",
                            ErrorKind::NotFound,
                            "ECS could not describe it: MISSING",
                        )
                    });
                (service.clone(), counts)
            })
            .collect())
    }
}

#[async_trait]
impl ServiceScaler for MemoryAws {
    async fn set_desired(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> Result<(), AwsError> {
        self.check("ECS.UpdateService", &[service], 1)?;
        let mut world = self.world();
        world.desired_writes.push((service.to_owned(), desired));
        let key = service_key(cluster, service);
        let counts = world.services.get(&key).copied().unwrap_or_default();
        // As moto does: the new count is running at once; a slow start's new tasks are
        // pending until the test says they run.
        let running = if world.slow_starts.contains(&key) {
            counts.running.min(desired)
        } else {
            desired
        };
        let counts = world.services.entry(key).or_default();
        *counts = TaskCounts {
            running,
            pending: desired - running,
            desired,
        };
        Ok(())
    }
}

#[async_trait]
impl TaskProtections for MemoryAws {
    async fn protected_tasks(&self, cluster: &str, service: &str) -> Result<u32, AwsError> {
        self.check("ECS.GetTaskProtection", &[service], 1)?;
        let world = self.world();
        let running = world
            .services
            .get(&service_key(cluster, service))
            .map_or(0, |c| c.running);
        let protected = world
            .protected
            .get(&service_key(cluster, service))
            .copied()
            .unwrap_or(0);
        Ok(protected.min(running))
    }
}

#[async_trait]
impl ScalableTargets for MemoryAws {
    async fn bounds(
        &self,
        resource_ids: &[String],
    ) -> Result<BTreeMap<String, ScalableBounds>, AwsError> {
        let ids: Vec<&str> = resource_ids.iter().map(String::as_str).collect();
        self.check(
            "ApplicationAutoScaling.DescribeScalableTargets",
            &ids,
            ids.len(),
        )?;
        let world = self.world();
        Ok(resource_ids
            .iter()
            .filter_map(|id| world.scalable.get(id).map(|b| (id.clone(), *b)))
            .collect())
    }

    async fn set_bounds(&self, resource_id: &str, min: u32, max: u32) -> Result<(), AwsError> {
        self.check(
            "ApplicationAutoScaling.RegisterScalableTarget",
            &[resource_id],
            1,
        )?;
        let mut world = self.world();
        world.bounds_writes.push((resource_id.to_owned(), min, max));
        world
            .scalable
            .insert(resource_id.to_owned(), ScalableBounds { min, max });
        Ok(())
    }
}

#[async_trait]
impl MetricReader for MemoryAws {
    /// A fault rule naming a metric fails only the queries of that metric (as a query's
    /// own status does); one without a resource fails the whole call.
    async fn points(
        &self,
        queries: &[MetricQuery],
        _lookback_minutes: u32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
        const OPERATION: &str = "CloudWatch.GetMetricData";
        self.check(OPERATION, &[], queries.len())?;
        let answers = queries
            .iter()
            .map(|query| {
                let failing = self.world().rules.iter().find_map(|rule| {
                    let hit = rule.operation == OPERATION
                        && rule.remaining != Some(0)
                        && rule.resource.as_deref() == Some(query.metric.as_str());
                    match (&rule.fault, hit) {
                        (Fault::Fail(kind), true) => Some(*kind),
                        _ => None,
                    }
                });
                match failing {
                    Some(kind) => Err(AwsError::new(OPERATION, kind, format!("injected {kind:?}"))),
                    None => Ok(self
                        .world()
                        .metrics
                        .get(&metric_key(query))
                        .cloned()
                        .unwrap_or_default()),
                }
            })
            .collect();
        Ok(answers)
    }
}

#[async_trait]
impl MetricSink for MemoryAws {
    async fn put_metric_data(&self, namespace: &str, datums: &[Datum]) -> Result<(), AwsError> {
        self.check("CloudWatch.PutMetricData", &[namespace], datums.len())?;
        // As the CloudWatch adapter: what CloudWatch would refuse is dropped.
        let (datums, _) = sluice_core::metrics::publishable(datums);
        self.world().put.push((namespace.to_owned(), datums));
        Ok(())
    }
}

impl EmfLog for MemoryAws {
    fn emit(&self, line: &str) {
        self.world().emf.push(line.to_owned());
    }
}

#[async_trait]
impl WatchStates for MemoryAws {
    async fn load_all(&self) -> Result<BTreeMap<String, Versioned<WatchState>>, AwsError> {
        self.check("DynamoDB.Query", &["state#zero-watcher"], 1)?;
        Ok(self.world().watch_states.clone())
    }

    async fn save(
        &self,
        target: &str,
        state: &WatchState,
        expected: &Version,
        _note: &DecisionNote<'_>,
    ) -> Result<bool, AwsError> {
        match self.call("DynamoDB.PutItem", &[target], 1) {
            Ok(()) => {}
            Err(Fault::LoseRace) => return Ok(false),
            Err(Fault::Fail(kind)) => {
                return Err(AwsError::new(
                    "DynamoDB.PutItem",
                    kind,
                    format!("injected {kind:?}"),
                ));
            }
        }
        let mut world = self.world();
        let current = world
            .watch_states
            .get(target)
            .map_or(Version::Absent, |v| v.version.clone());
        if current != *expected {
            return Ok(false);
        }
        world.watch_states.insert(
            target.to_owned(),
            Versioned {
                value: *state,
                version: expected.next(),
                problems: Vec::new(),
            },
        );
        Ok(true)
    }
}

#[async_trait]
impl PrescaleStates for MemoryAws {
    async fn load_all(&self) -> Result<BTreeMap<String, OwnWrite>, AwsError> {
        self.check("DynamoDB.Query", &["state#prescaler"], 1)?;
        Ok(self.world().prescale_states.clone())
    }

    async fn save(&self, target: &str, own: Option<OwnWrite>) -> Result<(), AwsError> {
        let operation = if own.is_some() {
            "DynamoDB.PutItem"
        } else {
            "DynamoDB.DeleteItem"
        };
        self.check(operation, &[target], 1)?;
        let mut world = self.world();
        match own {
            Some(own) => world.prescale_states.insert(target.to_owned(), own),
            None => world.prescale_states.remove(target),
        };
        Ok(())
    }
}

#[async_trait]
impl RateRecords for MemoryAws {
    async fn rates(&self, now: i64) -> Result<BTreeMap<String, Rates>, AwsError> {
        self.check("DynamoDB.Query", &["state#rates"], 1)?;
        let stored = self.world().rates.clone();
        Ok(stored
            .into_iter()
            .map(|(name, rates)| (name, rates.sanitized(now).0))
            .collect())
    }

    async fn save_rates(&self, target: &str, rates: &Rates) -> Result<(), AwsError> {
        self.check("DynamoDB.PutItem", &[target, "state#rates"], 1)?;
        self.world().rates.insert(target.to_owned(), rates.clone());
        Ok(())
    }
}

#[async_trait]
impl ControlMemories for MemoryAws {
    async fn memories(&self, now: i64) -> Result<BTreeMap<String, Memory>, AwsError> {
        self.check("DynamoDB.Query", &["state#control"], 1)?;
        let stored = self.world().memories.clone();
        Ok(stored
            .into_iter()
            .map(|(name, memory)| (name, memory.sanitized(now).0))
            .collect())
    }

    async fn save_memory(&self, target: &str, memory: &Memory) -> Result<(), AwsError> {
        self.check("DynamoDB.PutItem", &[target, "state#control"], 1)?;
        self.world()
            .memories
            .insert(target.to_owned(), memory.clone());
        Ok(())
    }
}

#[async_trait]
impl StartUpRecords for MemoryAws {
    async fn start_ups(&self) -> Result<BTreeMap<String, StartUps>, AwsError> {
        self.check("DynamoDB.Query", &["state#startups"], 1)?;
        Ok(self.world().start_ups.clone())
    }

    async fn record_start(&self, target: &str, sample: StartUp, now: i64) -> Result<(), AwsError> {
        self.check("DynamoDB.PutItem", &[target, "state#startups"], 1)?;
        let mut world = self.world();
        let kept = world.start_ups.get(target).cloned().unwrap_or_default();
        world
            .start_ups
            .insert(target.to_owned(), kept.with(sample, now));
        Ok(())
    }
}

#[async_trait]
impl GroupFloors for MemoryAws {
    async fn group(&self, name: &str, floor: GroupFloor) -> Result<GroupFacts, AwsError> {
        const OPERATION: &str = "AutoScaling.DescribeAutoScalingGroups";
        self.check(OPERATION, &[name], 1)?;
        let (min_size, pool, max_size) =
            self.world().groups.get(name).copied().ok_or_else(|| {
                AwsError::new(
                    OPERATION,
                    ErrorKind::NotFound,
                    format!("no Auto Scaling group named {name:?}"),
                )
            })?;
        let floor = match floor {
            GroupFloor::MinSize => Some(min_size),
            GroupFloor::WarmPool => pool,
        };
        Ok(GroupFacts { floor, max_size })
    }

    async fn set_floor(&self, name: &str, floor: GroupFloor, to: u32) -> Result<(), AwsError> {
        let operation = match floor {
            GroupFloor::MinSize => "AutoScaling.UpdateAutoScalingGroup",
            GroupFloor::WarmPool => "AutoScaling.PutWarmPool",
        };
        self.check(operation, &[name], 1)?;
        let mut world = self.world();
        let group = world.groups.entry(name.to_owned()).or_insert((0, None, 0));
        match floor {
            GroupFloor::MinSize => group.0 = to,
            GroupFloor::WarmPool => group.1 = Some(to),
        }
        Ok(())
    }
}

#[async_trait]
impl GroupStates for MemoryAws {
    async fn group_owns(&self) -> Result<BTreeMap<String, GroupOwn>, AwsError> {
        self.check("DynamoDB.Query", &["state#groups"], 1)?;
        Ok(self.world().group_owns.clone())
    }

    async fn save_group_own(&self, group: &str, own: Option<GroupOwn>) -> Result<(), AwsError> {
        self.check("DynamoDB.PutItem", &[group, "state#groups"], 1)?;
        let mut world = self.world();
        match own {
            Some(own) => world.group_owns.insert(group.to_owned(), own),
            None => world.group_owns.remove(group),
        };
        Ok(())
    }
}

impl MemoryAws {
    /// An Auto Scaling group with MinSize, a warm pool's MinSize (None: no pool) and
    /// MaxSize.
    pub fn set_group(&self, name: &str, min_size: u32, pool: Option<u32>, max_size: u32) {
        self.world()
            .groups
            .insert(name.to_owned(), (min_size, pool, max_size));
    }

    pub fn group(&self, name: &str) -> Option<(u32, Option<u32>, u32)> {
        self.world().groups.get(name).copied()
    }

    pub fn set_start_ups(&self, target: &str, starts: StartUps) {
        self.world().start_ups.insert(target.to_owned(), starts);
    }

    pub fn start_ups_of(&self, target: &str) -> StartUps {
        self.world()
            .start_ups
            .get(target)
            .cloned()
            .unwrap_or_default()
    }

    /// A policy put outside Sluice, whose rule Sluice cannot read.
    pub fn set_foreign_policy(&self, resource_id: &str, name: &str) {
        self.world().policies.insert(
            (resource_id.to_owned(), name.to_owned()),
            (format!("arn:foreign:{name}"), None),
        );
    }

    /// The policies on `resource_id`, by name.
    pub fn policy_names(&self, resource_id: &str) -> Vec<String> {
        self.world()
            .policies
            .keys()
            .filter(|(resource, _)| resource == resource_id)
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// The alarms held, with their action.
    pub fn alarm_actions(&self) -> BTreeMap<String, String> {
        self.world()
            .alarms
            .iter()
            .map(|(name, (_, action))| (name.clone(), action.clone()))
            .collect()
    }
}

#[async_trait]
impl ScalingPolicies for MemoryAws {
    async fn policies(&self, resource_id: &str) -> Result<Vec<LivePolicy>, AwsError> {
        self.check(
            "ApplicationAutoScaling.DescribeScalingPolicies",
            &[resource_id],
            1,
        )?;
        Ok(self
            .world()
            .policies
            .iter()
            .filter(|((resource, _), _)| resource == resource_id)
            .map(|((_, name), (arn, spec))| LivePolicy {
                name: name.clone(),
                arn: arn.clone(),
                rule: spec.as_ref().map(|s| s.rule.clone()),
            })
            .collect())
    }

    async fn put_policy(&self, resource_id: &str, spec: &PolicySpec) -> Result<String, AwsError> {
        self.check(
            "ApplicationAutoScaling.PutScalingPolicy",
            &[resource_id, &spec.name],
            1,
        )?;
        let mut world = self.world();
        world.policy_generation += 1;
        let arn = format!(
            "arn:policy:{resource_id}:{}:{}",
            spec.name, world.policy_generation
        );
        world.policies.insert(
            (resource_id.to_owned(), spec.name.clone()),
            (arn.clone(), Some(spec.clone())),
        );
        Ok(arn)
    }

    async fn delete_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        self.check(
            "ApplicationAutoScaling.DeleteScalingPolicy",
            &[resource_id, name],
            1,
        )?;
        self.world()
            .policies
            .remove(&(resource_id.to_owned(), name.to_owned()));
        Ok(())
    }
}

#[async_trait]
impl AlarmStore for MemoryAws {
    async fn alarms(&self, prefix: &str) -> Result<Vec<LiveAlarm>, AwsError> {
        self.check("CloudWatch.DescribeAlarms", &[prefix], 1)?;
        Ok(self
            .world()
            .alarms
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, (spec, action))| LiveAlarm {
                name: name.clone(),
                metric: Some(spec.metric.clone()),
                when: Some(spec.when),
                actions: vec![action.clone()],
            })
            .collect())
    }

    async fn put_alarm(&self, spec: &AlarmSpec, action: &str) -> Result<(), AwsError> {
        self.check("CloudWatch.PutMetricAlarm", &[&spec.name], 1)?;
        self.world()
            .alarms
            .insert(spec.name.clone(), (spec.clone(), action.to_owned()));
        Ok(())
    }

    async fn delete_alarm(&self, name: &str) -> Result<(), AwsError> {
        self.check("CloudWatch.DeleteAlarms", &[name], 1)?;
        self.world().alarms.remove(name);
        Ok(())
    }
}

#[async_trait]
impl Accounts for MemoryAws {
    /// An account made with [`MemoryAws::account`]; any other is refused, as STS
    /// refuses a role that does not trust the caller.
    async fn at(&self, place: &Place) -> Result<Arc<Account>, AwsError> {
        let role = place.role_arn.as_deref().unwrap_or_default();
        self.check("STS.AssumeRole", &[role], 1)
            .map_err(|e| e.about(format!("cannot assume role {role}")))?;
        let account = self.world().accounts.get(place).cloned();
        account.map(|a| Arc::new(Account::of(a))).ok_or_else(|| {
            AwsError::new(
                "STS.AssumeRole",
                ErrorKind::AccessDenied,
                format!("cannot assume role {role}: not an account of this test"),
            )
        })
    }
}
