//! What an event asks the prescaler: the floors now (its schedule), or at a what-if
//! time and for some targets (`{"at": RFC3339, "targets": [NAME, ...]}`, both optional).

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use sluice_core::shard::Shard;
use sluice_lambda::envelope::{self, BadEvent, Trigger};

#[derive(Debug)]
pub struct Request {
    pub trigger: &'static str,
    /// The time to plan for; None = now.
    pub at: Option<Timestamp>,
    pub only: Option<Vec<String>>,
    /// A what-if changes nothing unless it says `"apply": true`.
    pub dry_run: bool,
    /// The schedule slot's share of the targets (everything when not sharded).
    pub shard: Shard,
}

const USAGE: &str = "a direct invocation takes {\"at\": RFC3339, \"targets\": [NAME, ...], \
     \"apply\": true|false}, all optional; a what-if (\"at\") only plans unless apply is true";

/// How far from now a what-if may look: years of calendar rules, not year 9999 (and
/// fixtures with fixed dates stay valid for a decade).
const MAX_WHAT_IF_DAYS: i64 = 3660;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectInput {
    /// RFC 3339 with an offset, e.g. `2026-11-30T07:55:00+01:00`.
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
    #[serde(default)]
    apply: bool,
}

pub fn parse(event: &Value, now: Timestamp) -> Result<Request, BadEvent> {
    let trigger = envelope::parse(event)?;
    let label = trigger.label();
    let shard = match &trigger {
        Trigger::Schedule(schedule) => schedule.shard,
        _ => Shard::default(),
    };
    let input = match trigger {
        Trigger::Schedule(_) => DirectInput {
            at: None,
            targets: None,
            apply: true,
        },
        Trigger::Direct(fields) => Trigger::direct_input(fields, USAGE)?,
        other => return Err(other.not_for("prescaler", "its schedule or a direct invocation")),
    };
    let at = match &input.at {
        None => None,
        Some(text) => Some(what_if_time(text, now)?),
    };
    if input.targets.as_ref().is_some_and(Vec::is_empty) {
        return Err(BadEvent(
            "targets is empty: leave it out for every target".to_owned(),
        ));
    }
    Ok(Request {
        trigger: label,
        dry_run: at.is_some() && !input.apply,
        at,
        only: input.targets,
        shard,
    })
}

/// An RFC 3339 time with a real UTC offset (-12:00 to +14:00), within a year of now.
fn what_if_time(text: &str, now: Timestamp) -> Result<Timestamp, BadEvent> {
    let at = text.parse::<Timestamp>().map_err(|e| {
        BadEvent(format!(
            "at {text:?} is not an RFC 3339 time with an offset (e.g. 2026-11-30T07:55:00+01:00): {e}"
        ))
    })?;
    if let Some(offset) = offset_minutes(text)
        && !(-12 * 60..=14 * 60).contains(&offset)
    {
        let sign = if offset < 0 { '-' } else { '+' };
        let offset = offset.abs();
        return Err(BadEvent(format!(
            "at {text:?}: offset {sign}{:02}:{:02} is not a UTC offset in use (-12:00 to +14:00)",
            offset / 60,
            offset % 60
        )));
    }
    let days = (at.as_second() - now.as_second()).abs() / 86_400;
    if days > MAX_WHAT_IF_DAYS {
        return Err(BadEvent(format!(
            "at {text:?} is more than {MAX_WHAT_IF_DAYS} days from now ({now})"
        )));
    }
    Ok(at)
}

/// The numeric offset at the end of an RFC 3339 time, in minutes (None for `Z`).
fn offset_minutes(text: &str) -> Option<i64> {
    let sign_at = text.rfind(['+', '-'])?;
    let (hours, minutes) = text[sign_at + 1..].split_once(':')?;
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    let sign = if text[sign_at..].starts_with('-') {
        -1
    } else {
        1
    };
    // A date's dashes come before the 'T'; only a suffix after it is an offset.
    text[..sign_at]
        .contains('T')
        .then_some(sign * (hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_if_times_and_bad_requests() {
        let now: Timestamp = "2026-11-24T00:00:00Z".parse().expect("now");
        let parse = |event: &Value| parse(event, now);
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
