//! Reconciling: only what differs and what Sluice owns changes, in an order AWS accepts.

use super::*;

#[test]
fn metric_math_reads_back_only_as_sluice_writes_it() {
    let metric = |name: &str| MetricRef {
        namespace: "N".into(),
        metric: name.into(),
        dimensions: BTreeMap::new(),
        statistic: "Sum".into(),
    };
    let input = |id: &str, name: &str| {
        Some(MathQuery::Input {
            id: id.into(),
            metric: metric(name),
        })
    };
    let expression = |text: &str, returned: bool| {
        Some(MathQuery::Expression {
            text: text.into(),
            returned,
        })
    };
    assert_eq!(
        Series::from_math([
            input("m0", "Lag"),
            input("m1", "Tasks"),
            expression("m0 / m1", true)
        ]),
        Some(Series::Math {
            metrics: vec![metric("Lag"), metric("Tasks")],
            op: MathOp::PerTask
        })
    );
    let unreadable = [
        vec![input("m1", "Lag"), expression("RATE(m1) * 60", true)], // not m0
        vec![input("m0", "Lag"), expression("RATE(m0) * 60", false)], // nothing returned
        vec![input("m0", "Lag"), expression("m0 * 2", true)],        // not Sluice's
        vec![input("m0", "Lag"), None, expression("RATE(m0) * 60", true)], // a query unread
    ];
    for queries in unreadable {
        assert_eq!(Series::from_math(queries.clone()), None, "{queries:?}");
    }
}

#[test]
fn the_expressions_sluice_writes_read_back_as_written() {
    let cases = [
        (MathOp::MaxOf, 3, "MAX([m0,m1,m2])"),
        (MathOp::PerTask, 2, "m0 / m1"),
        (MathOp::Rate, 1, "RATE(m0) * 60"),
        (MathOp::RatePerTask, 2, "RATE(m0) * 60 / m1"),
    ];
    for (op, inputs, text) in cases {
        assert_eq!(op.expression(inputs), text);
        assert_eq!(MathOp::read(text, inputs), Some(op), "{text}");
        assert_eq!(MathOp::read(&text.replace(' ', ""), inputs), Some(op));
    }
    assert_eq!(
        MathOp::read("m0 / m1", 3),
        None,
        "a third input is not ours"
    );
    assert_eq!(MathOp::read("m0 * 2", 1), None);
    assert_eq!(MathOp::read("MAX([m0,m1])", 3), None);
}

#[test]
fn reconcile_changes_only_what_differs_and_never_what_it_does_not_own() {
    let declared = declared(&gold(), "Sluice", Hold::default()).expect("managed");
    let mut live = live_of(&declared);
    assert_eq!(reconcile(&declared, &live), [], "in sync: nothing to do");

    live.policies.push(LivePolicy {
        name: "team-cpu".into(),
        arn: "arn:team".into(),
        rule: None,
    });
    live.policies.push(LivePolicy {
        name: "sluice-old".into(),
        arn: "arn:old".into(),
        rule: None,
    });
    live.bounds = Some(ScalableBounds { min: 3, max: 10 });
    if let Some(Rule::TargetTracking { target, .. }) = live.policies[0].rule.as_mut() {
        *target = 40.0;
    }
    live.alarms[0].actions = vec!["arn:elsewhere".into()];
    let changes: Vec<String> = reconcile(&declared, &live)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        changes,
        [
            "bounds 3-10 -> 1-10",
            "put policy sluice-capacity (changed)",
            "delete policy sluice-old (no longer declared)",
            "put alarm sluice-gold-burst (action changed)",
        ]
    );
}

#[test]
fn a_burst_policy_put_in_this_run_puts_its_alarm_after_it() {
    let declared = declared(&gold(), "Sluice", Hold::default()).expect("managed");
    let mut live = live_of(&declared);
    live.policies.retain(|p| p.name != BURST_POLICY);
    let changes = reconcile(&declared, &live);
    assert!(
        matches!(&changes[0], Change::PutPolicy { spec, reason } if spec.name == BURST_POLICY && *reason == Drift::Missing)
    );
    assert!(matches!(
        &changes[1],
        Change::PutAlarm {
            action: None,
            reason: Drift::PolicyPut,
            ..
        }
    ));
    live.policies.clear();
    live.alarms.clear();
    live.bounds = None;
    let fresh: Vec<String> = reconcile(&declared, &live)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(fresh[0], "register scalable target 1-10");
    assert_eq!(fresh.len(), 1 + 3 + 1);
}

#[test]
fn removing_the_burst_deletes_its_policy_and_alarm() {
    let before = declared(&gold(), "Sluice", Hold::default()).expect("managed");
    let live = live_of(&before);
    let mut target = gold();
    target.scaling.burst = None;
    let after = declared(&target, "Sluice", Hold::default()).expect("managed");
    let changes: Vec<String> = reconcile(&after, &live)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        changes,
        [
            "delete policy sluice-burst (no longer declared)",
            "delete alarm sluice-gold-burst (no longer declared)"
        ]
    );
}
