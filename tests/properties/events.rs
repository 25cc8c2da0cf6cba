//! Every function's handler, fed generated events (fixtures with parts replaced, and
//! objects made of the envelopes' own words), over the in-memory AWS: it answers or
//! refuses without panicking, and a refused event changes nothing through any port.

use proptest::prelude::*;
use serde_json::{Value, json};
use sluice_aws::memory::MemoryAws;
use sluice_core::config::{ScaleToZero, Target};
use sluice_core::profile::{Profile, WindowSpec};
use sluice_core::settings::Common;
use sluice_lambda::FixedClock;
use sluice_testkit::{fixture, property_config};

const KEYS: &[&str] = &[
    "source",
    "detail-type",
    "detail",
    "Records",
    "EventSource",
    "Sns",
    "TopicArn",
    "Message",
    "alarmData",
    "alarmName",
    "state",
    "value",
    "targets",
    "target",
    "action",
    "at",
    "apply",
    "schedule_arn",
    "scheduled_time",
    "execution_id",
    "attempt_number",
    "version",
    "id",
];
const STRINGS: &[&str] = &[
    "sluice.scheduler",
    "aws.events",
    "aws.scheduler",
    "aws.cloudwatch",
    "Scheduled Event",
    "CloudWatch Alarm State Change",
    "aws:sns",
    "wake",
    "sleep",
    "ALARM",
    "OK",
    "gold",
    "gold-inference",
    "2026-11-30T07:55:00+01:00",
    "9999-12-31T00:00:00Z",
    "+25:00",
    "",
    "arn:aws:sns:us-east-1:123456789012:gold-inference-requests",
    "ｇｏｌｄ",
    "gold\u{0}",
    "{\"AlarmName\":\"gold\",\"NewStateValue\":\"ALARM\"}",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        proptest::sample::select(STRINGS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(proptest::sample::select(KEYS), inner, 0..6)
                .prop_map(|m| json!(m)),
        ]
    })
}

const FIXTURES: &[&str] = &[
    "metric-publisher/scheduled.json",
    "metric-publisher/scheduler.json",
    "metric-publisher/direct-targets.json",
    "zero-watcher/sns.json",
    "zero-watcher/alarm-eventbridge.json",
    "zero-watcher/alarm-action.json",
    "zero-watcher/wake.json",
    "zero-watcher/sleep.json",
    "prescaler/what-if.json",
    "prescaler/what-if-apply.json",
];

/// A fixture with one field replaced or removed, or a made-up event.
fn event() -> impl Strategy<Value = Value> {
    let mutated = (
        proptest::sample::select(FIXTURES),
        proptest::sample::select(KEYS),
        proptest::option::of(value()),
    )
        .prop_map(|(name, key, replacement)| {
            let mut event = fixture(name).unwrap_or(Value::Null);
            if let Some(fields) = event.as_object_mut() {
                match replacement {
                    Some(replacement) => fields.insert(key.to_owned(), replacement),
                    None => fields.remove(key),
                };
            }
            event
        });
    prop_oneof![mutated, value()]
}

/// One scale-to-zero target with a profile, asleep with work, as the fixtures name it.
fn world() -> MemoryAws {
    let aws = MemoryAws::new();
    aws.put_target(
        &Target::new("gold-inference", "c", "gold-svc")
            .with_queues(["q"])
            .with_capacity(0, 10)
            .with_profile("p")
            .with_scale_to_zero(ScaleToZero {
                topics: vec!["arn:aws:sns:us-east-1:123456789012:gold-inference-requests".into()],
                alarms: vec!["gold-inference-backlog".into()],
                ..ScaleToZero::default()
            }),
    );
    aws.put_profile(&Profile::new(
        "p",
        "Europe/Berlin",
        10,
        vec![WindowSpec {
            days_of_month: Some("1-L".into()),
            min_tasks: 2.0,
            ..WindowSpec::default()
        }],
    ));
    aws.set_service("c", "gold-svc", 0);
    aws.set_queue(
        "q",
        sluice_core::facts::QueueDepth {
            visible: 3,
            in_flight: 0,
            delayed: 0,
        },
    );
    aws
}

fn runtime() -> Result<tokio::runtime::Runtime, TestCaseError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

proptest! {
    #![proptest_config(property_config())]

    #[test]
    fn the_publisher_answers_or_refuses_and_a_refusal_writes_nothing(event in event()) {
        let aws = world();
        let ports = metric_publisher::publish::Ports {
            here: aws.here(), stack: metric_publisher::publish::Stack::memory(&aws),
        };
        let settings = metric_publisher::Settings::of(Common::for_table("t"));
        let result = runtime()?.block_on(metric_publisher::publish::publish(&event, &settings, &ports));
        if let Err(metric_publisher::publish::PublishError::Request(_)) = result {
            prop_assert_eq!(aws.calls("CloudWatch.PutMetricData"), 0);
            prop_assert_eq!(aws.mutations(), 0);
        }
    }

    #[test]
    fn the_watcher_answers_or_refuses_and_a_refusal_changes_nothing(event in event()) {
        let aws = world();
        let clock = FixedClock::at(1_800_000_000);
        let looks = zero_watcher::watch::QuietLooks::default();
        let ports = zero_watcher::watch::Ports {
            here: aws.here(), stack: zero_watcher::watch::Stack::memory(&aws, &clock, &looks),
        };
        let settings = zero_watcher::Settings::one_look(Common::for_table("t"));
        let result = runtime()?.block_on(zero_watcher::watch::watch(&event, &settings, &ports));
        if let Err(zero_watcher::WatchError::Request(_)) = result {
            prop_assert_eq!(aws.mutations(), 0);
        }
        // With work waiting, nothing ever puts the service to sleep.
        prop_assert!(aws.desired_writes().iter().all(|(_, desired)| *desired > 0));
    }

    #[test]
    fn the_prescaler_answers_or_refuses_and_a_refusal_changes_nothing(event in event()) {
        let aws = world();
        let ports = prescaler::prescale::Ports {
            here: aws.here(), stack: prescaler::prescale::Stack::memory(&aws),
        };
        let settings = prescaler::Settings::of(Common::for_table("t"));
        let now: jiff::Timestamp = "2026-11-24T12:00:00Z".parse().map_err(|e: jiff::Error| TestCaseError::fail(e.to_string()))?;
        let result = runtime()?.block_on(prescaler::prescale::prescale(&event, &settings, &ports, now));
        if result.is_err() {
            prop_assert_eq!(aws.mutations(), 0);
            prop_assert_eq!(aws.calls("CloudWatch.PutMetricData"), 0);
        }
        // A floor never goes past the configuration's max.
        prop_assert!(aws.desired_writes().iter().all(|(_, desired)| *desired <= 10));
    }
}
