//! What every function's `main` does around its handler: JSON logs, settings read at
//! start (a bad one stops the function with the variable named), and each
//! invocation's error turned into a diagnostic that says whether a retry helps.

use std::future::Future;
use std::time::{Instant, SystemTime};

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn, tracing};
use serde::Serialize;
use serde_json::Value;

use crate::failure::Failure;

/// Starts the log subscriber and reads the settings, logging a bad one so it shows
/// in the function's JSON logs too.
pub fn start<S, E: std::error::Error + Send + Sync + 'static>(
    settings: impl FnOnce() -> Result<S, E>,
) -> Result<S, Error> {
    tracing::init_default_subscriber();
    Ok(settings().inspect_err(|error| tracing::error!(%error, "cannot start"))?)
}

/// Runs `handler` for every invocation until the runtime stops, giving it the event
/// and the instant by which the invocation must have answered (Lambda's deadline).
pub async fn serve<F, Fut, R, E>(handler: F) -> Result<(), Error>
where
    F: Fn(Value, Option<Instant>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: Serialize,
    E: Failure,
{
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = instant_of(event.context.deadline());
        let output = handler(event.payload, deadline)
            .await
            .map_err(|e| e.diagnostic())?;
        serde_json::to_value(output).map_err(|e| Diagnostic::from(Error::from(e)))
    }))
    .await
}

/// A wall-clock deadline as an instant of the monotonic clock (None when past).
fn instant_of(deadline: SystemTime) -> Option<Instant> {
    let left = deadline.duration_since(SystemTime::now()).ok()?;
    Instant::now().checked_add(left)
}
