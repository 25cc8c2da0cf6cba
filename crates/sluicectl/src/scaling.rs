//! Application Auto Scaling as the configuration says: for each target, read what AWS
//! holds, compute the changes (`sluice_core::policy::reconcile`) and make them in
//! order: bounds, policies, then the alarms that invoke them.
//!
//! Every step is repeatable (RegisterScalableTarget and PutScalingPolicy replace,
//! deleting what is gone counts as done), so two applies at once, or one interrupted
//! and run again, end where the file says. A refused call stops that target only and
//! says which call and why.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use sluice_aws::{
    Account, Accounts, AssumedAccounts, Assumer, AutoScaling, AwsError, Clients, CloudWatchMetrics,
    Ports, ecs_resource_id, reach,
};
use sluice_core::config::Target;
use sluice_core::policy::{self, AlarmAction, Change, Declared, Live};
use sluice_core::prescale::Hold;

/// Targets reconciled at once; also the requests in flight per other account.
pub const CONCURRENCY: usize = 8;

/// The AWS parts apply reconciles: `here`, the account a target lives in
/// ([`sluice_aws::Ports`]), whose scalable targets, policies and alarms it changes.
pub type ScalingPorts<'a> = Ports<'a, Reach<'a>>;

/// How apply reaches the accounts targets live in other than the stack's own.
#[derive(Clone, Copy)]
pub struct Reach<'a> {
    pub accounts: &'a dyn Accounts,
}

/// The SDK adapters behind [`ScalingPorts`], from one set of clients.
pub struct ScalingClients {
    /// The stack's own account, as every other is built ([`account`]).
    home: Account,
    accounts: AssumedAccounts,
}

impl ScalingClients {
    pub fn new(clients: &Clients) -> Self {
        Self {
            home: account(clients),
            accounts: AssumedAccounts::new(
                clients.config.clone(),
                CONCURRENCY,
                Assumer::Operator,
                account,
            ),
        }
    }

    pub fn ports(&self) -> ScalingPorts<'_> {
        ScalingPorts {
            here: &self.home,
            stack: Reach {
                accounts: &self.accounts,
            },
        }
    }
}

/// What apply and status touch in the account a target lives in, the stack's own or
/// another.
fn account(clients: &Clients) -> Account {
    let autoscaling = Arc::new(AutoScaling::new(clients.autoscaling().clone()));
    Account {
        autoscaling: autoscaling.clone(),
        policies: autoscaling,
        alarms: Arc::new(CloudWatchMetrics::new(clients.cloudwatch().clone())),
        ..Account::unused()
    }
}

/// What happened to one target's scaling.
#[derive(Debug, Serialize)]
pub struct Reconciled {
    pub target: String,
    /// Why nothing was looked at (unmanaged, paused), if so.
    pub skipped: Option<String>,
    pub changes: Vec<Change>,
    /// How many of `changes` were made (all of them, unless `error`).
    pub made: usize,
    pub error: Option<String>,
}

impl Reconciled {
    fn skipped(target: &Target, reason: &str) -> Self {
        Reconciled {
            target: target.name.clone(),
            skipped: Some(reason.to_owned()),
            changes: Vec::new(),
            made: 0,
            error: None,
        }
    }
}

/// Why a target's Application Auto Scaling is left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftAlone {
    Unmanaged,
    Paused,
}

impl LeftAlone {
    /// The target's state in a word or two, as `status` shows it.
    pub fn state(self) -> &'static str {
        match self {
            LeftAlone::Unmanaged => "scaling.managed is false",
            LeftAlone::Paused => "paused",
        }
    }

    /// The state and what follows from it, as apply reports a skip.
    pub fn reason(self) -> &'static str {
        match self {
            LeftAlone::Unmanaged => {
                "scaling.managed is false: Application Auto Scaling left to others"
            }
            LeftAlone::Paused => "paused: Application Auto Scaling left as it is",
        }
    }
}

/// Why a target's Application Auto Scaling is left alone, if it is.
pub fn left_alone(target: &Target) -> Option<LeftAlone> {
    if !target.scaling.managed {
        Some(LeftAlone::Unmanaged)
    } else if target.paused {
        Some(LeftAlone::Paused)
    } else {
        None
    }
}

/// What AWS holds for the target: bounds, policies, and its Sluice alarms.
pub async fn read_live(ports: &ScalingPorts<'_>, target: &Target) -> Result<Live, AwsError> {
    let (cluster, service) = target.service_key();
    let resource = ecs_resource_id(cluster, service);
    let bounds = ports
        .here
        .autoscaling
        .bounds(std::slice::from_ref(&resource))
        .await?;
    Ok(Live {
        bounds: bounds.get(&resource).copied(),
        policies: ports.here.policies.policies(&resource).await?,
        alarms: ports
            .here
            .alarms
            .alarms(&policy::alarm_prefix(&target.name))
            .await?,
    })
}

/// The target's own account (None: the stack's) and what AWS holds for it there.
pub async fn read_live_in_account(
    ports: &ScalingPorts<'_>,
    target: &Target,
) -> Result<(Option<Arc<Account>>, Live), AwsError> {
    let account = reach(ports.accounts, &target.place()).await?;
    let live = read_live(&ports.in_account(account.as_deref()), target).await?;
    Ok((account, live))
}

/// Reconciles one target under `floor` (the prescaler's floor now); with `dry_run`
/// only computes the changes.
pub async fn reconcile(
    ports: &ScalingPorts<'_>,
    target: &Target,
    namespace: &str,
    hold: Hold,
    dry_run: bool,
) -> Reconciled {
    if let Some(alone) = left_alone(target) {
        return Reconciled::skipped(target, alone.reason());
    }
    let Some(declared) = policy::declared(target, namespace, hold) else {
        return Reconciled::skipped(target, "nothing declared");
    };
    let mut reconciled = Reconciled {
        target: target.name.clone(),
        skipped: None,
        changes: Vec::new(),
        made: 0,
        error: None,
    };
    let (account, live) = match read_live_in_account(ports, target).await {
        Ok(found) => found,
        Err(error) => {
            reconciled.error = Some(format!("not reconciled, nothing changed: {error}"));
            return reconciled;
        }
    };
    let ports = &ports.in_account(account.as_deref());
    reconciled.changes = policy::reconcile(&declared, &live);
    if !dry_run {
        settle(ports, target, &declared, live, &mut reconciled).await;
    }
    reconciled
}

/// How many times apply makes what differs and reads back before giving up.
const PASSES: usize = 3;

/// Makes the changes, reads back, and makes what still differs. Another apply running
/// at once can re-put a policy after this one pointed the alarm at it: when the
/// policy's ARN changes on update (moto's does), the alarm names a stale ARN until a
/// later pass puts it again. Changes of later passes are appended, so the report lists
/// every call made; a difference that outlives the passes is an error.
async fn settle(
    ports: &ScalingPorts<'_>,
    target: &Target,
    declared: &Declared,
    mut live: Live,
    reconciled: &mut Reconciled,
) {
    let mut changes = reconciled.changes.clone();
    for _ in 0..PASSES {
        let arns = live
            .policies
            .iter()
            .map(|p| (p.name.clone(), p.arn.clone()));
        let (made, error) = make_all(ports, target, &changes, arns.collect()).await;
        reconciled.made += made;
        if error.is_some() {
            reconciled.error = error;
            return;
        }
        live = match read_live(ports, target).await {
            Ok(live) => live,
            Err(error) => {
                reconciled.error = Some(format!("made, but not read back: {error}"));
                return;
            }
        };
        changes = policy::reconcile(declared, &live);
        if changes.is_empty() {
            return;
        }
        reconciled.changes.extend(changes.iter().cloned());
    }
    let left: Vec<String> = changes.iter().map(ToString::to_string).collect();
    reconciled.error = Some(format!(
        "still differs after {PASSES} passes (another apply at once?): {}",
        left.join("; ")
    ));
}

/// Makes `changes` in order until one is refused: how many were made, and the refusal.
async fn make_all(
    ports: &ScalingPorts<'_>,
    target: &Target,
    changes: &[Change],
    arns: BTreeMap<String, String>,
) -> (usize, Option<String>) {
    let (cluster, service) = target.service_key();
    let resource = ecs_resource_id(cluster, service);
    let mut making = Making {
        ports,
        resource: &resource,
        arns,
    };
    for (made, change) in changes.iter().enumerate() {
        if let Err(error) = making.make(change).await {
            return (made, Some(format!("{change}: {error}")));
        }
    }
    (changes.len(), None)
}

/// Makes changes in order, remembering the ARNs of policies put on the way so the
/// alarms that invoke them get the right action.
struct Making<'p, 'a> {
    ports: &'p ScalingPorts<'a>,
    resource: &'p str,
    arns: BTreeMap<String, String>,
}

impl Making<'_, '_> {
    async fn make(&mut self, change: &Change) -> Result<(), AwsError> {
        match change {
            Change::Register { to, .. } => {
                self.ports
                    .here
                    .autoscaling
                    .set_bounds(self.resource, to.min, to.max)
                    .await
            }
            Change::PutPolicy { spec, .. } => {
                let arn = self
                    .ports
                    .here
                    .policies
                    .put_policy(self.resource, spec)
                    .await?;
                self.arns.insert(spec.name.clone(), arn);
                Ok(())
            }
            Change::DeletePolicy { name } => {
                self.ports
                    .here
                    .policies
                    .delete_policy(self.resource, name)
                    .await
            }
            Change::PutAlarm { spec, action, .. } => {
                let action = action.clone().or_else(|| match &spec.action {
                    AlarmAction::Policy(policy) => self.arns.get(policy).cloned(),
                    AlarmAction::Topic(topic) => Some(topic.clone()),
                });
                let Some(action) = action else {
                    return Err(AwsError::new(
                        "CloudWatch.PutMetricAlarm",
                        sluice_aws::ErrorKind::BadResponse,
                        format!("{:?} has no ARN to invoke", spec.action),
                    ));
                };
                self.ports.here.alarms.put_alarm(spec, &action).await
            }
            Change::DeleteAlarm { name } => self.ports.here.alarms.delete_alarm(name).await,
        }
    }
}

/// Deletes what Sluice owns for a target that is no longer configured (`--prune`):
/// its policies and alarms. The scalable target stays, with its bounds: whatever
/// scales the service next starts from them.
pub async fn forget(ports: &ScalingPorts<'_>, target: &Target, dry_run: bool) -> Reconciled {
    if let Some(alone) = left_alone(target) {
        return Reconciled::skipped(target, alone.reason());
    }
    let nothing = Declared {
        bounds: sluice_core::facts::ScalableBounds { min: 0, max: 0 },
        policies: Vec::new(),
        alarms: Vec::new(),
    };
    let mut reconciled = Reconciled::skipped(target, "");
    reconciled.skipped = None;
    let (account, live) = match read_live_in_account(ports, target).await {
        Ok(found) => found,
        Err(error) => {
            reconciled.error = Some(format!("not cleaned up, nothing changed: {error}"));
            return reconciled;
        }
    };
    let ports = &ports.in_account(account.as_deref());
    reconciled.changes = policy::reconcile(&nothing, &live)
        .into_iter()
        .filter(|c| !matches!(c, Change::Register { .. }))
        .collect();
    if !dry_run {
        (reconciled.made, reconciled.error) =
            make_all(ports, target, &reconciled.changes, BTreeMap::new()).await;
    }
    reconciled
}

/// Reconciles every target (at most 8 at once) and cleans up after the forgotten
/// ones; `floors` holds the prescaler's floor now by target name (0 when absent).
pub async fn reconcile_all(
    ports: &ScalingPorts<'_>,
    targets: &[Target],
    forgotten: &[Target],
    floors: &BTreeMap<String, Hold>,
    namespace: &str,
    dry_run: bool,
) -> Vec<Reconciled> {
    use futures::stream::{self, StreamExt};
    let kept = targets.iter().map(|target| {
        let hold = floors.get(&target.name).copied().unwrap_or_default();
        futures::future::Either::Left(reconcile(ports, target, namespace, hold, dry_run))
    });
    let gone = forgotten
        .iter()
        .map(|target| futures::future::Either::Right(forget(ports, target, dry_run)));
    let mut all: Vec<Reconciled> = stream::iter(kept.chain(gone))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    all.sort_by(|a, b| a.target.cmp(&b.target));
    all
}

/// Prints one line per change (or per target in sync), and returns whether every
/// target was reconciled.
pub fn print(all: &[Reconciled], dry_run: bool) -> bool {
    let would = if dry_run { "would " } else { "" };
    for reconciled in all {
        let name = &reconciled.target;
        if let Some(reason) = &reconciled.skipped {
            outln!("scaling {name}: skipped ({reason})");
            continue;
        }
        if reconciled.changes.is_empty() && reconciled.error.is_none() {
            outln!("scaling {name}: in sync");
        }
        for (index, change) in reconciled.changes.iter().enumerate() {
            let made = dry_run || index < reconciled.made;
            let how = if made { would } else { "not made: " };
            outln!("scaling {name}: {how}{change}");
        }
        if let Some(error) = &reconciled.error {
            eprintln!(
                "scaling {name}: FAILED: {error} ({} of {} changes made; apply again to finish)",
                reconciled.made,
                reconciled.changes.len()
            );
        }
    }
    all.iter().all(|r| r.error.is_none())
}
