//! One publish, as named stages: what the event asks ([`request`]), which targets
//! ([`sluice_lambda::select`]), what AWS says about them ([`read`]), which datums
//! follow ([`decide`]), the write ([`write`]), and the summary ([`report`]). A failing
//! target is reported and never stops the others.

mod decide;
mod read;
mod report;
mod request;
mod write;

use serde_json::Value;
use sluice_aws::{ConfigStore, EmfLog, MetricReader, MetricSink, QueueDepths, ServiceCounts};
use sluice_lambda::{BadEvent, Failure, Retry, SelectError, select};

pub use report::{ReadingReport, Status, Summary, TargetReport};

use crate::settings::Settings;

/// The capabilities a publish needs.
pub struct Ports<'a> {
    pub store: &'a dyn ConfigStore,
    pub queues: &'a dyn QueueDepths,
    pub services: &'a dyn ServiceCounts,
    pub metrics: &'a dyn MetricReader,
    pub sink: &'a dyn MetricSink,
    pub emf: &'a dyn EmfLog,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    BadEvent(#[from] BadEvent),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error("nothing could be published: {}", report::summarise_failures(.0))]
    NothingPublished(Box<Summary>),
}

impl Failure for PublishError {
    fn name(&self) -> &'static str {
        match self {
            PublishError::BadEvent(_) => "BadEvent",
            PublishError::Select(SelectError::Store(_)) => "StoreUnavailable",
            PublishError::Select(SelectError::UnknownTargets { .. }) => "UnknownTargets",
            PublishError::NothingPublished(_) => "NothingPublished",
        }
    }

    fn retry(&self) -> Retry {
        match self {
            PublishError::BadEvent(_)
            | PublishError::Select(SelectError::UnknownTargets { .. }) => Retry::NonRetryable,
            PublishError::Select(SelectError::Store(_)) | PublishError::NothingPublished(_) => {
                Retry::Retryable
            }
        }
    }
}

pub async fn publish(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Result<Summary, PublishError> {
    let request = request::parse(event)?;
    let selection = select(ports.store, request.only.as_deref(), |_| true, "").await?;
    tracing::info!(
        trigger = request.trigger,
        targets = selection.targets.len(),
        "publishing"
    );
    let facts = read::read(&selection.targets, settings, ports).await;
    let mut decided = decide::decide(&selection, facts);
    let mut summary = Summary::new(request.trigger, settings);
    write::write(&mut decided, &mut summary, settings, ports).await;
    summary.finish(decided)
}
