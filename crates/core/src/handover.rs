//! What an apply would strand: the prescaler keeps one record per target name of the
//! raise (MinCapacity, or desiredCount without a scalable target) or cap it holds on
//! the target's service, and gives it back when the window or budget that asked for it
//! ends. A target the file moves to another service (account, region, cluster or
//! service), or that `--prune` deletes, takes its record's meaning away: the prescaler
//! plans the new service afresh and nothing would ever give the old one back.
//!
//! So `sluicectl apply` refuses such a change while the record stands, naming the
//! raise and the service, and changes nothing; the raise ends by itself at its
//! window's end, after which the apply goes through. `--leave-raises` applies anyway
//! and says what it left, for the operator to give back by hand.

use std::collections::BTreeMap;
use std::fmt;

use crate::config::Target;
use crate::prescale::OwnWrite;

/// How the file takes a target away from the service the prescaler raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaving {
    /// The file names another service for it: (cluster, service) it moves to.
    Moved { cluster: String, service: String },
    /// `--prune` deletes it.
    Deleted,
}

/// A raise or cap an apply would leave on a service no target names any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stranded {
    pub target: String,
    /// (cluster, service) the prescaler acted on.
    pub on: (String, String),
    pub held: OwnWrite,
    pub leaving: Leaving,
}

/// The raises applying `file` over `stored` would strand (`pruning`: stored targets the
/// file leaves out are deleted). Records made on another service than the stored
/// target's are already stranded and not this apply's doing (the prescaler reports
/// them); a target that keeps its service keeps its record's meaning.
pub fn stranded(
    stored: &[Target],
    file: &[Target],
    pruning: bool,
    records: &BTreeMap<String, OwnWrite>,
) -> Vec<Stranded> {
    stored
        .iter()
        .filter_map(|before| {
            let held = *records.get(&before.name)?;
            if !held.is_for(before) {
                return None;
            }
            let leaving = match file.iter().find(|t| t.name == before.name) {
                Some(after) if after.resource() == before.resource() => return None,
                Some(after) => Leaving::Moved {
                    cluster: after.cluster.clone(),
                    service: after.service.clone(),
                },
                None if pruning => Leaving::Deleted,
                None => return None,
            };
            Some(Stranded {
                target: before.name.clone(),
                on: (before.cluster.clone(), before.service.clone()),
                held,
                leaving,
            })
        })
        .collect()
}

impl fmt::Display for Stranded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (cluster, service) = &self.on;
        write!(
            f,
            "target {}: the prescaler holds a raise to {} task(s)",
            self.target, self.held.raised_to
        )?;
        if let Some(cap) = self.held.capped_to {
            write!(f, " and MaxCapacity {cap}")?;
        }
        write!(f, " on {cluster}/{service}; ")?;
        match &self.leaving {
            Leaving::Moved { cluster, service } => {
                write!(f, "moving the target to {cluster}/{service}")?
            }
            Leaving::Deleted => write!(f, "deleting the target (--prune)")?,
        }
        write!(f, " would leave it there, given back by nothing")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, service: &str) -> Target {
        Target::new(name, "c", service).with_capacity(0, 10)
    }

    fn held(on: Option<&Target>) -> OwnWrite {
        OwnWrite {
            raised_to: 4,
            capped_to: None,
            at: 0,
            resource: on.map(Target::resource),
        }
    }

    #[test]
    fn only_a_move_or_a_prune_away_from_a_held_raise_strands_it() {
        let before = target("gold", "gold-svc");
        let moved = target("gold", "gold-svc-2");
        let elsewhere = target("gold", "other");
        let records = |record: OwnWrite| BTreeMap::from([("gold".to_owned(), record)]);
        let stored = std::slice::from_ref(&before);
        // (file, pruning, records, stranded)
        type Case<'a> = (
            &'a [Target],
            bool,
            BTreeMap<String, OwnWrite>,
            Option<Leaving>,
        );
        let cases: [Case; 7] = [
            (
                std::slice::from_ref(&before),
                true,
                records(held(Some(&before))),
                None,
            ),
            (std::slice::from_ref(&moved), false, BTreeMap::new(), None),
            (
                std::slice::from_ref(&moved),
                false,
                records(held(Some(&before))),
                Some(Leaving::Moved {
                    cluster: "c".into(),
                    service: "gold-svc-2".into(),
                }),
            ),
            // A record of before it named the service: taken as the stored service's.
            (
                std::slice::from_ref(&moved),
                false,
                records(held(None)),
                Some(Leaving::Moved {
                    cluster: "c".into(),
                    service: "gold-svc-2".into(),
                }),
            ),
            // Made on a third service: stranded already, not by this apply.
            (
                std::slice::from_ref(&moved),
                false,
                records(held(Some(&elsewhere))),
                None,
            ),
            (
                &[],
                true,
                records(held(Some(&before))),
                Some(Leaving::Deleted),
            ),
            (&[], false, records(held(Some(&before))), None),
        ];
        for (index, (file, pruning, records, want)) in cases.into_iter().enumerate() {
            let found = stranded(stored, file, pruning, &records);
            assert_eq!(
                found.first().map(|s| s.leaving.clone()),
                want,
                "case {index}"
            );
        }
    }

    #[test]
    fn a_stranded_raise_names_the_raise_the_service_and_the_change() {
        let before = target("gold", "gold-svc");
        let mut record = held(Some(&before));
        record.capped_to = Some(6);
        let found = stranded(
            &[before],
            &[target("gold", "gold-svc-2")],
            false,
            &BTreeMap::from([("gold".to_owned(), record)]),
        );
        assert_eq!(
            found[0].to_string(),
            "target gold: the prescaler holds a raise to 4 task(s) and MaxCapacity 6 on \
             c/gold-svc; moving the target to c/gold-svc-2 would leave it there, given back \
             by nothing"
        );
    }
}
