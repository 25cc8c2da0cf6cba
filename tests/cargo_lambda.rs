//! The real Lambda binaries, run by `cargo lambda watch` and invoked with fixtures by
//! `cargo lambda invoke`, as a user would try them. One watch serves all three
//! functions, so the extra build for it happens once.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use sluice_core::config::{GpuSource, ScaleToZero};
use sluice_testkit::{
    Emulators, Invocation, cargo_lambda_invoke, cargo_lambda_outcome, cargo_lambda_watch, corpus,
    fixture_names, free_port, moto_recorder, unique,
};

#[tokio::test]
async fn every_function_runs_through_cargo_lambda_invoke() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let one = emulators.one_service("cl", 0).await?;
    emulators.send_messages(&one.queue_url, 4, 0).await?;
    let no_gpu = GpuSource {
        namespace: unique("NoGpu"),
        ..GpuSource::agent::<&str, &str>([])
    };
    let target = one
        .target()
        .with_capacity(0, 10)
        .with_backlog_per_task(2.0)
        .with_gpu(no_gpu)
        .with_scale_to_zero(ScaleToZero {
            topics: vec![fixture_names::TOPIC.to_owned()],
            ..ScaleToZero::default()
        })
        .with_profile("business-hours");
    let (table, store, cluster, service) = (one.table, one.store, one.cluster, one.service);
    emulators.store_targets(&store, &[target]).await?;
    let profile = sluice_core::profile::Profile::new(
        "business-hours",
        "Europe/Berlin",
        10,
        vec![sluice_core::profile::WindowSpec {
            days: vec!["mon".to_owned()],
            start: Some("08:00".to_owned()),
            end: Some("18:00".to_owned()),
            min_tasks: 3.0,
            ..Default::default()
        }],
    );
    emulators.store_profile(&store, &profile).await?;
    let namespace = unique("SluiceCL");

    let port = free_port()?;
    let _watch = cargo_lambda_watch(
        port,
        &[
            ("SLUICE_TABLE", &table),
            ("SLUICE_NAMESPACE", &namespace),
            ("SLUICE_POLL_WINDOW_SECONDS", "0"),
        ],
    )?;
    let patience = Duration::from_secs(900);

    let output = cargo_lambda_invoke(
        port,
        "metric-publisher",
        "events/metric-publisher/scheduled.json",
        patience,
    )
    .await?;
    let summary: serde_json::Value =
        serde_json::from_str(&output).with_context(|| output.clone())?;
    assert_eq!(summary["published_targets"], 1, "{summary:#}");
    let published = emulators.published(&namespace, "gold-inference").await?;
    assert_eq!(
        published.get("BacklogPerTask"),
        Some(&4.0),
        "read back from CloudWatch: {published:?}"
    );

    let output = cargo_lambda_invoke(
        port,
        "zero-watcher",
        "events/zero-watcher/sns.json",
        patience,
    )
    .await?;
    let report: serde_json::Value =
        serde_json::from_str(&output).with_context(|| output.clone())?;
    assert_eq!(report["decisions"][0]["outcome"], "woke", "{report:#}");
    assert_eq!(
        emulators.desired_count(&cluster, &service).await?,
        1,
        "read back from ECS"
    );
    // Europe/Berlin from the database embedded in the binary.
    let output =
        cargo_lambda_invoke(port, "prescaler", "events/prescaler/what-if.json", patience).await?;
    let report: serde_json::Value =
        serde_json::from_str(&output).with_context(|| output.clone())?;
    assert_eq!(
        report["targets"][0]["floor"], 3,
        "Monday 07:55 Berlin, 10 minutes' lead on 08:00: {report:#}"
    );

    moto_recorder::start()?;
    let needles = [format!("\"{service}\""), format!("\"{table}\"")];
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let writes_before = moto_recorder::count_any(moto_recorder::MUTATIONS, &needles)?;
    let metrics_before = emulators.metric_count(&namespace).await?;
    for function in ["metric-publisher", "zero-watcher", "prescaler"] {
        the_binary_refuses_its_corpus(port, function).await?;
    }
    let writes = moto_recorder::count_any(moto_recorder::MUTATIONS, &needles)? - writes_before;
    assert_eq!(
        writes, 0,
        "writes moto recorded while the corpus was refused"
    );
    assert_eq!(emulators.metric_count(&namespace).await?, metrics_before);
    Ok(())
}

/// The files of tests/corpus/events/FUNCTION (tests/corpus.rs feeds them in process)
/// through the built binary: each is refused as not worth retrying, with its phrase.
async fn the_binary_refuses_its_corpus(port: u16, function: &str) -> Result<()> {
    let mut wrong = Vec::new();
    for entry in corpus::entries(&format!("events/{function}"), &["json"])? {
        let outcome =
            cargo_lambda_outcome(port, function, &entry.path, Duration::from_secs(60)).await?;
        match outcome {
            Invocation::Answered(output) => {
                wrong.push(format!("{} was taken: {output}", entry.path))
            }
            Invocation::Failed(error) => {
                if !error.contains("Error: NonRetryable.") || !corpus::says(&error, &entry.expected)
                {
                    wrong.push(format!(
                        "{}: expected {:?} in {error}",
                        entry.path, entry.expected
                    ));
                }
            }
        }
    }
    ensure!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}
