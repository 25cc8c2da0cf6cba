//! What became of one target at one look: the one vocabulary the three functions
//! report in, and the one rule for what counts as skipped, unread and failed.
//!
//! | outcome | when | said as |
//! |---|---|---|
//! | `Done(act)` | the change was made | `woke`, `slept`, `raised`, `lowered`, `changed`, `published` |
//! | `Would(act)` | a dry run (or forecast only): the change it would have made | `would_wake`, ... |
//! | `Unchanged` | decided: nothing to change | `unchanged` |
//! | `Skipped` | nothing decided, as the target's own configuration or state says: paused, its configuration or profile invalid, not this function's to act on now | `skipped` |
//! | `Unread` | nothing decided or changed: a read failed (AWS did not answer, refused, or the queue or service named is not there; the target's account not reached included) or the claim of a decision did, so the function does nothing rather than guess; the next look tries again | `unread` |
//! | `Failed` | a change owed and not made: AWS refused it, or it cannot be made without an operator (a declaration that conflicts, a record that does not say what to give back); or Sluice's own fault (a panic) | `failed` |
//!
//! Each function's alarms count from these: a `Failed` is heard at once (the
//! watcher's WatcherFailed, the prescaler's PrescalerFailed, the publisher's
//! TargetsFailed); an `Unread` when it lasts (the watcher's looks in a row, the
//! publisher's five minutes, the prescaler's two runs); a `Skipped` is the operator's
//! own doing and said in the report.

use serde::{Serialize, Serializer};

/// What a function does to a target when it acts, in its report's words.
pub trait Act: Copy {
    /// The change made and the change a dry run would have made: ("woke",
    /// "would_wake").
    fn words(self) -> (&'static str, &'static str);
}

/// What became of one target at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<A> {
    /// The change was made.
    Done(A),
    /// A dry run's (or a forecast's): the change it would have made.
    Would(A),
    /// Decided: nothing to change.
    Unchanged,
    /// Nothing decided, as the target's configuration or state says (paused, invalid,
    /// not this function's to act on now).
    Skipped,
    /// Nothing decided or changed: a read failed, or the decision's claim.
    Unread,
    /// A change owed and not made (refused, or one only an operator can make), or
    /// Sluice's own fault.
    Failed,
}

impl<A: Act> Outcome<A> {
    /// The report's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Done(act) => act.words().0,
            Outcome::Would(act) => act.words().1,
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
            Outcome::Unread => "unread",
            Outcome::Failed => "failed",
        }
    }

    /// The change made, or the one a dry run would have made.
    pub fn act(self) -> Option<A> {
        match self {
            Outcome::Done(act) | Outcome::Would(act) => Some(act),
            _ => None,
        }
    }

    /// Nothing was decided: skipped or unread.
    pub fn decided_nothing(self) -> bool {
        matches!(self, Outcome::Skipped | Outcome::Unread)
    }

    /// What the function's failure counts hear: a fact unread or a change not made.
    pub fn fell_short(self) -> bool {
        matches!(self, Outcome::Unread | Outcome::Failed)
    }
}

impl<A: Act> std::fmt::Display for Outcome<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

impl<A: Act> Serialize for Outcome<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.word())
    }
}

/// The zero-watcher's own act: the edge between 0 and a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zero {
    Wake,
    Sleep,
}

impl Act for Zero {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Zero::Wake => ("woke", "would_wake"),
            Zero::Sleep => ("slept", "would_sleep"),
        }
    }
}

/// The zero-watcher's capacity control: desired moved on the need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resize {
    Raise,
    Lower,
}

impl Act for Resize {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Resize::Raise => ("raised", "would_raise"),
            Resize::Lower => ("lowered", "would_lower"),
        }
    }
}

/// The prescaler's: a floor (MinCapacity, desired or an instance group's) moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prescale;

impl Act for Prescale {
    fn words(self) -> (&'static str, &'static str) {
        ("changed", "would_change")
    }
}

/// The metric publisher's: a target's metrics sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish;

impl Act for Publish {
    fn words(self) -> (&'static str, &'static str) {
        ("published", "would_publish")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_one_word_and_one_count() {
        // (outcome, word, decided nothing, fell short)
        let cases: [(Outcome<Zero>, &str, bool, bool); 7] = [
            (Outcome::Done(Zero::Wake), "woke", false, false),
            (Outcome::Would(Zero::Sleep), "would_sleep", false, false),
            (Outcome::Unchanged, "unchanged", false, false),
            (Outcome::Skipped, "skipped", true, false),
            (Outcome::Unread, "unread", true, true),
            (Outcome::Failed, "failed", false, true),
            (Outcome::Done(Zero::Sleep), "slept", false, false),
        ];
        for (outcome, word, nothing, short) in cases {
            assert_eq!(outcome.to_string(), word);
            assert_eq!(
                serde_json::to_value(outcome).ok(),
                Some(serde_json::Value::from(word))
            );
            assert_eq!(outcome.decided_nothing(), nothing, "{word}");
            assert_eq!(outcome.fell_short(), short, "{word}");
        }
        let words = [
            Outcome::Done(Resize::Raise).word(),
            Outcome::Would(Resize::Lower).word(),
            Outcome::Done(Prescale).word(),
            Outcome::Would(Prescale).word(),
            Outcome::Done(Publish).word(),
        ];
        assert_eq!(
            words,
            [
                "raised",
                "would_lower",
                "changed",
                "would_change",
                "published"
            ]
        );
    }
}
