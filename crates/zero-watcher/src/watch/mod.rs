//! One invocation of the watcher, as stages: what the event asks ([`request`]), which
//! targets and why ([`work`]), their facts ([`facts`]), the decision, claim and act
//! for each ([`evaluate`]), more looks at sleeping targets while the window lasts
//! ([`poll`]), and the report ([`report`]). The decisions themselves live in
//! sluice_core::zero; a failed read changes nothing.

pub mod control;
mod evaluate;
mod facts;
mod looks;
mod poll;
mod report;
mod request;
mod starts;
mod work;

use std::time::Duration;

use serde_json::Value;
use sluice_aws::memory::MemoryAws;
use sluice_aws::{
    Accounts, ConfigStore, ControlMemories, EmfLog, PrescaleStates, RateRecords, StartUpRecords,
    WatchStates,
};
use sluice_lambda::{Clock, Failure, RequestError, Retry, select};
use tokio::time::Instant;

pub use looks::QuietLooks;
pub use report::{DecisionReport, Effect, Report};
pub use request::WatchRequest;
pub use sluice_core::outcome::Zero;
pub use work::Watched;

use crate::settings::Settings;

/// The capabilities an invocation needs, acting in the account each target lives in
/// ([`sluice_aws::Ports`]).
pub type Ports<'a> = sluice_aws::Ports<'a, Stack<'a>>;

/// What stays in the stack's account whatever the target. Queues, services, task
/// protection, desired counts, scalable targets and activation metrics are where the
/// target lives: `Ports::here`.
#[derive(Clone, Copy)]
pub struct Stack<'a> {
    pub store: &'a dyn ConfigStore,
    pub states: &'a dyn WatchStates,
    /// Where measured start-ups are kept for the prescaler's `lead: auto`.
    pub starts: &'a dyn StartUpRecords,
    pub emf: &'a dyn EmfLog,
    pub clock: &'a dyn Clock,
    /// The last quiet look at each sleeping target: what a wake's latency counts from.
    pub looks: &'a QuietLooks,
    pub accounts: &'a dyn Accounts,
    /// The load model's rates (written by the metric publisher) and the watcher's
    /// memory of each target's need.
    pub rates: &'a dyn RateRecords,
    pub memories: &'a dyn ControlMemories,
    /// The prescaler's own desiredCount writes: its window floors on services
    /// without a scalable target, which a sleep must not undo.
    pub prescaled: &'a dyn PrescaleStates,
}

impl<'a> Stack<'a> {
    /// Every stack capability from one in-memory AWS (tests, what-if runs).
    pub fn memory(aws: &'a MemoryAws, clock: &'a dyn Clock, looks: &'a QuietLooks) -> Self {
        Stack {
            store: aws,
            states: aws,
            starts: aws,
            emf: aws,
            clock,
            looks,
            accounts: aws,
            rates: aws,
            memories: aws,
            prescaled: aws,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A push (SNS, alarm, manual wake) asked for a wake that could not be carried
    /// out. The invocation fails so that Lambda retries it (and, after its retries,
    /// sends it to the failed-invocations queue); the wake request is also in the
    /// target's state, for the next poll.
    #[error("push not carried out: {}", failed_pushes(.0))]
    PushNotCarriedOut(Box<Report>),
}

fn failed_pushes(report: &Report) -> String {
    let failed: Vec<String> = report
        .decisions
        .iter()
        .filter(|d| d.error.is_some())
        .map(|d| format!("{}: {}", d.target, d.reason))
        .collect();
    failed.join("; ")
}

impl Failure for WatchError {
    fn name(&self) -> &'static str {
        match self {
            WatchError::Request(error) => error.name(),
            WatchError::PushNotCarriedOut(_) => "PushNotCarriedOut",
        }
    }

    /// Retryable when any failure may pass (throttling, unavailability); a push that
    /// only failed on access or a missing service stays failed, and says so.
    fn retry(&self) -> Retry {
        match self {
            WatchError::Request(error) => error.retry(),
            WatchError::PushNotCarriedOut(report) => Retry::when_any_may_pass(
                report
                    .decisions
                    .iter()
                    .filter_map(|d| d.error.as_ref().map(|e| e.kind)),
            ),
        }
    }
}

pub async fn watch(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Result<Report, WatchError> {
    watch_until(event, settings, ports, None).await
}

/// One invocation; a poll keeps looking until its window closes, measured from the
/// invocation's start, and always before `deadline` (the invocation's own).
pub async fn watch_until(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
    deadline: Option<std::time::Instant>,
) -> Result<Report, WatchError> {
    let started = Instant::now();
    let deadline = deadline.map(Instant::from_std);
    let request = request::parse(event).map_err(RequestError::from)?;
    let only = request.only_target().map(|name| vec![name.to_owned()]);
    let keep = |t: &sluice_core::config::Target| t.scale_to_zero.is_some() || t.sizes_on_need();
    let selection = select(
        ports.store,
        only.as_deref(),
        request.shard(),
        keep,
        " with scale_to_zero or under the load model",
    )
    .await
    .map_err(RequestError::from)?;
    let watched = Watched::all(&selection.targets);
    let mut report = Report::new(&request, settings, selection.invalid.clone());
    let home = settings.account.as_deref();
    let work = work::for_request(&request, &watched, home, &mut report.skipped_events);
    let first = (0, &evaluate::Seen::new());
    report.decisions = evaluate::evaluate(&work, first, settings, ports).await;
    report.passes = 1;
    if matches!(request, WatchRequest::Poll { .. }) {
        let controlled = control::controlled(&selection.targets);
        let moved: std::collections::BTreeSet<String> = report
            .decisions
            .iter()
            .filter(|d| {
                matches!(
                    d.outcome,
                    Effect::Done(Zero::Wake) | Effect::Done(Zero::Sleep) | Effect::Failed
                )
            })
            .map(|d| d.target.clone())
            .collect();
        let window = started + Duration::from_secs(settings.poll_window_seconds);
        let until = deadline.map_or(window, |d| window.min(d - poll::LAST_LOOK_MARGIN));
        let polls_for = until.saturating_duration_since(Instant::now()).as_secs();
        let last_poll = ports.clock.now().saturating_add_unsigned(polls_for);
        let (first, mut known) =
            control::first_look(&controlled, &moved, last_poll, settings, ports).await;
        report.capacity = first;
        let look = poll::Control {
            targets: &controlled,
            known: &mut known,
        };
        poll::poll(&watched, look, &mut report, until, settings, ports).await;
    } else if report.decisions.iter().any(|d| d.error.is_some()) {
        return Err(WatchError::PushNotCarriedOut(Box::new(report)));
    }
    Ok(report)
}
