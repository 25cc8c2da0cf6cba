//! Seeds scenarios in the local emulators and reads back what Sluice did, with the
//! raw SDK so that checks do not go through the code under test. Shared by the
//! end-to-end tests, the demo and the benchmarks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_types::DateTime;
use sluice_aws::{Clients, ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::Target;

/// Clients pointed at the emulators by the variables `infra/emulators.sh` exports.
pub struct Emulators {
    pub config: aws_config::SdkConfig,
    pub clients: Clients,
}

impl Emulators {
    /// Fails with a clear message when the emulators are not running: end-to-end
    /// tests run through `infra/test.sh`, which starts them.
    pub async fn connect() -> Result<Self> {
        if std::env::var_os("AWS_ENDPOINT_URL").is_none()
            || std::env::var_os("AWS_ENDPOINT_URL_CLOUDWATCH").is_none()
        {
            bail!(
                "AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_CLOUDWATCH are not set: run the tests with \
                 `infra/test.sh` (it starts moto and LocalStack), or `infra/emulators.sh run cargo test`"
            );
        }
        let config = sluice_aws::load_sdk_config().await;
        let clients = Clients::new(&config);
        Ok(Self { config, clients })
    }

    pub async fn create_table(&self, table: &str) -> Result<DynamoStore> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
        };
        let result = self
            .clients
            .dynamodb
            .create_table()
            .table_name(table)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        if let Err(error) = result {
            let exists = error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception());
            if !exists {
                return Err(error).context("CreateTable");
            }
        }
        Ok(DynamoStore::new(self.clients.dynamodb.clone(), table))
    }

    pub async fn store_targets(&self, store: &DynamoStore, targets: &[Target]) -> Result<()> {
        for target in targets {
            store
                .put(
                    ItemKind::Target,
                    &target.name,
                    &serde_json::to_string(target)?,
                )
                .await?;
        }
        Ok(())
    }

    pub async fn queue_url(&self, name: &str) -> Result<String> {
        let output = self
            .clients
            .sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .with_context(|| format!("GetQueueUrl {name}"))?;
        output.queue_url.context("GetQueueUrl returned no URL")
    }

    pub async fn create_queue(&self, name: &str) -> Result<String> {
        let output = self
            .clients
            .sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .context("CreateQueue")?;
        output.queue_url.context("CreateQueue returned no URL")
    }

    pub async fn send_messages(
        &self,
        queue_url: &str,
        count: usize,
        delay_seconds: i32,
    ) -> Result<()> {
        for index in 0..count {
            self.clients
                .sqs
                .send_message()
                .queue_url(queue_url)
                .message_body(format!("{{\"job\": {index}}}"))
                .delay_seconds(delay_seconds)
                .send()
                .await
                .context("SendMessage")?;
        }
        Ok(())
    }

    /// Receives (without deleting) up to `count` messages: they become in-flight.
    pub async fn take_in_flight(&self, queue_url: &str, count: i32) -> Result<usize> {
        let mut taken = 0;
        while taken < count as usize {
            let output = self
                .clients
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages((count - taken as i32).min(10))
                .visibility_timeout(600)
                .send()
                .await
                .context("ReceiveMessage")?;
            let received = output.messages().len();
            if received == 0 {
                break;
            }
            taken += received;
        }
        Ok(taken)
    }

    pub async fn queue_counts(&self, queue_url: &str) -> Result<BTreeMap<String, String>> {
        let output = self
            .clients
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .context("GetQueueAttributes")?;
        Ok(output
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect())
    }

    pub async fn create_cluster(&self, name: &str) -> Result<()> {
        self.clients
            .ecs
            .create_cluster()
            .cluster_name(name)
            .send()
            .await
            .context("CreateCluster")?;
        Ok(())
    }

    /// A service whose `desired` tasks are all running: moto's CreateService leaves
    /// them pending, its UpdateService marks them running at once.
    pub async fn create_running_service(
        &self,
        cluster: &str,
        name: &str,
        desired: i32,
    ) -> Result<()> {
        self.create_service(cluster, name, 0).await?;
        self.set_desired(cluster, name, desired).await
    }

    pub async fn set_desired(&self, cluster: &str, name: &str, desired: i32) -> Result<()> {
        self.clients
            .ecs
            .update_service()
            .cluster(cluster)
            .service(name)
            .desired_count(desired)
            .send()
            .await
            .context("UpdateService")?;
        Ok(())
    }

    /// A service as moto creates it: `desired` tasks pending, none running yet.
    pub async fn create_service(&self, cluster: &str, name: &str, desired: i32) -> Result<()> {
        self.clients
            .ecs
            .create_service()
            .cluster(cluster)
            .service_name(name)
            .desired_count(desired)
            .send()
            .await
            .context("CreateService")?;
        Ok(())
    }

    /// Writes readings of a metric as an agent or an AWS service would: one
    /// `(minutes ago, value)` per source and minute (GPU utilisation, consumer lag).
    pub async fn put_readings(
        &self,
        namespace: &str,
        metric: &str,
        dimensions: &BTreeMap<String, String>,
        readings: &[(u64, f64)],
    ) -> Result<()> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let points: Vec<(i64, f64)> = readings
            .iter()
            .map(|(minutes_ago, value)| (now - 60 * *minutes_ago as i64, *value))
            .collect();
        self.put_points(namespace, metric, dimensions, &points)
            .await
    }

    /// Writes `(epoch seconds, value)` points of one metric, 1000 a call.
    pub async fn put_points(
        &self,
        namespace: &str,
        metric: &str,
        dimensions: &BTreeMap<String, String>,
        points: &[(i64, f64)],
    ) -> Result<()> {
        for chunk in points.chunks(1000) {
            let datums = chunk
                .iter()
                .map(|(at, value)| {
                    MetricDatum::builder()
                        .metric_name(metric)
                        .set_dimensions(Some(
                            dimensions
                                .iter()
                                .map(|(n, v)| Dimension::builder().name(n).value(v).build())
                                .collect(),
                        ))
                        .value(*value)
                        .timestamp(DateTime::from_secs(*at))
                        .build()
                })
                .collect();
            self.clients
                .cloudwatch
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(datums))
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "PutMetricData: {}",
                        aws_smithy_types::error::display::DisplayErrorContext(&e)
                    )
                })?;
        }
        Ok(())
    }

    /// Every metric in `namespace` whose dimensions are exactly `Target=<target>`,
    /// with its latest value: read with ListMetrics + GetMetricData.
    pub async fn published(&self, namespace: &str, target: &str) -> Result<BTreeMap<String, f64>> {
        self.published_with(namespace, Some(target)).await
    }

    /// The latest value of each fleet-wide (dimensionless) metric in `namespace`.
    pub async fn published_fleet_wide(&self, namespace: &str) -> Result<BTreeMap<String, f64>> {
        self.published_with(namespace, None).await
    }

    async fn published_with(
        &self,
        namespace: &str,
        target: Option<&str>,
    ) -> Result<BTreeMap<String, f64>> {
        let listed = self
            .clients
            .cloudwatch
            .list_metrics()
            .namespace(namespace)
            .set_dimensions(target.map(|target| {
                vec![
                    DimensionFilter::builder()
                        .name("Target")
                        .value(target)
                        .build(),
                ]
            }))
            .send()
            .await
            .context("ListMetrics")?;
        let metrics: Vec<&Metric> = listed
            .metrics()
            .iter()
            .filter(|m| {
                let dims = m.dimensions();
                match target {
                    Some(target) => {
                        dims.len() == 1
                            && dims[0].name() == Some("Target")
                            && dims[0].value() == Some(target)
                    }
                    None => dims.is_empty(),
                }
            })
            .collect();
        if metrics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let queries = metrics
            .iter()
            .enumerate()
            .map(|(index, metric)| {
                MetricDataQuery::builder()
                    .id(format!("m{index}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric((*metric).clone())
                            .period(60)
                            .stat("Maximum")
                            .build(),
                    )
                    .build()
            })
            .collect();
        let now = SystemTime::now();
        let output = self
            .clients
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(DateTime::from(now - Duration::from_secs(900)))
            .end_time(DateTime::from(now + Duration::from_secs(60)))
            .scan_by(ScanBy::TimestampDescending)
            .send()
            .await
            .context("GetMetricData")?;
        let mut values = BTreeMap::new();
        for result in output.metric_data_results() {
            let index: usize = result
                .id()
                .and_then(|id| id.strip_prefix('m'))
                .and_then(|i| i.parse().ok())
                .context("query id")?;
            if let (Some(metric), Some(value)) =
                (metrics.get(index), sluice_aws::latest_value(result))
            {
                values.insert(metric.metric_name().unwrap_or_default().to_owned(), value);
            }
        }
        Ok(values)
    }

    /// How many metrics exist in a namespace at all.
    pub async fn metric_count(&self, namespace: &str) -> Result<usize> {
        let listed = self
            .clients
            .cloudwatch
            .list_metrics()
            .namespace(namespace)
            .send()
            .await
            .context("ListMetrics")?;
        Ok(listed.metrics().len())
    }
}

/// A name no other test or run uses, so tests share one emulator safely.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 0xfffff
    )
}

/// The repository root, for fixtures under events/.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixture event under events/, parsed.
pub fn fixture(path: &str) -> Result<serde_json::Value> {
    let full = repo_root().join("events").join(path);
    let text =
        std::fs::read_to_string(&full).with_context(|| format!("fixture {}", full.display()))?;
    serde_json::from_str(&text).with_context(|| format!("fixture {} is not JSON", full.display()))
}

/// A free TCP port on loopback.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The environment a function under `cargo lambda watch` needs to reach the
/// emulators, as `--env-var` arguments: watch does not pass its own environment on.
pub fn lambda_env_args(extra: &[(&str, &str)]) -> Vec<String> {
    let mut args = Vec::new();
    let forwarded = [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDWATCH",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ];
    for name in forwarded {
        if let Ok(value) = std::env::var(name) {
            args.push("--env-var".to_owned());
            args.push(format!("{name}={value}"));
        }
    }
    for (name, value) in extra {
        args.push("--env-var".to_owned());
        args.push(format!("{name}={value}"));
    }
    args
}

/// Starts `cargo lambda watch` on `port` for the workspace's functions; it is killed
/// when the returned child is dropped.
pub fn cargo_lambda_watch(port: u16, env: &[(&str, &str)]) -> Result<tokio::process::Child> {
    tokio::process::Command::new("cargo")
        .args(["lambda", "watch", "--ignore-changes", "--invoke-address", "127.0.0.1", "--invoke-port", &port.to_string()])
        .args(lambda_env_args(env))
        .current_dir(repo_root())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start `cargo lambda watch` (cargo-lambda comes with infra/bootstrap.sh in .venv/tools/bin)")
}

/// `cargo lambda invoke FUNCTION --data-file FIXTURE` against a watch on `port`,
/// retried while the watch server starts and compiles; returns the function's output.
pub async fn cargo_lambda_invoke(
    port: u16,
    function: &str,
    data_file: &str,
    patience: Duration,
) -> Result<String> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let output = tokio::process::Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                function,
                "--data-file",
                data_file,
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
                "--output-format",
                "json",
            ])
            .current_dir(repo_root())
            .output()
            .await
            .context("cannot run `cargo lambda invoke`")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let starting = stderr.contains("Connection refused")
            || stderr.contains("error sending request")
            || stderr.contains("connect");
        if !starting || std::time::Instant::now() > deadline {
            bail!("cargo lambda invoke {function} failed: {stderr}{stdout}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl Emulators {
    /// desiredCount of a service, as ECS (moto) reports it.
    pub async fn desired_count(&self, cluster: &str, service: &str) -> Result<i32> {
        let output = self
            .clients
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .context("DescribeServices")?;
        let found = output
            .services()
            .first()
            .with_context(|| format!("service {cluster}/{service} not found"))?;
        Ok(found.desired_count())
    }

    /// Registers the service as an Application Auto Scaling scalable target.
    pub async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        min: i32,
        max: i32,
    ) -> Result<()> {
        use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
        self.clients
            .autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(sluice_aws::ecs_resource_id(cluster, service))
            .min_capacity(min)
            .max_capacity(max)
            .send()
            .await
            .context("RegisterScalableTarget")?;
        Ok(())
    }

    /// Deletes up to `count` messages, as a worker that finished them would.
    pub async fn consume(&self, queue_url: &str, count: i32) -> Result<usize> {
        let output = self
            .clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(count.min(10))
            .send()
            .await
            .context("ReceiveMessage")?;
        for message in output.messages() {
            if let Some(handle) = message.receipt_handle() {
                self.clients
                    .sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .context("DeleteMessage")?;
            }
        }
        Ok(output.messages().len())
    }
}

/// moto's request recorder: the emulator's own log of every request it received, to
/// count calls without trusting the code under test. Starting it is idempotent.
pub mod moto_recorder {
    use anyhow::{Context, Result, bail};
    use base64::Engine;
    use std::io::{Read, Write};

    fn request(method: &str, path: &str) -> Result<String> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").context("AWS_ENDPOINT_URL")?;
        let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = std::net::TcpStream::connect(authority)
            .with_context(|| format!("connect {authority}"))?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: 0\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            bail!("moto {path}: {head}");
        }
        Ok(body.to_owned())
    }

    pub fn start() -> Result<()> {
        request("POST", "/moto-api/recorder/start-recording").map(|_| ())
    }

    /// Recorded requests whose `X-Amz-Target` ends with `.{operation}` and whose body
    /// mentions `needle`.
    pub fn count(operation: &str, needle: &str) -> Result<usize> {
        let log = request("GET", "/moto-api/recorder/download-recording")?;
        let mut count = 0;
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            let entry: serde_json::Value = serde_json::from_str(line).context("recorder line")?;
            let target = entry["headers"]["X-Amz-Target"]
                .as_str()
                .unwrap_or_default();
            if !target.ends_with(&format!(".{operation}")) {
                continue;
            }
            let body = entry["body"].as_str().unwrap_or_default();
            let body = if entry["body_encoded"].as_bool() == Some(true) {
                String::from_utf8_lossy(
                    &base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .unwrap_or_default(),
                )
                .into_owned()
            } else {
                body.to_owned()
            };
            if body.contains(needle) {
                count += 1;
            }
        }
        Ok(count)
    }
}

impl Emulators {
    /// (MinCapacity, MaxCapacity) of a service's scalable target, as AAS reports them.
    pub async fn scalable_bounds(&self, cluster: &str, service: &str) -> Result<(i32, i32)> {
        use aws_sdk_applicationautoscaling::types::ServiceNamespace;
        let output = self
            .clients
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids(sluice_aws::ecs_resource_id(cluster, service))
            .send()
            .await
            .context("DescribeScalableTargets")?;
        let target = output
            .scalable_targets()
            .first()
            .context("no scalable target")?;
        Ok((target.min_capacity(), target.max_capacity()))
    }

    pub async fn store_profile(
        &self,
        store: &DynamoStore,
        profile: &sluice_core::profile::Profile,
    ) -> Result<()> {
        store
            .put(
                ItemKind::Profile,
                &profile.name,
                &serde_json::to_string(profile)?,
            )
            .await?;
        Ok(())
    }
}

impl Emulators {
    /// Writes a metric's history, `(epoch seconds, value)` points with dimension
    /// `Target=<target>`, as the metric publisher would have over past days.
    pub async fn put_history(
        &self,
        namespace: &str,
        target: &str,
        metric: &str,
        points: &[(i64, f64)],
    ) -> Result<()> {
        let dimensions = BTreeMap::from([("Target".to_owned(), target.to_owned())]);
        self.put_points(namespace, metric, &dimensions, points)
            .await
    }
}
