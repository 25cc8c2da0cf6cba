//! Faults on every AWS call path of every function, injected at the HTTP layer beneath
//! the real SDK (its retries and timeouts included) in front of the emulators.
//!
//! Each cell of the matrix seeds two targets, a victim whose requests meet the fault
//! and a bystander in other resources, runs the function once with the fault and once
//! healed, and asserts, reading ECS and Application Auto Scaling back from moto and
//! metrics from LocalStack:
//! - the bystander completes (unless the call is one both share, and the matrix says so);
//! - the victim is reported, and nothing is changed on facts that could not be read;
//! - the transition is not lost: the healed run completes it, exactly once.
//!
//! The matrix is written to docs/faults.md; this test fails when the document differs
//! from what the run found (SLUICE_BLESS=1 rewrites it).

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use futures::stream::{self, StreamExt};
use serde_json::{Value, json};
use sluice_aws::Clients;
use sluice_core::config::{ActivationMetric, GpuSource, ScaleToZero, Target};
use sluice_core::profile::{Profile, WindowSpec};
use sluice_core::settings::Common;
use sluice_lambda::{Clock, Failure};
use sluice_testkit::faults::{Fault, FaultPlan};
use sluice_testkit::{Emulators, fixture, repo_root, unique};

/// The faults of every row: persistent throttling, 5xx, timeouts and resets (past
/// the SDK's three attempts), one throttle the SDK's retry absorbs, and, for writes,
/// a request that takes effect but whose answer is lost.
fn faults(mutating: bool) -> Vec<Fault> {
    let mut faults = vec![
        Fault::Throttle,
        Fault::ServerError,
        Fault::Timeout,
        Fault::ConnectionReset,
    ];
    if mutating {
        faults.push(Fault::ResponseLost);
    }
    faults
}

/// A call path: the operation, whether only the victim's requests meet the fault (else
/// every request of the operation does), and whether it writes.
struct Path {
    operation: &'static str,
    victim_only: bool,
    mutating: bool,
}

const fn path(operation: &'static str, victim_only: bool, mutating: bool) -> Path {
    Path {
        operation,
        victim_only,
        mutating,
    }
}

struct Row {
    function: &'static str,
    operation: &'static str,
    fault: String,
    outcome: String,
}

impl Row {
    /// The row of `function` for `fault` on `path`, with what the victim and the
    /// bystander saw.
    fn of(
        function: &'static str,
        path: &Path,
        fault: &Fault,
        once: bool,
        (victim, bystander): (&str, &str),
    ) -> Row {
        Row {
            function,
            operation: path.operation,
            fault: fault_label(fault, once),
            outcome: outcome(victim, bystander, path, once),
        }
    }
}

/// Applies the fault to the plan: to the victim's requests (their bodies name it) or
/// to every request of the operation; `times` of them, or all when None.
fn arm(plan: &FaultPlan, path: &Path, victim: &str, fault: &Fault, times: Option<usize>) {
    match (path.victim_only, times) {
        (true, None) => {
            plan.always_for(path.operation, victim, fault.clone());
        }
        (false, None) => {
            plan.always(path.operation, fault.clone());
        }
        (_, Some(times)) => {
            plan.next(path.operation, fault.clone(), times);
        }
    }
}

// ---------------------------------------------------------------- metric publisher

struct PublisherScene {
    emulators: Emulators,
    table: String,
    namespace: String,
    victim: String,
    bystander: String,
    victim_queue: String,
}

async fn publisher_scene(emulators: Emulators) -> Result<PublisherScene> {
    let victim_scene = emulators.one_service("fv", 2).await?;
    let bystander_scene = emulators.one_service("fb", 1).await?;
    emulators
        .send_messages(&victim_scene.queue_url, 4, 0)
        .await?;
    let gpu = GpuSource {
        namespace: unique("FaultGpu"),
        ..GpuSource::agent([("ServiceName", victim_scene.service.as_str())])
    };
    emulators
        .put_readings(&gpu.namespace, &gpu.metric, &gpu.dimensions, &[(0, 40.0)])
        .await?;
    let victim = victim_scene.service.clone();
    let bystander = bystander_scene.service.clone();
    let targets = [
        Target::new(&victim, &victim_scene.cluster, &victim_scene.service)
            .with_queues([victim_scene.queue.clone()])
            .with_capacity(0, 10)
            .with_gpu(gpu),
        Target::new(
            &bystander,
            &bystander_scene.cluster,
            &bystander_scene.service,
        )
        .with_queues([bystander_scene.queue.clone()])
        .with_capacity(0, 10),
    ];
    emulators
        .store_targets(&victim_scene.store, &targets)
        .await?;
    Ok(PublisherScene {
        emulators,
        table: victim_scene.table,
        namespace: unique("FaultPub"),
        victim,
        bystander,
        victim_queue: victim_scene.queue,
    })
}

async fn run_publisher(scene: &PublisherScene, clients: &Clients) -> Result<Value> {
    let settings = metric_publisher::Settings::of(Common {
        namespace: scene.namespace.clone(),
        ..Common::for_table(&scene.table)
    });
    let publisher = metric_publisher::Publisher::new(clients, settings);
    Ok(match publisher.handle(&json!({})).await {
        Ok(summary) => serde_json::to_value(summary)?,
        Err(error) => json!({ "error": error.diagnostic().error_type }),
    })
}

fn publisher_status(summary: &Value, target: &str) -> String {
    if let Some(error) = summary["error"].as_str() {
        return format!("invocation failed ({error})");
    }
    let report = summary["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == target);
    let Some(report) = report else {
        return "not reported".to_owned();
    };
    let warned = |about: &str| {
        report["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|w| w.as_str().is_some_and(|w| w.starts_with(about)))
    };
    // Metrics that are best effort: published without them, the rest stands.
    let missing: Vec<&str> = [
        ("GPU metrics not published", "GPU"),
        ("ScalingChanges not published", "ScalingChanges"),
    ]
    .into_iter()
    .filter(|(warning, _)| warned(warning))
    .map(|(_, metric)| metric)
    .collect();
    let status = report["outcome"].as_str().unwrap_or("?");
    if missing.is_empty() {
        status.to_owned()
    } else {
        format!("{status} without {}", missing.join(" and "))
    }
}

async fn publisher_cell(path: &Path, fault: Fault, once: bool) -> Result<Row> {
    let scene = publisher_scene(Emulators::connect().await?).await?;
    let plan = FaultPlan::new();
    let needle = if path.operation.starts_with("SQS.") {
        &scene.victim_queue
    } else {
        &scene.victim
    };
    arm(&plan, path, needle, &fault, once.then_some(1));
    let faulted = run_publisher(&scene, &scene.emulators.clients_with_faults(&plan)?).await?;
    ensure!(plan.faulted(path.operation) > 0, "the fault never hit");
    let (victim, bystander) = (
        publisher_status(&faulted, &scene.victim),
        publisher_status(&faulted, &scene.bystander),
    );
    if path.victim_only && !once {
        // The desired-count histories of all targets share one GetMetricData call:
        // when the victim's call fails, the bystander loses only that best-effort count.
        let shared = bystander == "published without ScalingChanges"
            && path.operation == "CloudWatch.GetMetricData";
        ensure!(bystander == "published" || shared, "bystander: {faulted:#}");
    }
    // What CloudWatch holds for the victim is never a guess: a failed read publishes
    // nothing for it, a failed GPU read no GPU metric.
    let held = scene
        .emulators
        .published(&scene.namespace, &scene.victim)
        .await?;
    if victim == "failed" || victim == "unread" {
        ensure!(held.is_empty(), "{victim}: published {held:?}");
    }
    if victim.contains("without GPU") {
        ensure!(!held.contains_key("GpuUtilizationAverage"), "{held:?}");
    }
    plan.heal();
    let healed = run_publisher(&scene, &scene.emulators.clients_with_faults(&plan)?).await?;
    ensure!(
        publisher_status(&healed, &scene.victim) == "published",
        "healed: {healed:#}"
    );
    let held = scene
        .emulators
        .published(&scene.namespace, &scene.victim)
        .await?;
    ensure!(
        held.get("BacklogPerTask") == Some(&2.0)
            && held.get("GpuUtilizationAverage") == Some(&40.0),
        "healed run read back: {held:?}"
    );
    Ok(Row::of(
        "metric-publisher",
        path,
        &fault,
        once,
        (&victim, &bystander),
    ))
}

// ---------------------------------------------------------------- zero-watcher

struct WatcherScene {
    emulators: Emulators,
    table: String,
    victim: (String, String),
    bystander: (String, String),
    victim_queue: String,
    victim_metric_namespace: String,
}

/// Both asleep with a message waiting; the victim also has an activation metric (so
/// its GetMetricData call is its own) and a scalable target.
async fn watcher_scene(emulators: Emulators) -> Result<WatcherScene> {
    let v = emulators.one_service("wv", 0).await?;
    let b = emulators.one_service("wb", 0).await?;
    for url in [&v.queue_url, &b.queue_url] {
        emulators.send_messages(url, 1, 0).await?;
    }
    emulators
        .register_scalable_target(&v.cluster, &v.service, 0, 5)
        .await?;
    let zero = |metric: Option<ActivationMetric>| ScaleToZero {
        metric,
        ..ScaleToZero::default()
    };
    let metric_namespace = unique("FaultLag");
    let metric = ActivationMetric {
        namespace: metric_namespace.clone(),
        metric: "Lag".into(),
        dimensions: Default::default(),
        statistic: "Maximum".into(),
        threshold: 100.0,
        rate: false,
    };
    let targets = [
        Target::new(&v.service, &v.cluster, &v.service)
            .with_queues([v.queue.clone()])
            .with_capacity(0, 5)
            .with_scale_to_zero(zero(Some(metric))),
        Target::new(&b.service, &b.cluster, &b.service)
            .with_queues([b.queue.clone()])
            .with_capacity(0, 5)
            .with_scale_to_zero(zero(None)),
    ];
    emulators.store_targets(&v.store, &targets).await?;
    Ok(WatcherScene {
        emulators,
        table: v.table,
        victim: (v.cluster, v.service),
        bystander: (b.cluster, b.service),
        victim_queue: v.queue,
        victim_metric_namespace: metric_namespace,
    })
}

async fn run_watcher(scene: &WatcherScene, clients: &Clients) -> Result<Value> {
    run_watcher_at(scene, clients, 0).await
}

/// The watcher with its clock `later` seconds ahead.
async fn run_watcher_at(scene: &WatcherScene, clients: &Clients, later: i64) -> Result<Value> {
    let settings = zero_watcher::Settings::one_look(Common::for_table(&scene.table));
    let watcher = zero_watcher::Watcher::new(clients, settings);
    let clock = sluice_lambda::FixedClock::at(sluice_lambda::SystemClock.now() + later);
    let event = fixture("zero-watcher/scheduler.json")?;
    Ok(match watcher.handle_at(&event, &clock, None).await {
        Ok(report) => serde_json::to_value(report)?,
        Err(error) => json!({ "error": error.diagnostic().error_type }),
    })
}

/// The outcome a report gives `target` in its list `entries` (each entry names its
/// target under "target"), or the invocation's failure.
fn outcome_of(report: &Value, entries: &str, target: &str) -> String {
    if let Some(error) = report["error"].as_str() {
        return format!("invocation failed ({error})");
    }
    report[entries]
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| entry["target"] == target)
        .and_then(|entry| entry["outcome"].as_str())
        .unwrap_or("not reported")
        .to_owned()
}

fn watcher_status(report: &Value, target: &str) -> String {
    outcome_of(report, "decisions", target)
}

async fn watcher_cell(path: &Path, fault: Fault, once: bool) -> Result<Row> {
    let scene = watcher_scene(Emulators::connect().await?).await?;
    let (vc, vs) = &scene.victim;
    let plan = FaultPlan::new();
    let needle = match path.operation {
        op if op.starts_with("SQS.") => &scene.victim_queue,
        "CloudWatch.GetMetricData" => &scene.victim_metric_namespace,
        _ => vs,
    };
    arm(&plan, path, needle, &fault, once.then_some(1));
    let faulted = run_watcher(&scene, &scene.emulators.clients_with_faults(&plan)?).await?;
    ensure!(plan.faulted(path.operation) > 0, "the fault never hit");
    let (victim, bystander) = (
        watcher_status(&faulted, vs),
        watcher_status(&faulted, &scene.bystander.1),
    );
    let desired = scene.emulators.desired_count(vc, vs).await?;
    match victim.as_str() {
        // Unread facts change nothing.
        "unread" => ensure!(desired == 0, "unread but desired {desired}"),
        // ECS was never reached, or its answer was lost after it took the wake.
        "failed" => ensure!(
            desired == 0 || fault == Fault::ResponseLost,
            "failed but desired {desired}"
        ),
        _ => {}
    }
    if path.victim_only && !once {
        ensure!(bystander == "woke", "bystander: {faulted:#}");
    }
    let sent_before_heal = plan.sent("ECS.UpdateService");
    plan.heal();
    // The next look after a claim's lease: a claim whose write landed unseen (its
    // answer lost) holds until then, by design.
    let lease = sluice_core::zero::CLAIM_LEASE_SECONDS;
    let healed =
        run_watcher_at(&scene, &scene.emulators.clients_with_faults(&plan)?, lease).await?;
    let desired = scene.emulators.desired_count(vc, vs).await?;
    ensure!(
        desired == 1,
        "not lost: healed run leaves desired {desired}: {healed:#}"
    );
    let healed_status = watcher_status(&healed, vs);
    ensure!(
        healed_status == "woke" || victim == "woke" || fault == Fault::ResponseLost,
        "the wake happens once: first {victim}, then {healed_status}"
    );
    // Never twice: a wake already made is not made again by the healed run.
    if victim == "woke" {
        ensure!(
            plan.sent("ECS.UpdateService") == sent_before_heal,
            "woken twice: {healed:#}"
        );
    }
    Ok(Row::of(
        "zero-watcher",
        path,
        &fault,
        once,
        (&victim, &bystander),
    ))
}

// ---------------------------------------------------------------- prescaler

struct PrescalerScene {
    emulators: Emulators,
    table: String,
    victim_queue: String,
    /// With a scalable target: the floor is its MinCapacity.
    victim: (String, String),
    /// Without one: the floor is desiredCount.
    bystander: (String, String),
}

async fn prescaler_scene(emulators: Emulators) -> Result<PrescalerScene> {
    let v = emulators.one_service("pv", 1).await?;
    let b = emulators.one_service("pb", 1).await?;
    emulators
        .register_scalable_target(&v.cluster, &v.service, 1, 10)
        .await?;
    let profile = Profile::new(
        unique("fault-profile"),
        "Europe/Berlin",
        10,
        vec![WindowSpec {
            days: vec!["mon".into()],
            start: Some("08:00".into()),
            end: Some("18:00".into()),
            min_tasks: 4.0,
            ..WindowSpec::default()
        }],
    );
    emulators.store_profile(&v.store, &profile).await?;
    let target = |scene: &sluice_testkit::OneService| {
        Target::new(&scene.service, &scene.cluster, &scene.service)
            .with_queues([scene.queue.clone()])
            .with_capacity(1, 10)
            .with_profile(&profile.name)
    };
    emulators
        .store_targets(&v.store, &[target(&v), target(&b)])
        .await?;
    Ok(PrescalerScene {
        emulators,
        table: v.table,
        victim_queue: v.queue.clone(),
        victim: (v.cluster, v.service),
        bystander: (b.cluster, b.service),
    })
}

async fn run_prescaler(scene: &PrescalerScene, clients: &Clients) -> Result<Value> {
    let settings = prescaler::Settings::of(Common::for_table(&scene.table));
    let prescaler = prescaler::Prescaler::new(clients, settings);
    let event = json!({"at": "2026-11-30T09:00:00+01:00", "apply": true});
    Ok(match prescaler.handle(&event).await {
        Ok(report) => serde_json::to_value(report)?,
        Err(error) => json!({ "error": error.diagnostic().error_type }),
    })
}

fn prescaler_status(report: &Value, target: &str) -> String {
    outcome_of(report, "targets", target)
}

async fn prescaler_cell(path: &Path, fault: Fault, once: bool) -> Result<Row> {
    let scene = prescaler_scene(Emulators::connect().await?).await?;
    let ((vc, vs), (bc, bs)) = (&scene.victim, &scene.bystander);
    let plan = FaultPlan::new();
    // The victim of desired-count paths (UpdateService, the own-write record) is the
    // target without a scalable target.
    let victim_name = if matches!(path.operation, "ECS.UpdateService" | "DynamoDB.PutItem") {
        bs
    } else {
        vs
    };
    let needle = if path.operation.starts_with("SQS.") {
        &scene.victim_queue
    } else {
        victim_name
    };
    arm(&plan, path, needle, &fault, once.then_some(1));
    let faulted = run_prescaler(&scene, &scene.emulators.clients_with_faults(&plan)?).await?;
    ensure!(plan.faulted(path.operation) > 0, "the fault never hit");
    let other_name = if victim_name == vs { bs } else { vs };
    let (victim, bystander) = (
        prescaler_status(&faulted, victim_name),
        prescaler_status(&faulted, other_name),
    );
    let bounds = scene.emulators.scalable_bounds(vc, vs).await?;
    let desired = scene.emulators.desired_count(bc, bs).await?;
    if victim == "unread" {
        ensure!(
            bounds == (1, 10) || victim_name == bs,
            "unread, bounds {bounds:?}"
        );
        ensure!(
            desired == 1 || victim_name == vs,
            "unread, desired {desired}"
        );
    }
    if path.victim_only && !once {
        ensure!(bystander == "changed", "bystander: {faulted:#}");
    }
    plan.heal();
    let healed = run_prescaler(&scene, &scene.emulators.clients_with_faults(&plan)?).await?;
    let bounds = scene.emulators.scalable_bounds(vc, vs).await?;
    let desired = scene.emulators.desired_count(bc, bs).await?;
    ensure!(
        bounds == (4, 10) && desired == 4,
        "the floor holds after a healed run: bounds {bounds:?}, desired {desired}: {healed:#}"
    );
    Ok(Row::of(
        "prescaler",
        path,
        &fault,
        once,
        (&victim, &bystander),
    ))
}

// ---------------------------------------------------------------- the matrix

fn fault_label(fault: &Fault, once: bool) -> String {
    if once {
        format!("{}, once", fault.label())
    } else {
        fault.label().to_owned()
    }
}

fn outcome(victim: &str, bystander: &str, path: &Path, once: bool) -> String {
    let first = if once {
        format!("{victim} (the SDK's retry absorbed it)")
    } else if path.victim_only {
        format!("victim {victim}; bystander {bystander}")
    } else {
        format!("every target: {victim}")
    };
    format!("{first}; healed run completes it")
}

/// What each function calls, as (operation, victim only, mutating): see [`Path`].
const PUBLISHER_CALLS: &[(&str, bool, bool)] = &[
    ("DynamoDB.Query", false, false),
    ("SQS.GetQueueUrl", true, false),
    ("SQS.GetQueueAttributes", true, false),
    ("ECS.DescribeServices", true, false),
    ("CloudWatch.GetMetricData", true, false),
    ("CloudWatch.PutMetricData", false, true),
];
const WATCHER_CALLS: &[(&str, bool, bool)] = &[
    ("DynamoDB.Query", false, false),
    ("SQS.GetQueueUrl", true, false),
    ("SQS.GetQueueAttributes", true, false),
    ("ECS.DescribeServices", true, false),
    (
        "ApplicationAutoScaling.DescribeScalableTargets",
        false,
        false,
    ),
    ("CloudWatch.GetMetricData", true, false),
    ("DynamoDB.PutItem", true, true),
    ("ECS.UpdateService", true, true),
];
const PRESCALER_CALLS: &[(&str, bool, bool)] = &[
    ("DynamoDB.Query", false, false),
    ("SQS.GetQueueAttributes", true, false),
    ("ECS.DescribeServices", true, false),
    (
        "ApplicationAutoScaling.DescribeScalableTargets",
        false,
        false,
    ),
    ("ApplicationAutoScaling.RegisterScalableTarget", true, true),
    ("DynamoDB.PutItem", true, true),
    ("ECS.UpdateService", true, true),
    ("CloudWatch.PutMetricData", false, true),
];

fn paths(function: &str) -> Vec<Path> {
    let calls = match function {
        "metric-publisher" => PUBLISHER_CALLS,
        "zero-watcher" => WATCHER_CALLS,
        _ => PRESCALER_CALLS,
    };
    calls
        .iter()
        .map(|(operation, victim_only, mutating)| path(operation, *victim_only, *mutating))
        .collect()
}

async fn cell(function: &'static str, path: Path, fault: Fault, once: bool) -> Result<Row> {
    let label = format!(
        "{function} {} {}",
        path.operation,
        fault_label(&fault, once)
    );
    let row = match function {
        "metric-publisher" => publisher_cell(&path, fault, once).await,
        "zero-watcher" => watcher_cell(&path, fault, once).await,
        _ => prescaler_cell(&path, fault, once).await,
    };
    row.with_context(|| label)
}

#[tokio::test]
async fn every_call_path_keeps_its_promises_under_faults() -> Result<()> {
    let mut cells = Vec::new();
    for function in ["metric-publisher", "zero-watcher", "prescaler"] {
        for p in paths(function) {
            cells.push((
                function,
                path(p.operation, p.victim_only, p.mutating),
                Fault::Throttle,
                true,
            ));
            for fault in faults(p.mutating) {
                cells.push((
                    function,
                    path(p.operation, p.victim_only, p.mutating),
                    fault,
                    false,
                ));
            }
        }
    }
    let rows: Vec<Result<Row>> = stream::iter(cells)
        .map(|(function, path, fault, once)| cell(function, path, fault, once))
        .buffered(6)
        .collect()
        .await;
    let mut failures = Vec::new();
    let mut table = String::new();
    for row in rows {
        match row {
            Ok(row) => table.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                row.function, row.operation, row.fault, row.outcome
            )),
            Err(error) => failures.push(format!("{error:#}")),
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} cell(s) broke a promise:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    check_document(&table)
}

/// docs/faults.md holds the matrix between its markers; it must be what this run found.
fn check_document(table: &str) -> Result<()> {
    const START: &str = "<!-- matrix: generated by tests/faults.rs -->\n";
    const END: &str = "<!-- end of matrix -->";
    let path = repo_root().join("docs/faults.md");
    let text = std::fs::read_to_string(&path).context("docs/faults.md")?;
    let (head, rest) = text.split_once(START).context("matrix start marker")?;
    let (_, tail) = rest.split_once(END).context("matrix end marker")?;
    let header = "| function | call | fault | outcome |\n|---|---|---|---|\n";
    let wanted = format!("{head}{START}{header}{table}{END}{tail}");
    if wanted == text {
        return Ok(());
    }
    if std::env::var_os("SLUICE_BLESS").is_some() {
        std::fs::write(&path, wanted)?;
        return Ok(());
    }
    bail!(
        "docs/faults.md does not show the matrix this run found: rerun with SLUICE_BLESS=1 and review the diff"
    )
}

/// Random faults on every call at once, seeded: whatever fails, a target with work
/// never sleeps, nothing moves on unread facts, and once healed everything converges.
#[tokio::test]
async fn random_faults_never_break_a_promise() -> Result<()> {
    let scene = watcher_scene(Emulators::connect().await?).await?;
    let operations = [
        "DynamoDB.Query",
        "DynamoDB.PutItem",
        "SQS.GetQueueUrl",
        "SQS.GetQueueAttributes",
        "ECS.DescribeServices",
        "ECS.UpdateService",
        "ApplicationAutoScaling.DescribeScalableTargets",
        "CloudWatch.GetMetricData",
    ];
    let all = [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Timeout,
        Fault::ConnectionReset,
        Fault::ResponseLost,
    ];
    let mut seed: u64 = 0x5eed_5100;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n
    };
    for round in 0..12 {
        let plan = FaultPlan::new();
        for _ in 0..3 {
            let operation = operations[next(operations.len())];
            plan.next(operation, all[next(all.len())].clone(), 1 + next(4));
        }
        let _ = run_watcher(&scene, &scene.emulators.clients_with_faults(&plan)?).await?;
        for (cluster, service) in [&scene.victim, &scene.bystander] {
            let desired = scene.emulators.desired_count(cluster, service).await?;
            ensure!(desired <= 1, "round {round}: {service} desired {desired}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let healed = FaultPlan::new();
    for _ in 0..2 {
        run_watcher(&scene, &scene.emulators.clients_with_faults(&healed)?).await?;
    }
    for (cluster, service) in [&scene.victim, &scene.bystander] {
        let desired = scene.emulators.desired_count(cluster, service).await?;
        ensure!(
            desired == 1,
            "{service}: work waits, yet desired {desired} after healing"
        );
    }
    Ok(())
}
