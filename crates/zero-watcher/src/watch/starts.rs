//! Start-ups measured at the watcher's looks, for the load model and `lead: auto`: the
//! raises it made (sluice_core::capacity::starting) and its wakes (evaluate). Its polls
//! come every few seconds where the publisher's looks are a minute apart, so these are
//! what the load model plans with (`capacity::planned_start_up`).

use std::collections::BTreeMap;

use sluice_core::capacity::{Rates, planned_start_up};
use sluice_core::startup::{StartUp, StartUps};

use super::Ports;
use crate::settings::Settings;

/// Every target's measured start-ups; none when they cannot be read (said in the log):
/// the load model then plans with the publisher's own, as before any was measured.
pub async fn read(ports: &Ports<'_>) -> BTreeMap<String, StartUps> {
    ports.starts.start_ups().await.unwrap_or_else(|error| {
        tracing::warn!(%error, "measured start-ups not read: planning with the publisher's");
        BTreeMap::new()
    })
}

/// Each target's rates, planning with its measured start-up where there is one.
pub fn planned(
    rates: BTreeMap<String, Rates>,
    starts: &BTreeMap<String, StartUps>,
    now: i64,
) -> BTreeMap<String, Rates> {
    rates
        .into_iter()
        .map(|(name, rates)| {
            let measured = starts.get(&name).cloned().unwrap_or_default();
            let start_up = planned_start_up(&measured, rates.start_up, now);
            (name, rates.with_start_up(start_up))
        })
        .collect()
}

/// Keeps each measured start-up (not in a dry run: nothing was raised). A failed
/// write loses one sample, never a decision.
pub async fn record(samples: Vec<(String, StartUp)>, settings: &Settings, ports: &Ports<'_>) {
    if settings.dry_run {
        return;
    }
    let now = ports.clock.now();
    for (name, sample) in samples {
        if let Err(error) = ports.starts.record_start(&name, sample, now).await {
            tracing::warn!(target_name = %name, %error, "start-up not recorded");
        }
    }
}
