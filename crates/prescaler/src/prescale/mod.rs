//! One prescale, as stages: what the event asks ([`request`]), the targets with a
//! profile and their compiled schedules ([`load`]), what AWS says about them
//! ([`read`]), the one change each floor calls for ([`plan`], the rules live in
//! sluice_core::prescale), the changes ([`apply`]), the published floors
//! ([`publish`]), and the report ([`report`]). A failed read or a bad profile changes
//! nothing.

mod apply;
mod budgets;
mod groups;
mod load;
mod outcome;
mod plan;
mod publish;
mod read;
mod report;
mod request;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;
use sluice_aws::memory::MemoryAws;
use sluice_aws::{
    Accounts, AwsError, ConfigStore, GroupFloors, GroupStates, MetricReader, MetricSink,
    PrescaleStates, StartUpRecords,
};
use sluice_core::startup::StartUps;
use sluice_lambda::RequestError;

pub use groups::GroupReport;
pub use outcome::{ChangeStatus, TargetReport};
pub use report::Report;
pub use sluice_core::outcome::Prescale;

use crate::settings::Settings;

/// The capabilities a prescale needs, acting in the account each target lives in
/// ([`sluice_aws::Ports`]).
pub type Ports<'a> = sluice_aws::Ports<'a, Stack<'a>>;

/// What stays in the stack's account whatever the target: budgets' spend
/// (`metrics`), the published floors (`sink`) and instance groups among them.
/// Services, desired counts, scalable targets and queues are where the target lives:
/// `Ports::here`.
#[derive(Clone, Copy)]
pub struct Stack<'a> {
    pub store: &'a dyn ConfigStore,
    pub states: &'a dyn PrescaleStates,
    pub starts: &'a dyn StartUpRecords,
    pub sink: &'a dyn MetricSink,
    /// Where budgets' spend is read: the published RunningTasks.
    pub metrics: &'a dyn MetricReader,
    /// Capacity providers' Auto Scaling groups, and the prescaler's raises of them.
    pub groups: &'a dyn GroupFloors,
    pub group_states: &'a dyn GroupStates,
    pub accounts: &'a dyn Accounts,
}

impl<'a> Stack<'a> {
    /// Every stack capability from one in-memory AWS (tests, what-if runs).
    pub fn memory(aws: &'a MemoryAws) -> Self {
        Stack {
            store: aws,
            states: aws,
            starts: aws,
            sink: aws,
            metrics: aws,
            groups: aws,
            group_states: aws,
            accounts: aws,
        }
    }
}

/// Every target's kept start-ups, or why they cannot be read.
pub type StartUpsRead = Result<BTreeMap<String, StartUps>, AwsError>;

pub async fn prescale(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
    now: Timestamp,
) -> Result<Report, RequestError> {
    let request = request::parse(event, now)?;
    let at = request.at.unwrap_or(now);
    let settings = &Settings {
        dry_run: settings.dry_run || request.dry_run,
        ..settings.clone()
    };
    let mut loaded = load::load(ports, request.only.as_deref(), request.shard).await?;
    let budgets = std::mem::take(&mut loaded.budgets);
    let (facts, starts, budgets) = futures::join!(
        read::read(&loaded.selection.targets, settings, ports),
        ports.starts.start_ups(),
        budgets::standings(budgets, settings, ports, now),
    );
    warn_implausible(&starts, now.as_second());
    let read = (&starts, budgets.as_slice());
    let mut planned = plan::plan_all(&loaded, facts, read, (at, now), settings);
    apply::apply(&mut planned, &loaded.selection.targets, settings, ports).await;
    let shard = request.shard;
    let only = request.only.is_some();
    let groups = groups::groups(&loaded, &starts, (at, now, shard, only), settings, ports).await;
    let failed = report::failures(&planned, &groups, loaded.invalid_budgets);
    let published_floors = publish::publish(&planned, &budgets, failed, settings, ports).await;
    let done = report::Done {
        planned,
        budgets: &budgets,
        groups,
        invalid: loaded.invalid,
        published_floors,
    };
    Ok(Report::new(&request, at, settings, done))
}

/// Stored start-up samples no wake could have measured count for nothing
/// (`StartUps::recent`); each is said once a run, so a corrupt record is seen.
fn warn_implausible<E>(starts: &Result<BTreeMap<String, StartUps>, E>, now: i64) {
    let Ok(records) = starts else {
        return;
    };
    for (name, record) in records {
        for problem in record.implausible(now) {
            tracing::warn!(target_name = %name, %problem, "start-up sample ignored");
        }
    }
}
