//! tests/corpus/events: events every function must refuse, each beside the phrase its
//! error must contain. Each function meets them in process against the emulators,
//! with a target asleep on a queue with work and a profile always in a window, so an
//! event taken for real would change something. It must refuse every one as not
//! worth retrying, and moto's recorder and LocalStack must show no write at all.
//! tests/cargo_lambda.rs sends the same files through the built binaries.

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use sluice_core::config::ScaleToZero;
use sluice_core::profile::{Profile, WindowSpec};
use sluice_core::settings::Common;
use sluice_lambda::Failure;
use sluice_testkit::{Emulators, corpus, moto_recorder, unique};

/// What the fixtures and the corpus name.
use sluice_testkit::fixture_names::{ALARM, TOPIC};

struct Scene {
    emulators: Emulators,
    common: Common,
    cluster: String,
    service: String,
}

async fn scene(prefix: &str) -> Result<Scene> {
    let emulators = Emulators::connect().await?;
    let one = emulators.one_service(prefix, 0).await?;
    emulators.send_messages(&one.queue_url, 3, 0).await?;
    let target = one
        .target()
        .with_capacity(0, 10)
        .with_profile("always")
        .with_scale_to_zero(ScaleToZero {
            topics: vec![TOPIC.to_owned()],
            alarms: vec![ALARM.to_owned()],
            ..ScaleToZero::default()
        });
    let (table, store, cluster, service) = (one.table, one.store, one.cluster, one.service);
    emulators.store_targets(&store, &[target]).await?;
    let always = Profile::new(
        "always",
        "UTC",
        0,
        vec![WindowSpec {
            days_of_month: Some("1-L".to_owned()),
            min_tasks: 2.0,
            ..WindowSpec::default()
        }],
    );
    emulators.store_profile(&store, &always).await?;
    let common = Common {
        namespace: unique("SluiceCorpus"),
        ..Common::for_table(&table)
    };
    Ok(Scene {
        emulators,
        common,
        cluster,
        service,
    })
}

/// Feeds every corpus event of `function` to `handle` and checks each refusal; then
/// that nothing was written to ECS, the table, Application Auto Scaling or CloudWatch.
async fn refuses_all<F, Fut, E>(function: &str, scene: &Scene, handle: F) -> Result<()>
where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Result<String, E>>,
    E: Failure,
{
    moto_recorder::start()?;
    let needles = [
        format!("\"{}\"", scene.service),
        format!("\"{}\"", scene.common.table),
    ];
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let before = moto_recorder::count_any(moto_recorder::MUTATIONS, &needles)?;
    let entries = corpus::entries(&format!("events/{function}"), &["json"])?;
    ensure!(
        entries.len() >= 8,
        "{function}: {} corpus events",
        entries.len()
    );
    let mut wrong = Vec::new();
    for entry in entries {
        let event: Value = serde_json::from_str(&entry.text).context(entry.path.clone())?;
        match handle(event).await {
            Ok(answer) => wrong.push(format!("{} was taken: {answer}", entry.path)),
            Err(error) => {
                let diagnostic = error.diagnostic();
                if !diagnostic.error_type.starts_with("NonRetryable.") {
                    wrong.push(format!(
                        "{}: a refusal is not worth retrying, got {}",
                        entry.path, diagnostic.error_type
                    ));
                }
                if !corpus::says(&diagnostic.error_message, &entry.expected) {
                    wrong.push(format!(
                        "{}: expected {:?} in {:?}",
                        entry.path, entry.expected, diagnostic.error_message
                    ));
                }
            }
        }
    }
    ensure!(wrong.is_empty(), "{}", wrong.join("\n"));
    let writes = moto_recorder::count_any(moto_recorder::MUTATIONS, &needles)? - before;
    assert_eq!(writes, 0, "{function}: writes moto recorded for the scene");
    let desired = scene
        .emulators
        .desired_count(&scene.cluster, &scene.service)
        .await?;
    assert_eq!(desired, 0, "{function}: the service still sleeps");
    let metrics = scene
        .emulators
        .metric_count(&scene.common.namespace)
        .await?;
    assert_eq!(metrics, 0, "{function}: metrics LocalStack holds");
    Ok(())
}

#[tokio::test]
async fn the_metric_publisher_refuses_its_corpus_and_publishes_nothing() -> Result<()> {
    let scene = scene("corpus-mp").await?;
    let settings = metric_publisher::Settings::of(scene.common.clone());
    let publisher = metric_publisher::Publisher::new(&scene.emulators.clients, settings);
    refuses_all("metric-publisher", &scene, |event| {
        let publisher = &publisher;
        async move { publisher.handle(&event).await.map(|s| format!("{s:?}")) }
    })
    .await
}

#[tokio::test]
async fn the_zero_watcher_refuses_its_corpus_and_wakes_nothing() -> Result<()> {
    let scene = scene("corpus-zw").await?;
    let settings = zero_watcher::Settings::one_look(scene.common.clone());
    let watcher = zero_watcher::Watcher::new(&scene.emulators.clients, settings);
    refuses_all("zero-watcher", &scene, |event| {
        let watcher = &watcher;
        async move { watcher.handle(&event).await.map(|r| format!("{r:?}")) }
    })
    .await
}

#[tokio::test]
async fn the_prescaler_refuses_its_corpus_and_raises_nothing() -> Result<()> {
    let scene = scene("corpus-ps").await?;
    let settings = prescaler::Settings::of(scene.common.clone());
    let prescaler = prescaler::Prescaler::new(&scene.emulators.clients, settings);
    refuses_all("prescaler", &scene, |event| {
        let prescaler = &prescaler;
        async move { prescaler.handle(&event).await.map(|r| format!("{r:?}")) }
    })
    .await
}
