use std::collections::BTreeMap;

use super::*;
use crate::place::Home;

#[test]
fn an_activation_metric_is_its_value_or_its_growth_a_minute() {
    let metric = |rate| ActivationMetric {
        namespace: "AWS/Kafka".into(),
        metric: "SumOffsetLag".into(),
        dimensions: BTreeMap::new(),
        statistic: "Maximum".into(),
        threshold: 100.0,
        rate,
    };
    // (points, as a value, as a rate)
    type Case<'a> = (&'a [(i64, f64)], bool, bool);
    let cases: [Case; 6] = [
        (&[], false, false),
        (&[(0, 5000.0)], true, false), // large, but one point is no rate
        (&[(0, 5000.0), (60, 4000.0)], true, false), // large and shrinking
        (&[(0, 10.0), (60, 50.0)], false, false), // small, growing 40 a minute
        (&[(0, 10.0), (60, 150.0)], true, true), // growing 140 a minute
        (&[(0, 10.0), (300, 400.0)], true, false), // 390 over 5 minutes: 78
    ];
    for (points, value, rate) in cases {
        assert_eq!(metric(false).shows_activity(points), value, "{points:?}");
        assert_eq!(metric(true).shows_activity(points), rate, "rate {points:?}");
    }
    let same_minute = [(60, 10.0), (60, 500.0)];
    assert!(
        !metric(true).shows_activity(&same_minute),
        "no time, no rate"
    );
}

const GOOD: &str = r#"
targets:
  - name: gold-inference
    cluster: gaming
    service: gold
    queues: [gold-queue]
    capacity: { min: 0, max: 50 }
    backlog_per_task: 50
    gpu:
      dimensions: { ClusterName: gaming, ServiceName: gold }
    scale_to_zero: { idle_minutes: 5 }
    profile: business-hours
profiles:
  - name: business-hours
    timezone: Europe/Berlin
    lead_minutes: 10
    windows:
      - { days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", min_tasks: 5 }
      - { days_of_month: "28-L", min_tasks: 8 }
"#;

fn problems_of(text: &str) -> Vec<String> {
    match Document::parse(text, Format::Yaml) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.0.iter().map(ToString::to_string).collect(),
    }
}

/// Issue 23 item 3: the prescaler plans only targets with a profile, so an
/// enforcing budget over a target without one would never cap it.
#[test]
fn an_enforcing_budget_needs_profiled_targets() {
    let with = |mode: &str, profile: &str| {
        format!(
            "targets:\n  - {{ name: gpu, cluster: c, service: s, capacity: {{ min: 0, max: 8 }}, backlog_per_task: 10{profile} }}\n\
                 profiles:\n  - name: office\n    timezone: UTC\n    windows:\n      - {{ days: [mon], start: '08:00', end: '18:00', min_tasks: 3 }}\n\
                 budgets:\n  - {{ name: b, targets: [gpu], period: day, limit: 10, mode: {mode} }}\n"
        )
    };
    let refused = problems_of(&with("enforce", ""));
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("budgets[0].targets: target \"gpu\" has no profile"),
        "{refused:?}"
    );
    assert!(problems_of(&with("alert", "")).is_empty());
    assert!(problems_of(&with("enforce", ", profile: office")).is_empty());
}

#[test]
fn one_group_takes_one_kind_of_floor() {
    let text = |second: &str| {
        format!(
            "targets:\n  - {{ name: a, cluster: c, service: a, capacity: {{ min: 0, max: 4 }}, backlog_per_task: 1, instances: {{ auto_scaling_group: g }} }}\n  - {{ name: b, cluster: c, service: b, capacity: {{ min: 0, max: 4 }}, backlog_per_task: 1, instances: {{ auto_scaling_group: g{second} }} }}\n"
        )
    };
    assert_eq!(problems_of(&text("")), Vec::<String>::new(), "both MinSize");
    assert_eq!(
        problems_of(&text(", floor: warm_pool")),
        [
            "targets[1].instances.floor: group \"g\" is raised as MinSize by targets[0] and as WarmPool here: one group takes one kind of floor"
        ]
    );
}

/// Values CloudWatch, ECS or the arithmetic cannot honour, refused by path.
#[test]
fn values_aws_cannot_honour_are_refused_by_path() {
    let text = r#"
targets:
  - name: t
    cluster: c
    service: s
    queues: [q]
    capacity: { min: 0, max: 4294967295 }
    backlog_per_task: 1e-310
    gpu: { dimensions: { "": gold, ServiceName: "" } }
    profile: p
    instances: { auto_scaling_group: g, tasks_per_instance: 4294967295, warm_up_minutes: 1 }
    scale_to_zero:
      idle_minutes: 4294967295
      activation_backlog: 18446744073709551615
      metric: { namespace: N, metric: M, dimensions: { " ": x } }
    scaling:
      metric: { namespace: N, metric: M, target: 10, dimensions: { Queue: "" } }
      burst: { steps: [ { backlog: 18446744073709551615, add: 4294967295 } ] }
profiles:
  - name: p
    timezone: UTC
    windows:
      - { days: [mon], start: '08:00', end: '18:00', min_tasks: 4294967295, max_tasks: 4294967295 }
"#;
    let problems = problems_of(text);
    for expected in [
        "targets[0].capacity.max: must be at most 100000",
        "targets[0].backlog_per_task: must be a number from 0.001 to 1000000000, got 1e-310",
        "targets[0].gpu.dimensions: dimension name \"\" must be 1 to 255 characters",
        "targets[0].gpu.dimensions.ServiceName: must be 1 to 1024 characters",
        "targets[0].scale_to_zero.idle_minutes: must be 1 to 10080 (a week), got 4294967295",
        "targets[0].scale_to_zero.metric.dimensions: dimension name \" \" must be 1 to 255",
        "targets[0].scaling.metric.dimensions.Queue: must be 1 to 1024 characters",
        "targets[0].scale_to_zero.activation_backlog: must be at most 1000000000 messages",
        "targets[0].scaling.burst.steps[0].add: must add 1 to 100000 tasks, got 4294967295",
        "targets[0].scaling.burst.steps[0].backlog: must be at most 1000000000 messages",
        "targets[0].instances.tasks_per_instance: must be at most 100000",
        "profiles[0].windows[0].min_tasks: must be a whole number of tasks, 0 to 100000",
        "profiles[0].windows[0].max_tasks: must be at most 100000 tasks",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected} in {problems:#?}"
        );
    }
}

#[test]
fn a_good_document_parses_with_defaults_filled_in() {
    let document = Document::parse(GOOD, Format::Yaml).expect("valid");
    let target = &document.targets[0];
    let gpu = target.gpu.as_ref().expect("gpu");
    assert_eq!(gpu.namespace, "CWAgent");
    assert_eq!(gpu.metric, "nvidia_smi_utilization_gpu");
    let zero = target.scale_to_zero.as_ref().expect("scale_to_zero");
    assert_eq!((zero.idle_minutes, zero.wake_tasks), (Some(5), 1));
    assert!(!target.paused);
}

#[test]
fn targets_in_other_accounts_are_checked_and_may_share_service_names() {
    let two = |first: &str, second: &str| {
        format!(
            "targets:\n  - {{ name: a, cluster: c, service: s, capacity: {{ min: 0, max: 1 }}, backlog_per_task: 1{first} }}\n  - {{ name: b, cluster: c, service: s, capacity: {{ min: 0, max: 1 }}, backlog_per_task: 1{second} }}\n"
        )
    };
    let role = ", role_arn: 'arn:aws:iam::111122223333:role/sluice'";
    assert_eq!(problems_of(&two("", role)), Vec::<String>::new());
    assert_eq!(
        problems_of(&two("", ", region: eu-west-1")),
        Vec::<String>::new()
    );
    assert_eq!(
        problems_of(&two(role, role)).len(),
        1,
        "the same service twice"
    );
    let bad = problems_of(&two(
        ", role_arn: sluice, region: Ireland",
        ", external_id: secret, instances: { auto_scaling_group: g, tasks_per_instance: 1, warm_up_minutes: 1 }, region: eu-west-1",
    ));
    let paths: Vec<&str> = bad.iter().filter_map(|p| p.split(':').next()).collect();
    assert_eq!(
        paths,
        [
            "targets[0].role_arn",
            "targets[0].region",
            "targets[1].external_id",
            "targets[1].instances"
        ],
        "{bad:#?}"
    );
    // The stack's own account and region, spelled out: the same service.
    let home = Home {
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
    };
    for spelled in [role, ", region: eu-west-1"] {
        let text = two("", spelled);
        let document = Document::parse(&text, Format::Yaml).expect("valid offline");
        let problems = document.same_service_problems(&home);
        assert_eq!(problems.len(), 1, "{spelled}: {problems:?}");
        assert_eq!(problems[0].path, "targets[1].service");
        assert!(document.same_service_problems(&Home::default()).is_empty());
    }
    let wild = problems_of(&two(", role_arn: 'arn:aws:iam::111122223333:role/*'", ""));
    assert!(wild[0].starts_with("targets[0].role_arn: "), "{wild:?}");
    let mixed = problems_of(&two(&format!("{role}, region: cn-north-1"), ""));
    assert!(
        mixed[0].starts_with("targets[0].region: region cn-north-1 is in the aws-cn"),
        "{mixed:?}"
    );
}

#[test]
fn json_and_yaml_read_the_same_document() {
    let yaml = Document::parse(GOOD, Format::Yaml).expect("yaml");
    let json = serde_json::to_string(&yaml).expect("serialise");
    assert_eq!(Document::parse(&json, Format::Json).expect("json"), yaml);
}

#[test]
fn semantic_problems_are_all_listed_by_path() {
    let cases: &[(&str, &str)] = &[
        (
            "capacity: { min: 5, max: 2 }",
            "targets[0].capacity.max: must be >= min (5)",
        ),
        (
            "capacity: { min: 0, max: 0 }",
            "targets[0].capacity.max: must be at least 1",
        ),
        (
            "backlog_per_task: 0",
            "targets[0].backlog_per_task: must be a number from 0.001 to 1000000000, got 0",
        ),
        (
            "backlog_per_task: -3",
            "targets[0].backlog_per_task: must be a number from 0.001 to 1000000000, got -3",
        ),
        (
            "name: 'has space'",
            "targets[0].name: \"has space\" may only contain letters, digits, '-', '_' and '.'",
        ),
        (
            "scale_to_zero: { wake_tasks: 0 }",
            "targets[0].scale_to_zero.wake_tasks: must be at least 1",
        ),
        (
            "scale_to_zero: { wake_tasks: 60 }",
            "targets[0].scale_to_zero.wake_tasks: must be <= capacity.max (10)",
        ),
        (
            "scale_to_zero: { idle_minutes: 0 }",
            "targets[0].scale_to_zero.idle_minutes: must be 1 to 10080 (a week), got 0",
        ),
        ("queues: ['']", "targets[0].queues[0]: must not be empty"),
        (
            "queues: [{ name: retries, weight: 0 }]",
            "targets[0].queues[0].weight: must be above 0 and at most 100, got 0",
        ),
        (
            "queues: [{ name: retries, weight: half }]",
            "targets[0].queues[0].weight: invalid type: string \"half\", expected f64 at line 7 column 39",
        ),
        (
            "scale_to_zero: { busy_gpu_percent: 80 }",
            "targets[0].scale_to_zero.busy_gpu_percent: needs the target's gpu source: nothing reads its utilisation",
        ),
        (
            "scale_to_zero: { wake: always }",
            "targets[0].scale_to_zero.wake: unknown variant `always`, expected `fixed` or `sized` at line 8 column 28",
        ),
        (
            "scale_to_zero: { topics: [orders] }",
            "targets[0].scale_to_zero.topics[0]: \"orders\" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
        ),
        (
            "scale_to_zero: { metric: { namespace: AWS/Kafka, metric: SumOffsetLag, statistic: P99 } }",
            "targets[0].scale_to_zero.metric.statistic: \"P99\" is not one of Average, Maximum, Minimum, Sum, SampleCount",
        ),
    ];
    for (override_line, expected) in cases {
        let key = override_line.split(':').next().expect("key");
        let mut lines = vec![
            "name: t".to_owned(),
            "queues: [q]".to_owned(),
            "cluster: c".to_owned(),
            "service: s".to_owned(),
            "capacity: { min: 0, max: 10 }".to_owned(),
            "backlog_per_task: 10".to_owned(),
        ];
        lines.retain(|line| !line.starts_with(&format!("{key}:")));
        lines.push((*override_line).to_owned());
        let text = format!(
            "targets:\n{}",
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| format!("  {} {l}\n", if i == 0 { "-" } else { " " }))
                .collect::<String>()
        );
        assert_eq!(
            problems_of(&text),
            vec![expected.to_string()],
            "case {override_line}"
        );
    }
}

#[test]
fn several_problems_are_reported_together() {
    let text = r#"
targets:
  - { name: a, cluster: c, service: s, capacity: { min: 3, max: 1 }, backlog_per_task: 5 }
  - { name: a, cluster: '', service: s, capacity: { min: 0, max: 1 }, backlog_per_task: 5 }
profiles:
  - { name: p, timezone: Mars/Olympus }
"#;
    assert_eq!(
        problems_of(text),
        vec![
            "targets[0].capacity.max: must be >= min (3)",
            "targets[1].name: duplicate target name \"a\" (also targets[0])",
            "targets[1].cluster: must not be empty",
            "profiles[0].timezone: unknown IANA time zone \"Mars/Olympus\"",
        ]
    );
}

#[test]
fn type_errors_name_the_field() {
    let text = "targets:\n  - { name: a, cluster: c, service: s, capacity: { min: 0, max: lots }, backlog_per_task: 5 }\n";
    let problems = problems_of(text);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("targets[0].capacity.max: invalid type: string \"lots\""),
        "{problems:?}"
    );
    let problems = problems_of("targets:\n  - { name: a, clusterr: c }\n");
    assert!(
        problems[0].starts_with("targets[0].clusterr: unknown field `clusterr`"),
        "{problems:?}"
    );
    let problems = problems_of("targets:\n  - { name: a, cluster: c }\n");
    assert!(
        problems[0].contains("missing field `service`"),
        "{problems:?}"
    );
}

#[test]
fn a_profile_may_not_ask_more_than_its_targets_allow() {
    let text = r#"
targets:
  - { name: small, cluster: c, service: s, capacity: { min: 0, max: 4 }, backlog_per_task: 5, profile: peaks }
profiles:
  - name: peaks
    timezone: UTC
    windows:
      - { days: [mon], start: "08:00", end: "18:00", min_tasks: 6 }
      - { days_of_month: "28-L", min_tasks: 3 }
"#;
    assert_eq!(
        problems_of(text),
        vec![
            "profiles[0].windows[0].min_tasks: 6 is above capacity.max (4) of target \"small\", which uses this profile"
        ]
    );
}

#[test]
fn a_floor_and_scale_to_zero_contradict() {
    let text = "targets:\n  - { name: a, cluster: c, service: s, queues: [q], capacity: { min: 2, max: 4 }, backlog_per_task: 5, scale_to_zero: {} }\n";
    assert_eq!(
        problems_of(text),
        vec![
            "targets[0].scale_to_zero: needs capacity.min 0, got 2 (a service with a floor never sleeps)"
        ]
    );
}

/// A 1 MB document whose aliases make serde_yaml_ng build 20 million queue names:
/// refused before it is expanded, with the reason said.
#[test]
fn an_alias_amplified_document_is_refused_before_it_is_expanded() {
    let mut text = String::from(
        "targets:\n  - name: t0\n    cluster: c\n    service: s0\n    capacity: { min: 0, max: 1 }\n    backlog_per_task: 1\n    queues: &queues [",
    );
    for index in 0..100_000 {
        if index > 0 {
            text.push(',');
        }
        text.push('q');
    }
    text.push_str("]\n");
    for index in 1..200 {
        text.push_str(&format!(
                "  - {{ name: t{index}, cluster: c, service: s{index}, capacity: {{ min: 0, max: 1 }}, backlog_per_task: 1, queues: *queues }}\n"
            ));
    }
    let started = std::time::Instant::now();
    let problems = problems_of(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("(document): expands to more than 1000000 YAML nodes through its aliases"),
        "{problems:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_few_aliases_are_fine() {
    let text = "defaults: &cap { min: 0, max: 5 }\ntargets: []\n";
    assert!(problems_of(text)[0].contains("unknown field `defaults`"));
    let text = "targets:\n  - { name: a, cluster: c, service: a, capacity: &cap { min: 0, max: 5 }, backlog_per_task: 1 }\n  - { name: b, cluster: c, service: b, capacity: *cap, backlog_per_task: 1 }\n";
    assert_eq!(problems_of(text), Vec::<String>::new());
}

#[test]
fn calendars_are_defined_once_and_resolved_into_each_profile() {
    let text = "calendars:\n  - { name: de, dates: [\"12-25\", \"2026-04-03\"] }\n  - { name: office, dates: [\"12-24\", \"12-25\"] }\nprofiles:\n  - { name: p, timezone: UTC, holidays: [\"01-01\"], calendars: [de, office], windows: [] }\n  - { name: q, timezone: UTC, calendars: [nope] }\n";
    let problems = Document::parse(text, Format::Yaml).expect_err("unknown calendar");
    assert_eq!(
        problems.0[0].to_string(),
        "profiles[1].calendars[0]: no calendar named \"nope\" (defined: de, office)"
    );
    let text = text.replace("calendars: [nope]", "calendars: [de]");
    let document = Document::parse(&text, Format::Yaml).expect("valid");
    assert_eq!(
        document.profiles[0].holidays,
        ["01-01", "12-25", "2026-04-03", "12-24"],
        "each date once"
    );
    let stored = serde_json::to_string(&document.profiles[0]).expect("json");
    assert!(
        !stored.contains("calendars"),
        "stored with its dates: {stored}"
    );
    let bad = "calendars:\n  - { name: de, dates: [\"13-45\"] }\n  - { name: de, dates: [] }\nprofiles:\n  - { name: p, timezone: UTC, calendars: [de] }\n";
    let problems: Vec<String> = Document::parse(bad, Format::Yaml)
        .expect_err("bad")
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [
            "calendars[0].dates[0]: \"13-45\" is not a date YYYY-MM-DD or a yearly MM-DD",
            "calendars[1].name: duplicate calendar name \"de\" (also calendars[0])"
        ]
    );
}

#[test]
fn holes_that_once_passed_validation() {
    // (document, the one problem it must have)
    let cases = [
        (
            "targets:\n  - { name: a, cluster: c, service: 'arn:aws:ecs:us-east-1:123456789012:service/c/s', capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n",
            "targets[0].service: \"arn:aws:ecs:us-east-1:123456789012:service/c/s\" is an ARN; give the service's name (s), its cluster goes in cluster",
        ),
        (
            "targets:\n  - { name: a, cluster: c, service: s, capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n  - { name: b, cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/c', service: s, capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n",
            "targets[1].service: service c/s is already the target \"a\" (targets[0]); two targets would fight over one service",
        ),
        (
            "targets:\n  - { name: a, cluster: c, service: s, queues: [q1, q2, q1], capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n",
            "targets[0].queues[2]: \"q1\" is listed twice (also queues[0]): its backlog would count twice",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(problems_of(text), vec![expected.to_owned()], "{text}");
    }
}

/// A document whose one target, the orchestrator (1 to 5 tasks), has these bounds by
/// environment.
fn orchestrator(capacity_by_env: &str) -> String {
    format!(
        "targets:\n  - name: orchestrator\n    cluster: ml\n    service: orchestrator\n    \
         capacity: {{ min: 1, max: 5 }}\n    capacity_by_env: {capacity_by_env}\n    \
         backlog_per_task: 10\n"
    )
}

#[test]
fn an_environment_runs_its_own_bounds_and_stores_no_map() {
    let text = orchestrator("{ dev: { min: 1, max: 1 } }")
        + "  - name: runners\n\
                \x20   cluster: ml\n\
                \x20   service: runners\n\
                \x20   queues: [runs]\n\
                \x20   capacity: { min: 0, max: 30 }\n\
                \x20   backlog_per_task: 10\n\
                \x20   scale_to_zero: { wake_tasks: 4 }\n";
    let document = Document::parse(&text, Format::Yaml).expect("valid");
    assert_eq!(document.environments(), ["dev"]);
    let bounds = |document: &Document| -> Vec<(u32, u32, usize)> {
        document
            .targets
            .iter()
            .map(|t| (t.capacity.min, t.capacity.max, t.capacity_by_env.len()))
            .collect()
    };
    let dev = document.clone().for_env(Some("dev")).expect("dev");
    assert_eq!(
        bounds(&dev),
        [(1, 1, 0), (0, 30, 0)],
        "dev's own, the rest as written"
    );
    let prod = document.clone().for_env(None).expect("as written");
    assert_eq!(bounds(&prod), [(1, 5, 0), (0, 30, 0)]);
    let typo = document
        .clone()
        .for_env(Some("prd"))
        .unwrap_err()
        .to_string();
    assert!(
        typo.contains("--env: no target declares capacity_by_env.prd (declared: dev)"),
        "{typo}"
    );
    // An environment's bounds that a wake could not reach, found once resolved.
    let unreachable = text.replace(
        "    backlog_per_task: 10\n    scale_to_zero",
        "    capacity_by_env: { dev: { min: 0, max: 2 } }\n    backlog_per_task: 10\n    scale_to_zero",
    );
    let document = Document::parse(&unreachable, Format::Yaml).expect("valid as written");
    let problems = document.for_env(Some("dev")).unwrap_err().to_string();
    assert!(
        problems.contains("targets[1].scale_to_zero.wake_tasks: must be <= capacity.max (2)"),
        "{problems}"
    );
}

#[test]
fn an_environments_bounds_are_checked_by_path() {
    let text = orchestrator("{ dev: { min: 3, max: 2 }, \"\": { min: 0, max: 1 } }");
    let problems = Document::parse(&text, Format::Yaml)
        .unwrap_err()
        .to_string();
    assert!(
        problems.contains("targets[0].capacity_by_env.dev.max: must be >= min (3)"),
        "{problems}"
    );
    assert!(
        problems.contains("targets[0].capacity_by_env."),
        "{problems}"
    );
}

/// Issue 24: a per-task metric at capacity.min 0 with nothing else to raise the
/// service from zero is refused; any signal that sees work without tasks, the
/// zero-watcher, or a floor of one task makes it fine.
#[test]
fn a_per_task_metric_without_tasks_is_refused_by_field() {
    let runs = "{ namespace: Orchestrator, metric: RunQueue, target: 10, per_task: true }";
    let target = |extra: &str| {
        format!(
            "targets:\n  - name: t\n    cluster: c\n    service: s\n    backlog_per_task: 10\n    {extra}\n    scaling: {{ metrics: [{runs}] }}\n"
        )
    };
    let refused = "targets[0].scaling.metrics: is per task, and at capacity.min 0 there may be no task to divide by: nothing here would raise the service from 0 (set capacity.min to 1, add scale_to_zero so the zero-watcher wakes it, or a signal that is not per task)";
    assert_eq!(
        problems_of(&target("capacity: { min: 0, max: 5 }")),
        [refused]
    );
    let step = "targets:\n  - name: t\n    cluster: c\n    service: s\n    backlog_per_task: 10\n    capacity: { min: 0, max: 5 }\n    scaling: { step_rules: [ { namespace: O, metric: RunQueue, above: 10, add: 1, per_task: true } ] }\n";
    assert_eq!(
        problems_of(step),
        [refused.replace("scaling.metrics", "scaling.step_rules")]
    );
    for fine in [
        "capacity: { min: 1, max: 5 }",
        "capacity: { min: 0, max: 5 }\n    queues: [runs]",
        "capacity: { min: 0, max: 5 }\n    queues: [runs]\n    scale_to_zero: {}",
    ] {
        assert_eq!(problems_of(&target(fine)), [] as [String; 0], "{fine}");
    }
}
