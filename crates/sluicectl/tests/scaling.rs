//! `sluicectl apply` owning Application Auto Scaling, against moto (scalable targets,
//! policies and the target-tracking alarms moto makes for them) and LocalStack (the
//! burst alarm): everything is read back from the emulators with the SDK, and calls
//! are counted by moto's recorder.

#![allow(
    clippy::expect_used,
    reason = "test helpers: a failure here is a failed test"
)]

mod common;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_sdk_applicationautoscaling::types::{
    PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalingPolicy, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::MetricAlarm;
use common::{fresh_table, sluicectl, text, write_temp};
use sluice_aws::ecs_resource_id;
use sluice_testkit::faults::{Fault, FaultPlan};
use sluice_testkit::{Emulators, moto_recorder, repo_root, unique};
use sluicectl::scaling::{self, ScalingClients};

/// One service in moto and a configuration naming it, with every kind of policy.
struct Scene {
    emulators: Emulators,
    table: String,
    namespace: String,
    target: String,
    cluster: String,
    service: String,
}

impl Scene {
    async fn new(prefix: &str) -> Result<Scene> {
        let emulators = Emulators::connect().await?;
        let table = unique(&format!("{prefix}-table"));
        emulators.create_table(&table).await?;
        let cluster = unique(&format!("{prefix}-cluster"));
        emulators.create_cluster(&cluster).await?;
        let service = unique(&format!("{prefix}-svc"));
        emulators.create_service(&cluster, &service, 0).await?;
        Ok(Scene {
            emulators,
            table,
            namespace: unique("SluiceScaling"),
            target: unique(prefix),
            cluster,
            service,
        })
    }

    /// The service's scalable target's (MinCapacity, MaxCapacity), read from moto.
    async fn bounds(&self) -> Result<(i32, i32)> {
        self.emulators
            .scalable_bounds(&self.cluster, &self.service)
            .await
    }

    fn resource(&self) -> String {
        ecs_resource_id(&self.cluster, &self.service)
    }

    fn store(&self) -> sluice_aws::DynamoStore {
        sluice_aws::DynamoStore::new(self.emulators.clients.dynamodb().clone(), &self.table)
    }

    /// The prescaler's own record on the target's service, as its run would save it:
    /// a floor raised to `raised_to`, MaxCapacity capped to `capped_to`.
    /// A scene whose plain target is applied (its file returned) and whose service the
    /// prescaler holds raised to `raised_to` (and capped to `capped_to`).
    async fn held_by_prescaler(
        prefix: &str,
        raised_to: u32,
        capped_to: Option<u32>,
    ) -> Result<(Scene, String)> {
        let scene = Scene::new(prefix).await?;
        let file = scene.file("", "");
        let (ok, stdout, stderr) = scene.apply(&file, &[]);
        anyhow::ensure!(ok, "{stdout}{stderr}");
        scene.prescaler_holds(raised_to, capped_to).await?;
        Ok((scene, file))
    }

    async fn prescaler_holds(&self, raised_to: u32, capped_to: Option<u32>) -> Result<()> {
        use sluice_aws::PrescaleStates;
        let held = sluice_core::prescale::OwnWrite {
            raised_to,
            capped_to,
            at: jiff::Timestamp::now().as_second(),
            resource: None,
        };
        self.store().save(&self.target, Some(held)).await?;
        Ok(())
    }

    /// The configuration file: `scaling` is the target's scaling block, `extra` more
    /// top-level YAML (profiles).
    fn file(&self, scaling: &str, extra: &str) -> String {
        let yaml = format!(
            "targets:\n  - name: {}\n    cluster: {}\n    service: {}\n    queues: [jobs-a, jobs-b]\n    capacity: {{ min: 0, max: 10 }}\n    backlog_per_task: 5\n    gpu: {{ dimensions: {{ ServiceName: {} }} }}\n{scaling}{extra}",
            self.target, self.cluster, self.service, self.service
        );
        write_temp("scaling.yaml", &yaml).display().to_string()
    }

    fn apply(&self, file: &str, more: &[&str]) -> (bool, String, String) {
        let mut args = vec!["apply", "-f", file, "--namespace", &self.namespace];
        args.extend_from_slice(more);
        let output = sluicectl(&args, Some(&self.table));
        let (stdout, stderr) = text(&output);
        (output.status.success(), stdout, stderr)
    }

    fn status(&self) -> (Option<i32>, String) {
        let output = sluicectl(
            &["status", "--namespace", &self.namespace],
            Some(&self.table),
        );
        (output.status.code(), text(&output).0)
    }

    /// Applies `file` and reads the service's policies back as moto holds them.
    async fn applied(&self, file: &str) -> Result<Vec<ScalingPolicy>> {
        let (ok, stdout, stderr) = self.apply(file, &[]);
        assert!(ok, "{stdout}{stderr}");
        self.live_policies().await
    }

    /// The service's policies as moto holds them.
    async fn live_policies(&self) -> Result<Vec<ScalingPolicy>> {
        let output = self
            .emulators
            .clients
            .autoscaling()
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(self.resource())
            .send()
            .await
            .context("DescribeScalingPolicies")?;
        Ok(output
            .scaling_policies()
            .iter()
            .filter(|p| p.resource_id() == self.resource())
            .cloned()
            .collect())
    }

    /// A second apply of `file`: in sync, no write to Application Auto Scaling as moto
    /// recorded them, and status without drift.
    fn again_changes_nothing(&self, file: &str) -> Result<()> {
        let writes = self.aas_writes()?;
        let (ok, stdout, _) = self.apply(file, &[]);
        assert!(
            ok && stdout.contains(&format!("scaling {}: in sync", self.target)),
            "{stdout}"
        );
        assert_eq!(
            self.aas_writes()? - writes,
            0,
            "a second apply writes nothing"
        );
        assert_eq!(self.status().0, Some(0), "{}", self.status().1);
        Ok(())
    }

    /// The policies on the service, by name, with their ARN and tracked target value.
    async fn policies(&self) -> Result<BTreeMap<String, (String, Option<f64>)>> {
        Ok(self
            .live_policies()
            .await?
            .iter()
            .map(|p| {
                let target = p
                    .target_tracking_scaling_policy_configuration()
                    .map(|c| c.target_value());
                (
                    p.policy_name().to_owned(),
                    (p.policy_arn().to_owned(), target),
                )
            })
            .collect())
    }

    /// The burst alarm in CloudWatch (LocalStack): its threshold and actions.
    async fn burst_alarm(&self) -> Result<Option<(f64, Vec<String>)>> {
        Ok(self
            .alarm("burst")
            .await?
            .map(|a| (a.threshold().unwrap_or(-1.0), a.alarm_actions().to_vec())))
    }

    /// The alarm `sluice-<target>-<suffix>` as CloudWatch (LocalStack) holds it.
    async fn alarm(&self, suffix: &str) -> Result<Option<MetricAlarm>> {
        let name = format!("sluice-{}-{suffix}", self.target);
        let output = self
            .emulators
            .clients
            .cloudwatch()
            .describe_alarms()
            .alarm_names(&name)
            .send()
            .await
            .context("DescribeAlarms")?;
        Ok(output.metric_alarms().first().cloned())
    }

    /// A policy of the team's own, which Sluice must never touch.
    async fn put_foreign_policy(&self) -> Result<()> {
        let config = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(70.0)
            .predefined_metric_specification(
                PredefinedMetricSpecification::builder()
                    .predefined_metric_type("ECSServiceAverageCPUUtilization".into())
                    .build()?,
            )
            .build()?;
        self.emulators
            .clients
            .autoscaling()
            .put_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(self.resource())
            .policy_name("team-cpu")
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(config)
            .send()
            .await
            .context("PutScalingPolicy team-cpu")?;
        Ok(())
    }

    /// Writes to Application Auto Scaling and CloudWatch alarms concerning this
    /// service or target, as moto recorded them (CloudWatch is LocalStack's: counted
    /// by reading the alarm back instead).
    fn aas_writes(&self) -> Result<usize> {
        moto_recorder::count_any(
            &[
                "RegisterScalableTarget",
                "PutScalingPolicy",
                "DeleteScalingPolicy",
            ],
            &[&format!("\"{}\"", self.resource())],
        )
    }
}

const EVERY_POLICY: &str = "    scaling:\n      scale_out_cooldown: 30\n      gpu_utilization: 75\n      oldest_message_age: 300\n      burst: { steps: [ { backlog: 500, add: 5 }, { backlog: 2000, add: 10 } ] }\n";

#[tokio::test]
async fn apply_makes_the_declared_policies_and_a_second_apply_changes_nothing() -> Result<()> {
    moto_recorder::start()?;
    let scene = Scene::new("pol").await?;
    scene
        .emulators
        .register_scalable_target(&scene.cluster, &scene.service, 0, 3)
        .await?;
    scene.put_foreign_policy().await?;
    let file = scene.file(EVERY_POLICY, "");

    let (ok, stdout, stderr) = scene.apply(&file, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("bounds 0-3 -> 0-10"), "{stdout}");
    assert_eq!(scene.bounds().await?, (0, 10));
    let policies = scene.policies().await?;
    let names: Vec<&str> = policies.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "sluice-burst",
            "sluice-capacity",
            "sluice-oldest-message-age",
            "team-cpu"
        ],
        "the GPUs are part of the need the capacity policy tracks"
    );
    assert_eq!(
        policies["sluice-capacity"].1,
        Some(110.0),
        "GPUs at 75 %: the need may stand a tenth above desired before a raise"
    );
    assert_eq!(
        policies["team-cpu"].1,
        Some(70.0),
        "not Sluice's: untouched"
    );
    let (threshold, actions) = scene.burst_alarm().await?.context("the burst alarm")?;
    assert_eq!(threshold, 500.0);
    assert_eq!(
        actions,
        [policies["sluice-burst"].0.clone()],
        "the alarm invokes the burst policy"
    );

    scene.again_changes_nothing(&file)
}

/// A target-tracking policy as moto holds it: name, metric type, resource label,
/// target, scale-in cooldown, scale-in disabled.
type ReadBack = (
    String,
    String,
    Option<String>,
    f64,
    Option<i32>,
    Option<bool>,
);

/// The tracking server of an ML orchestrator: CPU at 65 % (the 20-second series, its
/// own scale-in cooldown) and load-balancer requests per task at 1000 a minute.
const PREDEFINED: &str = "    scaling:\n      cpu_utilization: { target: 65, high_resolution: true, scale_in_cooldown: 600 }\n      memory_utilization: 80\n      requests_per_task:\n        target: 1000\n        load_balancer: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/tracking/50dc6c495c0c9188\n        target_group: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tracking-tg/943f017f100becff\n";

#[tokio::test]
async fn predefined_metrics_are_applied_as_aws_names_them_and_again_changes_nothing() -> Result<()>
{
    moto_recorder::start()?;
    let scene = Scene::new("predef").await?;
    let file = scene.file(PREDEFINED, "");
    let policies = scene.applied(&file).await?;
    let mut read: Vec<ReadBack> = policies
        .iter()
        .filter_map(|p| {
            let config = p.target_tracking_scaling_policy_configuration()?;
            let (kind, label) = match config.predefined_metric_specification() {
                Some(spec) => (
                    spec.predefined_metric_type().as_str().to_owned(),
                    spec.resource_label().map(str::to_owned),
                ),
                None => ("customized".to_owned(), None),
            };
            Some((
                p.policy_name().to_owned(),
                kind,
                label,
                config.target_value(),
                config.scale_in_cooldown(),
                config.disable_scale_in(),
            ))
        })
        .collect();
    read.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        read,
        [
            (
                "sluice-capacity".into(),
                "customized".into(),
                None,
                100.0,
                Some(300),
                Some(false)
            ),
            (
                "sluice-cpu-utilization".into(),
                "ECSServiceAverageCPUUtilizationHighResolution".into(),
                None,
                65.0,
                Some(600),
                Some(false)
            ),
            (
                "sluice-memory-utilization".into(),
                "ECSServiceAverageMemoryUtilization".into(),
                None,
                80.0,
                Some(300),
                Some(false)
            ),
            (
                "sluice-requests-per-task".into(),
                "ALBRequestCountPerTarget".into(),
                Some(
                    "app/tracking/50dc6c495c0c9188/targetgroup/tracking-tg/943f017f100becff".into()
                ),
                1000.0,
                Some(300),
                Some(false)
            ),
        ],
        "as moto holds them: scale-in is Application Auto Scaling's when every policy agrees"
    );
    scene.again_changes_nothing(&file)
}

/// The agents' active tasks per agent at 70, and a lag's growth a minute at 200.
const METRICS: &str = "    scaling:\n      metrics:\n        - { namespace: Agents, metric: ActiveTasks, statistic: Sum, target: 70, per_task: true }\n        - { id: lag-growth, namespace: Pipestream/Kafka, metric: ConsumerLag, statistic: Maximum, dimensions: { ConsumerGroup: engine }, target: 200, rate: true }\n";

#[tokio::test]
async fn several_metrics_are_applied_as_metric_math_and_again_change_nothing() -> Result<()> {
    moto_recorder::start()?;
    let scene = Scene::new("math").await?;
    let file = scene.file(METRICS, "");
    let policies = scene.applied(&file).await?;
    let math = |name: &str| -> Vec<(String, String)> {
        policies
            .iter()
            .filter(|p| p.policy_name() == name)
            .filter_map(|p| p.target_tracking_scaling_policy_configuration())
            .filter_map(|c| c.customized_metric_specification())
            .flat_map(|spec| spec.metrics())
            .map(|q| {
                let what = match (q.expression(), q.metric_stat()) {
                    (Some(expression), _) => expression.to_owned(),
                    (None, Some(stat)) => stat
                        .metric()
                        .and_then(|m| m.metric_name())
                        .unwrap_or_default()
                        .to_owned(),
                    _ => String::new(),
                };
                (q.id().to_owned(), what)
            })
            .collect()
    };
    let pair = |id: &str, what: &str| (id.to_owned(), what.to_owned());
    assert_eq!(
        math("sluice-metric-activetasks"),
        [
            pair("m0", "ActiveTasks"),
            pair("m1", "RunningTasks"),
            pair("e", "m0 / m1")
        ],
        "per agent: over the running tasks Sluice publishes"
    );
    assert_eq!(
        math("sluice-metric-lag-growth"),
        [pair("m0", "ConsumerLag"), pair("e", "RATE(m0) * 60")]
    );
    scene.again_changes_nothing(&file)
}

/// The orchestrator's rules as its team wrote them: "CPU above 65 % for 5 minutes =>
/// +1 task", and a module's "latency p99 above 2 s for 3 of 5 minutes => +2".
const STEP_RULES: &str = "    scaling:\n      step_rules:\n        - { id: cpu-high, namespace: AWS/ECS, metric: CPUUtilization, dimensions: { ClusterName: ml, ServiceName: orchestrator }, above: 65, for_minutes: 5, add: 1, cooldown: 300 }\n        - { id: slow, namespace: Modules, metric: Latency, statistic: p99, above: 2, for_minutes: 3, of_minutes: 5, add: 2 }\n        - { id: lag-growth, namespace: Pipestream/Kafka, metric: ConsumerLag, statistic: Maximum, rate: true, above: 500, for_minutes: 3, add: 2 }\n";

#[tokio::test]
async fn step_rules_are_step_policies_on_alarms_with_their_minutes() -> Result<()> {
    moto_recorder::start()?;
    let scene = Scene::new("steps").await?;
    let file = scene.file(STEP_RULES, "");
    let policies = scene.applied(&file).await?;
    let step = |name: &str| {
        policies
            .iter()
            .find(|p| p.policy_name() == name)
            .and_then(|p| p.step_scaling_policy_configuration())
            .map(|c| {
                let steps: Vec<(Option<f64>, Option<f64>, i32)> = c
                    .step_adjustments()
                    .iter()
                    .map(|s| {
                        (
                            s.metric_interval_lower_bound(),
                            s.metric_interval_upper_bound(),
                            s.scaling_adjustment(),
                        )
                    })
                    .collect();
                (steps, c.cooldown())
            })
    };
    assert_eq!(
        step("sluice-step-cpu-high"),
        Some((vec![(Some(0.0), None, 1)], Some(300)))
    );
    assert_eq!(
        step("sluice-step-slow"),
        Some((vec![(Some(0.0), None, 2)], Some(60))),
        "the block's scale-out cooldown"
    );
    let cpu = scene.alarm("step-cpu-high").await?.context("cpu alarm")?;
    assert_eq!(
        (
            cpu.comparison_operator().map(|c| c.as_str().to_owned()),
            cpu.threshold(),
            cpu.evaluation_periods(),
            cpu.datapoints_to_alarm(),
            cpu.treat_missing_data()
        ),
        (
            Some("GreaterThanThreshold".to_owned()),
            Some(65.0),
            Some(5),
            Some(5),
            Some("notBreaching")
        )
    );
    let arn = policies
        .iter()
        .find(|p| p.policy_name() == "sluice-step-cpu-high")
        .map(|p| p.policy_arn().to_owned());
    assert_eq!(
        cpu.alarm_actions().first().cloned(),
        arn,
        "it invokes its policy"
    );
    let slow = scene.alarm("step-slow").await?.context("latency alarm")?;
    assert_eq!(
        (
            slow.extended_statistic(),
            slow.statistic().is_none(),
            slow.evaluation_periods(),
            slow.datapoints_to_alarm()
        ),
        (Some("p99"), true, Some(5), Some(3)),
        "3 of 5 minutes of the p99"
    );
    let growth = scene
        .alarm("step-lag-growth")
        .await?
        .context("growth alarm")?;
    let queries: Vec<(Option<String>, Option<String>, Option<String>)> = growth
        .metrics()
        .iter()
        .map(|q| {
            (
                q.id().map(str::to_owned),
                q.expression().map(str::to_owned),
                q.metric_stat()
                    .and_then(|s| s.metric())
                    .and_then(|m| m.metric_name())
                    .map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        queries,
        [
            (Some("m0".into()), None, Some("ConsumerLag".into())),
            (Some("e".into()), Some("RATE(m0) * 60".into()), None),
        ],
        "the lag's growth a minute, as metric math"
    );
    scene.again_changes_nothing(&file)
}

#[tokio::test]
async fn drift_is_shown_and_undone_and_removed_policies_are_deleted() -> Result<()> {
    let scene = Scene::new("drift").await?;
    let file = scene.file(EVERY_POLICY, "");
    assert!(scene.apply(&file, &[]).0);
    scene.put_foreign_policy().await?;

    // Someone edits a Sluice-owned policy by hand.
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(1.0)
        .predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type("ECSServiceAverageCPUUtilization".into())
                .build()?,
        )
        .build()?;
    scene
        .emulators
        .clients
        .autoscaling()
        .put_scaling_policy()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(scene.resource())
        .policy_name("sluice-capacity")
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await?;
    let (code, stdout) = scene.status();
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("sluice-capacity: drift"), "{stdout}");
    assert!(
        stdout.contains("team-cpu: not Sluice's: left alone"),
        "{stdout}"
    );
    let (ok, stdout, _) = scene.apply(&file, &["--dry-run"]);
    assert!(
        ok && stdout.contains("would put policy sluice-capacity"),
        "{stdout}"
    );
    assert_eq!(
        scene.policies().await?["sluice-capacity"].1,
        Some(1.0),
        "dry run"
    );
    assert!(scene.apply(&file, &[]).0);
    assert_eq!(scene.policies().await?["sluice-capacity"].1, Some(110.0));

    // The burst and age policies leave the file: theirs go, team-cpu stays.
    let plain = scene.file("", "");
    let (ok, stdout, stderr) = scene.apply(&plain, &[]);
    assert!(ok, "{stdout}{stderr}");
    let names: Vec<String> = scene.policies().await?.into_keys().collect();
    assert_eq!(names, ["sluice-capacity", "team-cpu"]);
    assert_eq!(scene.burst_alarm().await?, None, "its alarm is deleted");
    assert_eq!(scene.status().0, Some(0));
    Ok(())
}

#[tokio::test]
async fn a_floor_the_prescaler_holds_is_kept_and_prune_cleans_up() -> Result<()> {
    let scene = Scene::new("floor").await?;
    let always = "profiles:\n  - { name: always, timezone: UTC, windows: [ { days_of_month: \"1-L\", min_tasks: 4 } ] }\n";
    let file = scene.file("", always);
    let with_profile = scene.file("    profile: always\n", always);
    assert!(scene.apply(&file, &[]).0);
    assert_eq!(scene.bounds().await?, (0, 10));
    let (ok, stdout, stderr) = scene.apply(&with_profile, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        scene.bounds().await?,
        (4, 10),
        "the window's floor, as the prescaler would hold it"
    );

    scene.put_foreign_policy().await?;
    let empty = write_temp("empty.yaml", "").display().to_string();
    let (ok, stdout, stderr) = scene.apply(&empty, &["--prune", "--allow-empty"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("delete policy sluice-capacity"), "{stdout}");
    let names: Vec<String> = scene.policies().await?.into_keys().collect();
    assert_eq!(names, ["team-cpu"], "only what Sluice owned is gone");
    Ok(())
}

/// Issue 23 item 3: while the prescaler holds MaxCapacity down (a spent enforcing
/// budget, a window's cap: its own write says `capped_to`), an apply put it back to
/// `capacity.max`, so each apply lifted the cap until the prescaler's next run took it
/// down again. Apply now keeps the cap in force; the prescaler alone lifts it.
#[tokio::test]
async fn a_cap_the_prescaler_holds_is_kept_by_apply() -> Result<()> {
    use sluice_aws::PrescaleStates;
    let (scene, file) = Scene::held_by_prescaler("capped", 0, Some(2)).await?;
    scene
        .emulators
        .register_scalable_target(&scene.cluster, &scene.service, 0, 2)
        .await?;
    let (ok, stdout, stderr) = scene.apply(&file, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        scene.bounds().await?,
        (0, 2),
        "MaxCapacity stays where the prescaler holds it: {stdout}"
    );
    // Once the prescaler lifts its cap (its record gone), apply sets capacity.max.
    scene.store().save(&scene.target, None).await?;
    assert!(scene.apply(&file, &[]).0);
    assert_eq!(scene.bounds().await?, (0, 10));
    Ok(())
}

/// A target moved to another service, or pruned, while the prescaler holds a raise on
/// its service: refused, the table and the old service as they were (read back from
/// moto); with --leave-raises it goes through and says what it left.
#[tokio::test]
async fn a_move_or_prune_that_would_strand_a_raise_is_refused() -> Result<()> {
    use sluice_aws::{ConfigStore, ItemKind};
    let (scene, file) = Scene::held_by_prescaler("moved", 3, None).await?;
    let store = scene.store();
    let stored = || async {
        let items = store.list(ItemKind::Target).await?;
        anyhow::Ok(
            items
                .into_iter()
                .find(|i| i.name == scene.target)
                .map(|i| i.spec),
        )
    };
    let before = stored().await?;
    let elsewhere = unique("moved-svc-2");
    scene
        .emulators
        .create_service(&scene.cluster, &elsewhere, 0)
        .await?;
    let moved = write_temp(
        "moved.yaml",
        &std::fs::read_to_string(&file)?.replace(
            &format!("service: {}", scene.service),
            &format!("service: {elsewhere}"),
        ),
    )
    .display()
    .to_string();
    let (ok, stdout, stderr) = scene.apply(&moved, &[]);
    assert!(!ok, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "target {}: the prescaler holds a raise to 3 task(s) on {}/{}; moving the target to {}/{elsewhere} would leave it there",
            scene.target, scene.cluster, scene.service, scene.cluster
        )),
        "{stderr}"
    );
    assert_eq!(stored().await?, before, "nothing written");
    assert!(
        scene
            .emulators
            .scalable_bounds(&scene.cluster, &elsewhere)
            .await
            .is_err()
    );

    let empty = write_temp("empty.yaml", "targets: []\nprofiles: []\n")
        .display()
        .to_string();
    let (ok, _, stderr) = scene.apply(&empty, &["--prune", "--allow-empty"]);
    assert!(
        !ok && stderr.contains("deleting the target (--prune)"),
        "{stderr}"
    );
    assert_eq!(stored().await?, before, "nothing deleted");

    let (ok, stdout, stderr) = scene.apply(&moved, &["--leave-raises"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.contains("left as --leave-raises asks"), "{stderr}");
    assert_ne!(stored().await?, before, "the move is stored");
    Ok(())
}

/// One file, two environments: `--env dev` applies dev's bounds to the scalable target
/// and stores no map; without `--env` the bounds as written; a misspelt environment
/// is refused and changes nothing (bounds read back from moto).
#[tokio::test]
async fn an_environment_applies_its_own_bounds() -> Result<()> {
    let scene = Scene::new("envs").await?;
    let file = write_temp(
        "envs.yaml",
        &std::fs::read_to_string(scene.file("", ""))?.replace(
            "    capacity: { min: 0, max: 10 }\n",
            "    capacity: { min: 0, max: 10 }\n    capacity_by_env: { dev: { min: 0, max: 2 } }\n",
        ),
    )
    .display()
    .to_string();
    let (ok, stdout, stderr) = scene.apply(&file, &["--env", "dev"]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(scene.bounds().await?, (0, 2), "dev's bounds");
    let (ok, _, stderr) = scene.apply(&file, &["--env", "prd"]);
    assert!(
        !ok && stderr.contains("no target declares capacity_by_env.prd"),
        "{stderr}"
    );
    assert_eq!(scene.bounds().await?, (0, 2), "nothing applied");
    let (ok, stdout, stderr) = scene.apply(&file, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(scene.bounds().await?, (0, 10), "as written");
    Ok(())
}

/// The run queue's custom metric, with the alarm for when it stops arriving.
fn waiting_runs(missing: &str) -> String {
    format!(
        "    scaling:\n      metric: {{ namespace: Orchestrator, metric: WaitingRuns, statistic: Maximum, target: 10{missing} }}\n"
    )
}

const ALARM_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:sluice-alarms";

#[tokio::test]
async fn a_tracked_metric_that_goes_missing_alarms_to_its_topic() -> Result<()> {
    let scene = Scene::new("missing").await?;
    let missing = |minutes: u32| {
        waiting_runs(&format!(
            ", missing: {{ topic: \"{ALARM_TOPIC}\", minutes: {minutes} }}"
        ))
    };
    let (ok, stdout, stderr) = scene.apply(&scene.file(&missing(5), ""), &[]);
    assert!(ok, "{stdout}{stderr}");
    let name = format!("sluice-{}-metric-missing", scene.target);
    let read = || async {
        let output = scene
            .emulators
            .clients
            .cloudwatch()
            .describe_alarms()
            .alarm_names(&name)
            .send()
            .await
            .context("DescribeAlarms")?;
        anyhow::Ok(output.metric_alarms().first().cloned())
    };
    let alarm = read().await?.context("the missing-metric alarm exists")?;
    assert_eq!(alarm.metric_name(), Some("WaitingRuns"));
    assert_eq!(alarm.namespace(), Some("Orchestrator"));
    assert_eq!(alarm.statistic().map(|s| s.as_str()), Some("SampleCount"));
    assert_eq!(
        alarm.comparison_operator().map(|c| c.as_str()),
        Some("LessThanThreshold")
    );
    assert_eq!(alarm.threshold(), Some(1.0));
    assert_eq!(alarm.evaluation_periods(), Some(5));
    assert_eq!(alarm.treat_missing_data(), Some("breaching"));
    assert_eq!(alarm.alarm_actions(), [ALARM_TOPIC]);

    let (ok, stdout, _) = scene.apply(&scene.file(&missing(5), ""), &[]);
    assert!(ok && stdout.contains("in sync"), "{stdout}");
    let (ok, stdout, _) = scene.apply(&scene.file(&missing(10), ""), &[]);
    assert!(ok && stdout.contains("condition changed"), "{stdout}");
    let alarm = read().await?.context("still there")?;
    assert_eq!(alarm.evaluation_periods(), Some(10));

    let (ok, stdout, _) = scene.apply(&scene.file(&waiting_runs(""), ""), &[]);
    assert!(
        ok && stdout.contains(&format!("delete alarm {name}")),
        "{stdout}"
    );
    assert!(read().await?.is_none(), "gone with its declaration");
    Ok(())
}

#[tokio::test]
async fn two_applies_at_once_end_where_the_file_says() -> Result<()> {
    let scene = Scene::new("race").await?;
    let file = scene.file(EVERY_POLICY, "");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sluicectl"))
            .args(["apply", "-f", &file, "--namespace", &scene.namespace])
            .env("SLUICE_TABLE", &scene.table)
            .output()
    };
    let (first, second) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join(), b.join())
    });
    for output in [first, second] {
        let output = output.map_err(|_| anyhow::anyhow!("apply thread"))??;
        assert!(output.status.success(), "{:?}", text(&output));
    }
    assert_eq!(scene.policies().await?.len(), 3);
    let (ok, stdout, _) = scene.apply(&file, &[]);
    assert!(ok && stdout.contains("in sync"), "{stdout}");
    Ok(())
}

/// Faults beneath the real SDK: the service refuses PutScalingPolicy for one target
/// (throttled past the SDK's retries). That target is reported with what was made and
/// what was not; the other target is reconciled; a run once healed finishes the first.
#[tokio::test]
async fn a_refused_policy_fails_only_its_target_and_the_next_apply_finishes() -> Result<()> {
    let victim = Scene::new("victim").await?;
    let bystander = Scene::new("bystander").await?;
    let targets: Vec<sluice_core::config::Target> = [&victim, &bystander]
        .iter()
        .map(|scene| {
            sluice_core::config::Target::new(&scene.target, &scene.cluster, &scene.service)
                .with_queues(["q"])
                .with_capacity(0, 4)
        })
        .collect();
    let plan = FaultPlan::new();
    plan.always_for(
        "ApplicationAutoScaling.PutScalingPolicy",
        &victim.service,
        Fault::Throttle,
    );
    let clients = victim.emulators.clients_with_faults(&plan)?;
    let scaling_clients = ScalingClients::new(&clients);
    let ports = scaling_clients.ports();
    let floors = BTreeMap::new();
    let run = || scaling::reconcile_all(&ports, &targets, &[], &floors, "Sluice", false);
    let first = run().await;
    let by_name = |all: &[scaling::Reconciled], name: &str| {
        all.iter()
            .find(|r| r.target == name)
            .map(|r| (r.made, r.changes.len(), r.error.clone()))
    };
    let (made, planned, error) = by_name(&first, &victim.target).context("victim")?;
    assert_eq!((made, planned), (1, 2), "bounds made, policy refused");
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("put policy sluice-capacity") && e.contains("Throttled")),
        "{error:?}"
    );
    assert_eq!(by_name(&first, &bystander.target), Some((2, 2, None)));
    assert!(victim.policies().await?.is_empty());
    assert_eq!(bystander.policies().await?.len(), 1);

    plan.heal();
    let second = run().await;
    assert_eq!(
        by_name(&second, &victim.target),
        Some((1, 1, None)),
        "only the policy was left"
    );
    assert_eq!(
        by_name(&second, &bystander.target),
        Some((0, 0, None)),
        "in sync"
    );
    assert_eq!(victim.policies().await?.len(), 1);
    Ok(())
}

/// The Done-when of policies as data: `apply` of the shipped example leaves, for every
/// target it manages, exactly what the file declares in moto and LocalStack (read back
/// and compared by the same reconcile `status` uses), and a second apply changes nothing.
/// infra/examples/sluice.yaml and every workload's sluice.yaml: applied, each managed
/// target's policies and alarms read back as declared (bounds aside: a profile's floor
/// now depends on the day the test runs), and a second apply changes nothing.
#[tokio::test]
async fn the_examples_applied_leave_what_they_declare_and_again_change_nothing() -> Result<()> {
    let mut files = vec![common::example()];
    for workload in std::fs::read_dir(repo_root().join("infra/examples"))? {
        let config = workload?.path().join("sluice.yaml");
        if config.is_file() {
            files.push(config.display().to_string());
        }
    }
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    let mut managed = 0;
    for file in &files {
        managed += apply_example(file).await.with_context(|| file.clone())?;
    }
    assert!(managed >= 8, "the examples manage many targets: {managed}");
    Ok(())
}

/// Applies one example file twice; the targets it manages.
async fn apply_example(file: &str) -> Result<usize> {
    use sluice_core::config::{Document, Format};
    let (emulators, table, _) = fresh_table("example-table").await?;
    let namespace = unique("SluiceExample");
    let document = Document::parse(&std::fs::read_to_string(file)?, Format::Yaml)
        .map_err(|problems| anyhow::anyhow!("{problems}"))?;
    // Application Auto Scaling (moto too) registers only services that exist, in the
    // target's own account.
    for target in &document.targets {
        let account = match &target.role_arn {
            Some(role) => emulators.in_account(role).await?,
            None => Emulators::connect().await?,
        };
        account.create_cluster(&target.cluster).await?;
        // Already there when an earlier run used the same emulators: fine.
        let _ = account
            .create_service(&target.cluster, &target.service, 0)
            .await;
    }
    let apply = || {
        let output = sluicectl(
            &["apply", "-f", file, "--namespace", &namespace],
            Some(&table),
        );
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{file}: {stdout}{stderr}");
        stdout
    };
    apply();

    let scaling_clients = ScalingClients::new(&emulators.clients);
    let ports = scaling_clients.ports();
    let mut managed = 0;
    for target in &document.targets {
        let Some(declared) = sluice_core::policy::declared(
            target,
            &namespace,
            sluice_core::prescale::Hold::default(),
        ) else {
            continue;
        };
        managed += 1;
        let (_, live) = scaling::read_live_in_account(&ports, target).await?;
        let left: Vec<_> = sluice_core::policy::reconcile(&declared, &live)
            .into_iter()
            .filter(|c| !matches!(c, sluice_core::policy::Change::Register { .. }))
            .collect();
        assert!(left.is_empty(), "{file} {}: {left:?}", target.name);
    }

    let again = apply();
    let scaling_lines: Vec<&str> = again
        .lines()
        .filter(|l| l.starts_with("scaling "))
        .collect();
    assert!(
        scaling_lines
            .iter()
            .all(|l| l.ends_with(": in sync") || l.contains("skipped")),
        "{file}: {again}"
    );
    Ok(managed)
}
