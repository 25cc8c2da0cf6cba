//! The DynamoDB items of the functions' own state, to and from their types. Decoding
//! never fails as a whole: a field that is missing where it must be, of the wrong type
//! or out of range is dropped with a note, and a version that is not a number is kept
//! as read, so the next conditional write replaces the record instead of failing on it
//! forever.

use sluice_core::instances::{GroupFloor, GroupOwn};
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use sluice_core::prescale::OwnWrite;
use sluice_core::zero::{IdleGaps, Transition, WatchState};

pub type Item = HashMap<String, AttributeValue>;

/// The version a record was read at: what a conditional write must still find.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Version {
    /// No record yet.
    #[default]
    Absent,
    Number(u64),
    /// A record whose version is missing (None) or not a whole number: replaced by the
    /// next write, on condition that it still holds exactly this.
    Unreadable(Option<AttributeValue>),
}

impl Version {
    /// The version a successful write on this one stores.
    pub fn next(&self) -> Version {
        match self {
            Version::Number(n) => Version::Number(n.saturating_add(1)),
            Version::Absent | Version::Unreadable(_) => Version::Number(1),
        }
    }
}

/// A stored value, the version it was read at, and what could not be read in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: Version,
    /// One note per field dropped or version not understood: reported, then
    /// replaced by the next write.
    pub problems: Vec<String>,
}

/// Reads `name` as an i64, noting why not when it is there but unreadable.
fn number(item: &Item, name: &str, problems: &mut Vec<String>) -> Option<i64> {
    let value = item.get(name)?;
    let parsed = value.as_n().ok().and_then(|n| n.parse::<i64>().ok());
    if parsed.is_none() {
        problems.push(format!(
            "stored {name} is not a whole number ({value:?}): ignored"
        ));
    }
    parsed
}

pub fn version(item: &Item, problems: &mut Vec<String>) -> Version {
    let raw = item.get("version");
    match raw
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<u64>().ok())
    {
        Some(n) => Version::Number(n),
        None => {
            problems.push(match raw {
                None => "stored record has no version: replaced".to_owned(),
                Some(value) => {
                    format!("stored version is not a whole number ({value:?}): replaced")
                }
            });
            Version::Unreadable(raw.cloned())
        }
    }
}

pub fn watch_state(item: &Item) -> Versioned<WatchState> {
    let mut problems = Vec::new();
    let version = version(item, &mut problems);
    let claimed_at = number(item, "claimed_at", &mut problems);
    let claimed = match (item.get("claimed").and_then(|v| v.as_s().ok()), claimed_at) {
        (Some(t), Some(at)) if t == "wake" => Some((Transition::Wake, at)),
        (Some(t), Some(at)) if t == "sleep" => Some((Transition::Sleep, at)),
        (None, None) => None,
        (claimed, at) => {
            problems.push(format!(
                "stored claim {claimed:?} at {at:?} is not a claim: ignored"
            ));
            None
        }
    };
    let desired = number(item, "observed_desired", &mut problems);
    let observed_at = number(item, "observed_at", &mut problems);
    let observed = match (desired.map(u32::try_from), observed_at) {
        (Some(Ok(desired)), Some(at)) => Some((desired, at)),
        (None, None) => None,
        (desired, at) => {
            problems.push(format!(
                "stored observation {desired:?} at {at:?} is not one: ignored"
            ));
            None
        }
    };
    let skipped =
        number(item, "skipped", &mut problems).map(|n| u32::try_from(n.max(0)).unwrap_or(u32::MAX));
    let value = WatchState {
        last_activity: number(item, "last_activity", &mut problems),
        claimed,
        observed,
        waiting_since: number(item, "waiting_since", &mut problems),
        wake_requested: number(item, "wake_requested", &mut problems),
        woke_at: number(item, "woke_at", &mut problems),
        running_at: number(item, "running_at", &mut problems),
        idle_gaps: idle_gaps(item, &mut problems),
        skipped: skipped.unwrap_or(0),
    };
    Versioned {
        value,
        version,
        problems,
    }
}

/// The idle gaps kept as a list of whole seconds; anything else is none kept.
fn idle_gaps(item: &Item, problems: &mut Vec<String>) -> IdleGaps {
    let Some(value) = item.get("idle_gaps") else {
        return IdleGaps::default();
    };
    let seconds: Option<Vec<i64>> = value.as_l().ok().and_then(|list| {
        list.iter()
            .map(|v| v.as_n().ok().and_then(|n| n.parse::<i64>().ok()))
            .collect()
    });
    let read = seconds
        .ok_or_else(|| format!("stored idle_gaps is not a list of whole numbers ({value:?})"))
        .and_then(|seconds| IdleGaps::from_stored(&seconds));
    read.unwrap_or_else(|why| {
        problems.push(format!("{why}: ignored"));
        IdleGaps::default()
    })
}

/// The state's attributes (the key, version and bookkeeping are the caller's).
pub fn watch_state_attributes(state: &WatchState) -> Item {
    let n = |value: i64| AttributeValue::N(value.to_string());
    let mut item = Item::new();
    if let Some(at) = state.last_activity {
        item.insert("last_activity".to_owned(), n(at));
    }
    if let Some((transition, at)) = state.claimed {
        let name = match transition {
            Transition::Wake => "wake",
            Transition::Sleep => "sleep",
        };
        item.insert("claimed".to_owned(), AttributeValue::S(name.to_owned()));
        item.insert("claimed_at".to_owned(), n(at));
    }
    if let Some((desired, at)) = state.observed {
        item.insert("observed_desired".to_owned(), n(i64::from(desired)));
        item.insert("observed_at".to_owned(), n(at));
    }
    if let Some(at) = state.waiting_since {
        item.insert("waiting_since".to_owned(), n(at));
    }
    if let Some(at) = state.wake_requested {
        item.insert("wake_requested".to_owned(), n(at));
    }
    if let Some(at) = state.woke_at {
        item.insert("woke_at".to_owned(), n(at));
    }
    if let Some(at) = state.running_at {
        item.insert("running_at".to_owned(), n(at));
    }
    if !state.idle_gaps.seconds().is_empty() {
        let gaps = state.idle_gaps.seconds().iter();
        let list = gaps.map(|s| n(i64::from(*s))).collect();
        item.insert("idle_gaps".to_owned(), AttributeValue::L(list));
    }
    if state.skipped > 0 {
        item.insert("skipped".to_owned(), n(i64::from(state.skipped)));
    }
    item
}

/// The prescaler's record of its own write, when the item holds a readable one.
pub fn own_write(item: &Item) -> Result<OwnWrite, String> {
    let mut problems = Vec::new();
    let raised_to = number(item, "raised_to", &mut problems).map(u32::try_from);
    let at = number(item, "at", &mut problems);
    let capped_to = match number(item, "capped_to", &mut problems).map(u32::try_from) {
        None => Ok(None),
        Some(Ok(cap)) => Ok(Some(cap)),
        Some(Err(_)) => Err(()),
    };
    match (raised_to, capped_to, at) {
        (Some(Ok(raised_to)), Ok(capped_to), Some(at)) => Ok(OwnWrite {
            raised_to,
            capped_to,
            at,
            // Hex text: a u64 does not fit the numbers the other fields are read as.
            // Absent or unreadable, the record is taken as the target's service's.
            resource: item
                .get("resource")
                .and_then(|v| v.as_s().ok())
                .and_then(|hex| u64::from_str_radix(hex, 16).ok()),
        }),
        _ => Err(format!(
            "the prescaler's record is unreadable ({}): treated as absent, so nothing it \\
             names is restored",
            if problems.is_empty() {
                "fields missing".to_owned()
            } else {
                problems.join("; ")
            }
        )),
    }
}

/// The prescaler's record of a group floor it raised, and the group's name (the sort
/// key), when the item holds a readable one. MinSize values are u32: anything else
/// (negative, past u32, not a number) makes the record unreadable.
pub fn group_own(item: &Item) -> Result<GroupOwn, String> {
    let count = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u32>().ok())
    };
    // Absent in a record written before the kind was kept; anything else unreadable
    // makes the record so.
    let floor = match item.get("floor").map(|v| v.as_s().map(String::as_str)) {
        None => Ok(None),
        Some(Ok("min_size")) => Ok(Some(GroupFloor::MinSize)),
        Some(Ok("warm_pool")) => Ok(Some(GroupFloor::WarmPool)),
        Some(_) => Err(()),
    };
    match (count("raised_to"), count("baseline"), floor) {
        (Some(raised_to), Some(baseline), Ok(floor)) => Ok(GroupOwn {
            raised_to,
            baseline,
            floor,
        }),
        _ => Err("group record is unreadable: treated as absent".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.to_owned())
    }

    #[test]
    fn a_state_round_trips() {
        let state = WatchState {
            last_activity: Some(1_800_000_000),
            claimed: Some((Transition::Sleep, 1_800_000_010)),
            observed: Some((3, 1_800_000_020)),
            waiting_since: Some(1_800_000_025),
            wake_requested: Some(1_800_000_030),
            woke_at: Some(1_800_000_040),
            running_at: Some(1_800_000_100),
            idle_gaps: IdleGaps::default().with(3600).with(75),
            skipped: 2,
        };
        let mut stored = watch_state_attributes(&state);
        stored.insert("version".to_owned(), n("7"));
        assert_eq!(
            watch_state(&stored),
            Versioned {
                value: state,
                version: Version::Number(7),
                problems: Vec::new(),
            }
        );
    }

    #[test]
    fn odd_records_decode_with_notes_never_fail() {
        // (item, version read, problem notes)
        let cases: Vec<(Item, Version, usize)> = vec![
            (item(&[]), Version::Unreadable(None), 1),
            (
                item(&[("version", AttributeValue::S("seven".into()))]),
                Version::Unreadable(Some(AttributeValue::S("seven".into()))),
                1,
            ),
            (
                item(&[("version", n("-3"))]),
                Version::Unreadable(Some(n("-3"))),
                1,
            ),
            (
                item(&[
                    ("version", n("1")),
                    ("claimed", AttributeValue::S("wake".into())),
                    ("claimed_at", n("soon")),
                ]),
                Version::Number(1),
                2,
            ),
            (
                item(&[
                    ("version", n("1")),
                    ("observed_desired", n("99999999999")),
                    ("observed_at", n("5")),
                ]),
                Version::Number(1),
                1,
            ),
            (
                item(&[
                    ("version", n("1")),
                    ("last_activity", AttributeValue::Bool(true)),
                ]),
                Version::Number(1),
                1,
            ),
            (
                item(&[("version", n("1")), ("idle_gaps", n("60"))]),
                Version::Number(1),
                1,
            ),
            (
                item(&[
                    ("version", n("1")),
                    ("idle_gaps", AttributeValue::L(vec![n("60"), n("-5")])),
                ]),
                Version::Number(1),
                1,
            ),
        ];
        for (stored, version, notes) in cases {
            let decoded = watch_state(&stored);
            assert_eq!(decoded.version, version, "{stored:?}");
            assert_eq!(
                decoded.problems.len(),
                notes,
                "{stored:?}: {:?}",
                decoded.problems
            );
            assert_eq!(
                decoded.version.next(),
                match &version {
                    Version::Number(n) => Version::Number(n + 1),
                    _ => Version::Number(1),
                }
            );
        }
    }

    #[test]
    fn an_unreadable_own_write_is_absent_and_says_why() {
        assert_eq!(
            own_write(&item(&[("raised_to", n("5")), ("at", n("9"))])),
            Ok(OwnWrite {
                raised_to: 5,
                capped_to: None,
                at: 9,
                resource: None,
            })
        );
        assert_eq!(
            own_write(&item(&[
                ("raised_to", n("5")),
                ("capped_to", n("3")),
                ("at", n("9"))
            ]))
            .map(|o| o.capped_to),
            Ok(Some(3))
        );
        let error = own_write(&item(&[("raised_to", n("-1")), ("at", n("9"))])).expect_err("bad");
        assert!(error.contains("treated as absent"), "{error}");
    }
}
