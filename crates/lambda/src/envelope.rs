//! The one parser of the events that reach a Sluice function. Each handler matches
//! on the [`Trigger`] it gets and refuses, with a clear error, the kinds it does not
//! take; the sources are checked here, once, so a fix to the envelope lands once.
//!
//! Accepted, and nothing else:
//! - EventBridge `Scheduled Event` from `aws.events` or `aws.scheduler`;
//! - the EventBridge Scheduler input the template sets, `{"source": "sluice.scheduler",
//!   ...}`, with any of the Scheduler's context attributes (schedule ARN, scheduled
//!   time, execution id, attempt number:
//!   <https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html>);
//! - SNS notifications (`Records` with `EventSource` `aws:sns`), with CloudWatch alarm
//!   notifications recognised in their message;
//! - `CloudWatch Alarm State Change` from `aws.cloudwatch` (EventBridge), and an
//!   alarm's Lambda action (`source` `aws.cloudwatch` with `alarmData`);
//! - a direct invocation: a JSON object without `source`, whose fields each function
//!   reads with [`Trigger::direct_input`].

use aws_lambda_events::sns::SnsEvent;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sluice_core::shard::Shard;

/// Why a function was invoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The function's schedule.
    Schedule(Schedule),
    /// SNS notifications, one per record (Lambda delivers one at a time).
    Sns(Vec<Notification>),
    /// A CloudWatch alarm changed state.
    Alarm(AlarmChange),
    /// A direct invocation: an object the function reads its own fields from.
    Direct(Map<String, Value>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    /// `eventbridge-schedule` (a rule) or `eventbridge-scheduler`.
    pub via: &'static str,
    pub schedule_arn: Option<String>,
    pub scheduled_time: Option<String>,
    pub execution_id: Option<String>,
    pub attempt_number: Option<String>,
    /// The share of the targets this invocation handles (the template's schedule
    /// slots each carry one; sluice_core::shard). Everything by default.
    pub shard: Shard,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub topic_arn: String,
    /// Set when the message is a CloudWatch alarm notification (an alarm whose
    /// action is the topic): it says which alarm and which state.
    pub alarm: Option<AlarmChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmChange {
    pub name: String,
    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// The account the alarm is in, when the event says (EventBridge's `account`, an
    /// alarm action's `accountId`): alarm names are unique per account only, so a
    /// name alone could be anyone's.
    pub account: Option<String>,
}

impl AlarmChange {
    pub fn is_alarm(&self) -> bool {
        self.state == "ALARM"
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("unsupported event: {0}")]
pub struct BadEvent(pub String);

/// The source the template gives the Scheduler's input.
pub const SCHEDULER_SOURCE: &str = "sluice.scheduler";

/// More SNS records than this in one event is not something Lambda sends.
const MAX_RECORDS: usize = 100;

impl Trigger {
    /// The trigger's name in reports and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Trigger::Schedule(schedule) => schedule.via,
            Trigger::Sns(_) => "sns",
            Trigger::Alarm(_) => "cloudwatch-alarm",
            Trigger::Direct(_) => "direct",
        }
    }

    /// The refusal for a trigger `function` does not take.
    pub fn not_for(&self, function: &str, takes: &str) -> BadEvent {
        BadEvent(format!(
            "the {function} is not invoked by {} events; it takes {takes}",
            self.label()
        ))
    }

    /// Reads a direct invocation's fields as `T`; the error names the field at fault
    /// and repeats `usage`, what the function takes.
    pub fn direct_input<T: DeserializeOwned>(
        fields: Map<String, Value>,
        usage: &str,
    ) -> Result<T, BadEvent> {
        serde_path_to_error::deserialize(Value::Object(fields)).map_err(|error| {
            let path = error.path().to_string();
            let at = if path == "." {
                String::new()
            } else {
                format!("{path}: ")
            };
            BadEvent(format!("{at}{}; {usage}", error.into_inner()))
        })
    }
}

/// Parses any event that may reach a Sluice function.
pub fn parse(event: &Value) -> Result<Trigger, BadEvent> {
    let Value::Object(fields) = event else {
        return Err(BadEvent(format!(
            "expected a JSON object, got {}",
            kind_of(event)
        )));
    };
    let source = fields.get("source").map(|s| s.as_str().ok_or(s));
    if fields.contains_key("Records") {
        only(fields, SNS_FIELDS, "an SNS event")?;
        return parse_sns(event);
    }
    if let Some(detail_type) = fields.get("detail-type") {
        only(fields, EVENTBRIDGE_FIELDS, "an EventBridge event")?;
        return parse_eventbridge(detail_type, source, fields);
    }
    match source {
        Some(Ok(SCHEDULER_SOURCE)) => parse_scheduler(event),
        Some(Ok("aws.cloudwatch")) if fields.contains_key("alarmData") => {
            only(fields, ALARM_ACTION_FIELDS, "an alarm's Lambda action")?;
            let data = fields.get("alarmData").cloned().unwrap_or(Value::Null);
            alarm_from(data, "alarmData", account(fields, "accountId")?)
        }
        Some(Ok(other)) => Err(BadEvent(format!(
            "source {other:?} is not one Sluice accepts (\"{SCHEDULER_SOURCE}\" for the \
             Scheduler's input; none for a direct invocation)"
        ))),
        Some(Err(value)) => Err(BadEvent(format!(
            "source must be a string, got {}",
            kind_of(value)
        ))),
        None => Ok(Trigger::Direct(fields.clone())),
    }
}

/// The top-level fields of an SNS event as Lambda delivers it.
const SNS_FIELDS: &[&str] = &["Records"];
/// The EventBridge envelope (<https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html>).
const EVENTBRIDGE_FIELDS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
    "replay-name",
];
/// What CloudWatch sends a Lambda function an alarm invokes directly
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda>).
const ALARM_ACTION_FIELDS: &[&str] = &[
    "source",
    "alarmArn",
    "accountId",
    "time",
    "region",
    "alarmData",
];

/// Refuses an event that carries a field its kind does not have: two kinds in one
/// event (SNS records and a manual action, an alarm and a wake) would otherwise be
/// acted on as one of them and the other dropped unsaid.
fn only(fields: &Map<String, Value>, allowed: &[&str], kind: &str) -> Result<(), BadEvent> {
    match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(BadEvent(format!(
            "{kind} carrying {key:?} as well: one kind of event at a time ({kind} has only \
             {})",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn parse_eventbridge(
    detail_type: &Value,
    source: Option<Result<&str, &Value>>,
    fields: &Map<String, Value>,
) -> Result<Trigger, BadEvent> {
    let source = match source {
        Some(Ok(source)) => source,
        _ => "",
    };
    match (detail_type.as_str(), source) {
        (Some("Scheduled Event"), "aws.events" | "aws.scheduler") => {
            // A rule's scheduled event has an empty detail; anything in it (a shard)
            // would be ignored and every target looked at.
            if let Some(Value::Object(detail)) = fields.get("detail")
                && let Some(key) = detail.keys().next()
            {
                return Err(BadEvent(format!(
                    "a Scheduled Event's detail is empty, this one carries {key:?}: a shard \
                     goes in the Scheduler's input ({{\"source\": \"{SCHEDULER_SOURCE}\", \
                     \"shard\": {{\"index\", \"count\"}}}})"
                )));
            }
            Ok(Trigger::Schedule(Schedule {
                via: "eventbridge-schedule",
                ..Schedule::default()
            }))
        }
        (Some("CloudWatch Alarm State Change"), "aws.cloudwatch") => {
            let detail = fields.get("detail").cloned().unwrap_or(Value::Null);
            alarm_from(detail, "detail", account(fields, "account")?)
        }
        _ => Err(BadEvent(format!(
            "EventBridge event with detail-type {detail_type} from source {source:?}; \
             expected \"Scheduled Event\" from \"aws.events\" or \"aws.scheduler\", or \
             \"CloudWatch Alarm State Change\" from \"aws.cloudwatch\""
        ))),
    }
}

/// The Scheduler's input: the template's fields and the Scheduler's context
/// attributes, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchedulerInput {
    #[expect(dead_code, reason = "checked by the caller")]
    source: String,
    #[serde(default)]
    schedule_arn: Option<String>,
    #[serde(default)]
    scheduled_time: Option<String>,
    #[serde(default)]
    execution_id: Option<String>,
    #[serde(default)]
    attempt_number: Option<Value>,
    /// Absent: every target. Null is refused, not read as absent: a template that
    /// meant to shard and wrote null would look at every shard's targets.
    #[serde(default, deserialize_with = "present")]
    shard: Option<Option<Shard>>,
}

/// A field that may be absent but not null: `Some(None)` when it is null.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn parse_scheduler(event: &Value) -> Result<Trigger, BadEvent> {
    let input: SchedulerInput = serde_json::from_value(event.clone()).map_err(|e| {
        BadEvent(format!(
            "Scheduler input: {e}; it takes source, schedule_arn, scheduled_time, \
             execution_id, attempt_number and shard {{index, count}}"
        ))
    })?;
    let attempt_number = match input.attempt_number {
        None => None,
        Some(Value::String(text)) => Some(text),
        Some(Value::Number(number)) => Some(number.to_string()),
        Some(other) => {
            return Err(BadEvent(format!(
                "Scheduler input: attempt_number must be a number, got {}",
                kind_of(&other)
            )));
        }
    };
    let shard = match input.shard {
        None => Shard::default(),
        Some(None) => {
            return Err(BadEvent(
                "Scheduler input: shard is null; give {\"index\", \"count\"}, or leave it out \
                 for every target"
                    .to_owned(),
            ));
        }
        Some(Some(given)) => Shard::new(given.index, given.count)
            .map_err(|e| BadEvent(format!("Scheduler input: {e}")))?,
    };
    Ok(Trigger::Schedule(Schedule {
        via: "eventbridge-scheduler",
        schedule_arn: input.schedule_arn,
        scheduled_time: input.scheduled_time,
        execution_id: input.execution_id,
        attempt_number,
        shard,
    }))
}

fn parse_sns(event: &Value) -> Result<Trigger, BadEvent> {
    let sns: SnsEvent = serde_json::from_value(event.clone())
        .map_err(|e| BadEvent(format!("Records present but not an SNS event: {e}")))?;
    if sns.records.is_empty() {
        return Err(BadEvent("SNS event with no records".to_owned()));
    }
    if sns.records.len() > MAX_RECORDS {
        return Err(BadEvent(format!(
            "SNS event with {} records; Lambda delivers one at a time (at most {MAX_RECORDS} accepted)",
            sns.records.len()
        )));
    }
    let mut notifications = Vec::with_capacity(sns.records.len());
    for (index, record) in sns.records.iter().enumerate() {
        if record.event_source != "aws:sns" {
            return Err(BadEvent(format!(
                "Records[{index}].EventSource is {:?}, expected \"aws:sns\"",
                record.event_source
            )));
        }
        notifications.push(Notification {
            topic_arn: record.sns.topic_arn.clone(),
            alarm: alarm_notification(&record.sns.message),
        });
    }
    Ok(Trigger::Sns(notifications))
}

/// A CloudWatch alarm notification's message is JSON with `AlarmName` and
/// `NewStateValue` (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html>).
fn alarm_notification(message: &str) -> Option<AlarmChange> {
    let message: Value = serde_json::from_str(message).ok()?;
    // The topic the target lists is what it trusts here, whoever published to it.
    Some(AlarmChange {
        name: message.get("AlarmName")?.as_str()?.to_owned(),
        state: message.get("NewStateValue")?.as_str()?.to_owned(),
        account: None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmData {
    alarm_name: String,
    state: AlarmState,
}

#[derive(Deserialize)]
struct AlarmState {
    value: String,
}

/// The account an alarm event names in `field`, when it names one: twelve digits.
fn account(fields: &Map<String, Value>, field: &str) -> Result<Option<String>, BadEvent> {
    match fields.get(field) {
        None => Ok(None),
        Some(Value::String(id)) => match sluice_core::place::account_id_problem(id) {
            None => Ok(Some(id.clone())),
            Some(problem) => Err(BadEvent(format!("{field}: {problem}"))),
        },
        Some(other) => Err(BadEvent(format!(
            "{field}: expected an account id string, got {}",
            kind_of(other)
        ))),
    }
}

fn alarm_from(data: Value, field: &str, account: Option<String>) -> Result<Trigger, BadEvent> {
    let data: AlarmData = serde_json::from_value(data).map_err(|e| {
        BadEvent(format!(
            "alarm state change without {field}.alarmName and {field}.state.value: {e}"
        ))
    })?;
    Ok(Trigger::Alarm(AlarmChange {
        name: data.alarm_name,
        state: data.state.value,
        account,
    }))
}

pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(path: &str) -> Value {
        let path = format!("{}/../../events/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn label(path: &str) -> Result<&'static str, BadEvent> {
        parse(&fixture(path)).map(|t| t.label())
    }

    #[test]
    fn every_fixture_parses_as_the_trigger_it_stands_for() {
        // (fixture, trigger)
        let cases = [
            ("metric-publisher/scheduled.json", "eventbridge-schedule"),
            ("metric-publisher/scheduler.json", "eventbridge-scheduler"),
            ("metric-publisher/direct-targets.json", "direct"),
            ("prescaler/scheduled.json", "eventbridge-schedule"),
            ("prescaler/scheduler.json", "eventbridge-scheduler"),
            ("prescaler/what-if.json", "direct"),
            ("zero-watcher/scheduled.json", "eventbridge-schedule"),
            ("zero-watcher/scheduler.json", "eventbridge-scheduler"),
            ("zero-watcher/sns.json", "sns"),
            ("zero-watcher/alarm-eventbridge.json", "cloudwatch-alarm"),
            ("zero-watcher/alarm-action.json", "cloudwatch-alarm"),
            ("zero-watcher/wake.json", "direct"),
        ];
        for (path, expected) in cases {
            assert_eq!(label(path), Ok(expected), "{path}");
        }
        let Ok(Trigger::Alarm(alarm)) = parse(&fixture("zero-watcher/alarm-action.json")) else {
            panic!("alarm action");
        };
        assert_eq!(
            alarm,
            AlarmChange {
                name: "gold-inference-backlog".into(),
                state: "ALARM".into(),
                account: Some("123456789012".into()),
            }
        );
    }

    #[test]
    fn the_scheduler_context_attributes_are_accepted() {
        let event = json!({
            "source": "sluice.scheduler",
            "schedule_arn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/s",
            "scheduled_time": "2026-11-24T08:00:00Z",
            "execution_id": "d2f6c2b4-1b7e-4a0e-9a51-7e3f4f1c2d3e",
            "attempt_number": "1"
        });
        let Ok(Trigger::Schedule(schedule)) = parse(&event) else {
            panic!("schedule");
        };
        assert_eq!(schedule.attempt_number.as_deref(), Some("1"));
        assert_eq!(
            schedule.execution_id.as_deref(),
            Some("d2f6c2b4-1b7e-4a0e-9a51-7e3f4f1c2d3e")
        );
    }

    #[test]
    fn an_alarm_notification_through_sns_says_its_state() {
        let mut event = fixture("zero-watcher/sns.json");
        event["Records"][0]["Sns"]["Message"] = json!(
            "{\"AlarmName\":\"gold-inference-backlog\",\"NewStateValue\":\"OK\",\"OldStateValue\":\"ALARM\"}"
        );
        let Ok(Trigger::Sns(notifications)) = parse(&event) else {
            panic!("sns");
        };
        assert_eq!(
            notifications[0].alarm,
            Some(AlarmChange {
                name: "gold-inference-backlog".into(),
                state: "OK".into(),
                account: None,
            })
        );
    }

    #[test]
    fn bad_envelopes_say_what_is_wrong() {
        // (event, part of the error)
        let cases = [
            (json!([]), "expected a JSON object, got an array"),
            (json!("go"), "got a string"),
            (
                json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2"}),
                "expected \"Scheduled Event\"",
            ),
            (
                json!({"detail-type": "Scheduled Event", "source": "someone.else"}),
                "from source \"someone.else\"",
            ),
            (
                json!({"detail-type": "CloudWatch Alarm State Change", "source": "aws.events"}),
                "expected \"Scheduled Event\"",
            ),
            (
                json!({"source": "someone"}),
                "source \"someone\" is not one",
            ),
            (
                json!({"source": 7}),
                "source must be a string, got a number",
            ),
            (
                json!({"source": "sluice.scheduler", "targets": ["x"]}),
                "unknown field `targets`",
            ),
            (json!({"Records": []}), "SNS event with no records"),
            (
                json!({"Records": [], "action": "wake", "target": "gold"}),
                "an SNS event carrying \"action\" as well: one kind of event at a time",
            ),
            (
                json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "a", "state": {"value": "ALARM"}}, "action": "sleep"}),
                "an alarm's Lambda action carrying \"action\" as well",
            ),
            (
                json!({"source": "aws.cloudwatch", "accountId": "12", "alarmData": {"alarmName": "a", "state": {"value": "ALARM"}}}),
                "accountId: \"12\" is not an AWS account id",
            ),
            (
                json!({"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "account": 123456789012_u64, "detail": {"alarmName": "a", "state": {"value": "ALARM"}}}),
                "account: expected an account id string, got a number",
            ),
            (
                json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}, "shard": {"index": 0, "count": 2}}),
                "an EventBridge event carrying \"shard\" as well",
            ),
            (
                json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {"shard": {"index": 0, "count": 2}}}),
                "a Scheduled Event's detail is empty, this one carries \"shard\"",
            ),
            (
                json!({"source": "sluice.scheduler", "shard": null}),
                "shard is null",
            ),
            (json!({"Records": 3}), "not an SNS event"),
            (
                json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "a"}}),
                "without alarmData.alarmName and alarmData.state.value",
            ),
        ];
        for (event, expected) in cases {
            let error = parse(&event).expect_err("refused");
            assert!(error.to_string().contains(expected), "{event}: {error}");
        }
    }

    #[test]
    fn direct_input_errors_name_the_field() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[expect(dead_code, reason = "only the error is looked at")]
        struct Input {
            targets: Option<Vec<String>>,
        }
        let Ok(Trigger::Direct(fields)) = parse(&json!({"targets": ["a", 3]})) else {
            panic!("direct");
        };
        let error = Trigger::direct_input::<Input>(fields, "it takes {\"targets\": [NAME]}")
            .expect_err("refused");
        assert_eq!(
            error.0,
            "targets[1]: invalid type: integer `3`, expected a string; it takes {\"targets\": [NAME]}"
        );
    }
}
