//! The events that reach the watcher: a schedule (poll), SNS notifications, CloudWatch
//! alarm state changes (through EventBridge or as an alarm's Lambda action) and manual
//! `wake` / `sleep` events. Anything else is refused before any AWS call.

use aws_lambda_events::sns::SnsEvent;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// Check every scale-to-zero target, then keep polling sleeping ones.
    Poll { trigger: &'static str },
    /// SNS notifications: one topic ARN per record.
    Sns { topics: Vec<String> },
    /// An alarm changed state.
    Alarm { name: String, state: String },
    Manual {
        action: ManualAction,
        target: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualAction {
    Wake,
    Sleep,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported event: {0}")]
pub struct BadEvent(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualInput {
    action: ManualAction,
    target: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "parsed to check the Scheduler input's shape; the values are not needed"
)]
struct SchedulerInput {
    source: String,
    #[serde(default)]
    schedule_arn: Option<String>,
    #[serde(default)]
    scheduled_time: Option<String>,
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

pub fn parse(event: &Value) -> Result<WatchEvent, BadEvent> {
    let Value::Object(fields) = event else {
        return Err(BadEvent(format!("expected a JSON object, got {event}")));
    };
    if fields.contains_key("Records") {
        let sns: SnsEvent = serde_json::from_value(event.clone())
            .map_err(|e| BadEvent(format!("Records present but not an SNS event: {e}")))?;
        if sns.records.is_empty() {
            return Err(BadEvent("SNS event with no records".to_owned()));
        }
        let mut topics = Vec::new();
        for (index, record) in sns.records.iter().enumerate() {
            if record.event_source != "aws:sns" {
                return Err(BadEvent(format!(
                    "Records[{index}].EventSource is {:?}, expected \"aws:sns\"",
                    record.event_source
                )));
            }
            topics.push(record.sns.topic_arn.clone());
        }
        return Ok(WatchEvent::Sns { topics });
    }
    if let Some(detail_type) = fields.get("detail-type").and_then(Value::as_str) {
        return match detail_type {
            "Scheduled Event" => Ok(WatchEvent::Poll {
                trigger: "eventbridge-schedule",
            }),
            "CloudWatch Alarm State Change" => {
                let detail = fields.get("detail").cloned().unwrap_or(Value::Null);
                let data: AlarmData = serde_json::from_value(detail).map_err(|e| {
                    BadEvent(format!(
                        "alarm state change without detail.alarmName/state.value: {e}"
                    ))
                })?;
                Ok(WatchEvent::Alarm {
                    name: data.alarm_name,
                    state: data.state.value,
                })
            }
            other => Err(BadEvent(format!(
                "EventBridge detail-type {other:?}; expected \"Scheduled Event\" or \"CloudWatch Alarm State Change\""
            ))),
        };
    }
    if let Some(alarm_data) = fields.get("alarmData") {
        // A CloudWatch alarm's Lambda action invokes the function directly.
        let data: AlarmData = serde_json::from_value(alarm_data.clone())
            .map_err(|e| BadEvent(format!("alarmData without alarmName/state.value: {e}")))?;
        return Ok(WatchEvent::Alarm {
            name: data.alarm_name,
            state: data.state.value,
        });
    }
    if fields.contains_key("action") {
        let manual: ManualInput = serde_json::from_value(event.clone()).map_err(|e| {
            BadEvent(format!(
                "{e}; a manual event is {{\"action\": \"wake\"|\"sleep\", \"target\": NAME}}"
            ))
        })?;
        return Ok(WatchEvent::Manual {
            action: manual.action,
            target: manual.target,
        });
    }
    if fields.get("source").and_then(Value::as_str) == Some("sluice.scheduler") {
        let _: SchedulerInput =
            serde_json::from_value(event.clone()).map_err(|e| BadEvent(e.to_string()))?;
        return Ok(WatchEvent::Poll {
            trigger: "eventbridge-scheduler",
        });
    }
    Err(BadEvent(
        "not a schedule, SNS, CloudWatch alarm or manual {\"action\": ..., \"target\": ...} event"
            .to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/zero-watcher/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
    }

    #[test]
    fn every_fixture_parses_as_intended() {
        assert_eq!(
            parse(&fixture("scheduled.json")),
            Ok(WatchEvent::Poll {
                trigger: "eventbridge-schedule"
            })
        );
        assert_eq!(
            parse(&fixture("scheduler.json")),
            Ok(WatchEvent::Poll {
                trigger: "eventbridge-scheduler"
            })
        );
        assert_eq!(
            parse(&fixture("sns.json")),
            Ok(WatchEvent::Sns {
                topics: vec![
                    "arn:aws:sns:us-east-1:123456789012:gold-inference-requests".to_owned()
                ]
            })
        );
        assert_eq!(
            parse(&fixture("alarm-eventbridge.json")),
            Ok(WatchEvent::Alarm {
                name: "gold-inference-backlog".to_owned(),
                state: "ALARM".to_owned()
            })
        );
        assert_eq!(
            parse(&fixture("alarm-action.json")),
            Ok(WatchEvent::Alarm {
                name: "gold-inference-backlog".to_owned(),
                state: "ALARM".to_owned()
            })
        );
        assert_eq!(
            parse(&fixture("wake.json")),
            Ok(WatchEvent::Manual {
                action: ManualAction::Wake,
                target: "gold-inference".to_owned()
            })
        );
        assert_eq!(
            parse(&fixture("sleep.json")),
            Ok(WatchEvent::Manual {
                action: ManualAction::Sleep,
                target: "gold-inference".to_owned()
            })
        );
        assert!(parse(&fixture("malformed.json")).is_err());
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        let cases = [
            (serde_json::json!([1]), "expected a JSON object"),
            (
                serde_json::json!({"action": "reboot", "target": "x"}),
                "unknown variant `reboot`",
            ),
            (
                serde_json::json!({"action": "wake"}),
                "missing field `target`",
            ),
            (
                serde_json::json!({"Records": []}),
                "SNS event with no records",
            ),
            (
                serde_json::json!({"detail-type": "EC2 Instance State-change Notification"}),
                "expected \"Scheduled Event\"",
            ),
            (serde_json::json!({"hello": "world"}), "not a schedule, SNS"),
        ];
        for (event, expected) in cases {
            let error = parse(&event).expect_err("refused");
            assert!(error.to_string().contains(expected), "{event}: {error}");
        }
    }
}
