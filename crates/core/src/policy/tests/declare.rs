//! What each kind of scaling declares.

use super::*;

#[test]
fn a_missing_tracked_metric_alarms_to_its_topic() {
    let target = Target::new("runs", "ml", "runners").with_scaling(Scaling {
        metric: Some(crate::scaling::TrackedMetric {
            id: None,
            namespace: "Orchestrator".into(),
            metric: "WaitingRuns".into(),
            dimensions: BTreeMap::new(),
            statistic: "Maximum".into(),
            target: 10.0,
            per_task: false,
            rate: false,
            missing: Some(crate::scaling::MissingMetric {
                topic: "arn:aws:sns:us-east-1:1:alarms".into(),
                minutes: 5,
            }),
        }),
        ..Scaling::default()
    });
    let declared = declared(&target, "Sluice", Hold::default()).expect("managed");
    let alarm = &declared.alarms[0];
    assert_eq!(alarm.name, "sluice-runs-metric-missing");
    assert_eq!(alarm.when, AlarmWhen::Missing { minutes: 5 });
    assert!(matches!(&alarm.metric, Series::One(m) if m.statistic == "SampleCount"));
    assert_eq!(
        alarm.action,
        AlarmAction::Topic("arn:aws:sns:us-east-1:1:alarms".into())
    );
    let live = live_of(&declared);
    assert!(reconcile(&declared, &live).is_empty(), "in sync once made");
}

#[test]
fn several_metrics_are_policies_per_task_or_as_their_growth() {
    let (declared, names) = declared_from(
        "metrics:\n\
             \x20 - { namespace: Agents, metric: ActiveTasks, target: 70, per_task: true }\n\
             \x20 - id: lag-growth\n\
             \x20   namespace: Pipestream/Kafka\n\
             \x20   metric: ConsumerLag\n\
             \x20   statistic: Maximum\n\
             \x20   dimensions: { ConsumerGroup: engine }\n\
             \x20   target: 200\n\
             \x20   rate: true\n\
             \x20   missing: { topic: 'arn:aws:sns:us-east-1:123456789012:alarms' }\n",
    );
    assert_eq!(
        names,
        [
            CAPACITY_POLICY,
            "sluice-metric-activetasks",
            "sluice-metric-lag-growth"
        ]
    );
    let series = |index: usize| match &declared.policies[index].rule {
        Rule::TargetTracking { series, .. } => series.clone(),
        other => panic!("{other:?}"),
    };
    let Series::Math { metrics, op } = series(1) else {
        panic!("math")
    };
    assert_eq!(op, MathOp::PerTask);
    assert_eq!(
        (metrics[0].metric.as_str(), metrics[1].metric.as_str()),
        ("ActiveTasks", "RunningTasks"),
        "over the tasks Sluice publishes"
    );
    assert_eq!(metrics[1].dimensions["Target"], "t");
    let Series::Math { metrics, op } = series(2) else {
        panic!("math")
    };
    assert_eq!((op, metrics.len()), (MathOp::Rate, 1));
    assert_eq!(
        declared.alarms[0].name,
        "sluice-t-metric-lag-growth-missing"
    );
}

#[test]
fn a_target_without_queues_has_no_need_to_track() {
    let scaling: Scaling = serde_yaml_ng::from_str("cpu_utilization: 65").expect("scaling");
    let target = Target::new("t", "c", "s").with_scaling(scaling);
    assert!(
        !target.sizes_on_need(),
        "the watcher leaves its count to its policies"
    );
    let declared = declared(&target, "Sluice", Hold::default()).expect("managed");
    let names: Vec<&str> = declared.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["sluice-cpu-utilization"],
        "no sluice-capacity: its need would always be zero and drag the count to one"
    );
}

#[test]
fn a_step_rule_is_a_step_policy_on_an_alarm_of_its_own() {
    let (declared, names) = declared_from(
        "scale_in_cooldown: 600\n\
             step_rules:\n\
             \x20 - { id: cpu-high, namespace: AWS/ECS, metric: CPUUtilization, above: 65, for_minutes: 5, add: 1, cooldown: 120 }\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, below: 20, for_minutes: 10, of_minutes: 15, remove: 2 }\n\
             \x20 - { namespace: Gpu, metric: CacheHitRate, below: 60, add: 1 }\n",
    );
    assert_eq!(
        names,
        [
            CAPACITY_POLICY,
            "sluice-step-cpu-high",
            "sluice-step-cpuutilization-below",
            "sluice-step-cachehitrate-below"
        ]
    );
    assert_eq!(
        declared.policies[3].rule,
        Rule::Step {
            steps: vec![Step {
                lower: None,
                upper: Some(0.0),
                add: 1
            }],
            cooldown: 60
        },
        "a low cache hit rate adds: below the threshold, the scale-out cooldown"
    );
    assert_eq!(
        declared.policies[1].rule,
        Rule::Step {
            steps: vec![Step {
                lower: Some(0.0),
                upper: None,
                add: 1
            }],
            cooldown: 120
        }
    );
    assert_eq!(
        declared.policies[2].rule,
        Rule::Step {
            steps: vec![Step {
                lower: None,
                upper: Some(0.0),
                add: -2
            }],
            cooldown: 600
        },
        "removing: below the threshold, the scale-in cooldown"
    );
    let alarm = &declared.alarms[1];
    assert_eq!(alarm.name, "sluice-t-step-cpuutilization-below");
    assert_eq!(
        alarm.when,
        AlarmWhen::Breach {
            compare: Compare::Below,
            threshold: 20.0,
            datapoints: 10,
            periods: 15
        }
    );
    assert_eq!(
        alarm.action,
        AlarmAction::Policy("sluice-step-cpuutilization-below".into())
    );
    let live = live_of(&declared);
    assert!(reconcile(&declared, &live).is_empty(), "in sync once made");
}

#[test]
fn a_step_rule_on_a_rate_or_per_task_alarms_on_metric_math() {
    let (declared, _) = declared_from(
        "step_rules:\n\
             \x20 - { id: growth, namespace: Kafka, metric: Lag, statistic: Maximum, rate: true, above: 500, for_minutes: 3, add: 2 }\n\
             \x20 - { id: busy, namespace: Agents, metric: Active, statistic: Sum, per_task: true, above: 70, add: 1 }\n",
    );
    let Series::Math { metrics, op } = &declared.alarms[0].metric else {
        panic!("math: {:?}", declared.alarms[0].metric)
    };
    assert_eq!((*op, metrics[0].metric.as_str()), (MathOp::Rate, "Lag"));
    let Series::Math { metrics, op } = &declared.alarms[1].metric else {
        panic!("math: {:?}", declared.alarms[1].metric)
    };
    assert_eq!(*op, MathOp::PerTask);
    assert_eq!(metrics[1].metric, "RunningTasks");
    let live = live_of(&declared);
    assert!(reconcile(&declared, &live).is_empty(), "in sync once made");
}

#[test]
fn predefined_metrics_are_policies_and_take_scale_in_to_application_auto_scaling() {
    let plain = declared(
        &Target::new("t", "c", "s").with_queues(["q"]),
        "Sluice",
        Hold::default(),
    )
    .expect("managed");
    assert!(
        matches!(
            plain.policies[0].rule,
            Rule::TargetTracking {
                disable_scale_in: true,
                ..
            }
        ),
        "the give-back is the watcher's"
    );
    let (declared, names) = declared_from(
        "scale_in_cooldown: 600\n\
             cpu_utilization: { target: 70, high_resolution: true, scale_out_cooldown: 30 }\n\
             requests_per_task:\n\
             \x20 target: 1000\n\
             \x20 load_balancer: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188\n\
             \x20 target_group: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/943f017f100becff\n",
    );
    assert_eq!(
        names,
        [
            CAPACITY_POLICY,
            "sluice-cpu-utilization",
            "sluice-requests-per-task"
        ]
    );
    assert!(
        matches!(
            declared.policies[0].rule,
            Rule::TargetTracking {
                disable_scale_in: false,
                ..
            }
        ),
        "scale-in when every policy agrees, the need's included"
    );
    assert_eq!(
        declared.policies[1].rule,
        Rule::TargetTracking {
            series: Series::Predefined {
                metric_type: "ECSServiceAverageCPUUtilizationHighResolution".into(),
                resource_label: None,
            },
            target: 70.0,
            scale_out_cooldown: 30,
            scale_in_cooldown: 600,
            disable_scale_in: false,
        }
    );
    assert!(matches!(
        &declared.policies[2].rule,
        Rule::TargetTracking { series: Series::Predefined { metric_type, resource_label: Some(label) }, target, .. }
            if metric_type == "ALBRequestCountPerTarget"
                && label == "app/web/50dc6c495c0c9188/targetgroup/web-tg/943f017f100becff"
                && *target == 1000.0
    ));
}

#[test]
fn a_target_declares_its_bounds_policies_and_burst_alarm() {
    let declared = declared(&gold(), "Sluice", Hold::default()).expect("managed");
    assert_eq!(declared.bounds, ScalableBounds { min: 1, max: 10 });
    let names: Vec<&str> = declared.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [CAPACITY_POLICY, AGE_POLICY, BURST_POLICY],
        "the GPUs are part of the need: no policy of their own"
    );
    let Rule::TargetTracking { series, target, .. } = &declared.policies[0].rule else {
        panic!("tracking")
    };
    assert_eq!(
        *target, 110.0,
        "a GPU target at 75 %: the need may stand a tenth above desired, as for a raise"
    );
    assert!(
        matches!(series, Series::One(m) if m.metric == "CapacityUtilization" && m.namespace == "Sluice")
    );
    let Rule::TargetTracking { series, .. } = &declared.policies[1].rule else {
        panic!("tracking")
    };
    assert!(
        matches!(series, Series::Math { metrics: queues, op: MathOp::MaxOf } if queues[1].dimensions["QueueName"] == "q2"),
        "the oldest message over both queues, by name: {series:?}"
    );
    let mut before = gold();
    before.scaling.tracks = Tracks::BacklogPerTask;
    let before = super::declared(&before, "Sluice", Hold::default()).expect("managed");
    let names: Vec<&str> = before.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [BACKLOG_POLICY, GPU_POLICY, AGE_POLICY, BURST_POLICY]
    );
    assert!(
        matches!(&before.policies[0].rule, Rule::TargetTracking { target, .. } if *target == 50.0)
    );
    let mut direct = gold();
    direct.scaling.controller = Controller::Direct;
    direct.latency_goal_seconds = Some(120);
    let direct = super::declared(&direct, "Sluice", Hold::default()).expect("managed");
    assert_eq!(direct.policies[0].name, SAFETY_NET_POLICY);
    assert!(
        matches!(&direct.policies[0].rule, Rule::TargetTracking { target, disable_scale_in: true, .. } if *target == 480.0),
        "four latency goals of the oldest message, adding only: {:?}",
        direct.policies[0].rule
    );
    let declared = super::declared(&gold(), "Sluice", Hold::default()).expect("managed");
    assert_eq!(
        declared.policies[2].rule,
        Rule::Step {
            steps: vec![
                Step {
                    lower: Some(0.0),
                    upper: Some(1500.0),
                    add: 5
                },
                Step {
                    lower: Some(1500.0),
                    upper: None,
                    add: 10
                },
            ],
            cooldown: 60
        }
    );
    assert_eq!(declared.alarms[0].name, "sluice-gold-burst");
    assert_eq!(
        declared.alarms[0].when,
        AlarmWhen::Breach {
            compare: Compare::AtLeast,
            threshold: 500.0,
            datapoints: 1,
            periods: 1
        }
    );
}

#[test]
fn a_floor_the_prescaler_holds_is_kept_and_unmanaged_targets_declare_nothing() {
    let held = declared(&gold(), "Sluice", Hold::floor(6)).expect("managed");
    assert_eq!(held.bounds, ScalableBounds { min: 6, max: 10 });
    let unmanaged = gold().with_scaling(Scaling {
        managed: false,
        ..Scaling::default()
    });
    assert_eq!(declared(&unmanaged, "Sluice", Hold::default()), None);
}
