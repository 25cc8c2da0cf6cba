//! The events that start a publish: EventBridge's classic `Scheduled Event`, an
//! EventBridge Scheduler input, or a direct invocation. Anything else is refused
//! before a single AWS call is made.

use serde::Deserialize;
use serde_json::Value;

/// What an invocation asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    /// Only these targets; all of them when None.
    pub only: Option<Vec<String>>,
    /// Where the invocation came from, for the log.
    pub trigger: &'static str,
    /// The schedule's own ARN and time, when EventBridge Scheduler passed them.
    pub schedule: Option<(String, String)>,
}

/// Input of an EventBridge Scheduler schedule or of a direct invocation. The template
/// sets the Scheduler's input to `{"source": "sluice.scheduler", ...}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectInput {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    schedule_arn: Option<String>,
    #[serde(default)]
    scheduled_time: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported event: {0}")]
pub struct BadEvent(pub String);

pub fn parse(event: &Value) -> Result<Invocation, BadEvent> {
    let Value::Object(fields) = event else {
        return Err(BadEvent(format!(
            "expected a JSON object (a Scheduled Event, a Scheduler input or {{}}), got {}",
            kind_of(event)
        )));
    };
    if let Some(detail_type) = fields.get("detail-type") {
        // EventBridge envelope: only its schedule triggers a publish.
        let source = fields.get("source").and_then(Value::as_str).unwrap_or("");
        return match (detail_type.as_str(), source) {
            (Some("Scheduled Event"), "aws.events" | "aws.scheduler") => Ok(Invocation {
                only: None,
                trigger: "eventbridge-schedule",
                schedule: None,
            }),
            _ => Err(BadEvent(format!(
                "EventBridge event with detail-type {detail_type} from source {source:?}; \
                 expected detail-type \"Scheduled Event\" from \"aws.events\""
            ))),
        };
    }
    let input: DirectInput = serde_json::from_value(event.clone()).map_err(|e| {
        BadEvent(format!(
            "{e}; a direct invocation takes {{}}, {{\"targets\": [NAME, ...]}} or a Scheduler input"
        ))
    })?;
    let trigger = match input.source.as_deref() {
        Some("sluice.scheduler") => "eventbridge-scheduler",
        None => "direct",
        Some(other) => {
            return Err(BadEvent(format!(
                "source {other:?} is not \"sluice.scheduler\""
            )));
        }
    };
    if let Some(targets) = &input.targets
        && targets.is_empty()
    {
        return Err(BadEvent(
            "targets is empty: leave it out to publish every target".to_owned(),
        ));
    }
    Ok(Invocation {
        only: input.targets,
        trigger,
        schedule: input.schedule_arn.zip(input.scheduled_time),
    })
}

fn kind_of(value: &Value) -> &'static str {
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

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/metric-publisher/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("fixture");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    #[test]
    fn every_fixture_parses_as_intended() {
        assert_eq!(
            parse(&fixture("scheduled.json")).map(|i| i.trigger),
            Ok("eventbridge-schedule")
        );
        assert_eq!(
            parse(&fixture("scheduler.json")).map(|i| i.trigger),
            Ok("eventbridge-scheduler")
        );
        let direct = parse(&fixture("direct-targets.json")).expect("direct");
        assert_eq!(direct.trigger, "direct");
        assert_eq!(direct.only, Some(vec!["gold-inference".to_owned()]));
        let error = parse(&fixture("malformed.json")).expect_err("malformed");
        assert!(error.0.contains("unknown field `target`"), "{error}");
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        let cases = [
            (serde_json::json!([]), "expected a JSON object"),
            (serde_json::json!("go"), "got a string"),
            (
                serde_json::json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2"}),
                "expected detail-type \"Scheduled Event\"",
            ),
            (
                serde_json::json!({"targets": "gold"}),
                "invalid type: string \"gold\", expected a sequence",
            ),
            (serde_json::json!({"targets": []}), "targets is empty"),
            (
                serde_json::json!({"source": "someone"}),
                "is not \"sluice.scheduler\"",
            ),
        ];
        for (event, expected) in cases {
            let error = parse(&event).expect_err("must be refused");
            assert!(error.to_string().contains(expected), "{event}: {error}");
        }
        assert_eq!(
            parse(&serde_json::json!({})).map(|i| i.trigger),
            Ok("direct")
        );
    }
}
