//! One invocation of the watcher, as stages: what the event asks ([`request`]), which
//! targets and why ([`work`]), their facts ([`facts`]), the decision, claim and act
//! for each ([`evaluate`]), more looks at sleeping targets while the window lasts
//! ([`poll`]), and the report ([`report`]). The decisions themselves live in
//! sluice_core::zero; a failed read changes nothing.

mod evaluate;
mod facts;
mod poll;
mod report;
mod request;
mod work;

use serde_json::Value;
use sluice_aws::{
    ConfigStore, EmfLog, MetricReader, QueueDepths, ScalableTargets, ServiceCounts, ServiceScaler,
    WatchStates,
};
use sluice_lambda::{Clock, RequestError, select};

pub use report::{DecisionReport, Effect, Report};
pub use request::WatchRequest;
pub use work::Watched;

use crate::settings::Settings;

/// The capabilities an invocation needs.
pub struct Ports<'a> {
    pub store: &'a dyn ConfigStore,
    pub states: &'a dyn WatchStates,
    pub queues: &'a dyn QueueDepths,
    pub services: &'a dyn ServiceCounts,
    pub scaler: &'a dyn ServiceScaler,
    pub autoscaling: &'a dyn ScalableTargets,
    pub metrics: &'a dyn MetricReader,
    pub emf: &'a dyn EmfLog,
    pub clock: &'a dyn Clock,
}

pub async fn watch(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Result<Report, RequestError> {
    let request = request::parse(event)?;
    let only = request.only_target().map(|name| vec![name.to_owned()]);
    let keep = |t: &sluice_core::config::Target| t.scale_to_zero.is_some();
    let selection = select(ports.store, only.as_deref(), keep, " with scale_to_zero").await?;
    let watched = Watched::all(&selection.targets);
    let mut report = Report::new(&request, settings, selection.invalid.clone());
    let work = work::for_request(&request, &watched, &mut report.skipped_events);
    report.decisions = evaluate::evaluate(&work, 0, settings, ports).await;
    report.passes = 1;
    if matches!(request, WatchRequest::Poll { .. }) {
        poll::poll(&watched, &mut report, settings, ports).await;
    }
    Ok(report)
}
