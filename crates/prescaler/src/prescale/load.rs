//! The targets with a profile, and every stored profile compiled (or why not).

use std::collections::BTreeMap;

use sluice_aws::ItemKind;
use sluice_core::profile::{Profile, Schedule};
use sluice_lambda::{SelectError, Selection, select};

use super::Ports;

pub struct Loaded {
    pub selection: Selection,
    pub schedules: BTreeMap<String, Result<Schedule, String>>,
    /// Stored targets and profiles that do not parse or validate, with why.
    pub invalid: BTreeMap<String, String>,
}

pub async fn load(ports: &Ports<'_>, only: Option<&[String]>) -> Result<Loaded, SelectError> {
    let (selection, profiles) = futures::join!(
        select(
            ports.store,
            only,
            |t| t.profile.is_some(),
            " with a profile"
        ),
        ports.store.list(ItemKind::Profile),
    );
    let selection = selection?;
    let profiles = profiles.map_err(SelectError::Store)?;
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
    Ok(Loaded {
        selection,
        schedules,
        invalid,
    })
}
