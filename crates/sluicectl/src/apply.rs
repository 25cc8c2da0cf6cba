//! `sluicectl apply`: validate a file, write its targets and profiles, then reconcile
//! each target's Application Auto Scaling (crate::scaling).

use std::process::ExitCode;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use jiff::Timestamp;
use sluice_aws::{
    Clients, ConfigStore, DynamoStore, ItemKind, PrescaleStates, StartUpRecords, StoredItem,
};
use sluice_core::config::{Document, Target};
use sluice_core::handover;
use sluice_core::prescale::{Hold, OwnWrite};
use sluice_core::profile::{Profile, Schedule};
use sluice_core::startup::{self, StartUps};

use crate::cli::ApplyArgs;
use crate::scaling::{self, ScalingClients};
use crate::table::read_document_for;

pub async fn run(args: ApplyArgs) -> Result<ExitCode> {
    let document = match read_document_for(&args.file, args.env.env.as_deref())? {
        Ok(document) => document,
        Err(code) => return Ok(code),
    };
    let clients = Clients::new(&sluice_aws::load_sdk_config().await);
    if let Err(code) = same_services_at_home(&clients, &document, &args.file).await? {
        return Ok(code);
    }
    let store = DynamoStore::new(clients.dynamodb().clone(), args.table.table.clone());
    if args.prune
        && !args.allow_empty
        && document.targets.is_empty()
        && document.profiles.is_empty()
    {
        refuse_empty_prune(&store, &args.file).await?;
    }
    let owns = prescaler_records(&store).await?;
    let targets = list(&store, ItemKind::Target).await?;
    if let Err(code) = strands_nothing(&targets, &document, &owns, &args) {
        return Ok(code);
    }
    let stored = apply(&store, &document, targets, args.prune, args.dry_run).await?;
    if args.skip_scaling {
        return Ok(ExitCode::SUCCESS);
    }
    let scaling_clients = ScalingClients::new(&clients);
    let ports = scaling_clients.ports();
    let forgotten = if args.prune {
        forgotten_targets(&document, &stored.targets)
    } else {
        Vec::new()
    };
    let starts = start_ups(&store).await;
    let floors = floors_now(
        &document,
        &stored.profiles,
        &starts,
        &owns,
        Timestamp::now(),
    );
    let reconciled = scaling::reconcile_all(
        &ports,
        &document.targets,
        &forgotten,
        &floors,
        &args.cloudwatch.namespace,
        args.dry_run,
    )
    .await;
    Ok(if scaling::print(&reconciled, args.dry_run) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Two targets on one service once the account and region apply runs against fill
/// in what targets leave out (a region spelled out, a role in this very account):
/// refused before anything is written, as `validate`'s problems are.
async fn same_services_at_home(
    clients: &Clients,
    document: &Document,
    file: &str,
) -> Result<Result<(), ExitCode>> {
    let home = sluice_aws::home(&clients.config)
        .await
        .context("cannot tell which account apply runs in (STS GetCallerIdentity)")?;
    let problems = document.same_service_problems(&home);
    if problems.is_empty() {
        return Ok(Ok(()));
    }
    eprintln!(
        "{file}: {} problem(s) in account {} region {}:",
        problems.len(),
        home.account.as_deref().unwrap_or("?"),
        home.region.as_deref().unwrap_or("?")
    );
    for problem in &problems {
        eprintln!("  {problem}");
    }
    Ok(Err(ExitCode::FAILURE))
}

/// A target the file moves to another service, or that --prune deletes, while the
/// prescaler holds a raise on its service: refused before anything is written, unless
/// --leave-raises (then said, for a give-back by hand). sluice_core::handover.
fn strands_nothing(
    stored: &[StoredItem],
    document: &Document,
    owns: &BTreeMap<String, OwnWrite>,
    args: &ApplyArgs,
) -> Result<(), ExitCode> {
    let stored: Vec<Target> = stored
        .iter()
        .filter_map(|item| Target::from_stored(&item.name, &item.spec).ok())
        .collect();
    let stranded = handover::stranded(&stored, &document.targets, args.prune, owns);
    if stranded.is_empty() {
        return Ok(());
    }
    if args.leave_raises {
        for raise in &stranded {
            eprintln!("warning: {raise}: left as --leave-raises asks; give it back by hand");
        }
        return Ok(());
    }
    eprintln!("{}: nothing applied:", args.file);
    for raise in &stranded {
        eprintln!("  {raise}");
    }
    eprintln!(
        "apply again once the prescaler has given it back (at its window's end), or give \
         --leave-raises and give it back by hand"
    );
    Err(ExitCode::FAILURE)
}

/// Stored targets the file no longer names (deleted by --prune): their Sluice-owned
/// policies and alarms go too.
fn forgotten_targets(document: &Document, stored: &[StoredItem]) -> Vec<Target> {
    stored
        .iter()
        .filter(|item| !document.targets.iter().any(|t| t.name == item.name))
        .filter_map(|item| match Target::from_stored(&item.name, &item.spec) {
            Ok(target) => Some(target),
            Err(error) => {
                eprintln!(
                    "warning: stored target {} is unreadable ({error}); its policies are left",
                    item.name
                );
                None
            }
        })
        .collect()
}

/// The floor each target's profile gives now (from the file, else the table), with
/// the lead the prescaler uses (`lead: auto` from the kept start-ups, at the default
/// interval), so an apply during a window keeps the MinCapacity the prescaler raised;
/// and the cap the prescaler holds (`owns`, its records: a window's, or a spent
/// budget's), so an apply never lifts a MaxCapacity the prescaler holds down. The
/// prescaler alone lifts its caps, when their reason ends.
pub fn floors_now(
    document: &Document,
    stored_profiles: &[StoredItem],
    starts: &StartUpsRead,
    owns: &BTreeMap<String, OwnWrite>,
    now: Timestamp,
) -> BTreeMap<String, Hold> {
    let mut floors = BTreeMap::new();
    for target in &document.targets {
        let Some(name) = &target.profile else {
            continue;
        };
        let schedule = match document.profiles.iter().find(|p| &p.name == name) {
            Some(profile) => Schedule::compile(profile, "profile").ok(),
            None => stored_profiles
                .iter()
                .find(|item| &item.name == name)
                .and_then(|item| Profile::from_stored(&item.name, &item.spec).ok()),
        };
        if let Some(schedule) = schedule {
            let kept = starts.as_ref().map(|all| all.get(&target.name));
            let lead = startup::lead(
                &schedule,
                kept.map_err(Clone::clone),
                startup::DEFAULT_INTERVAL_MINUTES,
                now.as_second(),
            );
            let floor = schedule.floor_ahead(now, lead.minutes);
            floors.insert(target.name.clone(), Hold::from(&floor));
        }
    }
    for target in &document.targets {
        // Only a record made on this service and not dated ahead of the clock: an odd
        // one's cap would otherwise become the service's MaxCapacity.
        let own = owns
            .get(&target.name)
            .filter(|own| own.in_force_for(target, now.as_second()));
        if let Some(in_force) = own.and_then(|own| own.capped_to) {
            let hold = floors.entry(target.name.clone()).or_default();
            *hold = hold.keeping_cap(in_force);
        }
    }
    floors
}

/// The prescaler's records of its own writes: the caps it holds. Unread, nothing is
/// applied (an apply would lift them).
pub async fn prescaler_records(store: &DynamoStore) -> Result<BTreeMap<String, OwnWrite>> {
    store.load_all().await.with_context(|| {
        format!(
            "cannot read the prescaler's records in {} (a MaxCapacity it holds down would be \
             lifted): nothing applied",
            store.table()
        )
    })
}

/// Every target's kept start-ups, or why they cannot be read.
pub type StartUpsRead = Result<BTreeMap<String, StartUps>, String>;

pub async fn start_ups(store: &DynamoStore) -> StartUpsRead {
    store.start_ups().await.map_err(|e| e.to_string())
}

/// An empty file with --prune would delete everything: refused, saying how much.
async fn refuse_empty_prune(store: &DynamoStore, file: &str) -> Result<()> {
    let targets = list(store, ItemKind::Target).await?.len();
    let profiles = list(store, ItemKind::Profile).await?.len();
    anyhow::bail!(
        "{file} holds no targets and no profiles: --prune would delete all {targets} targets \
         and {profiles} profiles in {}. Give --allow-empty too if that is what you mean",
        store.table()
    )
}

/// One item the file holds: its kind, name and spec as stored.
type Item<'d> = (ItemKind, &'d str, String);

/// What the table held before the apply.
struct Stored {
    targets: Vec<StoredItem>,
    profiles: Vec<StoredItem>,
}

async fn apply(
    store: &DynamoStore,
    document: &Document,
    stored_targets: Vec<StoredItem>,
    prune: bool,
    dry_run: bool,
) -> Result<Stored> {
    let mut items: Vec<Item<'_>> = Vec::new();
    for target in &document.targets {
        items.push((
            ItemKind::Target,
            &target.name,
            serde_json::to_string(target)?,
        ));
    }
    for profile in &document.profiles {
        items.push((
            ItemKind::Profile,
            &profile.name,
            serde_json::to_string(profile)?,
        ));
    }
    for budget in &document.budgets {
        items.push((
            ItemKind::Budget,
            &budget.name,
            serde_json::to_string(budget)?,
        ));
    }
    let stored = (ItemKind::Target, stored_targets);
    let targets = apply_kind(store, stored, &items, prune, dry_run).await?;
    let stored = (ItemKind::Profile, list(store, ItemKind::Profile).await?);
    let profiles = apply_kind(store, stored, &items, prune, dry_run).await?;
    let stored = (ItemKind::Budget, list(store, ItemKind::Budget).await?);
    apply_kind(store, stored, &items, prune, dry_run).await?;
    for target in &document.targets {
        if let Some(profile) = &target.profile
            && !document.profiles.iter().any(|p| &p.name == profile)
            && (prune || !profiles.iter().any(|p| &p.name == profile))
        {
            eprintln!(
                "warning: target {} names profile {profile}, which is neither in the file nor in the table: the prescaler leaves the target alone until it is applied",
                target.name
            );
        }
    }
    Ok(Stored { targets, profiles })
}

/// The items of one kind the table holds.
async fn list(store: &DynamoStore, kind: ItemKind) -> Result<Vec<StoredItem>> {
    store
        .list(kind)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))
}

/// Writes the file's items of one kind, prunes or keeps the others, and prints one
/// line per item; returns the items stored before.
async fn apply_kind(
    store: &DynamoStore,
    (kind, stored): (ItemKind, Vec<StoredItem>),
    items: &[Item<'_>],
    prune: bool,
    dry_run: bool,
) -> Result<Vec<StoredItem>> {
    let verb = if dry_run { "would be " } else { "" };
    for (_, name, spec) in items.iter().filter(|(k, _, _)| *k == kind) {
        let change = match stored.iter().find(|s| s.name == *name) {
            Some(before) if before.spec == *spec => "unchanged",
            Some(_) => "updated",
            None => "created",
        };
        if !dry_run && change != "unchanged" {
            store.put(kind, name, spec).await?;
        }
        let verb = if change == "unchanged" { "" } else { verb };
        outln!("{} {name}: {verb}{change}", kind.partition());
    }
    let in_file = |name: &str| items.iter().any(|(k, n, _)| *k == kind && *n == name);
    for gone in stored.iter().filter(|s| !in_file(&s.name)) {
        if !prune {
            outln!(
                "{} {}: kept (not in the file; --prune deletes it)",
                kind.partition(),
                gone.name
            );
            continue;
        }
        if !dry_run {
            store.delete(kind, &gone.name).await?;
        }
        outln!(
            "{} {}: {verb}deleted (--prune)",
            kind.partition(),
            gone.name
        );
    }
    Ok(stored)
}
