//! The scene most end-to-end tests start from: a fresh table, and one running
//! service with one empty queue, every name unique to the test.

use anyhow::Result;
use sluice_aws::DynamoStore;
use sluice_core::config::{GpuSource, Target};

use crate::{Emulators, unique};

/// The names the fixtures under events/ use for their target.
pub mod fixture_names {
    pub const TARGET: &str = "gold-inference";
    pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:gold-inference-requests";
    pub const ALARM: &str = "gold-inference-backlog";
}

/// What [`Emulators::one_service`] created.
pub struct OneService {
    pub table: String,
    pub store: DynamoStore,
    pub cluster: String,
    pub service: String,
    pub queue: String,
    pub queue_url: String,
}

impl OneService {
    /// Its service as the fixtures' target ([`fixture_names::TARGET`]) on its queue.
    pub fn target(&self) -> Target {
        Target::new(fixture_names::TARGET, &self.cluster, &self.service)
            .with_queues([self.queue.clone()])
    }
}

impl Emulators {
    /// A fresh table, a cluster with one service running `desired` tasks, and one
    /// empty queue; names start with `prefix`.
    pub async fn one_service(&self, prefix: &str, desired: i32) -> Result<OneService> {
        let table = unique(&format!("{prefix}-table"));
        let store = self.create_table(&table).await?;
        let cluster = unique(&format!("{prefix}-cluster"));
        self.create_cluster(&cluster).await?;
        let service = unique(&format!("{prefix}-svc"));
        self.create_running_service(&cluster, &service, desired)
            .await?;
        let queue = unique(&format!("{prefix}-q"));
        let queue_url = self.create_queue(&queue).await?;
        Ok(OneService {
            table,
            store,
            cluster,
            service,
            queue,
            queue_url,
        })
    }

    /// A fleet of `count` targets in one new table and cluster: each with its own
    /// service (desired 0), queue (one message) and GPU reading. Returns the table.
    pub async fn seed_fleet(&self, count: usize) -> Result<String> {
        Ok(self.seed_fleet_with(count, true).await?.0)
    }

    /// As [`Emulators::seed_fleet`], 16 targets seeded at once, also returning the
    /// targets; the GPU readings go to LocalStack only when `readings` (a bench with
    /// its own CloudWatch stand-in seeds them there).
    pub async fn seed_fleet_with(
        &self,
        count: usize,
        readings: bool,
    ) -> Result<(String, Vec<Target>)> {
        use futures::stream::{self, StreamExt, TryStreamExt};
        let table = unique("bench");
        let store = self.create_table(&table).await?;
        let cluster = unique("bench-cluster");
        self.create_cluster(&cluster).await?;
        let gpu_namespace = unique("BenchGpu");
        let queue_prefix = unique("bench-q");
        let (cluster, gpu_namespace, queue_prefix) = (&cluster, &gpu_namespace, &queue_prefix);
        let targets: Vec<Target> = stream::iter(0..count)
            .map(|index| async move {
                let service = format!("svc-{index}");
                self.create_service(cluster, &service, 0).await?;
                let queue = format!("{queue_prefix}-{index}");
                let url = self.create_queue(&queue).await?;
                self.send_messages(&url, 1, 0).await?;
                let gpu = GpuSource {
                    namespace: gpu_namespace.clone(),
                    ..GpuSource::agent([("ServiceName", &service)])
                };
                if readings {
                    self.put_readings(&gpu.namespace, &gpu.metric, &gpu.dimensions, &[(0, 50.0)])
                        .await?;
                }
                Ok::<_, anyhow::Error>(
                    Target::new(&format!("target-{index}"), cluster, &service)
                        .with_queues([queue])
                        .with_capacity(0, 10)
                        .with_backlog_per_task(10.0)
                        .with_gpu(gpu),
                )
            })
            .buffered(16)
            .try_collect()
            .await?;
        self.store_targets(&store, &targets).await?;
        Ok((table, targets))
    }
}

/// The end-to-end tests' profile `business-hours`: Monday to Friday 08:00-18:00 in
/// Berlin at 5 tasks, lead 10 minutes.
pub fn business_hours() -> sluice_core::profile::Profile {
    use sluice_core::profile::{Profile, WindowSpec};
    Profile::new(
        "business-hours",
        "Europe/Berlin",
        10,
        vec![WindowSpec {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            start: Some("08:00".to_owned()),
            end: Some("18:00".to_owned()),
            min_tasks: 5.0,
            ..WindowSpec::default()
        }],
    )
}
