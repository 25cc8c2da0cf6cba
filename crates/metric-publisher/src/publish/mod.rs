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
use sluice_aws::memory::MemoryAws;
use sluice_aws::{
    Accounts, ConfigStore, EmfLog, MetricReader, MetricSink, RateRecords, StartUpRecords,
};
use sluice_lambda::{Clock, Failure, RequestError, Retry, select};

pub use report::{ReadingReport, Status, Summary, TargetReport};
pub use sluice_core::outcome::Publish;

use crate::settings::Settings;

/// The capabilities a publish needs, acting in the account each target lives in
/// ([`sluice_aws::Ports`]).
pub type Ports<'a> = sluice_aws::Ports<'a, Stack<'a>>;

/// What stays in the stack's account whatever the target. Queues, services, and the
/// GPU and SQS metrics are where the target lives: `Ports::here`.
#[derive(Clone, Copy)]
pub struct Stack<'a> {
    pub store: &'a dyn ConfigStore,
    /// Where Sluice's own metrics are read back.
    pub own_metrics: &'a dyn MetricReader,
    pub sink: &'a dyn MetricSink,
    pub emf: &'a dyn EmfLog,
    pub accounts: &'a dyn Accounts,
    /// The load model's records (sluice_core::capacity::Rates).
    pub rates: &'a dyn RateRecords,
    /// The start-ups the zero-watcher measured, which the need plans with.
    pub starts: &'a dyn StartUpRecords,
    pub clock: &'a dyn Clock,
}

impl<'a> Stack<'a> {
    /// Every stack capability from one in-memory AWS (tests, what-if runs).
    pub fn memory(aws: &'a MemoryAws) -> Self {
        Stack {
            store: aws,
            own_metrics: aws,
            sink: aws,
            emf: aws,
            accounts: aws,
            rates: aws,
            starts: aws,
            clock: &sluice_lambda::SystemClock,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("nothing could be published: {}", report::summarise_failures(.0))]
    NothingPublished(Box<Summary>),
}

impl Failure for PublishError {
    fn name(&self) -> &'static str {
        match self {
            PublishError::Request(error) => error.name(),
            PublishError::NothingPublished(_) => "NothingPublished",
        }
    }

    /// Nothing published helps to retry only if some target failed on something that
    /// may pass; invalid targets and missing queues stay as they are.
    fn retry(&self) -> Retry {
        match self {
            PublishError::Request(error) => error.retry(),
            PublishError::NothingPublished(summary) => {
                Retry::when_any_may_pass(summary.targets.iter().filter_map(|t| t.failure))
            }
        }
    }
}

pub async fn publish(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Result<Summary, PublishError> {
    let request = request::parse(event).map_err(RequestError::from)?;
    let selection = select(
        ports.store,
        request.only.as_deref(),
        request.shard,
        |_| true,
        "",
    )
    .await
    .map_err(RequestError::from)?;
    tracing::info!(
        trigger = request.trigger,
        targets = selection.targets.len(),
        "publishing"
    );
    let facts = read::read(&selection.targets, settings, ports).await;
    let now = ports.clock.now();
    let mut decided = decide::decide(&selection, facts, settings.scaling_changes, now);
    let mut summary = Summary::new(request.trigger, settings);
    write::write(
        &mut decided,
        &selection.targets,
        &mut summary,
        settings,
        ports,
    )
    .await;
    write::save_rates(&mut decided, settings, ports).await;
    summary.finish(decided.reports, decided.invalid, decided.fleet)
}
