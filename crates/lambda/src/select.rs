//! Which stored targets an invocation is about: every target a function handles
//! (those with `scale_to_zero` for the watcher, with a profile for the prescaler),
//! narrowed to an event's `targets` list. Stored targets that do not parse or
//! validate are named, never silently dropped, and never stop the others.

use std::collections::BTreeMap;

use sluice_aws::{AwsError, ConfigStore, ItemKind};
use sluice_core::config::Target;
use sluice_core::shard::Shard;

/// The targets to handle and the stored ones that are invalid, by name, with why.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub targets: Vec<Target>,
    pub invalid: BTreeMap<String, String>,
    /// Every valid target the function handles when the shard or the event's list
    /// cut some away (None: `targets` are all of them); read through
    /// [`Selection::everyone`].
    cut_from: Option<Vec<Target>>,
}

impl Selection {
    /// Every valid target the function handles, whatever the shard or the event's
    /// list: what a fleet-wide figure counts (a capacity provider group's need sums
    /// all of its targets, or a partial count would lower another shard's raise).
    pub fn everyone(&self) -> &[Target] {
        self.cut_from.as_deref().unwrap_or(&self.targets)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("cannot read targets from the table: {0}")]
    Store(AwsError),
    #[error(
        "unknown target(s) in the event: {}; stored targets{}: {}",
        listed(.unknown),
        .kept,
        listed(.known)
    )]
    UnknownTargets {
        unknown: Vec<String>,
        /// Which targets the function handles, e.g. " with scale_to_zero".
        kept: &'static str,
        known: Vec<String>,
    },
}

/// At most 20 names, then how many more: an event may name thousands.
fn listed(names: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// Loads the stored targets the function handles (`keep`, described by `kept` for
/// errors, e.g. " with a profile") in this invocation's `shard` (valid or not: an
/// invalid one is named by its own shard only), narrowed to `only` when the event
/// names some.
pub async fn select(
    store: &dyn ConfigStore,
    only: Option<&[String]>,
    shard: Shard,
    keep: impl Fn(&Target) -> bool,
    kept: &'static str,
) -> Result<Selection, SelectError> {
    narrow(load_all(store, keep).await?, only, shard, kept)
}

/// Every stored target the function handles, and the invalid ones.
async fn load_all(
    store: &dyn ConfigStore,
    keep: impl Fn(&Target) -> bool,
) -> Result<Selection, SelectError> {
    let items = store
        .list(ItemKind::Target)
        .await
        .map_err(SelectError::Store)?;
    let mut selection = Selection::default();
    for item in items {
        match Target::from_stored(&item.name, &item.spec) {
            Ok(target) if keep(&target) => selection.targets.push(target),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(target_name = %item.name, %error, "skipping invalid stored target");
                selection.invalid.insert(item.name, error);
            }
        }
    }
    Ok(selection)
}

/// A loaded selection cut to `shard`, then to `only`: an unknown name is refused.
fn narrow(
    mut selection: Selection,
    only: Option<&[String]>,
    shard: Shard,
    kept: &'static str,
) -> Result<Selection, SelectError> {
    if !shard.is_everything() || only.is_some() {
        // Only a cut selection keeps a second list: most invocations copy nothing.
        selection.cut_from = Some(selection.targets.clone());
    }
    selection.targets.retain(|t| shard.owns(&t.name));
    selection.invalid.retain(|name, _| shard.owns(name));
    if let Some(only) = only {
        let unknown: Vec<String> = only
            .iter()
            .filter(|name| !selection.targets.iter().any(|t| &t.name == *name))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(SelectError::UnknownTargets {
                unknown,
                kept,
                known: selection.targets.iter().map(|t| t.name.clone()).collect(),
            });
        }
        selection.targets.retain(|t| only.contains(&t.name));
    }
    Ok(selection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_aws::memory::MemoryAws;

    fn store() -> MemoryAws {
        let aws = MemoryAws::new();
        aws.put_target(&Target::new("a", "c", "a").with_profile("p"));
        aws.put_target(&Target::new("b", "c", "b"));
        aws.put_item(ItemKind::Target, "broken", "{\"name\": 3}");
        aws
    }

    #[tokio::test]
    async fn keeps_what_the_function_handles_and_names_the_invalid() {
        let aws = store();
        let all = select(&aws, None, Shard::default(), |_| true, "")
            .await
            .expect("selected");
        let names: Vec<&str> = all.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(all.invalid["broken"].contains("stored spec does not parse"));
        let profiled = select(
            &aws,
            None,
            Shard::default(),
            |t| t.profile.is_some(),
            " with a profile",
        )
        .await
        .expect("selected");
        assert_eq!(profiled.targets.len(), 1);
    }

    #[tokio::test]
    async fn everyone_is_every_handled_target_whatever_the_list_or_shard() {
        let aws = store();
        let names = |targets: &[Target]| -> Vec<String> {
            targets.iter().map(|t| t.name.clone()).collect()
        };
        let whole = select(&aws, None, Shard::default(), |_| true, "")
            .await
            .expect("all");
        assert_eq!(names(whole.everyone()), ["a", "b"]);
        let only = ["b".to_owned()];
        let listed = select(&aws, Some(&only), Shard::default(), |_| true, "")
            .await
            .expect("b");
        assert_eq!(names(&listed.targets), ["b"]);
        assert_eq!(names(listed.everyone()), ["a", "b"]);
        let sharded = select(&aws, None, Shard::new(0, 2).expect("shard"), |_| true, "")
            .await
            .expect("shard");
        assert_eq!(names(sharded.everyone()), ["a", "b"]);
    }

    #[tokio::test]
    async fn an_event_list_narrows_and_unknown_names_are_refused() {
        let aws = store();
        let only = ["b".to_owned()];
        let one = select(&aws, Some(&only), Shard::default(), |_| true, "")
            .await
            .expect("b");
        assert_eq!(one.targets[0].name, "b");
        let only = ["b".to_owned(), "zzz".to_owned()];
        let error = select(
            &aws,
            Some(&only),
            Shard::default(),
            |t| t.profile.is_some(),
            " with a profile",
        )
        .await
        .expect_err("refused");
        assert_eq!(
            error.to_string(),
            "unknown target(s) in the event: b, zzz; stored targets with a profile: a"
        );
    }

    /// Two shards split the stored items, the invalid ones too, with none in both.
    #[tokio::test]
    async fn shards_split_the_targets_and_the_invalid_without_overlap() {
        let aws = store();
        let mut seen = Vec::new();
        for index in 0..2 {
            let shard = Shard::new(index, 2).expect("shard");
            let part = select(&aws, None, shard, |_| true, "").await.expect("part");
            seen.extend(part.targets.iter().map(|t| t.name.clone()));
            seen.extend(part.invalid.keys().cloned());
        }
        seen.sort();
        assert_eq!(seen, ["a", "b", "broken"]);
    }
}
