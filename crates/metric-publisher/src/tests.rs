//! The publish run over in-memory fakes: what is read, decided and written, with
//! failures injected where real AWS would fail. The same paths run against the
//! emulators in tests/metric_publisher.rs.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::json;
use sluice_aws::{
    AwsError, ConfigStore, ErrorKind, ItemKind, MetricReader, MetricSink, QueueDepths,
    ServiceCounts, ServiceResult, StoredItem,
};
use sluice_core::config::{Capacity, GpuSource, Target};
use sluice_core::facts::{GpuUtilization, MetricQuery, QueueDepth, TaskCounts};
use sluice_core::metrics::Datum;

use sluice_aws::EmfLog;

use crate::publish::{Ports, PublishError, Status, publish};
use crate::settings::{Output, Settings};

#[derive(Default)]
struct Fakes {
    targets: Vec<StoredItem>,
    queues: BTreeMap<String, QueueDepth>,
    services: BTreeMap<String, TaskCounts>,
    gpu: BTreeMap<String, GpuUtilization>,
    gpu_fails: bool,
    put_fails: bool,
    describe_calls: Mutex<Vec<usize>>,
    gpu_calls: Mutex<Vec<usize>>,
    puts: Mutex<Vec<Vec<Datum>>>,
    emf: Mutex<Vec<String>>,
}

#[async_trait]
impl ConfigStore for Fakes {
    async fn list(&self, kind: ItemKind) -> Result<Vec<StoredItem>, AwsError> {
        assert_eq!(kind, ItemKind::Target);
        Ok(self.targets.clone())
    }
    async fn put(&self, _: ItemKind, _: &str, _: &str) -> Result<bool, AwsError> {
        unreachable!("the publisher never writes targets")
    }
    async fn delete(&self, _: ItemKind, _: &str) -> Result<(), AwsError> {
        unreachable!("the publisher never deletes targets")
    }
}

#[async_trait]
impl QueueDepths for Fakes {
    async fn queue_depth(&self, queue: &str) -> Result<QueueDepth, AwsError> {
        self.queues.get(queue).copied().ok_or_else(|| {
            AwsError::new(
                "SQS.GetQueueUrl",
                ErrorKind::NotFound,
                format!("queue {queue} does not exist"),
            )
        })
    }
}

#[async_trait]
impl ServiceCounts for Fakes {
    async fn task_counts(
        &self,
        _cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ServiceResult>, AwsError> {
        self.describe_calls.lock().unwrap().push(services.len());
        Ok(services
            .iter()
            .map(|s| {
                (
                    s.clone(),
                    self.services
                        .get(s)
                        .copied()
                        .ok_or_else(|| "MISSING".to_owned()),
                )
            })
            .collect())
    }
}

#[async_trait]
impl MetricReader for Fakes {
    async fn latest(&self, queries: &[MetricQuery], _: u32) -> Result<Vec<Option<f64>>, AwsError> {
        self.gpu_calls.lock().unwrap().push(queries.len());
        if self.gpu_fails {
            return Err(AwsError::new(
                "CloudWatch.GetMetricData",
                ErrorKind::Throttled,
                "Rate exceeded",
            ));
        }
        Ok(queries
            .iter()
            .map(|q| {
                let gpu = q
                    .dimensions
                    .get("ServiceName")
                    .and_then(|n| self.gpu.get(n))?;
                Some(if q.statistic == "Maximum" {
                    gpu.max
                } else {
                    gpu.average
                })
            })
            .collect())
    }
}

#[async_trait]
impl MetricSink for Fakes {
    async fn put_metric_data(&self, namespace: &str, datums: &[Datum]) -> Result<(), AwsError> {
        assert_eq!(namespace, "Sluice");
        if self.put_fails {
            return Err(AwsError::new(
                "CloudWatch.PutMetricData",
                ErrorKind::Unavailable,
                "503",
            ));
        }
        self.puts.lock().unwrap().push(datums.to_vec());
        Ok(())
    }
}

impl EmfLog for Fakes {
    fn emit(&self, line: &str) {
        self.emf.lock().unwrap().push(line.to_owned());
    }
}

impl Fakes {
    fn ports(&self) -> Ports<'_> {
        Ports {
            store: self,
            queues: self,
            services: self,
            metrics: self,
            sink: self,
            emf: self,
        }
    }

    fn with_target(mut self, name: &str, queues: &[&str], gpu: bool) -> Self {
        let target = Target {
            name: name.to_owned(),
            cluster: "cluster".to_owned(),
            service: format!("{name}-svc"),
            queues: queues.iter().map(|q| (*q).to_owned()).collect(),
            capacity: Capacity { min: 0, max: 10 },
            backlog_per_task: 10.0,
            gpu: gpu.then(|| GpuSource {
                namespace: "CWAgent".to_owned(),
                metric: "nvidia_smi_utilization_gpu".to_owned(),
                dimensions: [("ServiceName".to_owned(), format!("{name}-svc"))].into(),
            }),
            scale_to_zero: None,
            profile: None,
            paused: false,
            forecast_only: false,
        };
        self.targets.push(StoredItem {
            name: name.to_owned(),
            spec: serde_json::to_string(&target).unwrap(),
        });
        self
    }

    fn put_values(&self, target: &str) -> BTreeMap<&'static str, f64> {
        self.puts
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .filter(|d| d.is_for(target))
            .map(|d| (d.name, d.value))
            .collect()
    }
}

fn settings(output: Output) -> Settings {
    Settings {
        table: "t".to_owned(),
        namespace: "Sluice".to_owned(),
        output,
        concurrency: 4,
        gpu_lookback_minutes: 5,
    }
}

fn depth(visible: u64, in_flight: u64, delayed: u64) -> QueueDepth {
    QueueDepth {
        visible,
        in_flight,
        delayed,
    }
}

fn tasks(running: u32) -> TaskCounts {
    TaskCounts {
        running,
        pending: 0,
        desired: running,
    }
}

#[tokio::test]
async fn publishes_backlog_per_task_summed_over_queues() {
    let mut fakes = Fakes::default().with_target("gold", &["q1", "q2"], true);
    fakes.queues = [
        ("q1".into(), depth(10, 5, 1)),
        ("q2".into(), depth(4, 0, 0)),
    ]
    .into();
    fakes.services = [("gold-svc".into(), tasks(4))].into();
    fakes.gpu = [(
        "gold-svc".into(),
        GpuUtilization {
            average: 55.0,
            max: 90.0,
        },
    )]
    .into();
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &fakes.ports())
        .await
        .expect("published");
    assert_eq!(
        (
            summary.published_targets,
            summary.failed_targets,
            summary.put_metric_data_calls
        ),
        (1, 0, 1)
    );
    let values = fakes.put_values("gold");
    assert_eq!(values["Backlog"], 20.0);
    assert_eq!(values["BacklogPerTask"], 5.0);
    assert_eq!(values["InFlightMessages"], 5.0);
    assert_eq!(values["GpuUtilizationMax"], 90.0);
    assert_eq!(values.len(), 10);
}

#[tokio::test]
async fn a_missing_queue_fails_its_target_only() {
    let mut fakes = Fakes::default()
        .with_target("good", &["q1"], false)
        .with_target("bad", &["q1", "gone"], false);
    fakes.queues = [("q1".into(), depth(3, 0, 0))].into();
    fakes.services = [("good-svc".into(), tasks(0)), ("bad-svc".into(), tasks(1))].into();
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &fakes.ports())
        .await
        .expect("partly published");
    assert_eq!((summary.published_targets, summary.failed_targets), (1, 1));
    let bad = summary.targets.iter().find(|r| r.name == "bad").unwrap();
    assert_eq!(bad.status, Status::Failed);
    assert!(
        bad.error
            .as_deref()
            .unwrap()
            .contains("queue gone does not exist"),
        "{bad:?}"
    );
    assert!(fakes.put_values("bad").is_empty());
    // Zero running tasks count as one: the metric exists at zero.
    assert_eq!(fakes.put_values("good")["BacklogPerTask"], 3.0);
}

#[tokio::test]
async fn a_missing_service_fails_its_target_and_a_failed_gpu_read_only_warns() {
    let mut fakes = Fakes::default()
        .with_target("a", &["q"], true)
        .with_target("b", &["q"], true);
    fakes.queues = [("q".into(), depth(1, 0, 0))].into();
    fakes.services = [("a-svc".into(), tasks(1))].into();
    fakes.gpu_fails = true;
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &fakes.ports())
        .await
        .expect("a published");
    let a = &summary.targets[0];
    assert_eq!(a.status, Status::Published);
    assert!(a.warnings[0].contains("Rate exceeded"), "{a:?}");
    assert!(
        !fakes.put_values("a").contains_key("GpuUtilizationAverage"),
        "a failed GPU read is never published as 0"
    );
    let b = &summary.targets[1];
    assert!(
        b.error
            .as_deref()
            .unwrap()
            .contains("service cluster/b-svc: MISSING"),
        "{b:?}"
    );
}

#[tokio::test]
async fn reads_and_writes_are_batched() {
    let mut fakes = Fakes::default();
    for i in 0..120 {
        fakes = fakes.with_target(&format!("t{i}"), &["q"], i % 2 == 0);
        fakes.services.insert(format!("t{i}-svc"), tasks(1));
        fakes.gpu.insert(
            format!("t{i}-svc"),
            GpuUtilization {
                average: 1.0,
                max: 2.0,
            },
        );
    }
    fakes.queues = [("q".into(), depth(0, 0, 0))].into();
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &fakes.ports())
        .await
        .expect("published");
    let mut describe = fakes.describe_calls.lock().unwrap().clone();
    describe.sort();
    assert_eq!(
        describe,
        vec![10; 12],
        "120 services in one cluster: 12 calls of 10"
    );
    assert_eq!(
        *fakes.gpu_calls.lock().unwrap(),
        vec![120],
        "all 60 GPU sources (avg + max) in one GetMetricData"
    );
    // 120 targets x 8 datums + 60 x 2 GPU datums + 4 fleet-wide = 1084 datums: two calls.
    assert_eq!((summary.datums, summary.put_metric_data_calls), (1084, 2));
    assert_eq!((summary.fleet.published, summary.fleet.failed), (120, 0));
}

#[tokio::test]
async fn emf_output_writes_log_lines_and_makes_no_put_call() {
    let mut fakes = Fakes::default().with_target("gold", &["q"], false);
    fakes.queues = [("q".into(), depth(8, 0, 0))].into();
    fakes.services = [("gold-svc".into(), tasks(2))].into();
    let summary = publish(
        &json!({}),
        &settings(Output::EmbeddedMetricFormat),
        &fakes.ports(),
    )
    .await
    .expect("published");
    assert_eq!(summary.put_metric_data_calls, 0);
    assert!(fakes.puts.lock().unwrap().is_empty());
    let lines = fakes.emf.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "one line for the target, one fleet-wide");
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["BacklogPerTask"], 4.0);
    let fleet: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(fleet["TargetsPublished"], 1.0);
    assert!(fleet.get("Target").is_none());
}

#[tokio::test]
async fn bad_input_publishes_nothing() {
    let mut fakes = Fakes::default().with_target("gold", &["q"], false);
    fakes.queues = [("q".into(), depth(8, 0, 0))].into();
    fakes.services = [("gold-svc".into(), tasks(2))].into();
    let error = publish(
        &json!({"target": "gold"}),
        &settings(Output::PutMetricData),
        &fakes.ports(),
    )
    .await
    .expect_err("malformed");
    assert!(matches!(error, PublishError::BadEvent(_)), "{error}");
    let error = publish(
        &json!({"targets": ["nope"]}),
        &settings(Output::PutMetricData),
        &fakes.ports(),
    )
    .await
    .expect_err("unknown");
    assert_eq!(
        error.to_string(),
        "unknown target(s) in the event: nope; stored targets are: gold"
    );
    assert!(fakes.puts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_invalid_stored_target_is_skipped_by_name() {
    let mut fakes = Fakes::default().with_target("gold", &["q"], false);
    fakes.targets.push(StoredItem {
        name: "broken".into(),
        spec: r#"{"name":"broken","cluster":"c"}"#.into(),
    });
    fakes.targets.push(StoredItem {
        name: "negative".into(),
        spec: r#"{"name":"negative","cluster":"c","service":"s","capacity":{"min":0,"max":2},"backlog_per_task":-1}"#.into(),
    });
    fakes.queues = [("q".into(), depth(1, 0, 0))].into();
    fakes.services = [("gold-svc".into(), tasks(1))].into();
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &fakes.ports())
        .await
        .expect("gold published");
    assert_eq!(summary.published_targets, 1);
    let invalid: Vec<_> = summary
        .invalid_targets
        .iter()
        .map(|r| (r.name.as_str(), r.error.clone().unwrap()))
        .collect();
    assert!(
        invalid[0].1.contains("missing field `service`"),
        "{invalid:?}"
    );
    assert!(
        invalid[1]
            .1
            .contains("backlog_per_task: must be a number above 0"),
        "{invalid:?}"
    );
}

#[tokio::test]
async fn fails_as_a_whole_only_when_nothing_was_published() {
    let mut fakes = Fakes::default().with_target("gold", &["q"], false);
    fakes.queues = [("q".into(), depth(1, 0, 0))].into();
    fakes.services = [("gold-svc".into(), tasks(1))].into();
    fakes.put_fails = true;
    let error = publish(&json!({}), &settings(Output::PutMetricData), &fakes.ports())
        .await
        .expect_err("nothing published");
    assert!(
        error
            .to_string()
            .contains("gold: CloudWatch.PutMetricData failed (Unavailable): 503"),
        "{error}"
    );
    // No targets at all is nothing to do, not a failure; the fleet-wide heartbeat
    // is still published, so a missing heartbeat means the publisher is not running.
    let empty = Fakes::default();
    let summary = publish(&json!({}), &settings(Output::PutMetricData), &empty.ports())
        .await
        .expect("empty ok");
    assert_eq!(
        (summary.published_targets, summary.put_metric_data_calls),
        (0, 1)
    );
    let puts = empty.puts.lock().unwrap().clone();
    assert!(
        puts.iter()
            .flatten()
            .any(|d| d.name == "TargetsPublished" && d.value == 0.0)
    );
}
