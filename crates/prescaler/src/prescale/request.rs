//! What an event asks the prescaler: the floors now (its schedule), or at a what-if
//! time and for some targets (`{"at": RFC3339, "targets": [NAME, ...]}`, both optional).

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use sluice_lambda::envelope::{self, BadEvent, Trigger};

#[derive(Debug)]
pub struct Request {
    pub trigger: &'static str,
    /// The time to plan for; None = now.
    pub at: Option<Timestamp>,
    pub only: Option<Vec<String>>,
}

const USAGE: &str =
    "a direct invocation takes {\"at\": RFC3339, \"targets\": [NAME, ...]}, both optional";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectInput {
    /// RFC 3339 with an offset, e.g. `2026-11-30T07:55:00+01:00`.
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
}

pub fn parse(event: &Value) -> Result<Request, BadEvent> {
    let trigger = envelope::parse(event)?;
    let label = trigger.label();
    let input = match trigger {
        Trigger::Schedule(_) => DirectInput {
            at: None,
            targets: None,
        },
        Trigger::Direct(fields) => Trigger::direct_input(fields, USAGE)?,
        other => return Err(other.not_for("prescaler", "its schedule or a direct invocation")),
    };
    let at = match input.at {
        None => None,
        Some(text) => Some(text.parse::<Timestamp>().map_err(|e| {
            BadEvent(format!(
                "at {text:?} is not an RFC 3339 time with an offset (e.g. 2026-11-30T07:55:00+01:00): {e}"
            ))
        })?),
    };
    if input.targets.as_ref().is_some_and(Vec::is_empty) {
        return Err(BadEvent(
            "targets is empty: leave it out for every target".to_owned(),
        ));
    }
    Ok(Request {
        trigger: label,
        at,
        only: input.targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_if_times_and_bad_requests() {
        let what_if = parse(&json!({"at": "2026-11-30T07:55:00+01:00"})).expect("what-if");
        assert_eq!(
            what_if.at.map(|t| t.to_string()),
            Some("2026-11-30T06:55:00Z".to_owned())
        );
        // (event, part of the error)
        let cases = [
            (json!({"at": "monday"}), "is not an RFC 3339 time"),
            (
                json!({"at": "next monday at eight"}),
                "is not an RFC 3339 time",
            ),
            (json!({"when": "now"}), "unknown field `when`"),
            (json!({"targets": []}), "targets is empty"),
            (json!(7), "expected a JSON object"),
        ];
        for (event, expected) in cases {
            let error = parse(&event).expect_err("refused");
            assert!(error.0.contains(expected), "{event}: {error}");
        }
    }
}
