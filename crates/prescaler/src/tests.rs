//! The prescaler over in-memory fakes at fixed instants: what it reads, records and
//! changes. The same paths run against the emulators in tests/prescaler.rs.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::{Value, json};
use sluice_aws::{
    AwsError, ConfigStore, ItemKind, MetricSink, PrescaleStates, QueueDepths, ScalableTargets,
    ServiceCounts, ServiceResult, ServiceScaler, StoredItem,
};
use sluice_core::config::{Capacity, Target};
use sluice_core::facts::ScalableBounds;
use sluice_core::facts::{QueueDepth, TaskCounts};
use sluice_core::metrics::Datum;
use sluice_core::prescale::{Change, OwnWrite};
use sluice_core::profile::Profile;
use sluice_core::profile::WindowSpec;

use crate::prescale::{Outcome, Ports, PrescaleError, prescale};
use crate::settings::Settings;

#[derive(Default)]
struct Fakes {
    items: Vec<(ItemKind, StoredItem)>,
    desired: Mutex<BTreeMap<String, u32>>,
    bounds: Mutex<BTreeMap<String, ScalableBounds>>,
    owns: Mutex<BTreeMap<String, OwnWrite>>,
    backlog: u64,
    ecs_writes: Mutex<Vec<u32>>,
    min_writes: Mutex<Vec<u32>>,
    floors: Mutex<Vec<(String, f64)>>,
}

#[async_trait]
impl ConfigStore for Fakes {
    async fn list(&self, kind: ItemKind) -> Result<Vec<StoredItem>, AwsError> {
        Ok(self
            .items
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, i)| i.clone())
            .collect())
    }
    async fn put(&self, _: ItemKind, _: &str, _: &str) -> Result<bool, AwsError> {
        unreachable!()
    }
    async fn delete(&self, _: ItemKind, _: &str) -> Result<(), AwsError> {
        unreachable!()
    }
}

#[async_trait]
impl PrescaleStates for Fakes {
    async fn load_all(&self) -> Result<BTreeMap<String, OwnWrite>, AwsError> {
        Ok(self.owns.lock().unwrap().clone())
    }
    async fn save(&self, target: &str, own: Option<OwnWrite>) -> Result<(), AwsError> {
        let mut owns = self.owns.lock().unwrap();
        match own {
            Some(own) => owns.insert(target.to_owned(), own),
            None => owns.remove(target),
        };
        Ok(())
    }
}

#[async_trait]
impl ServiceCounts for Fakes {
    async fn task_counts(
        &self,
        _: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ServiceResult>, AwsError> {
        let desired = self.desired.lock().unwrap();
        Ok(services
            .iter()
            .map(|s| {
                (
                    s.clone(),
                    desired
                        .get(s)
                        .map(|d| TaskCounts {
                            running: *d,
                            pending: 0,
                            desired: *d,
                        })
                        .ok_or_else(|| "MISSING".to_owned()),
                )
            })
            .collect())
    }
}

#[async_trait]
impl ServiceScaler for Fakes {
    async fn set_desired(&self, _: &str, service: &str, desired: u32) -> Result<(), AwsError> {
        self.ecs_writes.lock().unwrap().push(desired);
        self.desired
            .lock()
            .unwrap()
            .insert(service.to_owned(), desired);
        Ok(())
    }
}

#[async_trait]
impl ScalableTargets for Fakes {
    async fn bounds(&self, ids: &[String]) -> Result<BTreeMap<String, ScalableBounds>, AwsError> {
        let bounds = self.bounds.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| bounds.get(id).map(|b| (id.clone(), *b)))
            .collect())
    }
    async fn set_min_capacity(&self, id: &str, min: u32) -> Result<(), AwsError> {
        self.min_writes.lock().unwrap().push(min);
        if let Some(bounds) = self.bounds.lock().unwrap().get_mut(id) {
            bounds.min = min;
        }
        Ok(())
    }
}

#[async_trait]
impl QueueDepths for Fakes {
    async fn queue_depth(&self, _: &str) -> Result<QueueDepth, AwsError> {
        Ok(QueueDepth {
            visible: self.backlog,
            in_flight: 0,
            delayed: 0,
        })
    }
}

#[async_trait]
impl MetricSink for Fakes {
    async fn put_metric_data(&self, _: &str, datums: &[Datum]) -> Result<(), AwsError> {
        self.floors.lock().unwrap().extend(
            datums
                .iter()
                .filter_map(|d| Some((d.target.clone()?, d.value))),
        );
        Ok(())
    }
}

impl Fakes {
    fn new(min: u32, profile_windows: Vec<WindowSpec>) -> Self {
        let target = Target {
            name: "gold".into(),
            cluster: "c".into(),
            service: "gold-svc".into(),
            queues: vec!["q".into()],
            capacity: Capacity { min, max: 20 },
            backlog_per_task: 10.0,
            gpu: None,
            scale_to_zero: None,
            profile: Some("business".into()),
            paused: false,
            forecast_only: false,
        };
        let profile = Profile {
            name: "business".into(),
            timezone: "Europe/Berlin".into(),
            lead_minutes: 10,
            windows: profile_windows,
        };
        let fakes = Fakes {
            items: vec![
                (
                    ItemKind::Target,
                    StoredItem {
                        name: "gold".into(),
                        spec: serde_json::to_string(&target).unwrap(),
                    },
                ),
                (
                    ItemKind::Profile,
                    StoredItem {
                        name: "business".into(),
                        spec: serde_json::to_string(&profile).unwrap(),
                    },
                ),
            ],
            ..Fakes::default()
        };
        fakes.desired.lock().unwrap().insert("gold-svc".into(), min);
        fakes
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            store: self,
            states: self,
            services: self,
            scaler: self,
            autoscaling: self,
            queues: self,
            sink: self,
        }
    }
}

fn business_hours() -> Vec<WindowSpec> {
    vec![WindowSpec {
        days: vec!["mon".into()],
        start: Some("08:00".into()),
        end: Some("18:00".into()),
        min_tasks: 5.0,
        ..WindowSpec::default()
    }]
}

fn settings() -> Settings {
    Settings {
        table: "t".into(),
        namespace: "Sluice".into(),
        dry_run: false,
        forecast_only: false,
        concurrency: 4,
    }
}

/// Monday 2026-11-30 at a Berlin (CET, +01:00) local time.
fn monday(local: &str) -> Timestamp {
    format!("2026-11-30T{local}:00+01:00").parse().unwrap()
}

fn scheduled() -> Value {
    json!({"source": "sluice.scheduler"})
}

#[tokio::test]
async fn raises_desired_ahead_of_the_window_and_restores_its_own_write_after() {
    let fakes = Fakes::new(1, business_hours());
    let before = prescale(&scheduled(), &settings(), &fakes.ports(), monday("07:49"))
        .await
        .unwrap();
    assert_eq!(
        (before.targets[0].floor, before.targets[0].outcome),
        (Some(0), Outcome::Unchanged)
    );
    let raised = prescale(&scheduled(), &settings(), &fakes.ports(), monday("07:50"))
        .await
        .unwrap();
    assert_eq!(
        raised.targets[0].change,
        Change::SetDesired { from: 1, to: 5 }
    );
    assert_eq!(*fakes.ecs_writes.lock().unwrap(), vec![5]);
    assert_eq!(
        fakes.owns.lock().unwrap()["gold"].raised_to,
        5,
        "recorded as the prescaler's own write"
    );
    let during = prescale(&scheduled(), &settings(), &fakes.ports(), monday("12:00"))
        .await
        .unwrap();
    assert_eq!(during.targets[0].outcome, Outcome::Unchanged);
    let after = prescale(&scheduled(), &settings(), &fakes.ports(), monday("18:00"))
        .await
        .unwrap();
    assert_eq!(
        after.targets[0].change,
        Change::SetDesired { from: 5, to: 1 }
    );
    assert!(fakes.owns.lock().unwrap().is_empty());
    // Every run publishes the floor.
    let floors: Vec<f64> = fakes
        .floors
        .lock()
        .unwrap()
        .iter()
        .map(|(_, f)| *f)
        .collect();
    assert_eq!(floors, vec![0.0, 5.0, 5.0, 0.0]);
}

#[tokio::test]
async fn someone_elses_change_in_between_is_left_alone() {
    let fakes = Fakes::new(1, business_hours());
    prescale(&scheduled(), &settings(), &fakes.ports(), monday("09:00"))
        .await
        .unwrap();
    fakes.desired.lock().unwrap().insert("gold-svc".into(), 7);
    let after = prescale(&scheduled(), &settings(), &fakes.ports(), monday("18:30"))
        .await
        .unwrap();
    assert_eq!(after.targets[0].change, Change::None);
    assert!(
        after.targets[0].reason.contains("someone else changed it"),
        "{}",
        after.targets[0].reason
    );
    assert_eq!(*fakes.ecs_writes.lock().unwrap(), vec![5]);
}

#[tokio::test]
async fn with_a_scalable_target_min_capacity_moves_and_desired_is_never_written() {
    let fakes = Fakes::new(1, business_hours());
    fakes.bounds.lock().unwrap().insert(
        "service/c/gold-svc".into(),
        ScalableBounds { min: 1, max: 3 },
    );
    let raised = prescale(&scheduled(), &settings(), &fakes.ports(), monday("08:00"))
        .await
        .unwrap();
    assert_eq!(
        raised.targets[0].change,
        Change::SetMinCapacity { from: 1, to: 3 }
    );
    assert!(
        raised.targets[0]
            .reason
            .contains("capped at MaxCapacity 3; the floor is 5"),
        "{}",
        raised.targets[0].reason
    );
    let restored = prescale(&scheduled(), &settings(), &fakes.ports(), monday("19:00"))
        .await
        .unwrap();
    assert_eq!(
        restored.targets[0].change,
        Change::SetMinCapacity { from: 3, to: 1 }
    );
    assert_eq!(*fakes.min_writes.lock().unwrap(), vec![3, 1]);
    assert!(fakes.ecs_writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn forecast_only_and_dry_run_change_nothing() {
    let fakes = Fakes::new(1, business_hours());
    let mut forecast = settings();
    forecast.forecast_only = true;
    let report = prescale(&scheduled(), &forecast, &fakes.ports(), monday("09:00"))
        .await
        .unwrap();
    assert_eq!(report.targets[0].outcome, Outcome::WouldChange);
    assert!(
        report.targets[0]
            .reason
            .starts_with("forecast only: window floor 5")
    );
    assert_eq!(report.published_floors, 1, "the forecast is published");
    let mut dry = settings();
    dry.dry_run = true;
    let report = prescale(&scheduled(), &dry, &fakes.ports(), monday("09:00"))
        .await
        .unwrap();
    assert_eq!(report.published_floors, 0);
    assert!(fakes.ecs_writes.lock().unwrap().is_empty() && fakes.owns.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_bad_stored_profile_skips_its_targets_by_name() {
    let mut fakes = Fakes::new(1, business_hours());
    fakes.items[1].1.spec =
        r#"{"name": "business", "timezone": "Mars/Olympus", "windows": []}"#.into();
    let report = prescale(&scheduled(), &settings(), &fakes.ports(), monday("09:00"))
        .await
        .unwrap();
    assert_eq!(report.targets[0].outcome, Outcome::Skipped);
    assert!(
        report.targets[0]
            .reason
            .contains("profile business is invalid, target left as it is"),
        "{}",
        report.targets[0].reason
    );
    assert!(report.invalid["profile business"].contains("unknown IANA time zone"));
    assert!(fakes.ecs_writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn what_if_time_and_bad_events() {
    let fakes = Fakes::new(1, business_hours());
    let report = prescale(
        &json!({"at": "2026-11-30T07:55:00+01:00"}),
        &settings(),
        &fakes.ports(),
        monday("03:00"),
    )
    .await
    .unwrap();
    assert_eq!(report.at, "2026-11-30T06:55:00Z");
    assert_eq!(
        report.targets[0].floor,
        Some(5),
        "the what-if time, not now"
    );
    let error = prescale(
        &json!({"targets": ["silver"]}),
        &settings(),
        &fakes.ports(),
        monday("03:00"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, PrescaleError::UnknownTargets { .. }),
        "{error}"
    );
    let error = prescale(
        &json!({"at": "soon"}),
        &settings(),
        &fakes.ports(),
        monday("03:00"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, PrescaleError::BadEvent(_)));
}
