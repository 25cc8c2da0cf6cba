//! `sluicectl status`: each stored target's scaling as declared and as AWS holds it.

use std::process::ExitCode;

use anyhow::{Context, Result};
use jiff::Timestamp;
use serde::Serialize;
use sluice_aws::{Clients, ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::{Document, Target};
use sluice_core::facts::ScalableBounds;
use sluice_core::policy::{self, Change, Declared, Drift, Live, OWNED_PREFIX};
use sluice_core::prescale::Hold;

use crate::apply::{floors_now, start_ups};
use crate::cli::{StatusArgs, StatusFormat};
use crate::scaling::{ScalingClients, ScalingPorts, left_alone, read_live_in_account};

/// One target's scaling, declared against live.
#[derive(Debug, Serialize)]
struct TargetStatus {
    target: String,
    /// "in sync", "drift", "unmanaged", "paused" or "unreadable".
    state: String,
    /// Which loop sizes it (docs/control.md): `need, tracking`, `need, direct`, or
    /// `backlog-per-task` (the loop before the load model).
    control: String,
    bounds: String,
    /// One line per policy or alarm: name and state.
    parts: Vec<(String, String)>,
}

pub async fn run(args: StatusArgs) -> Result<ExitCode> {
    let clients = Clients::new(&sluice_aws::load_sdk_config().await);
    let store = DynamoStore::new(clients.dynamodb().clone(), args.table.table.clone());
    let document = stored_document(&store, args.target.as_deref()).await?;
    let profiles = store
        .list(ItemKind::Profile)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?;
    let starts = start_ups(&store).await;
    let owns = crate::apply::prescaler_records(&store).await?;
    let floors = floors_now(&document, &profiles, &starts, &owns, Timestamp::now());
    let scaling_clients = ScalingClients::new(&clients);
    let ports = scaling_clients.ports();
    let mut statuses = Vec::new();
    for target in &document.targets {
        let hold = floors.get(&target.name).copied().unwrap_or_default();
        statuses.push(status(&ports, target, &args.cloudwatch.namespace, hold).await);
    }
    match args.output {
        StatusFormat::Json => outln!("{}", serde_json::to_string_pretty(&statuses)?),
        StatusFormat::Table => print_table(&statuses),
    }
    let in_sync = statuses.iter().all(|s| s.state != "drift");
    Ok(if in_sync {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// The stored targets (only `only` when given) as one document.
async fn stored_document(store: &DynamoStore, only: Option<&str>) -> Result<Document> {
    let items = store
        .list(ItemKind::Target)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?;
    let mut targets = Vec::new();
    for item in items.iter().filter(|i| only.is_none_or(|o| o == i.name)) {
        match Target::from_stored(&item.name, &item.spec) {
            Ok(target) => targets.push(target),
            Err(error) => eprintln!("warning: stored target {} skipped: {error}", item.name),
        }
    }
    if let Some(name) = only
        && targets.is_empty()
    {
        anyhow::bail!("no target named {name:?} in {}", store.table());
    }
    Ok(Document {
        targets,
        profiles: Vec::new(),
        calendars: Vec::new(),
        budgets: Vec::new(),
    })
}

async fn status(
    ports: &ScalingPorts<'_>,
    target: &Target,
    namespace: &str,
    hold: Hold,
) -> TargetStatus {
    let mut status = TargetStatus {
        target: target.name.clone(),
        state: String::new(),
        control: control(target).to_owned(),
        bounds: String::new(),
        parts: Vec::new(),
    };
    if let Some(alone) = left_alone(target) {
        status.state = alone.state().to_owned();
        return status;
    }
    let Some(declared) = policy::declared(target, namespace, hold) else {
        status.state = "unmanaged".to_owned();
        return status;
    };
    let live = match read_live_in_account(ports, target).await {
        Ok((_, live)) => live,
        Err(error) => {
            status.state = format!("unreadable: {error}");
            return status;
        }
    };
    let changes = policy::reconcile(&declared, &live);
    status.bounds = bounds_text(live.bounds, declared.bounds);
    status.parts = parts(&declared, &live, &changes);
    status.state = if changes.is_empty() {
        "in sync"
    } else {
        "drift"
    }
    .to_owned();
    status
}

/// The live bounds beside the declared ones.
fn bounds_text(live: Option<ScalableBounds>, wanted: ScalableBounds) -> String {
    match live {
        None => format!("declared {}-{}, not registered", wanted.min, wanted.max),
        Some(b) if b == wanted => format!("{}-{}", b.min, b.max),
        Some(b) => format!(
            "{}-{} (declared {}-{})",
            b.min, b.max, wanted.min, wanted.max
        ),
    }
}

/// Each declared policy and alarm with its state, the live policies not Sluice's, and
/// what Sluice still owns but no longer declares.
fn parts(declared: &Declared, live: &Live, changes: &[Change]) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = declared
        .policies
        .iter()
        .map(|spec| (spec.name.clone(), part_state(changes, &spec.name)))
        .collect();
    for live_policy in &live.policies {
        if !live_policy.name.starts_with(OWNED_PREFIX) {
            let state = "not Sluice's: left alone".to_owned();
            parts.push((live_policy.name.clone(), state));
        }
    }
    for alarm in &declared.alarms {
        parts.push((alarm.name.clone(), part_state(changes, &alarm.name)));
    }
    for change in changes {
        if let Change::DeletePolicy { name } | Change::DeleteAlarm { name } = change {
            parts.push((name.clone(), "no longer declared".to_owned()));
        }
    }
    parts
}

/// The loop that sizes `target`, in the words `status` prints.
fn control(target: &Target) -> &'static str {
    use sluice_core::scaling::{Controller, Tracks};
    match (target.scaling.tracks, target.scaling.controller) {
        (Tracks::BacklogPerTask, _) => "backlog-per-task",
        (Tracks::Capacity, Controller::Tracking) => "need, tracking",
        (Tracks::Capacity, Controller::Direct) => "need, direct",
    }
}

/// What `changes` say of the policy or alarm `name`.
fn part_state(changes: &[Change], name: &str) -> String {
    changes
        .iter()
        .find_map(|change| match change {
            Change::PutPolicy { spec, reason } if spec.name == name => Some(drift_word(*reason)),
            Change::PutAlarm { spec, reason, .. } if spec.name == name => Some(drift_word(*reason)),
            _ => None,
        })
        .unwrap_or_else(|| "in sync".to_owned())
}

fn drift_word(drift: Drift) -> String {
    match drift {
        Drift::Missing => "missing".to_owned(),
        other => format!("drift: {other}"),
    }
}

fn print_table(statuses: &[TargetStatus]) {
    let width = statuses.iter().map(|s| s.target.len()).max().unwrap_or(6);
    for status in statuses {
        outln!(
            "{:width$}  {:9}  {}  bounds {}",
            status.target,
            status.state,
            status.control,
            status.bounds
        );
        for (name, state) in &status.parts {
            outln!("{:width$}    {name}: {state}", "");
        }
    }
}
