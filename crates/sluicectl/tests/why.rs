//! `sluicectl why` and `sluicectl metrics` against the emulators: the real zero-watcher
//! decides and writes its record to the table, then `why` explains it from there and
//! from what ECS, SQS and CloudWatch hold.

#![allow(
    clippy::expect_used,
    reason = "test helpers: a failure here is a failed test"
)]

mod common;

use anyhow::Result;
use common::{sluicectl, text};
use sluice_aws::PrescaleStates;
use sluice_core::config::{ScaleToZero, Target};
use sluice_core::prescale::OwnWrite;
use sluice_core::settings::Common;
use sluice_testkit::{Emulators, OneService, unique};
use zero_watcher::Watcher;

struct Scene {
    emulators: Emulators,
    service: OneService,
    target: String,
    namespace: String,
}

/// A sleeping service with one empty queue, watched with `activation_backlog`.
async fn scene(activation_backlog: u64) -> Result<Scene> {
    let emulators = Emulators::connect().await?;
    let service = emulators.one_service("why", 0).await?;
    let name = unique("why");
    let target = Target::new(&name, &service.cluster, &service.service)
        .with_queues([service.queue.clone()])
        .with_capacity(0, 4)
        .with_backlog_per_task(10.0)
        .with_scale_to_zero(ScaleToZero {
            activation_backlog,
            ..ScaleToZero::default()
        });
    emulators.store_targets(&service.store, &[target]).await?;
    Ok(Scene {
        emulators,
        service,
        target: name,
        namespace: unique("SluiceWhy"),
    })
}

impl Scene {
    async fn watch(&self) -> Result<zero_watcher::Report> {
        let settings = zero_watcher::Settings::one_look(Common {
            namespace: self.namespace.clone(),
            ..Common::for_table(&self.service.table)
        });
        let watcher = Watcher::new(&self.emulators.clients, settings);
        let poll = serde_json::json!({"source": "sluice.scheduler"});
        Ok(watcher.handle(&poll).await?)
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let output = sluicectl(args, Some(&self.service.table));
        let (stdout, stderr) = text(&output);
        (output.status.success(), stdout, stderr)
    }
}

#[tokio::test]
async fn why_says_work_below_the_activation_threshold_keeps_a_service_at_zero() -> Result<()> {
    let scene = scene(5).await?;
    scene
        .emulators
        .send_messages(&scene.service.queue_url, 3, 0)
        .await?;
    scene.watch().await?;
    let own = OwnWrite {
        raised_to: 3,
        capped_to: None,
        at: 1_800_000_000,
        resource: None,
    };
    PrescaleStates::save(&scene.service.store, &scene.target, Some(own)).await?;
    let (ok, stdout, stderr) = scene.run(&["why", &scene.target]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("raised MinCapacity to 3 at 2027-01-15T08:00:00Z"),
        "{stdout}"
    );
    assert!(stdout.contains("ecs      desired 0, running 0"), "{stdout}");
    assert!(
        stdout.contains("watcher  last decision") && stdout.contains("asleep, no activity"),
        "{stdout}"
    );
    assert!(
        stdout.contains("why: at 0 with 3 waiting, not above activation_backlog 5"),
        "{stdout}"
    );
    Ok(())
}

/// Messages in flight at zero (received by a task the sleep stopped, or a read staler
/// than the sleep) wake nothing until they are visible again, and `why` says so.
#[tokio::test]
async fn why_says_messages_in_flight_wake_no_sleeping_service() -> Result<()> {
    let scene = scene(0).await?;
    let queue = &scene.service.queue_url;
    scene.emulators.send_messages(queue, 2, 0).await?;
    assert_eq!(scene.emulators.take_in_flight(queue, 2).await?, 2);
    scene.watch().await?;
    let (ok, stdout, stderr) = scene.run(&["why", &scene.target]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("ecs      desired 0, running 0"), "{stdout}");
    assert!(
        stdout.contains("why: at 0 with 2 in flight and 0 waiting: no task of its own holds"),
        "{stdout}"
    );
    Ok(())
}

#[tokio::test]
async fn why_shows_a_wake_with_its_facts_and_metrics_shows_its_latencies() -> Result<()> {
    let scene = scene(0).await?;
    scene.watch().await?;
    scene
        .emulators
        .send_messages(&scene.service.queue_url, 1, 0)
        .await?;
    let woke = scene.watch().await?;
    assert_eq!(woke.decisions[0].desired_after, Some(1), "{woke:?}");
    let (ok, stdout, stderr) = scene.run(&["why", &scene.target]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("UpdateService to 1 done"), "{stdout}");
    assert!(stdout.contains("on facts {\"desired\":0"), "{stdout}");
    assert!(stdout.contains("\"backlog\":1"), "{stdout}");
    assert!(stdout.contains("why: working: 1 task(s)"), "{stdout}");

    // What the watcher's EMF lines and the publisher put in CloudWatch, read back.
    let dimensions = [("Target".to_owned(), scene.target.clone())].into();
    for (metric, value) in [("WakeLatency", 3.0), ("OldestMessageAge", 42.0)] {
        scene
            .emulators
            .put_readings(&scene.namespace, metric, &dimensions, &[(0, value)])
            .await?;
    }
    let args = [
        "metrics",
        "--target",
        &scene.target,
        "--namespace",
        &scene.namespace,
    ];
    let (ok, stdout, stderr) = scene.run(&args);
    assert!(ok, "{stderr}");
    let header = stdout.lines().next().unwrap_or_default();
    assert!(
        header.contains("oldest age s") && header.contains("wake s"),
        "{stdout}"
    );
    let row: Vec<&str> = stdout
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(row[row.len() - 3..], ["42", "3", "-"], "{stdout}");
    Ok(())
}

#[tokio::test]
async fn why_names_an_unknown_target() -> Result<()> {
    let scene = scene(0).await?;
    let (ok, _, stderr) = scene.run(&["why", "no-such-target"]);
    assert!(!ok);
    assert!(
        stderr.contains("no target named \"no-such-target\""),
        "{stderr}"
    );
    Ok(())
}

/// `why` says what the load model believes of a target: the publisher's rates from its
/// record, and the start-up it plans with, the watcher's measured median before the
/// publisher's own; the give-back window follows it.
#[tokio::test]
async fn why_shows_the_load_model_and_the_start_up_it_plans_with() -> Result<()> {
    use sluice_aws::{RateRecords, StartUpRecords};
    use sluice_core::capacity::Rates;
    use sluice_core::startup::StartUp;
    let scene = scene(0).await?;
    let store = &scene.service.store;
    let rates = Rates {
        arrival: Some(12.0),
        service: Some(6.0),
        samples: 4,
        start_up: Some(150.0),
        ..Rates::default()
    };
    store.save_rates(&scene.target, &rates).await?;
    let (ok, stdout, stderr) = scene.run(&["why", &scene.target]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(
            "load     arrival 12.0 a minute; service 6.0 a task a minute, learned; start-up \
             150 s, learned from the publisher's looks; gives back after 150 s below the need"
        ),
        "{stdout}"
    );
    let now = jiff::Timestamp::now().as_second();
    let measured = StartUp {
        at: now - 60,
        seconds: 95,
    };
    store.record_start(&scene.target, measured, now).await?;
    let (ok, stdout, stderr) = scene.run(&["why", &scene.target]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(
            "start-up 95 s, the median of 1 measured at the watcher's polls; gives back after 95 s"
        ),
        "{stdout}"
    );
    Ok(())
}
