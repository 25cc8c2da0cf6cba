//! Everything that reads input from outside: configuration text (YAML and JSON),
//! profiles, stored specs and state items. Nothing panics, and a refusal names the
//! field at fault.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use proptest::prelude::*;
use sluice_core::config::{Document, Format, Target};
use sluice_core::profile::{Profile, Schedule, WindowSpec};
use sluice_testkit::property_config;

/// Words a configuration is made of, so that generated text reaches deep into it.
const WORDS: &[&str] = &[
    "targets",
    "profiles",
    "name",
    "cluster",
    "service",
    "queues",
    "capacity",
    "min",
    "max",
    "backlog_per_task",
    "gpu",
    "scale_to_zero",
    "idle_minutes",
    "wake_tasks",
    "topics",
    "alarms",
    "metric",
    "profile",
    "paused",
    "timezone",
    "lead_minutes",
    "windows",
    "days",
    "days_of_month",
    "dates",
    "start",
    "end",
    "min_tasks",
    "mon",
    "L",
    "28-L",
    "08:00",
    "24:00",
    "+8:00",
    "Europe/Berlin",
    "Mars/Olympus",
    "arn:aws:sns:us-east-1:1:t",
    "-1",
    "0",
    "1e309",
    "NaN",
    ".nan",
    "~",
    "null",
    "true",
    "&a",
    "*a",
    "<<",
    "- ",
    ": ",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "#",
    "é",
    "ｔａｒｇｅｔｓ",
    "\u{0}",
];

fn config_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(WORDS), 0..60)
            .prop_map(|words| words.concat()),
        any::<String>(),
        structured().prop_map(|value| value.to_string()),
    ]
}

/// A document shaped like a configuration, with values of any kind where they go.
fn structured() -> impl Strategy<Value = serde_json::Value> {
    let scalar = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        proptest::sample::select(WORDS).prop_map(serde_json::Value::from),
    ];
    let target = proptest::collection::btree_map(proptest::sample::select(WORDS), scalar, 0..12)
        .prop_map(|fields| serde_json::json!(fields));
    proptest::collection::vec(target, 0..4)
        .prop_map(|targets| serde_json::json!({ "targets": targets }))
}

fn window() -> impl Strategy<Value = WindowSpec> {
    let time = prop_oneof![
        (0u8..26, 0u8..62).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
        proptest::sample::select(&["24:00", "+8:00", "8:00", "", "ab:cd"][..])
            .prop_map(str::to_owned),
    ];
    let days = proptest::collection::vec(
        proptest::sample::select(&["mon", "tue", "sun", "funday", "MON"][..])
            .prop_map(str::to_owned),
        0..4,
    );
    let days_of_month = proptest::option::of(
        proptest::sample::select(&["1", "28-L", "L", "31-30", "0", "15,1-5", "L-2"][..])
            .prop_map(str::to_owned),
    );
    (
        days,
        days_of_month,
        proptest::option::of(time.clone()),
        proptest::option::of(time),
        -2.0f64..40.0,
    )
        .prop_map(|(days, days_of_month, start, end, min_tasks)| WindowSpec {
            days,
            days_of_month,
            start,
            end,
            min_tasks: min_tasks.round(),
            ..WindowSpec::default()
        })
}

fn attribute() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        any::<String>().prop_map(AttributeValue::S),
        prop_oneof![any::<i64>().prop_map(|n| n.to_string()), any::<String>()]
            .prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
    ]
}

proptest! {
    #![proptest_config(property_config())]

    /// Any text: parsed or refused with every problem named by a path, never a panic.
    #[test]
    fn configuration_text_is_parsed_or_refused_by_path(text in config_text(), json in any::<bool>()) {
        let format = if json { Format::Json } else { Format::Yaml };
        if let Err(problems) = Document::parse(&text, format) {
            prop_assert!(!problems.0.is_empty());
            for problem in &problems.0 {
                prop_assert!(!problem.path.is_empty() && !problem.message.is_empty(), "{problem:?}");
            }
        }
    }

    /// Any profile: compiled, or refused by path; a compiled one gives floors at any
    /// instant within years, and only floors its windows give.
    #[test]
    fn profiles_compile_or_say_why_and_give_only_their_floors(
        windows in proptest::collection::vec(window(), 0..5),
        timezone in proptest::sample::select(&["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Nowhere/City"][..]),
        lead in 0u32..2000,
        seconds in -100_000_000i64..100_000_000,
    ) {
        let profile = Profile { name: "p".into(), timezone: timezone.into(), lead_minutes: lead, windows };
        match Schedule::compile(&profile, "profile") {
            Err(problems) => prop_assert!(problems.iter().all(|p| p.path.starts_with("profile"))),
            Ok(schedule) => {
                let at = jiff::Timestamp::from_second(1_800_000_000 + seconds).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let floor = schedule.floor_at(at);
                let possible: Vec<u32> = schedule.windows.iter().map(|w| w.min_tasks).collect();
                prop_assert!(floor.min_tasks == 0 || possible.contains(&floor.min_tasks));
                prop_assert!(floor.windows.iter().all(|i| *i < schedule.windows.len()));
            }
        }
    }

    /// Stored specs of any text: a target or a reason, never a panic.
    #[test]
    fn stored_specs_decode_or_say_why(name in "[a-z]{0,8}", spec in config_text()) {
        let _ = Target::from_stored(&name, &spec);
        let _ = Profile::from_stored(&name, &spec);
    }

    /// Stored watcher state of any shape decodes (dropping what it cannot read, with a
    /// note), and what it writes back reads the same.
    #[test]
    fn stored_state_items_always_decode(
        fields in proptest::collection::hash_map(
            proptest::sample::select(&["version", "last_activity", "claimed", "claimed_at", "observed_desired", "observed_at", "wake_requested", "skipped", "other"][..]),
            attribute(),
            0..9,
        ),
    ) {
        let item: HashMap<String, AttributeValue> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let decoded = sluice_aws::item::watch_state(&item);
        let mut written = sluice_aws::item::watch_state_attributes(&decoded.value);
        written.insert("version".to_owned(), AttributeValue::N("1".to_owned()));
        let again = sluice_aws::item::watch_state(&written);
        prop_assert_eq!(again.value, decoded.value);
        prop_assert!(again.problems.is_empty(), "{:?}", again.problems);
        let _ = sluice_aws::item::own_write(&item);
    }
}
