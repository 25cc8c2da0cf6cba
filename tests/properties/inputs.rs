//! Everything that reads input from outside: configuration text (YAML and JSON),
//! profiles, stored specs and state items. Nothing panics, and a refusal names the
//! field at fault.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use proptest::prelude::*;
use sluice_core::config::{Document, Format, Target};
use sluice_core::profile::{OnHolidays, Profile, Schedule, WindowSpec};
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
        proptest::sample::select(
            &[
                "mon", "tue", "sun", "funday", "MON", "mon#1", "fri#L", "wed#6", "thu#0",
            ][..],
        )
        .prop_map(str::to_owned),
        0..4,
    );
    let days_of_month = proptest::option::of(
        proptest::sample::select(
            &[
                "1", "28-L", "L", "31-30", "0", "15,1-5", "L-2", "25-L-2", "L-3-L", "L-2-L-5",
                "BD3", "BDL", "BDL-1", "BD1-BD3", "BD0", "L-31", "bdl-2,1",
            ][..],
        )
        .prop_map(str::to_owned),
    );
    (
        days,
        days_of_month,
        proptest::option::of(time.clone()),
        proptest::option::of(time),
        -2.0f64..40.0,
        proptest::sample::select(&[OnHolidays::Skip, OnHolidays::Only, OnHolidays::Also][..]),
    )
        .prop_map(
            |(days, days_of_month, start, end, min_tasks, on_holidays)| WindowSpec {
                days,
                days_of_month,
                start,
                end,
                min_tasks: min_tasks.round(),
                on_holidays,
                ..WindowSpec::default()
            },
        )
}

/// A valid window of one of the calendar rules, `hours` long from `start`, not
/// crossing midnight.
fn calendar_window() -> impl Strategy<Value = WindowSpec> {
    let rules = [
        ("m", "L-2"),
        ("m", "25-L-2"),
        ("m", "L-3-L"),
        ("m", "BD1"),
        ("m", "BDL"),
        ("m", "BDL-1"),
        ("m", "1,L"),
        ("w", "mon#1"),
        ("w", "fri#L"),
        ("w", "sun#L"),
        ("w", "sun#1"),
    ];
    (
        proptest::sample::select(rules.to_vec()),
        0u8..24,
        0u8..4,
        1u8..6,
    )
        .prop_map(|((kind, rule), hour, quarter, hours)| {
            let start = format!("{hour:02}:{:02}", quarter * 15);
            let end_hour = (hour + hours).min(24);
            let end = if end_hour == 24 {
                "24:00".to_owned()
            } else {
                format!("{end_hour:02}:{:02}", quarter * 15)
            };
            WindowSpec {
                days: if kind == "w" {
                    vec![rule.to_owned()]
                } else {
                    Vec::new()
                },
                days_of_month: (kind == "m").then(|| rule.to_owned()),
                start: Some(start),
                end: Some(end),
                min_tasks: 1.0,
                ..WindowSpec::default()
            }
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
        holidays in proptest::collection::vec(
            proptest::sample::select(&["12-25", "01-01", "2026-05-01", "02-29", "13-01", "2026-02-30", "x"][..])
                .prop_map(str::to_owned),
            0..3,
        ),
    ) {
        let profile = Profile { name: "p".into(), timezone: timezone.into(), lead_minutes: lead, lead: sluice_core::profile::LeadMode::Fixed, holidays, calendars: Vec::new(), windows };
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

proptest! {
    #![proptest_config(property_config())]

    /// Any stored start-up samples, at the extremes of i64 included: the lead is
    /// within zero and a day, the percentiles only of samples a wake could measure,
    /// never a panic; a sample that is not a start-up is never added.
    #[test]
    fn any_stored_start_ups_give_a_lead_within_a_day(
        samples in proptest::collection::vec(
            (prop_oneof![any::<i64>(), 1_700_000_000i64..1_900_000_000], prop_oneof![any::<i64>(), -10i64..100_000]),
            0..30,
        ),
        fallback in 0i64..=1440,
        interval in prop_oneof![any::<i64>(), 1i64..60],
        now in 1_700_000_000i64..1_900_000_000,
    ) {
        use sluice_core::limits::MAX_START_UP_SECONDS;
        use sluice_core::startup::{self, MAX_LEAD_MINUTES, StartUp, StartUps};
        let stored = StartUps(samples.iter().map(|(at, seconds)| StartUp { at: *at, seconds: *seconds }).collect());
        let lead = startup::auto(&stored, fallback, interval, now);
        prop_assert!((0..=MAX_LEAD_MINUTES).contains(&lead.minutes), "{lead:?}");
        if let Some(p) = stored.percentiles(now) {
            prop_assert!((0..=MAX_START_UP_SECONDS).contains(&p.p50) && p.p50 <= p.p95 && p.p95 <= MAX_START_UP_SECONDS);
        }
        for (at, seconds) in samples {
            let sample = StartUp { at, seconds };
            let added = StartUps::default().with(sample, now);
            prop_assert_eq!(added.0.is_empty(), !sample.is_plausible(now) || added.recent(now).is_empty());
        }
    }
}

proptest! {
    // Each case walks a week minute by minute: fewer cases than the other properties.
    #![proptest_config(proptest::test_runner::Config { cases: 200, ..property_config() })]

    /// Over the turn of any month of 2024-2031 (the 26th to the 2nd or later), in zones with and without daylight
    /// saving (south included), a calendar window opens at most once per local day and
    /// closes once after each opening, within its length (plus a DST hour).
    #[test]
    fn a_windows_edges_appear_once_per_occurrence(
        spec in calendar_window(),
        timezone in proptest::sample::select(&["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"][..]),
        year in 2024i16..2032,
        month in 1i8..=12,
        holidays in proptest::collection::vec(proptest::sample::select(&["12-25", "01-01", "2026-05-01"][..]).prop_map(str::to_owned), 0..2),
    ) {
        let length = window_minutes(&spec);
        let profile = Profile { name: "p".into(), timezone: timezone.into(), lead_minutes: 0, lead: sluice_core::profile::LeadMode::Fixed, holidays, calendars: Vec::new(), windows: vec![spec] };
        let schedule = Schedule::compile(&profile, "p").map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let midnight = jiff::civil::date(year, month, 26).to_datetime(jiff::civil::Time::midnight());
        let from = schedule
            .timezone
            .to_ambiguous_timestamp(midnight)
            .compatible()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let changes = schedule.changes(from, 7 * 24, schedule.lead_minutes);
        let mut opened_on = std::collections::BTreeSet::new();
        let mut open_since: Option<jiff::Timestamp> = None;
        for (at, floor) in changes {
            match (floor.min_tasks, open_since) {
                (1, None) => {
                    let day = schedule.timezone.to_datetime(at).date();
                    prop_assert!(opened_on.insert(day), "opened twice on {day}");
                    open_since = Some(at);
                }
                (0, Some(opened)) => {
                    let minutes = (at.as_second() - opened.as_second()) / 60;
                    prop_assert!(minutes <= length + 60, "open {minutes} min, window {length}");
                    open_since = None;
                }
                (tasks, state) => prop_assert!(at == from, "floor {tasks} while {state:?}"),
            }
        }
    }
}

/// A window's length in minutes as written (start before end, same day).
fn window_minutes(spec: &WindowSpec) -> i64 {
    let minutes = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| t.split_once(':'))
            .map_or(0, |(h, m)| {
                h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
            })
    };
    minutes(&spec.end) - minutes(&spec.start)
}

/// Numbers at the edges a stored record can hold: 0 and -0, the smallest subnormal,
/// 1e308 and f64::MAX, the i64 bounds, the years 1 and 9999 in epoch seconds, and
/// anything finite (JSON holds no NaN or infinity: a record cannot either).
fn extreme_number() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        proptest::sample::select(
            &[
                0.0,
                -0.0,
                5e-324,
                1e-310,
                1e308,
                -1e308,
                f64::MAX,
                f64::MIN,
                9.223_372_036_854_776e18,
            ][..]
        )
        .prop_map(|f| serde_json::json!(f)),
        proptest::sample::select(
            &[
                i64::MIN,
                i64::MAX,
                -1,
                0,
                253_402_300_799,
                -62_135_596_800,
                1_800_000_000,
            ][..]
        )
        .prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        Just(serde_json::json!("")),
        Just(serde_json::Value::Null),
    ]
}

/// A stored record's JSON: the fields of `template` with some replaced by extremes.
fn record(
    template: serde_json::Value,
    fields: &'static [&'static str],
) -> impl Strategy<Value = serde_json::Value> {
    proptest::collection::btree_map(proptest::sample::select(fields), extreme_number(), 0..6)
        .prop_map(move |replaced| {
            let mut record = template.clone();
            if let Some(object) = record.as_object_mut() {
                for (field, value) in replaced {
                    object.insert(field.to_owned(), value);
                }
            }
            record
        })
}

fn rates_record() -> impl Strategy<Value = serde_json::Value> {
    let look = record(
        serde_json::json!({"at": 1_800_000_000, "waiting": 10.0, "in_flight": 2.0, "running": 2, "desired": 2}),
        &["at", "waiting", "in_flight", "running", "desired"],
    );
    (
        record(
            serde_json::json!({"service": 10.0, "samples": 3, "arrival": 20.0, "learned_through": 1_800_000_000, "start_up": 90.0}),
            &["service", "samples", "arrival", "learned_through", "in_hand", "deleting", "little_minutes", "start_up"],
        ),
        proptest::collection::vec(look, 0..4),
    )
        .prop_map(|(mut rates, looks)| {
            rates["looks"] = serde_json::Value::Array(looks);
            rates
        })
}

proptest! {
    #![proptest_config(property_config())]

    /// Every kind of stored record at the extremes (issue 23): a budget decodes or is
    /// refused with a reason and its figures stay in range; a group record decodes to
    /// u32 counts or is unreadable; the load model's rates and the watcher's memory,
    /// once cleaned, give a finite need and a decision without a panic.
    #[test]
    fn stored_records_at_the_extremes_decode_or_are_refused(
        budget in record(
            serde_json::json!({"name": "b", "targets": ["t"], "period": "day", "limit": 10.0, "unit": "money", "price_per_task_hour": 1.2, "mode": "enforce"}),
            &["limit", "price_per_task_hour", "gpus_per_task", "period", "timezone"],
        ),
        group in proptest::collection::hash_map(
            proptest::sample::select(&["sk", "raised_to", "baseline", "floor"][..]),
            attribute(),
            0..5,
        ),
        rates in rates_record(),
        memory in record(
            serde_json::json!({"below_since": 1_800_000_000, "needs": [[1_800_000_000, 3.0]]}),
            &["below_since"],
        ),
        // The clock is real (not stored): any instant from 1970 to 9999.
        need_at in proptest::sample::select(&[0, 1_800_000_000, 253_402_300_799][..]),
    ) {
        if let Ok(budget) = sluice_core::budget::Budget::from_stored("b", &budget.to_string()) {
            prop_assert!((1e-6..=1e12).contains(&budget.limit), "{budget:?}");
        }

        let item: HashMap<String, AttributeValue> = group.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let _ = sluice_aws::item::group_own(&item);

        if let Ok(stored) = serde_json::from_value::<sluice_core::capacity::Rates>(rates) {
            let (clean, _) = stored.sanitized(need_at);
            let goal = sluice_core::capacity::Goal {
                backlog_per_task: 10.0,
                latency_seconds: Some(120),
                utilization: 1.0,
                prior_service: None,
            };
            let look = sluice_core::capacity::Look { at: need_at, waiting: 5.0, in_flight: 1.0, running: 1, desired: 1 };
            let need = sluice_core::capacity::Need::of(&goal, &clean, &look);
            prop_assert!(need.raw.is_finite() && need.raw >= 0.0, "{need:?}");
            if let Ok(memory) = serde_json::from_value::<sluice_core::capacity::Memory>(memory) {
                let (memory, _) = memory.sanitized(need_at);
                let at = sluice_core::capacity::control::Situation {
                    desired: 1,
                    bounds: sluice_core::facts::ScalableBounds { min: 0, max: 10 },
                    in_flight: 1.0,
                    now: need_at,
                };
                let (decision, _) = sluice_core::capacity::control::tracking(&need, &at, &memory, 180);
                prop_assert!(decision.to().is_none_or(|to| to <= 10), "{decision:?}");
            }
        }
    }
}
