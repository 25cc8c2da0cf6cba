//! The events that start a prescale: EventBridge's `Scheduled Event`, the Scheduler
//! input, or a direct invocation, optionally for a what-if time and some targets.

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub trigger: &'static str,
    /// The time to plan for; None = now.
    pub at: Option<Timestamp>,
    pub only: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported event: {0}")]
pub struct BadEvent(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectInput {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted from EventBridge Scheduler; not needed")]
    schedule_arn: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted from EventBridge Scheduler; not needed")]
    scheduled_time: Option<String>,
    /// RFC 3339 with an offset, e.g. `2026-11-30T07:55:00+01:00`.
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
}

pub fn parse(event: &Value) -> Result<Invocation, BadEvent> {
    let Value::Object(fields) = event else {
        return Err(BadEvent(format!("expected a JSON object, got {event}")));
    };
    if let Some(detail_type) = fields.get("detail-type") {
        return match detail_type.as_str() {
            Some("Scheduled Event") => Ok(Invocation {
                trigger: "eventbridge-schedule",
                at: None,
                only: None,
            }),
            _ => Err(BadEvent(format!(
                "EventBridge detail-type {detail_type}; expected \"Scheduled Event\""
            ))),
        };
    }
    let input: DirectInput = serde_json::from_value(event.clone()).map_err(|e| {
        BadEvent(format!("{e}; a direct invocation takes {{\"at\": RFC3339, \"targets\": [NAME, ...]}}, both optional"))
    })?;
    let trigger = match input.source.as_deref() {
        None => "direct",
        Some("sluice.scheduler") => "eventbridge-scheduler",
        Some(other) => {
            return Err(BadEvent(format!(
                "source {other:?} is not \"sluice.scheduler\""
            )));
        }
    };
    let at = match input.at {
        None => None,
        Some(text) => Some(text.parse::<Timestamp>().map_err(|e| {
            BadEvent(format!("at {text:?} is not an RFC 3339 time with an offset (e.g. 2026-11-30T07:55:00+01:00): {e}"))
        })?),
    };
    if input.targets.as_ref().is_some_and(Vec::is_empty) {
        return Err(BadEvent(
            "targets is empty: leave it out for every target".to_owned(),
        ));
    }
    Ok(Invocation {
        trigger,
        at,
        only: input.targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/prescaler/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
    }

    #[test]
    fn fixtures_parse_as_intended() {
        assert_eq!(
            parse(&fixture("scheduled.json")).map(|i| i.trigger),
            Ok("eventbridge-schedule")
        );
        assert_eq!(
            parse(&fixture("scheduler.json")).map(|i| i.trigger),
            Ok("eventbridge-scheduler")
        );
        let what_if = parse(&fixture("what-if.json")).expect("what-if");
        assert_eq!(
            what_if.at.map(|t| t.to_string()),
            Some("2026-11-30T06:55:00Z".to_owned())
        );
        let error = parse(&fixture("malformed.json")).expect_err("malformed");
        assert!(error.0.contains("is not an RFC 3339 time"), "{error}");
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        for (event, expected) in [
            (
                serde_json::json!({"at": "monday"}),
                "is not an RFC 3339 time",
            ),
            (serde_json::json!({"when": "now"}), "unknown field `when`"),
            (serde_json::json!({"targets": []}), "targets is empty"),
            (serde_json::json!(7), "expected a JSON object"),
        ] {
            let error = parse(&event).expect_err("refused");
            assert!(error.0.contains(expected), "{event}: {error}");
        }
    }
}
