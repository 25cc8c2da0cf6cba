//! Targets in other accounts, against the emulators. moto's STS AssumeRole issues
//! credentials for any role, and moto files what those credentials touch under the
//! role's account: a queue or service made in the member account is not there for
//! the stack's own credentials, so reading it proves the role was used.
//!
//! What the emulators do not check: moto assumes any role, so trust policies,
//! external ids and the role's own permissions are not tested here (the member-role
//! template is checked by cfn-lint and checkov instead); a refused role is injected
//! at the HTTP layer as STS's AccessDenied. LocalStack keeps one CloudWatch for every
//! temporary key, so the copy of the policy metrics in the member account is proven
//! by the requests signed with the role's credentials, not by a separate store.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use metric_publisher::Publisher;
use serde_json::json;
use sluice_aws::{Account, Accounts, AssumedAccounts, Assumer, SqsQueues};
use sluice_core::config::{ScaleToZero, Target};
use sluice_core::settings::Common;
use sluice_testkit::faults::{Fault, FaultPlan};
use sluice_testkit::probe::InFlightProbe;
use sluice_testkit::{Emulators, business_hours, unique};

const MEMBER_ROLE: &str = "arn:aws:iam::111122223333:role/sluice-member";
const REFUSED_ROLE: &str = "arn:aws:iam::444455556666:role/sluice-refused";

/// The member account's service as a target of its own name, scaled on its queue at
/// `per_task` messages a task within `(min, max)`.
fn team(
    cluster: &str,
    service: &str,
    queue: String,
    (min, max): (u32, u32),
    per_task: f64,
) -> Target {
    Target::new(&unique("team"), cluster, service)
        .with_queues([queue])
        .with_capacity(min, max)
        .with_backlog_per_task(per_task)
}

/// A service running `running` tasks and a queue holding `messages`, in the member
/// account: (cluster, service, queue).
async fn member_service(
    member: &Emulators,
    running: i32,
    messages: usize,
) -> Result<(String, String, String)> {
    let cluster = unique("team-cluster");
    member.create_cluster(&cluster).await?;
    let service = unique("team-svc");
    member
        .create_running_service(&cluster, &service, running)
        .await?;
    let queue = unique("team-q");
    let url = member.create_queue(&queue).await?;
    member.send_messages(&url, messages, 0).await?;
    Ok((cluster, service, queue))
}

fn common(table: &str, namespace: &str) -> Common {
    Common {
        namespace: namespace.to_owned(),
        concurrency: 8,
        ..Common::for_table(table)
    }
}

/// The watcher's settings for one look (no polling) over `table`.
fn watcher_settings(table: &str) -> zero_watcher::Settings {
    zero_watcher::Settings::one_look(common(table, &unique("SluiceAccounts")))
}

#[tokio::test]
async fn the_publisher_reads_each_target_in_its_account_and_a_refused_role_fails_only_its_own()
-> Result<()> {
    let home = Emulators::connect().await?;
    let member = home.in_account(MEMBER_ROLE).await?;
    let (cluster, service, queue) = member_service(&member, 2, 10).await?;
    assert!(
        home.queue_url(&queue).await.is_err(),
        "the queue is the member account's alone"
    );
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let team = team(&cluster, &service, queue, (0, 20), 5.0).in_account(MEMBER_ROLE, None);
    let refused = Target::new(&unique("refused"), &cluster, &service)
        .with_capacity(0, 20)
        .in_account(REFUSED_ROLE, None);
    home.store_targets(&store, &[team.clone(), refused.clone()])
        .await?;
    let plan = FaultPlan::new();
    plan.always_for("STS.AssumeRole", "sluice-refused", Fault::AccessDenied);
    let namespace = unique("SluiceAccounts");
    let settings = metric_publisher::Settings {
        common: common(&table, &namespace),
        ..metric_publisher::Settings::for_table(&table)
    };
    let publisher = Publisher::new(&home.clients_with_faults(&plan)?, settings);

    for run in 0..2 {
        let summary = publisher.handle(&json!({})).await?;
        assert_eq!(
            (summary.published_targets, summary.failed_targets),
            (1, 1),
            "run {run}"
        );
        let lost = summary.targets.iter().find(|t| t.name == refused.name);
        let error = lost.and_then(|t| t.error.clone()).unwrap_or_default();
        assert!(error.contains(REFUSED_ROLE), "names the role: {error}");
    }

    let published = home.published(&namespace, &team.name).await?;
    assert_eq!(published.get("BacklogPerTask"), Some(&5.0), "{published:?}");
    assert_eq!(published.get("RunningTasks"), Some(&2.0));
    let fleet = home.published_fleet_wide(&namespace).await?;
    assert_eq!(fleet.get("TargetsFailed"), Some(&1.0), "{fleet:?}");
    assert_eq!(
        plan.sent("STS.AssumeRole"),
        3,
        "the member role assumed once for both runs; the refused one tried each run"
    );
    assert!(plan.sent_as_assumed_role("SQS.GetQueueAttributes") >= 2);
    assert!(plan.sent_as_assumed_role("ECS.DescribeServices") >= 2);
    assert_eq!(
        plan.sent_as_assumed_role("CloudWatch.PutMetricData"),
        2,
        "one copy of the policy metrics per run, in the member account"
    );
    Ok(())
}

#[tokio::test]
async fn the_watcher_wakes_a_service_in_its_own_account() -> Result<()> {
    let home = Emulators::connect().await?;
    let member = home.in_account(MEMBER_ROLE).await?;
    let (cluster, service, queue) = member_service(&member, 0, 3).await?;
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let team = team(&cluster, &service, queue, (0, 4), 10.0)
        .with_scale_to_zero(ScaleToZero {
            wake_tasks: 1,
            ..ScaleToZero::default()
        })
        .in_account(MEMBER_ROLE, Some("us-east-1"));
    home.store_targets(&store, std::slice::from_ref(&team))
        .await?;
    let watcher = zero_watcher::Watcher::new(&home.clients, watcher_settings(&table));

    let report = watcher
        .handle(&json!({"source": "sluice.scheduler"}))
        .await?;

    assert_eq!(
        report.decisions[0].outcome,
        zero_watcher::watch::Effect::Done(zero_watcher::watch::Zero::Wake),
        "{report:?}"
    );
    assert_eq!(member.desired_count(&cluster, &service).await?, 1);
    Ok(())
}

/// The idle clock's polls read an awake service's queue in its own account, and the
/// full look at the poll its wait ends sleeps it there: woken, its message taken and
/// its start-up measured (moto's, under a second, so the wait is a poll's 5 s), a
/// polling invocation finds it idle and sleeps it before the window closes.
#[tokio::test]
async fn the_watcher_sleeps_a_service_in_its_own_account_at_a_poll() -> Result<()> {
    let home = Emulators::connect().await?;
    let member = home.in_account(MEMBER_ROLE).await?;
    let (cluster, service, queue) = member_service(&member, 0, 1).await?;
    let url = member.queue_url(&queue).await?;
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let team = team(&cluster, &service, queue, (0, 4), 10.0)
        .with_scale_to_zero(ScaleToZero::default())
        .in_account(MEMBER_ROLE, Some("us-east-1"));
    home.store_targets(&store, std::slice::from_ref(&team))
        .await?;
    let look = zero_watcher::Watcher::new(&home.clients, watcher_settings(&table));
    let scheduled = json!({"source": "sluice.scheduler"});
    use zero_watcher::watch::{Effect, Zero};
    assert_eq!(
        look.handle(&scheduled).await?.decisions[0].outcome,
        Effect::Done(Zero::Wake)
    );
    assert_eq!(member.consume(&url, 1).await?, 1);
    let measured = look.handle(&scheduled).await?;
    assert!(
        measured.decisions[0].start_latency_seconds.is_some(),
        "{measured:?}"
    );
    let polling = zero_watcher::Settings {
        poll_window_seconds: 8,
        ..watcher_settings(&table)
    };
    let report = zero_watcher::Watcher::new(&home.clients, polling)
        .handle(&scheduled)
        .await?;
    let slept = report
        .decisions
        .iter()
        .find(|d| d.outcome == Effect::Done(Zero::Sleep));
    assert!(slept.is_some_and(|d| d.pass >= 1), "{report:?}");
    assert_eq!(member.desired_count(&cluster, &service).await?, 0);
    Ok(())
}

/// Log lines written into memory, to read back what a run logged.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|all| String::from_utf8_lossy(&all).into_owned())
            .unwrap_or_default()
    }
}

/// No level logs a secret. The watcher reaches a member account through a role with
/// an external id, logging at TRACE through the functions' filter
/// (`sluice_lambda::serve::log_filter`) and, beside it, with no filter at all: the
/// unfiltered log carries what the SDK writes at TRACE (STS's request with the external
/// id), so the check can fail; the functions' log carries neither the external id nor
/// the credentials STS returned.
#[tokio::test]
async fn no_log_level_writes_the_external_id_or_credentials() -> Result<()> {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    const EXTERNAL_ID: &str = "team-a-external-7f3c9e";
    let home = Emulators::connect().await?;
    let member = home.in_account(MEMBER_ROLE).await?;
    let (cluster, service, queue) = member_service(&member, 0, 3).await?;
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let mut team = team(&cluster, &service, queue, (0, 4), 10.0)
        .with_scale_to_zero(ScaleToZero::default())
        .in_account(MEMBER_ROLE, None);
    team.external_id = Some(EXTERNAL_ID.to_owned());
    home.store_targets(&store, std::slice::from_ref(&team))
        .await?;
    let watcher = zero_watcher::Watcher::new(&home.clients, watcher_settings(&table));
    let (ours, everything) = (Captured::default(), Captured::default());
    let (a, b) = (ours.clone(), everything.clone());
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || a.clone())
                .with_filter(sluice_lambda::serve::log_filter(LevelFilter::TRACE)),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || b.clone())
                .with_filter(LevelFilter::TRACE),
        );
    let report = {
        let _logging = tracing::subscriber::set_default(subscriber);
        watcher
            .handle(&json!({"source": "sluice.scheduler"}))
            .await?
    };
    assert_eq!(
        report.decisions[0].outcome,
        zero_watcher::watch::Effect::Done(zero_watcher::watch::Zero::Wake),
        "{report:?}"
    );
    let (ours, everything) = (ours.text(), everything.text());
    assert!(
        everything.contains(EXTERNAL_ID),
        "the SDK writes STS's request at TRACE: the check below can fail"
    );
    assert!(
        ours.lines().count() > 0,
        "the functions' own events are logged"
    );
    for secret in [
        EXTERNAL_ID,
        "SecretAccessKey",
        "SessionToken",
        "x-amz-security-token",
    ] {
        assert!(
            !ours.to_lowercase().contains(&secret.to_lowercase()),
            "{secret} in the log: {}",
            ours.lines()
                .find(|l| l.to_lowercase().contains(&secret.to_lowercase()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Each function assumes a member role as itself: its session is named after it and
/// tagged `sluice-function=<it>`, the tag the member role grants each one's calls by
/// (infra/examples/member-account-role.yaml). Read from moto's own record of the
/// AssumeRole requests: a real function (the watcher's poll) and each other assumer.
#[tokio::test]
async fn each_function_assumes_a_member_role_as_itself() -> Result<()> {
    let home = Emulators::connect().await?;
    sluice_testkit::moto_recorder::start()?;
    let role = |name: &str| format!("arn:aws:iam::111122223333:role/{}", unique(name));
    let asked = |role: &str, who: &str| {
        let encoded = role.replace(':', "%3A").replace('/', "%2F");
        sluice_testkit::moto_recorder::count_form(
            "AssumeRole",
            &[
                &format!("RoleArn={encoded}"),
                &format!("RoleSessionName=sluice-{who}"),
                "Tags.member.1.Key=sluice-function",
                &format!("Tags.member.1.Value={who}"),
            ],
        )
    };

    let watcher_role = role("watcher-role");
    let member = home.in_account(&watcher_role).await?;
    let (cluster, service, queue) = member_service(&member, 0, 1).await?;
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let team = team(&cluster, &service, queue, (0, 4), 10.0)
        .with_scale_to_zero(ScaleToZero::default())
        .in_account(&watcher_role, None);
    home.store_targets(&store, std::slice::from_ref(&team))
        .await?;
    zero_watcher::Watcher::new(&home.clients, watcher_settings(&table))
        .handle(&json!({"source": "sluice.scheduler"}))
        .await?;
    assert_eq!(asked(&watcher_role, "watcher")?, 1, "the watcher's poll");

    for assumer in [Assumer::Publisher, Assumer::Prescaler, Assumer::Operator] {
        let role = role(assumer.name());
        let accounts = AssumedAccounts::new(home.config.clone(), 2, assumer, |_| Account::unused());
        let place = Target::new("t", "c", "s").in_account(&role, None).place();
        accounts.at(&place).await?;
        assert_eq!(asked(&role, assumer.name())?, 1, "{assumer:?}");
    }
    Ok(())
}

/// Issue 23 item 6: waiting for a `SLUICE_CONCURRENCY` permit must not count against
/// the SDK's timeouts, or under slow AWS the requests queued behind the first ones
/// time out without ever being sent. One request in flight at a time, each held 1.5 s
/// beneath the SDK (a slow region); three reads of two requests each: the last waits
/// 7.5 s for its turn, more than the 5 s a request may take and more than the SDK's
/// grace for a stalled upload, and must still be sent, once, and answered. Before
/// the fix, reads failed with "operation timeout" and requests were sent again. Prints
/// how long each read took.
#[tokio::test]
async fn a_request_waiting_for_its_turn_is_not_timed_out_by_the_wait() -> Result<()> {
    use sluice_aws::QueueDepths;
    let home = Emulators::connect().await?;
    let queue = unique("slow-q");
    home.create_queue(&queue).await?;
    let probe = InFlightProbe::with_delay(Duration::from_millis(1500));
    let clients = sluice_aws::Clients::limited(&home.config_with_probe(&probe), Some(1));
    let queues = SqsQueues::new(clients.sqs().clone());
    let started = std::time::Instant::now();
    let reads = (0..3).map(|_| async {
        let read = queues.queue_depth(&queue).await;
        (read, started.elapsed())
    });
    let results = futures::future::join_all(reads).await;
    for (index, (read, took)) in results.iter().enumerate() {
        println!(
            "read {index}: {:.1} s, {:?}",
            took.as_secs_f64(),
            read.as_ref().err()
        );
    }
    for (index, (read, _)) in results.iter().enumerate() {
        assert!(
            read.is_ok(),
            "read {index} failed: {:?}",
            read.as_ref().err()
        );
    }
    assert_eq!(probe.most(), 1, "one in flight at a time");
    Ok(())
}

/// Issue 23 item 4: records are kept by target name, so a target moved to another
/// account took its old service's record for its new one's: after the window the
/// prescaler "gave back" a raise it never made, on the new service (desiredCount, a
/// service without a scalable target). Now the record names the service it was made
/// on; on the new service it is not ours (left as it is, read back from moto), and
/// the raise left on the old one is said and counted failed.
#[tokio::test]
async fn a_target_moved_to_another_account_does_not_take_its_old_record_along() -> Result<()> {
    let home = Emulators::connect().await?;
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let cluster = unique("moving-cluster");
    let service = unique("moving-svc");
    home.create_cluster(&cluster).await?;
    // No scalable targets: the prescaler holds its floor as desiredCount, and after
    // the window gives back only what its record says it raised.
    home.create_running_service(&cluster, &service, 1).await?;
    let member = home.in_account(MEMBER_ROLE).await?;
    member.create_cluster(&cluster).await?;
    // The team's own count there: 5, as the prescaler's window floor happens to be.
    member.create_running_service(&cluster, &service, 5).await?;
    let name = unique("moving");
    let here = Target::new(&name, &cluster, &service)
        .with_capacity(1, 20)
        .with_backlog_per_task(10.0)
        .with_profile("business-hours");
    home.store_targets(&store, std::slice::from_ref(&here))
        .await?;
    home.store_profile(&store, &business_hours()).await?;
    let settings = || prescaler::Settings::of(common(&table, &unique("SluiceAccounts")));
    let prescaler = prescaler::Prescaler::new(&home.clients, settings());
    let first = prescaler
        .handle(&json!({"at": "2026-11-30T09:00:00+01:00", "apply": true}))
        .await?;
    assert_eq!(
        home.desired_count(&cluster, &service).await?,
        5,
        "{first:?}"
    );

    let moved = here.clone().in_account(MEMBER_ROLE, None);
    home.store_targets(&store, &[moved]).await?;
    let report = prescaler
        .handle(&json!({"at": "2026-11-30T18:30:00+01:00", "apply": true}))
        .await?;
    assert_eq!(
        member.desired_count(&cluster, &service).await?,
        5,
        "the member's own count is not a raise of ours: {report:?}"
    );
    let said = report.targets[0].left_behind.clone().unwrap_or_default();
    assert!(
        said.contains("raise (to 5)") && said.contains("moved"),
        "{said}"
    );
    Ok(())
}

#[tokio::test]
async fn the_prescaler_raises_the_floor_in_the_targets_account_and_counts_a_refused_role()
-> Result<()> {
    let home = Emulators::connect().await?;
    let member = home.in_account(MEMBER_ROLE).await?;
    let (cluster, service, queue) = member_service(&member, 1, 0).await?;
    member
        .register_scalable_target(&cluster, &service, 1, 20)
        .await?;
    let table = unique("sluice-accounts");
    let store = home.create_table(&table).await?;
    let team = team(&cluster, &service, queue, (1, 20), 10.0)
        .with_profile("business-hours")
        .in_account(MEMBER_ROLE, None);
    let refused = Target::new(&unique("refused"), &cluster, &service)
        .with_capacity(1, 20)
        .with_profile("business-hours")
        .in_account(REFUSED_ROLE, None);
    home.store_targets(&store, &[team, refused.clone()]).await?;
    let weekdays = business_hours();
    home.store_profile(&store, &weekdays).await?;
    let plan = FaultPlan::new();
    plan.always_for("STS.AssumeRole", "sluice-refused", Fault::AccessDenied);
    let namespace = unique("SluiceAccounts");
    let settings = prescaler::Settings::of(common(&table, &namespace));

    let report = prescaler::Prescaler::new(&home.clients_with_faults(&plan)?, settings)
        .handle(&json!({"at": "2026-11-30T09:00:00+01:00", "apply": true}))
        .await?;

    assert_eq!(
        member.scalable_bounds(&cluster, &service).await?,
        (5, 20),
        "MinCapacity raised in the member account"
    );
    let lost = report.targets.iter().find(|t| t.target == refused.name);
    let reason = lost.map(|t| t.reason.clone()).unwrap_or_default();
    assert!(reason.contains(REFUSED_ROLE), "names the role: {reason}");
    assert_eq!(report.targets_failed, 1);
    let fleet = home.published_fleet_wide(&namespace).await?;
    assert_eq!(fleet.get("PrescalerFailed"), Some(&1.0), "{fleet:?}");
    Ok(())
}

#[tokio::test]
async fn each_account_has_its_own_bound_of_requests_in_flight() -> Result<()> {
    let home = Emulators::connect().await?;
    let roles = [
        "arn:aws:iam::222233334444:role/sluice-team-a",
        "arn:aws:iam::555566667777:role/sluice-team-b",
    ];
    let mut queues = Vec::new();
    for role in roles {
        let queue = unique("bounded-q");
        home.in_account(role).await?.create_queue(&queue).await?;
        queues.push(queue);
    }
    // Every request held 50 ms beneath the SDK, as a slow region would.
    let probe = InFlightProbe::with_delay(Duration::from_millis(50));
    let accounts = AssumedAccounts::new(
        home.config_with_probe(&probe),
        2,
        Assumer::Publisher,
        |clients| Account {
            queues: Arc::new(SqsQueues::new(clients.sqs().clone())),
            ..Account::unused()
        },
    );
    let mut reads = Vec::new();
    for (role, queue) in roles.iter().zip(&queues) {
        let place = Target::new("t", "c", "s").in_account(role, None).place();
        let account = accounts.at(&place).await?;
        for _ in 0..8 {
            let (account, queue) = (account.clone(), queue.clone());
            reads.push(async move { account.queues.queue_depth(&queue).await });
        }
    }

    for depth in futures::future::join_all(reads).await {
        depth?;
    }

    assert_eq!(
        probe.most(),
        4,
        "two in flight for each account, both accounts at once: one slow account does not hold the other's"
    );
    Ok(())
}
