//! Data CloudWatch accepts, in batches it accepts, and as EMF lines.

use super::*;

#[test]
fn batches_are_the_fewest_under_the_count_limit() {
    for (count, expected) in [(0, 0), (1, 1), (1000, 1), (1001, 2), (8000, 8), (8001, 9)] {
        let datums = many(count);
        let batches = batches(&datums, MAX_DATUMS_PER_CALL, MAX_BYTES_PER_CALL);
        assert_eq!(batches.len(), expected, "{count} datums");
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), count);
    }
}

#[test]
fn batches_respect_the_size_limit() {
    let datums = many(100);
    let one = encoded_size_bound(&datums[0]);
    let batches = batches(&datums, 1000, one * 10 + 5);
    assert!(batches.len() >= 10);
    for batch in &batches {
        let bytes: usize = batch.iter().map(encoded_size_bound).sum();
        assert!(bytes <= one * 10 + 5);
    }
}

#[test]
fn embedded_metric_line_holds_every_datum() {
    let tasks = TaskCounts {
        running: 2,
        pending: 1,
        desired: 3,
    };
    let reading = Reading {
        gpu: Some(GpuUtilization {
            average: 50.0,
            max: 75.0,
        }),
        ..held(3, 1, tasks)
    };
    let datums = reading.datums(&target("gold"));
    let line = embedded_metric_line("Sluice", 1_700_000_000_000, &datums, Rollup::PerTargetOnly);
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert_eq!(parsed["Target"], "gold");
    assert_eq!(parsed["Backlog"], 4.0);
    assert_eq!(parsed["BacklogPerTask"], 4.0 / 3.0); // over desired tasks
    assert_eq!(parsed["GpuUtilizationMax"], 75.0);
    let directive = &parsed["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "Sluice");
    assert_eq!(directive["Dimensions"], serde_json::json!([["Target"]]));
    assert_eq!(
        directive["Metrics"].as_array().map(Vec::len),
        Some(datums.len())
    );
    assert_eq!(parsed["_aws"]["Timestamp"], 1_700_000_000_000_i64);
}

#[test]
fn embedded_metric_line_rollup_and_fleet_dimensions() {
    let dimensions = |datums: &[Datum], rollup| {
        let line = embedded_metric_line("Sluice", 0, datums, rollup);
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("json");
        (
            parsed["_aws"]["CloudWatchMetrics"][0]["Dimensions"].clone(),
            parsed.get("Target").cloned(),
        )
    };
    let per_target = [Datum::count("gold", names::WATCHER_FAILED, 1.0)];
    assert_eq!(
        dimensions(&per_target, Rollup::AlsoFleetWide),
        (serde_json::json!([["Target"], []]), Some("gold".into()))
    );
    let fleet = FleetTally::default().datums();
    assert_eq!(
        dimensions(&fleet, Rollup::PerTargetOnly),
        (serde_json::json!([[]]), None)
    );
}

#[test]
fn what_cloudwatch_would_refuse_is_dropped_and_said_not_the_batch() {
    let values = [5.0, 0.0, f64::NAN, f64::INFINITY, 1e300, 1e-200, -3.0];
    let datums: Vec<Datum> = values
        .iter()
        .map(|v| Datum::count("t", names::BACKLOG, *v))
        .collect();
    let (kept, notes) = publishable(&datums);
    let kept: Vec<f64> = kept.iter().map(|d| d.value).collect();
    assert_eq!(kept, [5.0, 0.0, -3.0]);
    assert_eq!(notes.len(), 4, "{notes:?}");
    assert!(notes[0].starts_with("Backlog of t is NaN"), "{notes:?}");
    let line = embedded_metric_line("Sluice", 0, &datums, Rollup::PerTargetOnly);
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    assert_eq!(
        parsed["Backlog"],
        serde_json::json!(-3.0),
        "the last kept value: {line}"
    );
    assert!(!line.contains("null"), "{line}");
}
