//! What an invocation asks the publisher for: every target on its schedule, or some
//! of them when invoked directly with `{"targets": [NAME, ...]}`.

use serde::Deserialize;
use serde_json::Value;
use sluice_core::shard::Shard;
use sluice_lambda::envelope::{self, BadEvent, Trigger};

#[derive(Debug)]
pub struct Request {
    pub trigger: &'static str,
    /// Only these targets; all of them when None.
    pub only: Option<Vec<String>>,
    /// The schedule slot's share of the targets (everything when not sharded).
    pub shard: Shard,
}

const USAGE: &str = "a direct invocation takes {} or {\"targets\": [NAME, ...]}";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectInput {
    #[serde(default)]
    targets: Option<Vec<String>>,
}

pub fn parse(event: &Value) -> Result<Request, BadEvent> {
    let trigger = envelope::parse(event)?;
    let label = trigger.label();
    let shard = match &trigger {
        Trigger::Schedule(schedule) => schedule.shard,
        _ => Shard::default(),
    };
    let only = match trigger {
        Trigger::Schedule(_) => None,
        Trigger::Direct(fields) => {
            let input: DirectInput = Trigger::direct_input(fields, USAGE)?;
            if input.targets.as_ref().is_some_and(Vec::is_empty) {
                return Err(BadEvent(
                    "targets is empty: leave it out to publish every target".to_owned(),
                ));
            }
            input.targets
        }
        other => {
            return Err(other.not_for("metric publisher", "its schedule or a direct invocation"));
        }
    };
    Ok(Request {
        trigger: label,
        only,
        shard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_requests_say_what_is_wrong() {
        // (event, part of the error)
        let cases = [
            (json!({"target": "gold"}), "unknown field `target`"),
            (
                json!({"targets": "gold"}),
                "targets: invalid type: string \"gold\", expected a sequence",
            ),
            (json!({"targets": []}), "targets is empty"),
            (
                json!({"alarmData": {"alarmName": "a", "state": {"value": "ALARM"}}, "source": "aws.cloudwatch"}),
                "the metric publisher is not invoked by cloudwatch-alarm events",
            ),
        ];
        for (event, expected) in cases {
            let error = parse(&event).expect_err("refused");
            assert!(error.to_string().contains(expected), "{event}: {error}");
        }
        let direct = parse(&json!({"targets": ["gold"]})).expect("direct");
        assert_eq!(
            (direct.trigger, direct.only),
            ("direct", Some(vec!["gold".to_owned()]))
        );
    }
}
