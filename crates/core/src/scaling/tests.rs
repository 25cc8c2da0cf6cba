use super::*;

fn messages(scaling: &Scaling, gpu: bool, queues: bool) -> Vec<String> {
    scaling
        .problems("s", gpu, queues)
        .into_iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn the_default_is_valid_and_every_problem_is_named_by_path() {
    assert!(messages(&Scaling::default(), false, false).is_empty());
    let bad = Scaling {
        managed: true,
        tracks: Tracks::BacklogPerTask,
        controller: Controller::Direct,
        behavior: Some(Behavior::default()),
        utilization: 5.0,
        give_back_after_seconds: Some(90_000),
        scale_out_cooldown: 90_000,
        scale_in_cooldown: 300,
        disable_scale_in: false,
        gpu_utilization: Some(120.0),
        oldest_message_age: Some(0),
        metric: Some(TrackedMetric {
            id: None,
            namespace: String::new(),
            metric: "Runs".into(),
            dimensions: Default::default(),
            statistic: "Median".into(),
            target: f64::NAN,
            per_task: false,
            rate: false,
            missing: Some(MissingMetric {
                topic: "alarms".into(),
                minutes: 0,
            }),
        }),
        metrics: Vec::new(),
        step_rules: Vec::new(),
        burst: Some(Burst {
            steps: vec![
                BurstStep { backlog: 0, add: 2 },
                BurstStep { backlog: 0, add: 0 },
            ],
            cooldown: 60,
        }),
        cpu_utilization: Some(Utilization {
            target: 0.0,
            high_resolution: false,
            scale_out_cooldown: None,
            scale_in_cooldown: Some(90_000),
        }),
        memory_utilization: None,
        requests_per_task: None,
    };
    assert_eq!(
        messages(&bad, false, false),
        [
            "s.scale_out_cooldown: 90000 s is more than a day (86400)",
            "s.utilization: must be a percentage from 10 to 100, got 5",
            "s.give_back_after_seconds: 90000 s is more than a day",
            "s.controller: direct control sets desired from the need, and a target without queues has none",
            "s.controller: direct control sets desired from the need; tracks: backlog-per-task has none",
            "s.gpu_utilization: must be a percentage above 0 and at most 100, got 120",
            "s.gpu_utilization: needs the target's gpu source: nothing publishes its utilisation",
            "s.oldest_message_age: must be at least 1 second",
            "s.oldest_message_age: needs queues: it tracks their oldest message",
            "s.metric.namespace: must not be empty",
            "s.metric.statistic: \"Median\" is not one of Average, Maximum, Minimum, Sum, SampleCount",
            "s.metric.target: must be a number above 0, got NaN",
            "s.metric.missing.topic: must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got \"alarms\"",
            "s.metric.missing.minutes: must be 1 to 1440, got 0",
            "s.burst.steps[1].add: must add 1 to 100000 tasks, got 0",
            "s.burst.steps[1].backlog: 0 must be above the previous step's 0",
            "s.burst.steps[0].backlog: must be above 0: a burst at no backlog is no burst",
            "s.cpu_utilization.target: must be a percentage from 1 to 100, got 0",
            "s.cpu_utilization.scale_in_cooldown: 90000 s is more than a day",
            "s.cpu_utilization: direct control sets desired from the need every look and would undo what this policy adds: use controller: tracking",
        ]
    );
}

fn parse(yaml: &str) -> Result<Scaling, String> {
    serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
}

#[test]
fn a_predefined_metric_is_a_percentage_or_the_long_form() {
    let short = parse("cpu_utilization: 70").expect("short");
    let long = parse("cpu_utilization: { target: 70 }").expect("long");
    assert_eq!(short, long);
    let fast =
        parse("memory_utilization: { target: 80, high_resolution: true, scale_in_cooldown: 600 }")
            .expect("long");
    let policies = fast.predefined();
    assert_eq!(policies.len(), 1);
    assert_eq!(
        policies[0].metric_type,
        "ECSServiceAverageMemoryUtilizationHighResolution"
    );
    assert_eq!(
        (
            policies[0].scale_out_cooldown,
            policies[0].scale_in_cooldown
        ),
        (60, 600),
        "its own scale-in cooldown, the block's scale-out one"
    );
    // Round trip: what `sluicectl get` prints parses to the same.
    let printed = serde_yaml_ng::to_string(&fast).expect("print");
    assert_eq!(parse(&printed).expect("again"), fast);
    // Wrong fields and types are named.
    let typo = parse("cpu_utilization: { targt: 70 }").expect_err("typo");
    assert!(typo.contains("unknown field `targt`"), "{typo}");
    let word = parse("cpu_utilization: high").expect_err("word");
    assert!(
            word.contains("must be a percentage (70) or {target: 70, high_resolution, scale_out_cooldown, scale_in_cooldown}, got high"),
            "{word}"
        );
    let unknown = parse("gpu_memory_utilization: 70").expect_err("unknown metric");
    assert!(
        unknown.contains("unknown field `gpu_memory_utilization`"),
        "{unknown}"
    );
}

#[test]
fn several_metrics_each_name_their_policy_and_their_problems() {
    let scaling = parse(
        "metrics:\n\
             \x20 - { namespace: Agents, metric: ActiveTasks, target: 70, per_task: true }\n\
             \x20 - { namespace: Agents, metric: Active.Requests, target: 50, per_task: true }\n\
             \x20 - { namespace: Agents, metric: ActiveTasks, target: 5, rate: true }\n\
             \x20 - { id: 'no spaces', namespace: Agents, metric: Lag, target: 1 }\n",
    )
    .expect("parses");
    let ids: Vec<String> = scaling.metrics.iter().map(TrackedMetric::id).collect();
    assert_eq!(
        ids,
        ["activetasks", "active-requests", "activetasks", "no spaces"]
    );
    assert_eq!(
        messages(&scaling, false, true),
        [
            "s.metrics[2].id: \"activetasks\" names an earlier metric too: give each its own id",
            "s.metrics[3].id: must be 1 to 64 letters, digits, - or _, got \"no spaces\"",
        ]
    );
    assert_eq!(scaling.unseen_signals(), ["metrics"]);
    let typo = parse("metrics: [ { namespace: A, metric: B, target: 1, per_tasks: true } ]")
        .expect_err("typo");
    assert!(typo.contains("unknown field `per_tasks`"), "{typo}");
}

#[test]
fn step_rules_say_which_side_how_long_and_how_many() {
    let scaling = parse(
            "step_rules:\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, above: 65, for_minutes: 5, add: 1 }\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, below: 20, for_minutes: 15, remove: 1 }\n\
             \x20 - { namespace: Modules, metric: Latency, statistic: p99, above: 2, for_minutes: 3, of_minutes: 5, add: 2 }\n",
        )
        .expect("parses");
    assert!(
        messages(&scaling, false, true).is_empty(),
        "{:?}",
        messages(&scaling, false, true)
    );
    let ids: Vec<String> = scaling.step_rules.iter().map(StepRule::id).collect();
    assert_eq!(
        ids,
        [
            "cpuutilization-above",
            "cpuutilization-below",
            "latency-above"
        ]
    );
    assert_eq!(scaling.step_rules[2].datapoints(), (3, 5));
    assert_eq!(scaling.step_rules[1].change(), -1);
    assert_eq!(scaling.unseen_signals(), ["step_rules"]);
    let bad = parse(
            "step_rules:\n\
             \x20 - { namespace: A, metric: B, above: 1, below: 2, add: 1 }\n\
             \x20 - { namespace: A, metric: B, above: 1, for_minutes: 0, remove: 1 }\n\
             \x20 - { namespace: A, metric: B, below: .nan, for_minutes: 5, of_minutes: 3, remove: 0 }\n\
             \x20 - { namespace: A, metric: C, statistic: p101, above: 1, add: 1, remove: 1, cooldown: 90000 }\n",
        )
        .expect("parses");
    assert_eq!(
        messages(&bad, false, true),
        [
            "s.step_rules[0]: needs exactly one of above or below: the side of the threshold that fires it",
            "s.step_rules[1].for_minutes: must be 1 to 1440 (one-minute datapoints), got 0",
            "s.step_rules[2].below: must be a number, got NaN",
            "s.step_rules[2].remove: must be 1 to 100000 tasks, got 0",
            "s.step_rules[2].of_minutes: 3 is fewer than for_minutes 5: 5 of 3 minutes cannot happen",
            "s.step_rules[2].id: \"b-below\" names an earlier rule too: give each its own id",
            "s.step_rules[3].statistic: \"p101\" is not one of Average, Maximum, Minimum, Sum, SampleCount or a percentile (p99)",
            "s.step_rules[3]: needs exactly one of add or remove: what the rule does to the tasks",
            "s.step_rules[3].cooldown: 90000 s is more than a day",
        ]
    );
}

#[test]
fn what_is_valid_but_not_meant_is_a_warning() {
    let warnings = |yaml: &str, sleeps: bool| -> Vec<String> {
        parse(yaml)
            .expect("parses")
            .warnings("s", sleeps, true)
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    };
    assert!(warnings("cpu_utilization: 70", false).is_empty(), "meant");
    assert_eq!(
        warnings(
            "give_back_after_seconds: 90\ncpu_utilization: { target: 70, high_resolution: true }\nmetrics: [ { namespace: A, metric: B, target: 5, per_task: true } ]",
            true
        ),
        [
            "s.give_back_after_seconds: 90 s is never used: the zero-watcher does not give back on this target",
            "s.cpu_utilization.high_resolution: needs the service to publish the metric at 20 s (its monitoringConfiguration); without it the policy has no data and never acts",
            "s.metrics: a per-task metric has no tasks to divide by while the service sleeps: it cannot wake it (the zero-watcher does)",
        ]
    );
    assert!(
        warnings("give_back_after_seconds: 90", false).is_empty(),
        "used"
    );
    let adds = "step_rules: [ { namespace: AWS/ECS, metric: CPUUtilization, above: 65, add: 1 } ]";
    let no_queues = |yaml: &str| -> Vec<String> {
        let scaling = parse(yaml).expect("parses");
        let found = scaling.warnings("s", false, false);
        found.into_iter().map(|p| p.to_string()).collect()
    };
    assert_eq!(
        no_queues(adds),
        [
            "s.step_rules: nothing scales this target in (no queues to size it on, no rule that removes tasks, no policy that tracks a target): it stays at the most its rules reached"
        ]
    );
    assert!(
        warnings(adds, false).is_empty(),
        "with queues, the need gives back"
    );
    let removes = "step_rules: [ { namespace: A, metric: B, above: 65, add: 1 }, { namespace: A, metric: B, below: 20, remove: 1 } ]";
    assert!(no_queues(removes).is_empty());
}

#[test]
fn a_signal_the_need_does_not_see_takes_the_give_back_away() {
    assert!(Scaling::default().gives_back());
    let cpu = parse("cpu_utilization: 70").expect("cpu");
    assert_eq!(cpu.unseen_signals(), ["cpu_utilization"]);
    assert!(!cpu.gives_back());
    let age = parse("oldest_message_age: 300").expect("age");
    assert!(!age.gives_back(), "SQS's age is not the need either");
    let gpu = parse("gpu_utilization: 75").expect("gpu");
    assert!(gpu.gives_back(), "the GPU share is part of the need");
    let off = parse("disable_scale_in: true").expect("off");
    assert!(!off.gives_back());
}

#[test]
fn unmanaged_scaling_with_policies_is_a_contradiction() {
    let unmanaged = Scaling {
        managed: false,
        ..Scaling::default()
    };
    assert!(messages(&unmanaged, false, false).is_empty());
    let contradiction = Scaling {
        gpu_utilization: Some(75.0),
        ..unmanaged
    };
    assert_eq!(
        messages(&contradiction, true, false),
        [
            "s.managed: is false, so nothing here would be applied: remove the policies or manage them"
        ]
    );
}

/// The gold tier's burst: 5 more tasks from 500 waiting, 10 from 2000.
pub(crate) fn gold_burst() -> Burst {
    let step = |backlog, add| BurstStep { backlog, add };
    Burst {
        steps: vec![step(500, 5), step(2000, 10)],
        cooldown: 60,
    }
}

#[test]
fn a_burst_adds_the_highest_step_reached() {
    let burst = gold_burst();
    assert_eq!(burst.tasks_to_add(499), None);
    assert_eq!(burst.tasks_to_add(500), Some(5));
    assert_eq!(burst.tasks_to_add(10_000), Some(10));
}
