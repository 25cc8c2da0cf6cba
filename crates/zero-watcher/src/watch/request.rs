//! What an event asks the watcher: a poll (its schedule), pushes (SNS notifications,
//! alarm state changes) or a manual `{"action": "wake"|"sleep", "target": NAME}`.

use serde::Deserialize;
use serde_json::Value;
use sluice_core::shard::Shard;
use sluice_lambda::envelope::{self, AlarmChange, BadEvent, Notification, Trigger};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchRequest {
    /// Check every scale-to-zero target, then keep polling sleeping ones.
    Poll { trigger: &'static str, shard: Shard },
    /// SNS notifications: one topic (and, for alarm notifications, the alarm) each.
    Sns(Vec<Notification>),
    /// An alarm changed state.
    Alarm(AlarmChange),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualInput {
    action: ManualAction,
    target: String,
}

const USAGE: &str = "a manual event is {\"action\": \"wake\"|\"sleep\", \"target\": NAME}";

impl WatchRequest {
    pub fn label(&self) -> &'static str {
        match self {
            WatchRequest::Poll { trigger, .. } => trigger,
            WatchRequest::Sns(_) => "sns",
            WatchRequest::Alarm(_) => "cloudwatch-alarm",
            WatchRequest::Manual { .. } => "manual",
        }
    }

    /// The share of the targets a poll watches; a push concerns whichever targets
    /// it names, in any shard.
    pub fn shard(&self) -> Shard {
        match self {
            WatchRequest::Poll { shard, .. } => *shard,
            _ => Shard::default(),
        }
    }

    /// The one target a manual event names.
    pub fn only_target(&self) -> Option<&str> {
        match self {
            WatchRequest::Manual { target, .. } => Some(target),
            _ => None,
        }
    }
}

pub fn parse(event: &Value) -> Result<WatchRequest, BadEvent> {
    Ok(match envelope::parse(event)? {
        Trigger::Schedule(schedule) => WatchRequest::Poll {
            trigger: schedule.via,
            shard: schedule.shard,
        },
        Trigger::Sns(notifications) => WatchRequest::Sns(notifications),
        Trigger::Alarm(alarm) => WatchRequest::Alarm(alarm),
        Trigger::Direct(fields) => {
            let input: ManualInput = Trigger::direct_input(fields, USAGE)?;
            WatchRequest::Manual {
                action: input.action,
                target: input.target,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn manual_events_and_their_errors() {
        assert_eq!(
            parse(&json!({"action": "sleep", "target": "gold"})),
            Ok(WatchRequest::Manual {
                action: ManualAction::Sleep,
                target: "gold".to_owned()
            })
        );
        // (event, part of the error)
        let cases = [
            (
                json!({"action": "reboot", "target": "x"}),
                "unknown variant `reboot`",
            ),
            (json!({"action": "wake"}), "missing field `target`"),
            (
                json!({"action": "wake", "service": "gold-inference"}),
                "unknown field `service`",
            ),
            (json!({"hello": "world"}), "unknown field `hello`"),
        ];
        for (event, expected) in cases {
            let error = parse(&event).expect_err("refused");
            assert!(error.to_string().contains(expected), "{event}: {error}");
        }
    }
}
