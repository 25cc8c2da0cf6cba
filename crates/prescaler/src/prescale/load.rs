//! The targets with a profile, and every stored profile compiled (or why not).

use std::collections::BTreeMap;

use sluice_aws::ItemKind;
use sluice_core::budget::Budget;
use sluice_core::config::Target;
use sluice_core::profile::{Profile, Schedule};
use sluice_core::shard::Shard;
use sluice_lambda::{SelectError, Selection, select};

use super::Ports;

pub struct Loaded {
    /// The targets this invocation plans for (its shard, or the event's list), and
    /// every valid target with a profile (`everyone`).
    pub selection: Selection,
    pub schedules: BTreeMap<String, Result<Schedule, String>>,
    /// The stored budgets that are valid.
    pub budgets: Vec<Budget>,
    /// Stored targets, profiles and budgets that do not parse or validate, with why.
    pub invalid: BTreeMap<String, String>,
    /// How many of them are budgets: while one is, which targets it covers is unknown.
    pub invalid_budgets: usize,
}

pub async fn load(
    ports: &Ports<'_>,
    only: Option<&[String]>,
    shard: Shard,
) -> Result<Loaded, SelectError> {
    let with_profile = |t: &Target| t.profile.is_some();
    let (selection, profiles, budgets) = futures::join!(
        select(ports.store, only, shard, with_profile, " with a profile"),
        ports.store.list(ItemKind::Profile),
        ports.store.list(ItemKind::Budget),
    );
    let selection = selection?;
    let profiles = profiles.map_err(SelectError::Store)?;
    // Unread budgets would lift the caps they hold: nothing is decided without them.
    let budgets = budgets.map_err(SelectError::Store)?;
    let mut invalid: BTreeMap<String, String> = selection
        .invalid
        .iter()
        .map(|(name, error)| (format!("target {name}"), error.clone()))
        .collect();
    let mut schedules = BTreeMap::new();
    for item in profiles {
        let schedule = Profile::from_stored(&item.name, &item.spec);
        if let Err(error) = &schedule {
            tracing::warn!(profile = %item.name, %error, "skipping invalid stored profile; its targets are left as they are");
            invalid.insert(format!("profile {}", item.name), error.clone());
        }
        schedules.insert(item.name, schedule);
    }
    let mut invalid_budgets = 0;
    let budgets = budgets
        .into_iter()
        .filter_map(|item| match Budget::from_stored(&item.name, &item.spec) {
            Ok(budget) => Some(budget),
            Err(error) => {
                tracing::warn!(budget = %item.name, %error, "skipping invalid stored budget");
                invalid.insert(format!("budget {}", item.name), error);
                invalid_budgets += 1;
                None
            }
        })
        .collect();
    Ok(Loaded {
        selection,
        schedules,
        budgets,
        invalid,
        invalid_budgets,
    })
}
